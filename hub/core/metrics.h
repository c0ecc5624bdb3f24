/* metrics.h -- the hub's figures for GET /metrics, in the Prometheus text
 * exposition format (version 0.0.4), and the two counters the figures need
 * that are not plain numbers: a latency histogram and refusals by reason.
 *
 * Pure: the I/O side fills a struct metrics_in (the server through
 * server_metrics, main.c with the store's, the network's and the process's
 * figures) and metrics_render writes the text. Every name starts with
 * `chorus_`; every metric has its HELP and TYPE lines. */
#ifndef CHORUS_METRICS_H
#define CHORUS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "wire.h"

/* A histogram with fixed upper bounds (seconds): the store's commit
 * latency, from half a millisecond (a commit that fits the page cache) to
 * 2.5 s (a disk that stalls the writer). n[i] counts values <= bound i and
 * > bound i-1 (not cumulative; the rendering sums). */
#define METRICS_HIST_BOUNDS 12
extern const double metrics_hist_bounds[METRICS_HIST_BOUNDS];
struct metrics_hist {
    int64_t n[METRICS_HIST_BOUNDS + 1];   /* the last: above every bound (+Inf) */
    int64_t count;
    double sum;
};
void metrics_hist_add(struct metrics_hist *h, double seconds);

/* Messages refused with an error code (docs/protocol.md "Error codes"),
 * by code; a code not in the list counts as "other". */
#define METRICS_REFUSAL_KINDS 21   /* the 20 codes of proto.h, and "other" */
struct metrics_refusals { int64_t n[METRICS_REFUSAL_KINDS]; };
/* Count one refusal with code (an E_* name of proto.h). */
void metrics_refusal_add(struct metrics_refusals *r, const char *code);
/* The label of kind i (< METRICS_REFUSAL_KINDS). */
const char *metrics_refusal_name(int i);

struct metrics_in {
    /* the server (server_metrics) */
    int64_t conns[ROLE_COUNT];          /* connections that said hello, by role */
    int64_t conns_pending;              /* connections that have not said hello yet */
    int64_t conns_opened;               /* WebSocket connections since the start */
    int64_t devices, devices_banned;    /* audience devices the event has had */
    int64_t signals_react, signals_vote, signals_chant;   /* accepted since the start, by kind */
    int nreactions;
    const char (*reaction_names)[EVENT_NAME_MAX + 1];
    int64_t taps[EVENT_MAX_REACTIONS];  /* taps since the event began, by reaction */
    int poll_open;                      /* a poll is open */
    int64_t poll_voters;                /* devices that voted in it */
    int64_t dropped_slow;               /* connections dropped for not reading */
    int64_t keys_wrong, keys_refused;   /* wrong role keys; refused while an address is locked */
    struct metrics_refusals refused;
    int64_t ticks;                      /* ticks run since the start */
    int64_t ticks_missed;               /* ticks that should have run but did not (loop late) */
    double uptime_s;
    /* the store (main.c, from store_stats) */
    int64_t store_queued, store_queue_max, store_commits, store_failed, store_dropped, store_written;
    struct metrics_hist commit;         /* commit latency */
    /* the network (main.c, from net_write_stats) */
    int64_t ws_at_once, ws_partly, ws_queued, ws_batched, ws_batches;
    int64_t conns_refused_fd;           /* answered 503 at the descriptor limit */
    /* the process */
    int64_t fds_open, fds_max;          /* -1 when unknown */
    int64_t log_suppressed;             /* log lines not written by the rate limits */
    /* TLS (net_tls_stats); tls 0: plain HTTP, the rest is not rendered */
    int tls;
    int64_t tls_not_after;              /* the certificate's expiry, Unix seconds (0 unknown) */
    int64_t tls_reloads, tls_reload_failures;
    /* A cluster (cluster_stats); cluster 0: one hub, the rest is not rendered */
    int cluster, cluster_up;
    int64_t cluster_sent, cluster_received, cluster_dropped, cluster_send_failed;
};

/* Render in as Prometheus text into buf (cap bytes, NUL-terminated).
 * Returns the length, or -1 when it did not fit (buf then holds a cut text). */
int metrics_render(const struct metrics_in *in, char *buf, size_t cap);

#endif
