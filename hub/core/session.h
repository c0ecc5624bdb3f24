/* session.h -- one connection's state: where it is in its life (an explicit
 * state machine), its role, device and section, rate-limit buckets, error
 * budget, and its bounded outgoing queue. Pure: no sockets, no clocks.
 *
 * Life of a connection (session_set_state is the only way to move, and
 * asserts the move is in this table):
 *
 *     NEW ──hello ok──▶ READY
 *      │                  │
 *      ├──close(code)─────┴──▶ DRAINING ──(queue written: close frame)
 *      │                  │       │
 *      └──kill────────────┴───────┴──▶ DEAD ──(dropped without close frame)
 *
 * NEW: connected, no hello yet. READY: hello accepted, role set. DRAINING:
 * will be closed with close_code once its queue is written; takes no more
 * input. DEAD: to be dropped now (not reading, stalled); nothing more is
 * queued or written.
 *
 * The out-queue holds at most SESSION_OUTQ_MAX control messages (acks,
 * errors, welcome, poll events) plus at most ONE snapshot: a newer snapshot
 * replaces an unsent one. A client that lets the control queue fill up is
 * not reading and is killed; one that has not drained for SESSION_STALL_MS
 * is killed. So a client can never make the hub hold more than a fixed
 * amount for it. Screens, stage and crew (a key each, a handful per show)
 * get SESSION_OUTQ_WATCHER_MAX instead: every poll, marker and moderation
 * event reaches all of them, and a crew burst (50 poll.open in one write:
 * 150 messages) must not cost the crew its own connection. The crew's
 * messages are rate limited (crew_msgs) and answered when refused; a crew
 * connection is never closed for its errors (session_error). */
#ifndef CHORUS_SESSION_H
#define CHORUS_SESSION_H

#include <stdint.h>
#include "event.h"
#include "rate.h"
#include "util.h"
#include "wire.h"

#define SESSION_OUTQ_MAX   64
#define SESSION_OUTQ_WATCHER_MAX 1024
#define SESSION_STALL_MS   10000
#define SESSION_ERR_MAX    20
#define SESSION_ERR_WINDOW 10000
#define SESSION_HELLO_MS   10000

enum session_state { SS_NEW, SS_READY, SS_DRAINING, SS_DEAD, SS_COUNT };

struct qnode { struct qnode *next; struct msg *m; };

struct session {
    void *conn;                 /* the I/O layer's handle for this connection */
    uint32_t slot, gen;         /* place in the server's connection table */
    enum session_state state;   /* only session_set_state writes it */
    enum role role;
    int8_t section;             /* -1 none */
    uint8_t dirty;              /* in the server's react-coalescing list */
    uint8_t anon;               /* counted in the server's per-address table of connections before hello */
    uint16_t close_code;        /* DRAINING: the close code to send */
    int64_t device;             /* audience device id, 0 otherwise */
    int64_t session_id;         /* sessions table id, 0 before hello */
    int64_t opened_ms;          /* monotonic */
    int64_t stalled_since;      /* monotonic ms since output waits, 0 when drained */
    uint32_t ip_hash;
    char ip[48];                /* the peer's address for log lines ("" unknown) */
    uint32_t poll_gen;          /* the server's poll_gen this phone has seen */
    uint32_t err_window_start;
    uint16_t errors;
    uint16_t outq_n;
    struct qnode *outq_head, *outq_tail;
    struct msg *snap;           /* latest unsent snapshot, or NULL */
    struct rate_bucket b[LIM_COUNT];
    int32_t pend_taps[EVENT_MAX_REACTIONS];
    struct session *dirty_next, **dirty_pprev;  /* O(1) unlink on close */
};

/* 1 when the table allows from -> to. */
int session_can_move(enum session_state from, enum session_state to);
/* Move s to `to`; the move must be allowed (asserted). */
void session_set_state(struct session *s, enum session_state to);
const char *session_state_name(enum session_state st);

/* Predicates on the state, for readers. */
static inline int session_is_ready(const struct session *s) { return s->state == SS_READY; }
/* Takes input and output: NEW or READY. */
static inline int session_is_open(const struct session *s) { return s->state <= SS_READY; }

/* Ask for a close with code once the queue is written (NEW/READY ->
 * DRAINING). Returns 1 when s moved, 0 when it was already closing. */
int session_close(struct session *s, int code);
/* Drop s without a close frame (-> DEAD). Returns 1 when s moved, 0 when it
 * was already DEAD. */
int session_kill(struct session *s);

/* The peer's address (copied, truncated), for log lines. */
void session_set_ip(struct session *s, const char *ip);
/* The control-queue capacity for s's role (see above). */
int session_outq_max(const struct session *s);

/* Queue a control message (takes a reference). Returns 0, or -1 when the
 * queue is full (the caller kills the connection). */
int session_push(struct session *s, struct msg *m);
/* Offer a snapshot (takes a reference, drops an unsent older one). */
void session_offer_snap(struct session *s, struct msg *m);
/* Next message to write, control messages first; the caller owns the
 * returned reference. NULL when nothing is pending. */
struct msg *session_pop(struct session *s);
int session_pending(const struct session *s);
/* Count an error at now_ms. Returns 0, or SESSION_OVER_BUDGET when this was
 * the SESSION_ERR_MAX-th within SESSION_ERR_WINDOW ms (close the client).
 * An authenticated crew connection is never over budget: it gets its
 * errors (its own limit, crew_msgs, keeps their rate down). */
#define SESSION_OVER_BUDGET (-1)
int session_error(struct session *s, uint32_t now_ms);
/* Free everything the session holds (not the session itself). */
void session_clear(struct session *s);

#endif
