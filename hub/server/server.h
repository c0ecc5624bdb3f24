/* server.h -- the hub's server logic: it turns decoded client messages into
 * state changes, records to persist and replies; keeps the connection and
 * device tables; runs the tick (snapshots, per-second figures, timeouts);
 * and routes commit results back as acks.
 *
 * It does no I/O itself. The I/O layer (hub/io) calls in: a connection
 * opened, a whole message arrived, the socket can take bytes, it closed, the
 * tick fired, results came back from the store. The server talks back only
 * through the struct server_io it was given at creation, so a unit test can
 * drive it with a fake (tests/unit/test_server.c). Everything here runs on
 * one thread, the event loop's. */
#ifndef CHORUS_SERVER_H
#define CHORUS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "peers.h"
#include "rec.h"
#include "session.h"
#include "util.h"

/* What the server needs from the I/O layer. conn is the I/O layer's handle
 * given to server_open. Every function is called on the loop's thread. */
struct server_io {
    void *arg;                                  /* passed to every function */
    /* Call back (server_pop...) when conn's socket can take bytes. */
    void (*want_write)(void *arg, void *conn);
    /* Write m on conn right now, when nothing is pending below for conn.
     * Returns 1 when m is written (a short write's rest is kept below and
     * goes out before anything else), 0 when it was not (queue it and use
     * want_write). Optional (NULL: always queue). The server calls it only
     * when its own queue for conn is empty, so order is kept. */
    int (*write_now)(void *arg, void *conn, struct msg *m);
    /* Like write_now, gathered: 1 when m is taken into the current batch
     * (written by write_flush, which reports a write that did not go out
     * through server_unsent), 0 when it was not (queue it). Optional (NULL:
     * write_now). Only the tick uses it, and flushes before it returns, so
     * nothing else is written to conn in between. */
    int (*write_batch)(void *arg, void *conn, struct msg *m);
    void (*write_flush)(void *arg);
    /* Drop conn now, without a close handshake; server_closed follows. */
    void (*kill)(void *arg, void *conn);
    /* Queue r for the store. Returns 0, or -1 when the queue is full. r's
     * buffers (text, opts, second) are taken over either way. */
    int (*persist)(void *arg, struct rec *r);
    /* The store's figures, for the crew's health view. */
    void (*stats)(void *arg, struct rec_stats *out);
    /* Clocks in ms: wall (protocol time) and monotonic. NULL: the system's. */
    int64_t (*now_ms)(void *arg);
    int64_t (*mono_ms)(void *arg);
    /* A cluster (server_opts.cluster): send this hub's part (peers.h) to
     * the other hubs; m is consumed. NULL: one hub. */
    void (*publish_part)(void *arg, struct msg *m);
    /* A cluster: a crew message (the frame as the crew sent it) to the
     * event's control stream, which every hub applies in one order
     * (server_cluster_ctl); `from` says who to ack. 0, or -1 when it could
     * not be sent (NATS unreachable). */
    int (*publish_ctl)(void *arg, const uint8_t *frame, size_t len, const char *from);
    /* A cluster: a phone's vote to the event's vote stream (the latest vote
     * of each device in each poll; only_first: refused when the device
     * already voted in that poll). The outcome comes back through
     * server_cluster_vote_acked with `from`. 0, or -1 (NATS unreachable). */
    int (*publish_vote)(void *arg, int64_t poll, int64_t device, int option, int only_first, const char *from);
};

struct server_opts {
    int tick_ms;                /* the server_tick period */
    double audience_hz;         /* snapshots per second to each phone */
    const char *join_url;       /* the audience URL (QR code), copied */
    uint32_t max_anon_per_ip;   /* connections per address not yet past hello (anon.h); 0: SERVER_ANON_DEFAULT */
    int cluster;                /* 1: one of several hubs of the event (--nats) */
    int hub_id;                 /* in a cluster: 0..PEERS_MAX-1, unique (device ids are hub_id mod PEERS_MAX) */
    const char *where;          /* in a cluster: where this hub's database is, "host:/path" (copied; parts carry it) */
};
#define SERVER_ANON_DEFAULT 1000

struct server;

/* A server for ev (which must outlive it) starting from what the store
 * reloaded (boot: ownership of boot->saved's poll moves in; the caller still
 * clears boot). io is copied. Returns NULL with a one-line reason in err. */
struct server *server_new(const struct server_opts *o, const struct event_def *ev, struct rec_boot *boot,
                          const struct server_io *io, char *err, size_t errlen);
/* Close what is still open (each close is persisted) and free everything.
 * server_free(NULL) is a no-op. */
void server_free(struct server *srv);

/* A WebSocket connection completed its handshake from address ip. Returns
 * its session (the handle for the calls below), or NULL to refuse it
 * (shutting down, out of memory: close with WIRE_CLOSE_GOING_AWAY). */
struct session *server_open(struct server *srv, void *conn, const char *ip);
/* One whole message from the client (binary: its frame type). */
void server_frame(struct server *srv, struct session *s, const uint8_t *buf, size_t len, int binary);
/* The connection is gone; s is freed. */
void server_closed(struct server *srv, struct session *s);

