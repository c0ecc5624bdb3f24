/* net.c -- libwebsockets on one libevent base (see net.h).
 *
 * Owns: the event base, the lws context (protocol "http" for the pages and
 * /api/report, protocol "chorus.v1" for /ws), the tick timer, the signal
 * handlers and the wake-ups. Messages are reassembled by frame.c (one over
 * WIRE_MAX_FRAME closes with 1009) and handed whole to the server.
 *
 * Writes, the fast way (net_write_now): when lws holds nothing unsent for a
 * connection and the server has nothing queued for it, a message is framed
 * in its headroom (frame_ws_header; the bytes lws would write) and handed
 * to send() at once: one system call per delivery, no writable callback,
 * no epoll_ctl to add and remove POLLOUT, no poll() to ask whether the
 * pipe is choked. This is how a snapshot reaches 18,000 phones 10 times a
 * second. A short write gives the rest to lws as raw bytes
 * (LWS_WRITE_HTTP on a WebSocket connection is lws_issue_raw): lws keeps
 * them in its own buffer and flushes them before anything else it or we
 * write on that connection, so a frame is never interleaved with a part
 * of another. EAGAIN (the socket is full) writes nothing: the server
 * queues, and the slow way takes over.
 *
 * Writes, the slow way: one WRITEABLE callback writes queued messages
 * while the socket takes them (lws_send_pipe_choked), not one per callback
 * as the lws examples do. Each lws_write of a whole message either goes
 * out or is buffered by lws, which then holds further WRITEABLE callbacks
 * until it is flushed.
 *
 * Memory per connection: lws's own wsi plus a receive buffer of RX_CHUNK
 * bytes; a message that spans fragments is copied into a reassembly buffer
 * that exists only until it is complete. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <errno.h>
#include <sys/stat.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <libwebsockets.h>
#include "frame.h"
#include "net.h"
#include "wire.h"

#define RX_CHUNK 512
#define TX_CHUNK 65536   /* = the SO_SNDBUF set on each WebSocket */
#define HTTP_CHUNK 16384
#define API_WAITERS_MAX 32

_Static_assert(LWS_PRE <= MSG_HEADROOM, "MSG_HEADROOM must hold LWS_PRE");

/* An HTTP request answered from memory (GET /api/report). */
struct pss_http {
    struct lws *wsi;
    struct msg *body;          /* NULL while the report is being built */
    uint32_t off;
    int status, headers_sent, waiting;
    struct pss_http *next;     /* in net.waiting */
};

struct net_waker {
    struct event *ev;
    void (*fn)(void *);
    void *arg;
    struct net_waker *next;
};

struct net {
    struct net_opts o;
    struct server *srv;
    struct api *api;
    struct event_base *base;
    struct lws_context *ctx;
    struct event *tick, *sigint, *sigterm, *drain;
    struct net_waker *wakers, *api_waker;
    struct pss_http *waiting;  /* requests waiting for a report build */
    int nwaiting;
    int64_t stop_started;
    struct net_wstats wstats;
};

/* A WebSocket connection: its session and its message reassembly. */
struct pss {
    struct session *s;
    struct frame_rx rx;
    int peer_closed;           /* the peer sent a close frame: write nothing more */
};

/* --- HTTP: the web pages ---------------------------------------------- */

static const struct { const char *ext, *mime; } mimes[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
    {".json", "application/json"}, {".webmanifest", "application/manifest+json"},
    {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"},
};

static const char *mime_of(const char *path) {
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof mimes / sizeof mimes[0]; i++)
        if (!strcmp(dot, mimes[i].ext)) return mimes[i].mime;
    return "application/octet-stream";
}

