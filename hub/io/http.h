/* http.h -- the hub's HTTP rules, apart from libwebsockets (net.c applies
 * them): which web origins may open the WebSocket, the security headers of
 * every response, and the request size limits; and the /metrics endpoint
 * (below), which net.c mounts.
 *
 * Origins: a browser's WebSocket handshake carries an Origin header; the
 * hub accepts it only from its own origins, so a page elsewhere (another
 * site, or a DNS-rebinding one) cannot drive a phone's or the crew's
 * session. Its own origins are: the --public-url's, http and https on the
 * hub's port of every address it serves (the --bind address, else every
 * interface address of the machine, plus localhost names), and the event
 * file's "origins". A handshake without Origin (native clients, the load
 * generator) is allowed: a browser always sends one. The Host header is not
 * trusted for this (DNS rebinding sets it to whatever the attacker's name
 * is). */
#ifndef CHORUS_HTTP_H
#define CHORUS_HTTP_H

#include <stddef.h>
#include "event.h"

#define HTTP_MAX_URL     4096   /* longer request-targets get 414 */
#define HTTP_MAX_HEADERS 4096   /* more header bytes get 431 */
/* lws's header buffer per connection while it reads a request
 * (max_http_header_data): what fits is parsed and answered (414/431 past
 * the limits above); a request larger than this is closed by lws unanswered. */
#define HTTP_HEADER_BUF  8192
#define HTTP_ORIGINS_MAX 128

/* Every response (lws adds them to whatever it sends, errors included):
 * pages and scripts only from the hub itself; inline styles allowed (the
 * pages set element styles), images also from data: URLs (icons, QR codes). */
#define HTTP_CSP_BASE "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
                      "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " \
                      "object-src 'none'; base-uri 'none'; form-action 'self'"

struct http_cfg {
    int port;
    const char *bind;               /* NULL: every interface */
    const char *public_url;         /* NULL or "": none given */
    const struct event_def *ev;     /* NULL: no event-file origins or frame ancestors */
};

struct http_policy {
    int norigins;
    char origins[HTTP_ORIGINS_MAX][EVENT_ORIGIN_MAX + 1];   /* scheme://host:port, lower case, port always */
    char frame_screen[EVENT_MAX_ORIGINS * (EVENT_ORIGIN_MAX + 1) + 32];  /* "frame-ancestors ..." */
};

/* Fill p from c (reads the machine's interface addresses when c->bind is
 * NULL or a wildcard). Never fails: an origin that does not fit is left out. */
void http_policy_init(struct http_policy *p, const struct http_cfg *c);

/* 1 when a browser page from origin (an Origin header's value) may open the
 * WebSocket, else 0. Scheme and host compare case-insensitively; a missing
 * port is the scheme's default. */
int http_origin_ok(const struct http_policy *p, const char *origin);

/* The frame-ancestors policy of a response, sent as a second
 * Content-Security-Policy header (HTTP_CSP_BASE has none, so a browser
 * enforces both): the screen page's from the event file's
 * "screen_frame_ancestors", 'none' for everything else. */
#define HTTP_FRAME_NONE "frame-ancestors 'none'"
const char *http_frame_ancestors(const struct http_policy *p, int screen);

/* --- GET /metrics -------------------------------------------------------
 * Served by a libwebsockets protocol of its own ("chorus-metrics"), which
 * net.c mounts on /metrics when a renderer is given: the one part of this
 * module that talks to lws. Protected like /api/report: the crew key in
 * `Authorization: Bearer <key>` (what Prometheus sends with
 * `authorization: {credentials: ...}`) or `?key=`, else 403. GET and HEAD
 * only (405 otherwise, then the connection is closed); 500 when the text
 * does not fit HTTP_METRICS_MAX. The body is the Prometheus text format
 * 0.0.4, never cached. */
#define HTTP_METRICS_PATH  "/metrics"
#define HTTP_METRICS_PROTO "chorus-metrics"
#define HTTP_METRICS_MAX   65536
struct http_metrics {
    const char *key;        /* the key a scraper must send (the crew's) */
    /* Render the text into buf (cap bytes). Returns its length, or -1
     * when it does not fit. Called on the loop thread. */
    int (*render)(void *arg, char *buf, size_t cap);
    void *arg;
};
struct lws_protocols;
/* The protocol to hand lws (copy it, then set its `user` to a struct
 * http_metrics that outlives the lws context). */
const struct lws_protocols *http_metrics_protocol(void);

#endif
