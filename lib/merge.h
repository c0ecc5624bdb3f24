/* merge.h -- the databases of several hubs of one event, read as one (issue 14).
 *
 * Used by report.c only (report_build_opts() with peers). The rules by which
 * each table is merged are those of docs/analytics.md, "Several hubs
 * (cluster)"; merge.c says how they are made. */
#ifndef CHORUS_MERGE_H
#define CHORUS_MERGE_H

#include <stddef.h>
#include <sqlite3.h>

/* Merged ids: a per-hub counter id of file k (0 = the connection's main
 * file) becomes id * MERGE_STRIDE + k. Larger than the most files SQLite can
 * attach (125 besides main), so merged ids never collide. */
#define MERGE_STRIDE 128

/* Attach the npeers files `peers` (read-only: the connection must be opened
 * read-only, as report_open() does, and be outside a transaction) to `db`,
 * check that they and db's main file are the databases of the hubs of one
 * event (same event code, same schema version and columns, no file twice,
 * at most as many as SQLite may attach), and create the TEMP VIEWs that
 * shadow the tables with their merge. names[0..npeers] name main and each
 * peer in messages (NULL: the paths). Returns 0, or a negative REPORT_E*
 * code with a one-line reason naming the file in err; on failure nothing is
 * left attached or created. */
int merge_attach(sqlite3 *db, const char *const *peers, size_t npeers, const char *const *names,
                 char *err, size_t errlen);

/* Start the read transaction of every attached file at once (inside the
 * caller's transaction), so the hubs' snapshots are taken together.
 * Returns 0 or REPORT_ESQL (reason in err). */
int merge_begin(sqlite3 *db, size_t npeers, char *err, size_t errlen);

/* Drop the views and detach the npeers files merge_attach() attached. Call
 * outside any transaction. Never fails in a way the caller can act on. */
void merge_detach(sqlite3 *db, size_t npeers);

#endif
