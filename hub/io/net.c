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
 * Writes, gathered (net_write_batch, net_write_flush): the tick's snapshot
 * to every phone takes the same checks and framing, but the send()s are
 * gathered in an io_uring (txring.h) and handed to the kernel a thousand at
 * a time; each outcome (whole, part, nothing) is then handled as above,
 * before the tick returns. Without io_uring (--no-io-uring, or a kernel or
 * sandbox without it) the same writes go out one send() each.
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
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <errno.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <libwebsockets.h>
#include "frame.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "txring.h"
#include "wire.h"

#define RX_CHUNK 512
/* Descriptors kept free below the process limit for what is not a client:
 * the database (WAL, shm, the report worker's connection), page files being
 * served, OSC sockets, the lws and libevent internals. A connection accepted
 * into this reserve is answered 503 and closed at once, so accept() itself
 * never fails with EMFILE (which lws would retry, and log, in a busy loop). */
#define FD_RESERVE 128
#define FD_LOG_MS 10000
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
    struct api_hub api_hubs[PEERS_MAX];   /* the hubs handed to api before each report request */
    struct event_base *base;
    struct lws_context *ctx;
    struct event *tick, *sigint, *sigterm, *drain;
    struct net_waker *wakers, *api_waker;
    struct pss_http *waiting;  /* requests waiting for a report build */
    int nwaiting;
    int64_t stop_started;
    struct net_wstats wstats;
    struct http_policy http;   /* origins, frame-ancestors (http.h) */
    struct event *sighup;      /* reloads the TLS certificate */
    struct net_tls_stats tls;
    int fd_soft;               /* accepted descriptors from here on are refused (FD_RESERVE) */
    uint64_t fd_refused, fd_refused_logged;
    int64_t trim_ms;           /* maybe_trim */
    uint32_t trim_conns;
    int64_t fd_logged_ms;
    struct txring *tx;         /* NULL: send() one by one (tx_why says why) */
    const char *tx_why;
    char tx_err[96];
    struct tx_slot {           /* what each gathered send is, for its outcome */
        struct lws *wsi;
        struct msg *m;         /* a reference: the bytes stay until the flush */
        const uint8_t *f;
        size_t flen;
    } tx_slots[TXRING_BATCH];
};

/* A WebSocket connection: its session and its message reassembly. */
struct pss {
    struct session *s;
    struct frame_rx rx;
    int closing;               /* a close frame was sent or received: write no data frame more */
    int in_batch;              /* a gathered send waits for the flush: nothing may go before it */
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

/* Answer with status and a short plain-text body. lws adds the vhost's
 * headers (HTTP_CSP_BASE, referrer-policy, nosniff: net_new); the frame
 * policy and, for 405, Allow are added here. close: the connection ends
 * after it (a body we do not read may follow, or the request was not one we
 * can keep a connection after). Returns what the HTTP callback returns. */
static int answer(struct lws *wsi, unsigned status, const char *text, int close) {
    unsigned char hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *q = start, *end = hb + sizeof hb;
    size_t tl = strlen(text);
    int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    if (tl > 256) tl = 256;
    if (lws_add_http_header_status(wsi, status, &q, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)"text/plain; charset=utf-8",
                                     25, &q, end) ||
        lws_add_http_header_content_length(wsi, tl, &q, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                    (const unsigned char *)HTTP_FRAME_NONE, (int)strlen(HTTP_FRAME_NONE), &q, end) ||
        (status == 405 && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
                                                      (const unsigned char *)"GET, HEAD", 9, &q, end)) ||
        (close && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &q, end)) ||
        lws_finalize_http_header(wsi, &q, end))
        return -1;
    if (!head) {
        if (end - q <= (long)tl) return -1;
        q += snprintf((char *)q, (size_t)(end - q), "%.*s", (int)tl, text);
    }
    if (lws_write(wsi, start, (size_t)(q - start), LWS_WRITE_HTTP) != (int)(q - start) || close) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Header bytes of the request as lws parsed them: the request target (path
 * and query) and everything else. Headers lws does not know by name are not
 * counted (lws 4.1 cannot list them); they still count toward HTTP_HEADER_BUF. */
static void request_size(struct lws *wsi, int *url, int *rest) {
    static const enum lws_token_indexes targets[] = {
        WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_PATCH_URI, WSI_TOKEN_PUT_URI,
        WSI_TOKEN_DELETE_URI, WSI_TOKEN_HEAD_URI, WSI_TOKEN_HTTP_URI_ARGS,
    };
    int all = 0, u = 0;
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) all += lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) u += lws_hdr_total_length(wsi, targets[i]);
    *url = u;
    *rest = all - u;
}

