/* api.h -- the live analytics behind GET /api/report: the same figures as
 * clients/chorus-report (lib/report.c: report_build), computed on a worker thread over a
 * read-only connection and cached, so the event loop never waits for SQL.
 * At most one build runs at a time; a cached result younger than max_age_ms
 * is served as is. */
#ifndef CHORUS_API_H
#define CHORUS_API_H

#include "util.h"

struct api;

/* A report source for the database at db_path. NULL on out-of-memory. */
struct api *api_new(const char *db_path, int max_age_ms);
/* notify(arg) is called from the worker thread when a build finished (set
 * before the first api_report). */
void api_set_notify(struct api *a, void (*notify)(void *), void *arg);
/* Waits for a running build; api_free(NULL) is a no-op. */
void api_free(struct api *a);

#define API_READY    1
#define API_BUILDING 0
/* The report as JSON bytes. Returns API_READY and a new reference in *out
 * (caller msg_unref()s it; a failed build gives {"error": "..."} bytes with
 * *status 500), or API_BUILDING after making sure a build is under way
 * (ask again after notify). *status is the HTTP status to answer. */
int api_report(struct api *a, struct msg **out, int *status);

#endif
