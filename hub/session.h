/* session.h -- one connection's state: role, device, section, rate-limit
 * buckets, error budget, and its bounded outgoing queue.
 *
 * The out-queue holds at most SESSION_OUTQ_MAX control messages (acks,
 * errors, welcome, poll events) plus at most ONE snapshot: a newer snapshot
 * replaces an unsent one. A client that lets the control queue fill up is
 * not reading and gets closed; one that has not drained for
 * SESSION_STALL_MS is dropped. So a client can never make the hub hold more
 * than a fixed amount for it. */
#ifndef CHORUS_SESSION_H
#define CHORUS_SESSION_H

#include <stdint.h>
#include "agg.h"
#include "event.h"
#include "util.h"

#define SESSION_OUTQ_MAX   64
#define SESSION_STALL_MS   10000
#define SESSION_ERR_MAX    20
#define SESSION_ERR_WINDOW 10000
#define SESSION_HELLO_MS   10000

enum session_state { SS_NEW, SS_READY, SS_CLOSING };

struct bucket { float tokens; uint32_t last_ms; };

struct qnode { struct qnode *next; struct msg *m; };

struct session {
    void *wsi;                  /* net's connection handle */
    uint32_t slot, gen;
    enum session_state state;
    enum role role;
    int8_t section;             /* -1 none */
    uint8_t dirty;              /* in the hub's react-coalescing list */
    uint16_t close_code;        /* close after the queue drains */
    int64_t device;             /* audience device id, 0 otherwise */
    int64_t session_id;         /* sessions table id, 0 before hello */
    int64_t opened_ms;          /* monotonic */
    int64_t stalled_since;      /* monotonic ms since output waits, 0 when drained */
    uint32_t ip_hash;
    uint32_t poll_gen;          /* the hub's poll_gen this phone has seen */
    uint32_t err_window_start;
    uint16_t errors;
    uint16_t outq_n;
    struct qnode *outq_head, *outq_tail;
    struct msg *snap;           /* latest unsent snapshot, or NULL */
    struct bucket b[LIM_COUNT];
    int32_t pend_taps[EVENT_MAX_REACTIONS];
    struct session *dirty_next, **dirty_pprev;  /* O(1) unlink on close */
    uint8_t *rx;                /* reassembly of a fragmented frame, or NULL */
    uint32_t rxlen;
};

/* Token bucket: take `cost` tokens at time now_ms (ms, any epoch that fits
 * 32 bits and moves forward). Returns 1 when allowed, 0 when limited. A new
 * bucket (last_ms == 0 and tokens == 0) starts full. */
int session_take(struct bucket *b, const struct event_limit *lim, uint32_t now_ms, double cost);

/* Queue a control message (takes a reference). Returns 0, or -1 when the
 * queue is full (the caller closes the connection). */
int session_push(struct session *s, struct msg *m);
/* Offer a snapshot (takes a reference, drops an unsent older one). */
void session_offer_snap(struct session *s, struct msg *m);
/* Next message to write, control messages first; the caller owns the
 * returned reference. NULL when nothing is pending. */
struct msg *session_pop(struct session *s);
int session_pending(const struct session *s);
/* Count an error at now_ms; returns 1 when the budget is exhausted. */
int session_error(struct session *s, uint32_t now_ms);
/* Free everything the session holds (not the session itself). */
void session_clear(struct session *s);

#endif
