/* net.h -- the network edge: one libevent base, the libwebsockets context
 * running on it (WebSocket /ws, subprotocol chorus.v1, and the web pages and
 * GET /api/report over HTTP), the tick timer, signal handling and thread-safe
 * wake-ups. The only module that includes <libwebsockets.h> or creates
 * libevent events.
 *
 * net calls the server (server.h) when a connection opens, a message is
 * whole, a socket is writable, a connection closes and the tick fires; the
 * server calls back only through struct server_io (net_want_write,
 * net_kill). */
#ifndef CHORUS_NET_H
#define CHORUS_NET_H

#include <stddef.h>
#include "api.h"
#include "http.h"
#include "server.h"

struct net;

struct net_opts {
    int port;
    const char *bind;           /* NULL: all interfaces */
    const char *web_root;       /* the built pages */
    int tick_ms;                /* server_tick period */
    const char *report_key;     /* the key GET /api/report needs (the crew's) */
    const char *public_url;     /* --public-url (NULL: none): an origin of the hub's own (http.h) */
    const struct event_def *ev; /* NULL: no event-file origins, screen never framed */
    /* HTTPS and WSS on the port when both are set (PEM files; the
     * certificate file holds its chain). SIGHUP loads them again. */
    const char *tls_cert, *tls_key;
    struct http_metrics metrics;   /* GET /metrics (http.h); render NULL: none */
    int sndbuf;                 /* SO_SNDBUF of every WebSocket connection (bytes) */
    int share_port;             /* SO_REUSEPORT: several hubs of a cluster listen on one port */
    int no_io_uring;            /* --no-io-uring: the tick's snapshots go out with send() one by one */
};

/* Create the loop and the listening context; connections go to srv, GET
 * /api/report to api (net sets api's notify). Returns NULL with a one-line
 * reason in err (a TLS certificate or key that does not check out: tls.h). */
struct net *net_new(const struct net_opts *o, struct server *srv, struct api *api, char *err, size_t errlen);
/* Run until SIGINT/SIGTERM has closed every connection (or 3 s passed).
 * Returns 0, or -1 when the loop failed. */
int net_run(struct net *n);
/* Destroy the context (each open connection's close reaches the server)
 * and the loop. net_free(NULL) is a no-op. */
void net_free(struct net *n);

/* struct server_io's want_write, write_now and kill (arg is the net). */
void net_want_write(void *n, void *conn);
int net_write_now(void *n, void *conn, struct msg *m);
void net_kill(void *n, void *conn);
/* struct server_io's write_batch and write_flush: net_write_now's writes,
 * gathered and handed to the kernel together (txring.h). net_batching says
 * whether this net has a ring (else the server must not set them), and
 * why not in why (NULL: it does). */
int net_batching(const struct net *n, const char **why);
int net_write_batch(void *n, void *conn, struct msg *m);
void net_write_flush(void *n);

/* How WebSocket messages went out since the start: written whole by
 * net_write_now, written partly by it (the rest buffered by lws), or through
 * lws's writable callback (queued); and connections refused (503) because
 * the hub was at its descriptor limit. batched: of the direct and short
 * writes, those that went through the ring (batched_short: in part), in
 * `batches` flushes. */
struct net_wstats { uint64_t direct, short_writes, queued, refused_fd, batched, batched_short, batches; };
void net_write_stats(const struct net *n, struct net_wstats *out);

/* TLS: on (HTTPS), the certificate's expiry (Unix seconds), and the SIGHUP
 * reloads that took effect or were refused (the certificate in use stays). */
struct net_tls_stats { int on; int64_t not_after, reloads, failures; };
void net_tls_stats(const struct net *n, struct net_tls_stats *out);

/* A wake-up another thread can trigger: fn(arg) then runs on the loop.
 * Owned by the net (freed by net_free). NULL on out-of-memory. */
struct net_waker;
struct net_waker *net_waker_new(struct net *n, void (*fn)(void *), void *arg);
/* Thread-safe (the signature fits store_start's notify). */
void net_wake(void *waker);
/* On the loop thread: the waker's function is not called any more (its
 * owner is going; the waker itself stays until net_free). */
void net_waker_off(struct net_waker *w);

/* The loop's libevent base, for a client library that runs on it (NATS's
 * libevent adapter, hub/io/cluster.c). */
struct event_base;
struct event_base *net_base(struct net *n);

#endif
