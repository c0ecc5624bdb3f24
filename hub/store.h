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
#include "agg.h"
#include "auth.h"
#include "event.h"

enum store_rec_type {
    SR_DEVICE = 1, SR_SESSION_START, SR_SESSION_END, SR_VOTE, SR_REACT, SR_CHANT,
    SR_POLL_OPEN, SR_POLL_CLOSE, SR_MARKER, SR_SECOND
};

struct store_second {
    struct agg_second s;
    int64_t totals[EVENT_MAX_REACTIONS];
};

/* One write. Field use by type:
 *  DEVICE:        a = device, section
 *  SESSION_START: a = session id, b = device (0 none), c = role, section
 *  SESSION_END:   a = session id
 *  VOTE:          a = poll, b = device, c = option, d = previous option, section
 *  REACT:         b = device, kind = reaction, c = taps, section
 *  CHANT:         b = device, text, section
 *  POLL_OPEN:     a = poll, b = audience at open, c = option count,
 *                 d = allow_change, text = question, opts = c labels
 *  POLL_CLOSE:    a = poll
 *  MARKER:        kind = 0 song_start | 1 song_end | 2 note, text = label
 *  SECOND:        second
 * text, opts and second are malloc'd and owned by the store once pushed
 * (also when the push fails). */
struct store_rec {
    uint8_t type;
    uint8_t want_ack;
    int8_t section;             /* index in the event's sections, -1 none */
    int8_t kind;
    int32_t c, d;
    int64_t ts_ms;
    int64_t a, b;
    char *text;
    char **opts;
    struct store_second *second;
    uint32_t slot, gen;         /* who to ack (hub connection table) */
    int64_t msg_id;
};

/* The outcome of a record pushed with want_ack. */
struct store_result {
    uint8_t type;
    uint8_t ok;
    int32_t c, d;
    int64_t a, b;
    uint32_t slot, gen;
    int64_t msg_id;
};

/* What start-up reloads besides agg's state. */
struct store_boot {
    uint8_t secret[AUTH_SECRET_LEN];
    int64_t max_device, max_session, max_poll;
    int8_t *device_section;     /* index = device id (<= max_device), -1 none; caller frees */
};

struct store_stats {
    int64_t queued, queue_max, commits, failed, dropped, last_commit_us, written;
};

struct store;

/* Open or create the database, apply the schema, record/check the event
 * (the database holds one event: another code is refused), and reload the
 * live state into a (totals, open poll, its votes) and boot. queue_max is
 * the queue capacity in records. max_pages > 0 caps the database size
 * (PRAGMA max_page_count; used to test a full disk). Returns NULL with a
 * one-line reason in err. */
struct store *store_open(const char *path, const struct event_def *ev, int queue_max, int max_pages,
                         struct agg *a, struct store_boot *boot, char *err, size_t errlen);

/* Start the writer thread; notify(arg) is called from it after each round
 * that produced results (it must be thread-safe, e.g. event_active). */
int store_start(struct store *s, void (*notify)(void *), void *arg);

/* Queue a record. Returns 0, or -1 when the queue is full (REACT and CHANT
 * records are refused earlier, leaving room for the rest). On -1 the
 * record's strings are freed and, for REACT/CHANT, counted as dropped. */
int store_push(struct store *s, struct store_rec *r);

/* Move up to max finished results into out; returns how many. */
size_t store_results(struct store *s, struct store_result *out, size_t max);

void store_stats(struct store *s, struct store_stats *out);

/* Write everything queued, stop the thread, close the database.
 * store_close(NULL) is a no-op. */
void store_close(struct store *s);

#endif