/* Writing: the next message for s (caller owns the reference), or NULL. */
struct msg *server_pop(struct server *srv, struct session *s);
/* 1 while s has more to write. */
int server_has_output(const struct server *srv, const struct session *s);
/* s's queue is empty and written. Returns 0 to keep the connection, or
 * the close code to close it with now (wire.h). */
int server_drained(struct server *srv, struct session *s);
/* A snapshot io.write_batch took for s did not go out (the socket was
 * full): it waits in s's queue instead, as if write_now had refused it. */
void server_unsent(struct server *srv, struct session *s, struct msg *m);

/* The tick: coalesced reactions to the store, rates, snapshots to
 * subscribers, and once per second the per-second row, health and timeouts. */
void server_tick(struct server *srv);
/* Outcomes of records that wanted an ack: acks (or errors) to their senders. */
void server_acks(struct server *srv, const struct rec_result *res, size_t n);
/* Shutting down: refuse new connections, close every one with 1001. */
void server_shutdown(struct server *srv);
/* Connections currently in the table. */
uint32_t server_conns(const struct server *srv);

/* --- cluster (hub/io/cluster.c calls these on the loop thread) ----------- */

/* A part from another hub (peers.h), as received; malformed ones are
 * counted and dropped. */
void server_cluster_part(struct server *srv, const uint8_t *buf, size_t len);
/* At start: a hub's part as the cluster kept it (its last, maybe from
 * before it died): its totals count, not as live. */
void server_cluster_seed(struct server *srv, const uint8_t *buf, size_t len);
/* The link to NATS went up (1) or down (0): while down, every page is told
 * its view is partial. */
void server_cluster_link(struct server *srv, int up);
/* The control stream's message seq (from, frame: as publish_ctl sent
 * them, from any hub): applied here as the crew's own message would be;
 * the crew member who sent it gets the ack from its own hub. A seq already
 * applied (at or below server_cluster_ctl_seq) is skipped. */
void server_cluster_ctl(struct server *srv, uint64_t seq, const char *from, const uint8_t *frame, size_t len);
/* The last control seq this hub applied (stored with the state it made). */
uint64_t server_cluster_ctl_seq(const struct server *srv);
/* The vote stream says device's vote in poll is option (any hub's phone):
 * the tally follows. */
void server_cluster_vote(struct server *srv, int64_t poll, int64_t device, int option);
/* The vote stream took (ok), refused as a second vote (conflict) or failed
 * to take a vote published with from. */
void server_cluster_vote_acked(struct server *srv, const char *from, int ok, int conflict);
/* A control message published with from could not be stored. */
void server_cluster_ctl_failed(struct server *srv, const char *from);
/* The hubs of the event this hub has heard of, this hub first: id, live
 * (this hub always), and where its database is ("host:/path" as its parts
 * say; "" when they do not). Gone hubs are listed too: their files hold
 * what their crowds did. Fills at most PEERS_MAX; returns how many (1 for a
 * hub outside a cluster). */
struct server_hub { int hub, live; const char *where; };
int server_cluster_hubs(const struct server *srv, struct server_hub out[PEERS_MAX]);

/* --- OSC (hub/io/osc.c calls these on the loop thread; oscctl.c) --------- */

struct oscmap_view;
struct oscmap_stats;
#define SERVER_OSC_UNKNOWN (-1)   /* no such prepared poll or target */
#define SERVER_OSC_BAD     (-2)   /* a label that is empty, too long or not UTF-8 */
#define SERVER_OSC_STATE   (-3)   /* that poll is already open / no poll is open */
#define SERVER_OSC_STORE   (-4)   /* the store queue is full: nothing changed */
/* The show as OSC sends it: fills v (section_rate excepted: hub/io/osc.c
 * counts the reaction rows main.c hands the store). Strings in v point
 * into the server's state: valid until the server next runs. */
void server_osc_view(struct server *srv, struct oscmap_view *v);
/* 1 when target i's gate and the master gate are open. */
int server_osc_gate_open(struct server *srv, int i);
/* 1 when target i's gate and the master gate are open (whichever hub of a
 * cluster sends): what the start-up lines print. */
int server_osc_target_gate(struct server *srv, int i);
/* A desk set a marker (kind: note unless given): stored, shown to screens,
 * stage and crew like a crew's marker. Returns 0 or SERVER_OSC_*. */
int server_osc_marker(struct server *srv, const char *label, size_t n, enum marker_kind kind);
/* A desk opens the prepared poll i (event file `polls`), closing the open
 * one; the same prepared poll still open is left as it is (a cue fired
 * twice must not reset the votes). Returns 0 or SERVER_OSC_*. */
int server_osc_poll_open(struct server *srv, int i);
/* A desk closes the open poll. Returns 0 or SERVER_OSC_*. */
int server_osc_poll_close(struct server *srv);
/* The OSC side's counters; the crew gets the `osc` status every second, at
 * once when a crew member connects or a gate changes. */
void server_osc_status(struct server *srv, const struct oscmap_stats *st);

#endif
