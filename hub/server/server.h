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
};

struct server_opts {
    int tick_ms;                /* the server_tick period */
    double audience_hz;         /* snapshots per second to each phone */
    const char *join_url;       /* the audience URL (QR code), copied */
};

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

/* The tick: coalesced reactions to the store, rates, snapshots to
 * subscribers, and once per second the per-second row, health and timeouts. */
void server_tick(struct server *srv);
/* Outcomes of records that wanted an ack: acks (or errors) to their senders. */
void server_acks(struct server *srv, const struct rec_result *res, size_t n);
/* Shutting down: refuse new connections, close every one with 1001. */
void server_shutdown(struct server *srv);
/* Connections currently in the table. */
uint32_t server_conns(const struct server *srv);

#endif
