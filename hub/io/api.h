/* api.h -- the live analytics behind GET /api/report: the same figures as
 * clients/chorus-report (lib/report.c: report_build), computed on a worker thread over a
 * read-only connection and cached, so the event loop never waits for SQL.
 * At most one build runs at a time; a cached result younger than max_age_ms
 * is served as is.
 *
 * In a cluster (api_set_hubs) the report is the event's, not this hub's:
 * the databases of the other hubs on this machine are read with this hub's
 * as one event (report_build_opts with peers, docs/analytics.md "Several
 * hubs"), and event.missing names the hubs whose files it could not read
 * (on another machine, not readable, ...), so the crew sees what is left
 * out. */
#ifndef CHORUS_API_H
#define CHORUS_API_H

#include "peers.h"
#include "util.h"

struct api;

/* A report source for the database at db_path. NULL on out-of-memory. */
struct api *api_new(const char *db_path, int max_age_ms);
/* notify(arg) is called from the worker thread when a build finished (set
 * before the first api_report). */
void api_set_notify(struct api *a, void (*notify)(void *), void *arg);
/* Waits for a running build; api_free(NULL) is a no-op. */
void api_free(struct api *a);

/* One hub of the event, as the server knows it (server_cluster_hubs):
 * where its database is, "host:/path" ("" unknown). */
struct api_hub { int hub, live; char where[PEERS_WHERE_MAX]; };
/* The hubs whose databases the report should read, this hub first (n <=
 * PEERS_MAX; 0 or 1: this hub's file only, and the report says nothing of
 * hubs). Cheap when nothing changed; a change of hubs or files makes the
 * next request wait for a build that reads them (the cached report is of
 * other files). Loop thread. */
void api_set_hubs(struct api *a, const struct api_hub *hubs, int n);

#define API_READY    1
#define API_BUILDING 0
/* The report as JSON bytes. Returns API_READY and a new reference in *out
 * (caller msg_unref()s it; a failed build gives {"error": "..."} bytes with
 * *status 500), or API_BUILDING after making sure a build is under way
 * (ask again after notify). *status is the HTTP status to answer. */
int api_report(struct api *a, struct msg **out, int *status);

#endif