static int path_ok(const char *p) {
    if (p[0] != '/' || strstr(p, "..") || strstr(p, "//")) return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '.' || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void unwait(struct net *n, struct pss_http *p) {
    for (struct pss_http **pp = &n->waiting; *pp; pp = &(*pp)->next)
        if (*pp == p) { *pp = p->next; n->nwaiting--; break; }
    p->waiting = 0;
}

/* Ask api for the report; ready -> schedule the write, else wait. */
static int api_answer(struct net *n, struct pss_http *p) {
    struct msg *m;
    int status;
    if (api_report(n->api, &m, &status) == API_READY) {
        p->body = m;
        p->status = status;
        lws_callback_on_writable(p->wsi);
        return 0;
    }
    if (!p->waiting) {
        if (n->nwaiting >= API_WAITERS_MAX) {
            lws_return_http_status(p->wsi, 503, "too many report requests; retry");
            return lws_http_transaction_completed(p->wsi) ? -1 : 0;
        }
        p->waiting = 1;
        p->next = n->waiting;
        n->waiting = p;
        n->nwaiting++;
    }
    return 0;
}

static int serve_report(struct net *n, struct lws *wsi, struct pss_http *p) {
    char key[300] = "", auth[300] = "";
    const char *k = lws_get_urlarg_by_name(wsi, "key=", key, sizeof key);
    if (!k && lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 7 && !strncmp(auth, "Bearer ", 7))
        k = auth + 7;
    if (!k || !auth_key_ok(n->o.report_key, k, strlen(k))) {
        lws_return_http_status(wsi, 403, "the crew key is required (?key= or Authorization: Bearer)");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    memset(p, 0, sizeof *p);
    p->wsi = wsi;
    return api_answer(n, p);
}

static int write_body(struct lws *wsi, struct pss_http *p) {
    if (!p->headers_sent) {
        unsigned char hb[LWS_PRE + 512], *start = hb + LWS_PRE, *q = start, *end = hb + sizeof hb;
        if (lws_add_http_common_headers(wsi, (unsigned)p->status, "application/json", p->body->len, &q, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store", 8, &q, end) ||
            lws_finalize_write_http_header(wsi, start, &q, end))
            return -1;
        p->headers_sent = 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    unsigned char cb[LWS_PRE + HTTP_CHUNK];
    uint32_t left = p->body->len - p->off, nb = left < HTTP_CHUNK ? left : HTTP_CHUNK;
    memcpy(cb + LWS_PRE, msg_payload(p->body) + p->off, nb);
    int last = nb == left;
    if (lws_write(wsi, cb + LWS_PRE, nb, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)nb) return -1;
    p->off += nb;
    if (!last) { lws_callback_on_writable(wsi); return 0; }
    msg_unref(p->body);
    p->body = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int serve(struct net *n, struct lws *wsi, const char *uri) {
    const char *page = NULL;
    if (!strcmp(uri, "/") || !strncmp(uri, "/e/", 3)) page = "/index.html";
    else if (!strcmp(uri, "/screen")) page = "/screen.html";
    else if (!strcmp(uri, "/stage")) page = "/stage.html";
    else if (!strcmp(uri, "/crew")) page = "/crew.html";
    else if (!strcmp(uri, "/join")) page = "/join.html";
    else if (!strcmp(uri, "/healthz")) return lws_return_http_status(wsi, 200, "ok") ? -1 : lws_http_transaction_completed(wsi);
    else if (path_ok(uri)) page = uri;
    char path[1024];
    if (!page || snprintf(path, sizeof path, "%s%s", n->o.web_root, page) >= (int)sizeof path || !is_file(path)) {
        if (page && page != uri) {
            /* A page, not an asset: the pages are not built (or --web-root is wrong). */
            lws_return_http_status(wsi, 503, "Chorus hub is running, but its web pages are missing: run 'make' "
                                             "(or check --web-root).");
        } else {
            lws_return_http_status(wsi, 404, "Not found");
        }
        return lws_http_transaction_completed(wsi);
    }
    char hdr[256];
    int hl = 0;
    int immutable = !strncmp(page, "/assets/", 8);
    hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "cache-control: %s\x0d\x0a",
                   immutable ? "public, max-age=31536000, immutable" : "no-cache");
    hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "x-content-type-options: nosniff\x0d\x0a");
    char ae[128] = "";
    lws_hdr_copy(wsi, ae, sizeof ae, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
    char gz[1040];
    const char *file = path;
    if (strstr(ae, "gzip") && snprintf(gz, sizeof gz, "%s.gz", path) < (int)sizeof gz && is_file(gz)) {
        file = gz;
        hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "content-encoding: gzip\x0d\x0avary: accept-encoding\x0d\x0a");
    }
    int r = lws_serve_http_file(wsi, file, mime_of(path), hdr, hl);
    if (r < 0 || (r > 0 && lws_http_transaction_completed(wsi))) return -1;
    return 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct net *n = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (!strcmp((const char *)in, "/api/report")) return serve_report(n, wsi, user);
        return serve(n, wsi, (const char *)in);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        struct pss_http *p = user;
        if (p && p->body) return write_body(wsi, p);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    case LWS_CALLBACK_CLOSED_HTTP: {
        struct pss_http *p = user;
        if (p && p->wsi == wsi) {
            if (p->waiting) unwait(n, p);
            msg_unref(p->body);
            p->body = NULL;
            p->wsi = NULL;
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1;  /* a WebSocket without subprotocol chorus.v1 */
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* --- WebSocket: chorus.v1 ------------------------------------------------ */

static int close_with(struct lws *wsi, int code) {
    const char *why = wire_close_reason(code);
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)why, strlen(why));
    return -1;
}

/* Write what s has queued while the socket takes it; then close it when
 * the server says so. Returns -1 to close the connection. */
static int write_queued(struct net *n, struct lws *wsi, struct session *s) {
    struct msg *m;
    int sent = 0;
    while ((sent == 0 || !lws_send_pipe_choked(wsi)) && (m = server_pop(n->srv, s)) != NULL) {
        int w = lws_write(wsi, (unsigned char *)msg_payload(m), m->len, LWS_WRITE_BINARY);
        msg_unref(m);
        if (w < 0) return -1;
        sent++;
        n->wstats.queued++;
    }
    if (server_has_output(n->srv, s)) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    int code = server_drained(n->srv, s);
    return code ? close_with(wsi, code) : 0;
}

static int cb_chorus(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct net *n = lws_context_user(lws_get_context(wsi));
    if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION) {
        char uri[16];
        return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0 ? -1 : 0;
    }
    struct pss *p = user;   /* NULL only for context-wide reasons (init, destroy...) */
    if (!p) return 0;
    struct session *s = p->s;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        /* A fixed 64 KB send buffer (about 200 snapshots) instead of the
         * kernel's autotuning up to megabytes: bounds what a stalled phone
         * can park in the kernel, and makes a client that stops reading
         * visible to the 10 s drain rule within seconds. */
        int sndbuf = 64 * 1024;
        setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        char ip[64] = "";
        lws_get_peer_simple(wsi, ip, sizeof ip);
        memset(&p->rx, 0, sizeof p->rx);
        p->s = server_open(n->srv, wsi, ip);
        return p->s ? 0 : close_with(wsi, WIRE_CLOSE_GOING_AWAY);
    }
    case LWS_CALLBACK_RECEIVE: {
        if (!s) return -1;
        const uint8_t *msg;
        size_t mlen;
        switch (frame_feed(&p->rx, in, len, lws_is_final_fragment(wsi), WIRE_MAX_FRAME, &msg, &mlen)) {
        case FRAME_DONE: server_frame(n->srv, s, msg, mlen, lws_frame_is_binary(wsi)); return 0;
        case FRAME_MORE: return 0;
        case FRAME_TOO_BIG: return close_with(wsi, WIRE_CLOSE_TOO_BIG);
        default: return -1;
        }
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s ? write_queued(n, wsi, s) : -1;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        p->peer_closed = 1;   /* lws answers it; no data frame may follow */
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (s) {
            server_closed(n->srv, s);
            p->s = NULL;
        }
        frame_rx_clear(&p->rx);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"http", cb_http, sizeof(struct pss_http), 0, 0, NULL, 0},
    /* tx_packet_size: what lws hands send() at once when it writes a
     * buffered message; left 0 it would be RX_CHUNK (+ LWS_PRE), splitting
     * every message above ~550 bytes into a write plus a buffered rest and
     * a writable callback. */
    {"chorus.v1", cb_chorus, sizeof(struct pss), RX_CHUNK, 0, NULL, TX_CHUNK},
    {NULL, NULL, 0, 0, 0, NULL, 0}
};

/* --- timers, wake-ups and signals ----------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    struct net *n = arg;
    server_tick(n->srv);
}

static void on_wake(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    struct net_waker *w = arg;
    w->fn(w->arg);
}

struct net_waker *net_waker_new(struct net *n, void (*fn)(void *), void *arg) {
    struct net_waker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fn = fn;
    w->arg = arg;
    if (!(w->ev = event_new(n->base, -1, 0, on_wake, w))) { free(w); return NULL; }
    w->next = n->wakers;
    n->wakers = w;
    return w;
}

void net_wake(void *waker) {
    struct net_waker *w = waker;
    event_active(w->ev, 0, 0);
}

/* A report build finished: answer the requests that waited for it. */
static void on_api(void *arg) {
    struct net *n = arg;
    struct pss_http *list = n->waiting;
    n->waiting = NULL;
    n->nwaiting = 0;
    while (list) {
        struct pss_http *p = list;
        list = p->next;
        p->waiting = 0;
        if (api_answer(n, p) < 0) lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

static void on_drain(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    struct net *n = arg;
    if (server_conns(n->srv) == 0 || util_mono_ms() - n->stop_started > 3000) event_base_loopbreak(n->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg) {
    (void)what;
    struct net *n = arg;
    if (n->stop_started) { event_base_loopbreak(n->base); return; }
    fprintf(stderr, "chorus-hub: %s: closing connections\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    n->stop_started = util_mono_ms();
    server_shutdown(n->srv);
    struct timeval tv = {0, 20000};
    n->drain = event_new(n->base, -1, EV_PERSIST, on_drain, n);
    if (n->drain) event_add(n->drain, &tv);
    else event_base_loopbreak(n->base);
}

/* --- life cycle ----------------------------------------------------------- */

struct net *net_new(const struct net_opts *o, struct server *srv, struct api *api, char *err, size_t errlen) {
    struct net *n = calloc(1, sizeof *n);
    if (!n) { snprintf(err, errlen, "out of memory"); return NULL; }
    n->o = *o;
    n->srv = srv;
    n->api = api;
    evthread_use_pthreads();
    n->base = event_base_new();
    if (!n->base) { snprintf(err, errlen, "cannot create the event loop"); goto fail; }
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {n->base};
    info.port = o->port;
    info.iface = o->bind;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEVENT;
    info.foreign_loops = loops;
    info.user = n;
    info.vhost_name = "chorus";
    /* No lws "validity" ping timer per connection: lws keeps those in one
     * sorted list and inserts by walking it, O(n) per connect (a third of
     * the hub's CPU while 19,000 phones connect). Dead phones are found by
     * TCP keepalive instead (60 s idle + 3 probes 10 s apart). */
    static const lws_retry_bo_t no_validity = {0};
    info.retry_and_idle_policy = &no_validity;
    info.ka_time = 60;
    info.ka_probes = 3;
    info.ka_interval = 10;
    info.timeout_secs = 20;
    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        snprintf(err, errlen, "cannot listen on port %d%s%s (in use, or not allowed)", o->port,
                 o->bind ? " of " : "", o->bind ? o->bind : "");
        goto fail;
    }
    n->tick = event_new(n->base, -1, EV_PERSIST, on_tick, n);
    n->sigint = evsignal_new(n->base, SIGINT, on_signal, n);
    n->sigterm = evsignal_new(n->base, SIGTERM, on_signal, n);
    n->api_waker = net_waker_new(n, on_api, n);
    if (!n->tick || !n->sigint || !n->sigterm || !n->api_waker) { snprintf(err, errlen, "out of memory"); goto fail; }
    api_set_notify(api, net_wake, n->api_waker);
    struct timeval tv = {o->tick_ms / 1000, (o->tick_ms % 1000) * 1000};
    event_add(n->tick, &tv);
    event_add(n->sigint, NULL);
    event_add(n->sigterm, NULL);
    return n;
fail:
    net_free(n);
    return NULL;
}

int net_run(struct net *n) {
    return event_base_dispatch(n->base) < 0 ? -1 : 0;
}

void net_want_write(void *n, void *conn) {
    (void)n;
    lws_callback_on_writable(conn);
}

int net_write_now(void *arg, void *conn, struct msg *m) {
    struct net *n = arg;
    struct lws *wsi = conn;
    const struct pss *p = lws_wsi_user(wsi);
    if (!p || p->peer_closed || lws_partial_buffered(wsi) || lws_is_ssl(wsi)) return 0;
    uint8_t *payload = m->data + MSG_HEADROOM;
    uint8_t *f = frame_ws_header(payload, m->len);
    size_t flen = (size_t)(payload - f) + m->len;
    ssize_t w = send(lws_get_socket_fd(wsi), f, flen, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w == (ssize_t)flen) {
        n->wstats.direct++;
        return 1;
    }
    if (w <= 0) return 0;   /* full (EAGAIN), or broken: the slow way finds out and closes */
    n->wstats.short_writes++;
    if (lws_write(wsi, f + w, flen - (size_t)w, LWS_WRITE_HTTP) < 0) net_kill(n, wsi);
    return 1;
}

void net_write_stats(const struct net *n, struct net_wstats *out) { *out = n->wstats; }

void net_kill(void *n, void *conn) {
    (void)n;
    lws_set_timeout(conn, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void net_free(struct net *n) {
    if (!n) return;
    if (n->tick) event_free(n->tick);
    if (n->drain) event_free(n->drain);
    if (n->sigint) event_free(n->sigint);
    if (n->sigterm) event_free(n->sigterm);
    if (n->ctx) {
        lws_context_destroy(n->ctx);
        if (n->base) event_base_loop(n->base, EVLOOP_NONBLOCK);
    }
    /* Wake-ups that arrive after this are not delivered: no connection is left. */
    while (n->wakers) {
        struct net_waker *w = n->wakers;
        n->wakers = w->next;
        event_free(w->ev);
        free(w);
    }
    if (n->base) event_base_free(n->base);
    free(n);
}
