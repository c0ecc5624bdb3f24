/* report.h -- post-event engagement figures computed from a Chorus database.
 *
 * Every figure is defined in docs/analytics.md; report_build() returns them
 * as one jansson object whose layout that document describes. The module
 * depends only on sqlite3, jansson and lib/schema.h, holds no global state
 * and is safe to call from several threads at once with one connection each
 * (the hub links it to serve GET /api/report). */
#ifndef CHORUS_REPORT_H
#define CHORUS_REPORT_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

/* Error codes (all negative). */
#define REPORT_EIO        -1  /* database missing or unreadable */
#define REPORT_ENOTCHORUS -2  /* no chorus_meta table */
#define REPORT_ENEWER     -3  /* PRAGMA user_version > SCHEMA_VERSION */
#define REPORT_ESQL       -4  /* a query failed (damaged or foreign schema) */
#define REPORT_ENOMEM     -5
#define REPORT_EMERGE     -6  /* the databases are not one event's hubs: another
                                 event or schema version, a file twice, too many */

/* Version of the JSON layout (the "format" key), bumped on a breaking change. */
#define REPORT_FORMAT 1

/* report_build() flags. */
#define REPORT_DETAIL 1u  /* also emit per-device rows, every vote and every
                             chant text ("detail"), for CSV; can be large */

/* Open `path` read-only (SQLITE_OPEN_READONLY; a WAL database in use by a
 * live hub is fine) and check that it is a Chorus database this code can
 * read. Returns 0 and sets *out (close it with sqlite3_close), or a negative
 * REPORT_E* code with a one-line reason in err; *out is then NULL. */
int report_open(const char *path, sqlite3 **out, char *err, size_t errlen);

/* Check that `db` is a Chorus database of a schema version this code knows.
 * Returns 0, REPORT_ENOTCHORUS, REPORT_ENEWER or REPORT_ESQL (reason in err). */
int report_check(sqlite3 *db, char *err, size_t errlen);

/* Compute every figure from `db` inside one read transaction (a savepoint,
 * so it also works inside a transaction the caller holds). On success returns
 * 0 and sets *out to a new object the caller frees with json_decref. On
 * failure returns a negative REPORT_E* code, writes a one-line reason to err
 * and leaves *out NULL. The result depends only on the database contents. */
int report_build(sqlite3 *db, unsigned flags, json_t **out, char *err, size_t errlen);

/* Options of report_build_opts(). Zeroed = report_build(db, 0, ...). */
struct report_opts {
    unsigned flags;              /* REPORT_DETAIL */
    /* Cluster mode (several hubs serve one event, each with its own file):
     * the other hubs' databases, read together with db's as one event by
     * the rules of docs/analytics.md, "Several hubs (cluster)". Each is
     * ATTACHed to db for the build and detached after, so db must be
     * read-only (report_open()) and outside any transaction; at most
     * SQLite's attach limit (10 in a default build: 11 files). */
    const char *const *peers;
    size_t npeers;
    /* How event.sources (and the messages) name db's file and each peer:
     * 1 + npeers strings, e.g. the paths as given on a command line. NULL:
     * the file names of db (without its directory) and the peers' paths. */
    const char *const *names;
};

/* report_build() with options: the figures of db's event, or of the event
 * served by db's hub and its peers. Also sets event.hubs (1 + npeers) and
 * event.sources (their names). Returns as report_build(), plus
 * REPORT_EMERGE when the peers are not the same event's hubs; the reason
 * names the file. Whatever it attached is detached before it returns. */
int report_build_opts(sqlite3 *db, const struct report_opts *opts, json_t **out, char *err, size_t errlen);

/* The headline figures of a built report (event name and date, devices,
 * peak audience, funnel shares, totals, polls, loudest section, top chant)
 * as a new object, for --compare. Returns NULL when out of memory. */
json_t *report_headline(const json_t *report);

#endif