/* The answer to a request that is too big for us (414 or 431, closing:
 * whatever else it sent is not read), or 0 when it is not. */
static int refuse_big(struct lws *wsi, int *rc) {
    int url, rest;
    request_size(wsi, &url, &rest);
    if (url > HTTP_MAX_URL) *rc = answer(wsi, 414, "URI too long (at most 4096 bytes)", 1);
    else if (rest > HTTP_MAX_HEADERS) *rc = answer(wsi, 431, "request headers too large (at most 4096 bytes)", 1);
    else return 0;
    return 1;
}

/* Ask api for the report; ready -> schedule the write, else wait. The
 * report covers the hubs the server knows now (a cluster: every hub's file
 * on this machine). */
static int api_answer(struct net *n, struct pss_http *p) {
    struct msg *m;
    int status;
    struct server_hub sh[PEERS_MAX];
    struct api_hub *ah = n->api_hubs;
    int nh = server_cluster_hubs(n->srv, sh);
    for (int i = 0; i < nh; i++) {
        ah[i].hub = sh[i].hub;
        ah[i].live = sh[i].live;
        snprintf(ah[i].where, sizeof ah[i].where, "%s", sh[i].where);
    }
    api_set_hubs(n->api, ah, nh);
    if (api_report(n->api, &m, &status) == API_READY) {
        p->body = m;
        p->status = status;
        lws_callback_on_writable(p->wsi);
        return 0;
    }
    if (!p->waiting) {
        if (n->nwaiting >= API_WAITERS_MAX) return answer(p->wsi, 503, "too many report requests; retry", 0);
        p->waiting = 1;
        p->next = n->waiting;
        n->waiting = p;
        n->nwaiting++;
    }
    return 0;
}

/* The crew key, from Authorization: Bearer or ?key=: either one that is
 * right lets the request in (a wrong ?key= can not spoil a right header, nor
 * the reverse). */
static int serve_report(struct net *n, struct lws *wsi, struct pss_http *p) {
    char key[300] = "", auth[300] = "";
    const char *q = lws_get_urlarg_by_name(wsi, "key=", key, sizeof key);
    const char *b = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
                    !strncasecmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
    if (!(b && auth_key_ok(n->o.report_key, b, strlen(b))) && !(q && auth_key_ok(n->o.report_key, q, strlen(q))))
        return answer(wsi, 403, "the crew key is required (Authorization: Bearer, or ?key=)", 0);
    memset(p, 0, sizeof *p);
    p->wsi = wsi;
    return api_answer(n, p);
}

