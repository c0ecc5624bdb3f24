/* store.h -- the event database: schema, reload at start, and a writer
 * thread fed by a bounded queue that commits in groups.
 *
 * The network loop never touches SQLite after start-up: it pushes records
 * (store_push) and later collects the outcome of the ones that asked for an
 * ack (store_results), after the transaction holding them committed or
 * failed. One transaction per writer round: it takes everything queued, so a
 * commit holds what arrived while the previous fsync ran. */
#ifndef CHORUS_STORE_H
#define CHORUS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "rec.h"

struct store;

/* The token secret (the key of the audience tokens) lives in a file beside
 * the database, path + STORE_KEY_SUFFIX, mode 0600, never in the database:
 * a copy of the database handed to analysts can not mint tokens. */
#define STORE_KEY_SUFFIX ".key"

/* Open or create the database, apply the schema, record/check the event
 * (the database holds one event: another code is refused), read the token
 * secret from its key file (made with a new secret for a new database;
 * an older database's secret is moved from the database into it), and
 * reload what the server needs into *boot (the caller owns it: rec_boot_clear). ev must
 * outlive the store. queue_max is the queue capacity in records. max_pages >
 * 0 caps the database size (PRAGMA max_page_count; used to test a full
 * disk). Returns NULL with a one-line reason in err (boot is then empty). */
struct store *store_open(const char *path, const struct event_def *ev, int queue_max, int max_pages,
                         struct rec_boot *boot, char *err, size_t errlen);

/* Start the writer thread; notify(arg) is called from it after each round
 * that produced results (it must be thread-safe, e.g. event_active). */
int store_start(struct store *s, void (*notify)(void *), void *arg);

/* No more notify calls after this returns (before the notify target goes). */
void store_stop_notify(struct store *s);

/* Queue a record. Returns 0, or -1 when the queue is full (REACT and CHANT
 * records are refused earlier, leaving room for the rest). On -1 the
 * record's strings are freed and, for REACT/CHANT, counted as dropped. */
int store_push(struct store *s, struct rec *r);

/* Move up to max finished results into out; returns how many. */
size_t store_results(struct store *s, struct rec_result *out, size_t max);

void store_stats(struct store *s, struct rec_stats *out);

/* Write everything queued, stop the thread, close the database.
 * store_close(NULL) is a no-op. */
void store_close(struct store *s);

#endif