static int write_body(struct lws *wsi, struct pss_http *p) {
    if (!p->headers_sent) {
        unsigned char hb[LWS_PRE + 512], *start = hb + LWS_PRE, *q = start, *end = hb + sizeof hb;
        if (lws_add_http_common_headers(wsi, (unsigned)p->status, "application/json", p->body->len, &q, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store", 8, &q, end) ||
            lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                        (const unsigned char *)HTTP_FRAME_NONE, (int)strlen(HTTP_FRAME_NONE), &q, end) ||
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

/* A file of at most HTTP_INLINE_MAX bytes (every page, most gzipped
 * assets) is answered in one write from the callback, like every other
 * answer here: then lws goes on with requests pipelined behind it. (lws
 * 4.1's own file serving finishes from a writable callback, after which it
 * leaves pipelined requests unread until the client sends more.) Bigger
 * files go through lws_serve_http_file, which reads them as the socket
 * drains. Returns what the callback returns, or SERVE_NOT_SMALL. */
#define HTTP_INLINE_MAX 32768
#define SERVE_NOT_SMALL (-2)
static int serve_small(struct lws *wsi, const char *file, const char *mime, const char *hdr, int hl) {
    FILE *f = fopen(file, "rb");
    struct stat st;
    if (!f) return SERVE_NOT_SMALL;
    if (fstat(fileno(f), &st) < 0 || st.st_size > HTTP_INLINE_MAX) { fclose(f); return SERVE_NOT_SMALL; }
    size_t size = (size_t)st.st_size, cap = LWS_PRE + 1024 + (size_t)hl + size;
    unsigned char *buf = malloc(cap);
    if (!buf) { fclose(f); return -1; }
    unsigned char *start = buf + LWS_PRE, *q = start, *end = buf + cap;
    int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0, rc = -1;
    if (!lws_add_http_header_status(wsi, 200, &q, end) &&
        !lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)mime, (int)strlen(mime), &q, end) &&
        !lws_add_http_header_content_length(wsi, size, &q, end) && end - q > hl + 2) {
        memcpy(q, hdr, (size_t)hl);
        q += hl;
        if (!lws_finalize_http_header(wsi, &q, end) && (head || (end - q >= (long)size && fread(q, 1, size, f) == size))) {
            if (!head) q += size;
            if (lws_write(wsi, start, (size_t)(q - start), LWS_WRITE_HTTP) == (int)(q - start))
                rc = lws_http_transaction_completed(wsi) ? -1 : 0;
        }
    }
    free(buf);
    fclose(f);
    return rc;
}

static int serve(struct net *n, struct lws *wsi, const char *uri) {
    const char *page = NULL;
    if (!strcmp(uri, "/") || !strncmp(uri, "/e/", 3)) page = "/index.html";
    else if (!strcmp(uri, "/screen")) page = "/screen.html";
    else if (!strcmp(uri, "/stage")) page = "/stage.html";
    else if (!strcmp(uri, "/crew")) page = "/crew.html";
    else if (!strcmp(uri, "/join")) page = "/join.html";
    else if (!strcmp(uri, "/healthz")) return answer(wsi, 200, "ok", 0);
    else if (path_ok(uri)) page = uri;
    char path[1024];
    if (!page || snprintf(path, sizeof path, "%s%s", n->o.web_root, page) >= (int)sizeof path || !is_file(path)) {
        /* A page, not an asset: the pages are not built (or --web-root is wrong). */
        if (page && page != uri)
            return answer(wsi, 503, "Chorus hub is running, but its web pages are missing: run 'make' "
                                    "(or check --web-root).", 0);
        return answer(wsi, 404, "Not found", 0);
    }
    char hdr[sizeof n->http.frame_screen + 128];
    int hl = 0;
    int immutable = !strncmp(page, "/assets/", 8);
    hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "cache-control: %s\x0d\x0a",
                   immutable ? "public, max-age=31536000, immutable" : "no-cache");
    /* Only the screen page may be framed, and only where the event file says. */
    hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "content-security-policy: %s\x0d\x0a",
                   http_frame_ancestors(&n->http, !strcmp(page, "/screen.html")));
    char ae[128] = "";
    lws_hdr_copy(wsi, ae, sizeof ae, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
    char gz[1040];
    const char *file = path;
    if (strstr(ae, "gzip") && snprintf(gz, sizeof gz, "%s.gz", path) < (int)sizeof gz && is_file(gz)) {
        file = gz;
        hl += snprintf(hdr + hl, sizeof hdr - (size_t)hl, "content-encoding: gzip\x0d\x0avary: accept-encoding\x0d\x0a");
    }
    int r = serve_small(wsi, file, mime_of(path), hdr, hl);
    if (r != SERVE_NOT_SMALL) return r;
    r = lws_serve_http_file(wsi, file, mime_of(path), hdr, hl);
    if (r < 0 || (r > 0 && lws_http_transaction_completed(wsi))) return -1;
    return 0;
}

/* A connection was accepted as descriptor fd: refuse it (1) when it is in
 * the reserve. It gets a 503 it can show (best effort: a non-blocking
 * write into an empty socket), and the log one line per FD_LOG_MS with
 * the count. */
static int fd_refuse(struct net *n, int fd) {
    if (fd < n->fd_soft) return 0;
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                               "Retry-After: 10\r\nConnection: close\r\nContent-Length: 41\r\n\r\n"
                               "The hub is full; try again in a moment.\r\n";
    _Static_assert(sizeof "The hub is full; try again in a moment.\r\n" - 1 == 41, "Content-Length");
    if (!n->o.tls_cert) {   /* over TLS a plain answer would be noise: just close */
        ssize_t w = send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w;
    }
    n->fd_refused++;
    n->wstats.refused_fd++;
    int64_t now = util_mono_ms();
    if (now - n->fd_logged_ms >= FD_LOG_MS) {
        log_warn("connections refused at the descriptor limit", "count=%llu in_last_s=%lld in_use=%d limit=%d total=%llu",
                 (unsigned long long)(n->fd_refused - n->fd_refused_logged),
                 (long long)(n->fd_logged_ms ? (now - n->fd_logged_ms) / 1000 : 0), fd, n->fd_soft + FD_RESERVE,
                 (unsigned long long)n->fd_refused);
        n->fd_logged_ms = now;
        n->fd_refused_logged = n->fd_refused;
    }
    return 1;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct net *n = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return fd_refuse(n, (int)(intptr_t)in);
    case LWS_CALLBACK_HTTP: {
        int rc;
        if (refuse_big(wsi, &rc)) return rc;
        /* Only GET and HEAD mean anything here; a body that may follow is
         * not read, so the connection ends after the answer. */
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) <= 0)
            return answer(wsi, 405, "method not allowed: this hub serves GET and HEAD", 1);
        if (!strcmp((const char *)in, "/api/report")) return serve_report(n, wsi, user);
        return serve(n, wsi, (const char *)in);
    }
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

/* Close wsi (a chorus.v1 connection) with code: lws sends the close frame
 * and waits for the peer's; net_write_now writes nothing after it. */
static int close_with(struct lws *wsi, int code) {
    struct pss *p = lws_wsi_user(wsi);
    if (p) p->closing = 1;
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
        char uri[16], origin[EVENT_ORIGIN_MAX + 1];
        int rc;
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0) return -1;
        if (refuse_big(wsi, &rc)) return -1;
        /* A browser page elsewhere may not open a session here (http.h); a
         * client without Origin is not a browser and may. */
        int ol = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
        if (ol > 0 && (ol >= (int)sizeof origin || lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
                       !http_origin_ok(&n->http, origin))) {
            answer(wsi, 403, "this page's origin may not connect to this hub (add it to the event file's \"origins\")", 1);
            return -1;
        }
        return 0;
    }
    struct pss *p = user;   /* NULL only for context-wide reasons (init, destroy...) */
    if (!p) return 0;
    struct session *s = p->s;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        /* A fixed send buffer (--sndbuf, default 64 KB: about 200
         * snapshots) instead of the kernel's autotuning up to megabytes:
         * bounds what a stalled phone can park in the kernel, and makes a
         * client that stops reading visible to the 10 s drain rule within
         * seconds. */
        setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &n->o.sndbuf, sizeof n->o.sndbuf);
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
        p->closing = 1;   /* lws answers it; no data frame may follow */
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

/* After a crowd (or a flood) leaves, give the freed heap back to the
 * system: glibc keeps it otherwise, and a hub that held 19,000 sockets once
 * would keep their memory for the rest of the night. At most every 10 s,
 * when the connections dropped by TRIM_DROP since the last look. */
#define TRIM_DROP 2000
static void maybe_trim(struct net *n) {
    int64_t now = util_mono_ms();
    if (now - n->trim_ms < 10000) return;
    n->trim_ms = now;
    uint32_t c = server_conns(n->srv);
    if (c + TRIM_DROP < n->trim_conns) malloc_trim(0);
    n->trim_conns = c;
}

static void on_tick(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    struct net *n = arg;
    server_tick(n->srv);
    maybe_trim(n);
}

static void on_wake(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what;
    struct net_waker *w = arg;
    if (w->fn) w->fn(w->arg);
}

void net_waker_off(struct net_waker *w) {
    if (!w) return;
    event_del(w->ev);
    w->fn = NULL;   /* a wake-up already on its way does nothing */
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

struct event_base *net_base(struct net *n) { return n->base; }

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
    log_info("closing connections", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    n->stop_started = util_mono_ms();
    server_shutdown(n->srv);
    struct timeval tv = {0, 20000};
    n->drain = event_new(n->base, -1, EV_PERSIST, on_drain, n);
    if (n->drain) event_add(n->drain, &tv);
    else event_base_loopbreak(n->base);
}

/* SIGHUP: load the TLS certificate and key again from the same files (a
 * renewal put new ones there; lws_tls_cert_updated swaps them into the
 * vhost's SSL_CTX): connections that come next get the new certificate,
 * open ones keep theirs. A pair that does not check out (tls_check) is
 * refused and the certificate in use stays. */
static void on_hup(evutil_socket_t sig, short what, void *arg) {
    (void)sig; (void)what;
    struct net *n = arg;
    char err[512];
    int64_t not_after;
    if (!n->tls.on) { log_info("SIGHUP: no TLS certificate to reload", "-"); return; }
    if (tls_check(n->o.tls_cert, n->o.tls_key, &not_after, err, sizeof err) < 0) {
        n->tls.failures++;
        log_error("SIGHUP: certificate not reloaded, the one in use stays", "reason=%s", log_q(err));
        return;
    }
    lws_tls_cert_updated(n->ctx, n->o.tls_cert, n->o.tls_key, NULL, 0, NULL, 0);
    n->tls.reloads++;
    n->tls.not_after = not_after;
    log_info("SIGHUP: certificate reloaded", "cert=%s days_left=%lld", log_q(n->o.tls_cert),
             (long long)((not_after - util_now_ms() / 1000) / 86400));
}

/* libwebsockets' own log lines, as ours (rate-limited like every line). */
static void lws_log(int level, const char *line) {
    char text[300];
    size_t l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r')) l--;
    snprintf(text, sizeof text, "%.*s", (int)l, line);
    if (level & LLL_ERR) log_error("libwebsockets", "text=%s", log_q(text));
    else log_warn("libwebsockets", "text=%s", log_q(text));
}

/* --- life cycle ----------------------------------------------------------- */

struct net *net_new(const struct net_opts *o, struct server *srv, struct api *api, char *err, size_t errlen) {
    struct net *n = calloc(1, sizeof *n);
    if (!n) { snprintf(err, errlen, "out of memory"); return NULL; }
    n->o = *o;
    struct rlimit rl;
    int nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int)rl.rlim_cur : 1024;
    n->fd_soft = nofile > 2 * FD_RESERVE ? nofile - FD_RESERVE : nofile / 2;
    n->srv = srv;
    n->api = api;
    evthread_use_pthreads();
    n->base = event_base_new();
    if (!n->base) { snprintf(err, errlen, "cannot create the event loop"); goto fail; }
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, lws_log);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {n->base};
    info.port = o->port;
    info.iface = o->bind;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEVENT;
    if (o->share_port) info.options |= LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE;   /* the kernel spreads connections */
    info.foreign_loops = loops;
    info.user = n;
    info.vhost_name = "chorus";
    /* Requests up to HTTP_HEADER_BUF are read, so those over our limits get
     * their 414/431 instead of lws closing at its default 4096. */
    info.max_http_header_data = HTTP_HEADER_BUF;
    /* Added by lws to every HTTP response it or we send (errors included). */
    static const struct lws_protocol_vhost_options sec_hdrs[] = {
        {&sec_hdrs[1], NULL, "content-security-policy:", HTTP_CSP_BASE},
        {&sec_hdrs[2], NULL, "referrer-policy:", "no-referrer"},
        {NULL, NULL, "x-content-type-options:", "nosniff"},
    };
    info.headers = sec_hdrs;
    struct http_cfg hc = {.port = o->port, .bind = o->bind, .public_url = o->public_url, .ev = o->ev};
    http_policy_init(&n->http, &hc);
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
    /* HTTPS and WSS: lws loads the files; tls_check first, so a wrong file
     * is named instead of "cannot listen". HTTP/1.1 only (no h2 by ALPN):
     * the pages, the pipelining and the WebSocket path are the ones tested. */
    if (o->tls_cert && o->tls_key) {
        if (tls_check(o->tls_cert, o->tls_key, &n->tls.not_after, err, errlen) < 0) goto fail;
        n->tls.on = 1;
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = n->o.tls_cert;
        info.ssl_private_key_filepath = n->o.tls_key;
        info.alpn = "http/1.1";
    }
    /* GET /metrics: its own protocol (http.c), mounted on its path; lws
     * copies the protocols, not the mount. */
    static const struct lws_http_mount metrics_mount = {
        .mountpoint = HTTP_METRICS_PATH, .mountpoint_len = sizeof HTTP_METRICS_PATH - 1,
        .origin = HTTP_METRICS_PROTO, .origin_protocol = LWSMPRO_CALLBACK,
    };
    struct lws_protocols metrics_proto = *http_metrics_protocol();
    metrics_proto.user = &n->o.metrics;
    const struct lws_protocols *pprotocols[] = {&protocols[0], &protocols[1], &metrics_proto, NULL};
    if (o->metrics.render) {
        info.protocols = NULL;
        info.pprotocols = pprotocols;
        info.mounts = &metrics_mount;
    }
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
    if (!(n->sighup = evsignal_new(n->base, SIGHUP, on_hup, n)) || event_add(n->sighup, NULL) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (o->no_io_uring) n->tx_why = "--no-io-uring";
    else if (o->tls_cert) n->tx_why = "TLS (lws encrypts every write)";
    else if (!(n->tx = txring_new(n->tx_err, sizeof n->tx_err))) n->tx_why = n->tx_err;
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

/* wsi's state when m may go straight to its socket (NULL: it may not), and
 * m's frame (header in m's headroom: the bytes lws would write) in *f, *flen. */
static struct pss *direct_frame(const struct net *n, struct lws *wsi, struct msg *m, const uint8_t **f, size_t *flen) {
    struct pss *p = lws_wsi_user(wsi);
    if (n->o.tls_cert || !p || p->closing || p->in_batch || lws_partial_buffered(wsi)) return NULL;   /* TLS: lws encrypts */
    uint8_t *payload = m->data + MSG_HEADROOM;
    uint8_t *h = frame_ws_header(payload, m->len);
    *f = h;
    *flen = (size_t)(payload - h) + m->len;
    return p;
}

/* What a direct write of flen bytes that wrote w did: 1 when the message is
 * taken care of (whole, or the rest handed to lws, which sends it before
 * anything else), 0 when nothing went (the server queues it). */
static int direct_done(struct net *n, struct lws *wsi, const uint8_t *f, size_t flen, ssize_t w) {
    if (w == (ssize_t)flen) {
        n->wstats.direct++;
        return 1;
    }
    if (w <= 0) return 0;   /* full (EAGAIN), or broken: the slow way finds out and closes */
    n->wstats.short_writes++;
    if (lws_write(wsi, (unsigned char *)f + w, flen - (size_t)w, LWS_WRITE_HTTP) < 0) net_kill(n, wsi);
    return 1;
}

int net_write_now(void *arg, void *conn, struct msg *m) {
    struct net *n = arg;
    const uint8_t *f;
    size_t flen;
    if (!direct_frame(n, conn, m, &f, &flen)) return 0;   /* also while a gathered write waits: it goes first */
    return direct_done(n, conn, f, flen, send(lws_get_socket_fd(conn), f, flen, MSG_DONTWAIT | MSG_NOSIGNAL));
}

int net_batching(const struct net *n, const char **why) {
    *why = n->tx ? NULL : n->tx_why;
    return n->tx != NULL;
}

int net_write_batch(void *arg, void *conn, struct msg *m) {
    struct net *n = arg;
    if (!n->tx || txring_broken(n->tx)) return net_write_now(n, conn, m);
    const uint8_t *f;
    size_t flen;
    struct pss *p = direct_frame(n, conn, m, &f, &flen);
    if (!p) return 0;
    if (txring_pending(n->tx) == TXRING_BATCH) net_write_flush(n);
    struct tx_slot *sl = &n->tx_slots[txring_pending(n->tx)];
    if (txring_add(n->tx, lws_get_socket_fd(conn), f, flen, sl) < 0) return 0;   /* not after a flush */
    msg_ref(m);
    *sl = (struct tx_slot){.wsi = conn, .m = m, .f = f, .flen = flen};
    p->in_batch = 1;
    return 1;
}

static void tx_done(void *arg, void *token, ssize_t res) {
    struct net *n = arg;
    struct tx_slot *sl = token;
    struct pss *p = lws_wsi_user(sl->wsi);
    assert(p && p->in_batch);
    p->in_batch = 0;
    if (res == -ETIME) {
        /* The kernel still holds this send: its bytes may go out after
         * anything written now. Only closing keeps the stream whole. The
         * message's reference stays with the kernel's send (never freed:
         * it may still read those bytes). */
        log_error("io_uring send not finished within a second; closing that connection, send() from now on", "fd=%d",
                  lws_get_socket_fd(sl->wsi));
        p->closing = 1;   /* nothing more is written to it directly */
        net_kill(n, sl->wsi);
        return;
    }
    if (direct_done(n, sl->wsi, sl->f, sl->flen, res)) {
        n->wstats.batched++;
        if (res != (ssize_t)sl->flen) n->wstats.batched_short++;
    } else if (p->s) {
        server_unsent(n->srv, p->s, sl->m);
    }
    msg_unref(sl->m);
}

void net_write_flush(void *arg) {
    struct net *n = arg;
    if (!n->tx || txring_pending(n->tx) == 0) return;
    n->wstats.batches++;
    txring_flush(n->tx, tx_done, n);
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
    if (n->sighup) event_free(n->sighup);
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
    txring_free(n->tx);
    free(n);
}

void net_tls_stats(const struct net *n, struct net_tls_stats *out) { *out = n->tls; }
