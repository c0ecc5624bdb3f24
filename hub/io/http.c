/* http.c -- the hub's HTTP rules (see http.h). Pure string work, apart from
 * getifaddrs() once at start. Origins are kept normalized (lower case,
 * explicit port), so a check is a string compare against at most
 * HTTP_ORIGINS_MAX entries, once per WebSocket handshake.
 *
 * The /metrics protocol at the end is the exception: an lws callback that
 * answers one request from one buffer, like net.c's small answers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libwebsockets.h>
#include "auth.h"
#include "http.h"

/* origin -> "scheme://host:port" (lower case) in out. Returns 0, or -1 when
 * it is not an http(s) origin or does not fit. */
static int normalize(const char *origin, char *out, size_t outlen) {
    const char *h;
    int port;
    if (!strncasecmp(origin, "http://", 7)) { h = origin + 7; port = 80; }
    else if (!strncasecmp(origin, "https://", 8)) { h = origin + 8; port = 443; }
    else return -1;
    const char *end = h + strlen(h);
    while (end > h && end[-1] == '/') end--;            /* a --public-url may end in '/' */
    const char *colon = NULL;
    if (*h == '[') {                                     /* [v6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) return -1;
        if (rb + 1 < end) { if (rb[1] != ':') return -1; colon = rb + 1; }
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
    }
    const char *hend = colon ? colon : end;
    if (hend == h || memchr(h, '/', (size_t)(end - h))) return -1;
    if (colon) {
        char *e;
        long v = strtol(colon + 1, &e, 10);
        if (e != end || colon + 1 == end || v < 1 || v > 65535) return -1;
        port = (int)v;
    }
    char host[EVENT_ORIGIN_MAX + 1];
    size_t hl = (size_t)(hend - h);
    if (hl >= sizeof host) return -1;
    for (size_t i = 0; i < hl; i++) host[i] = (char)tolower((unsigned char)h[i]);
    host[hl] = 0;
    int n = snprintf(out, outlen, "%s://%s:%d", h == origin + 8 ? "https" : "http", host, port);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void add(struct http_policy *p, const char *origin) {
    if (p->norigins >= HTTP_ORIGINS_MAX) return;
    char *dst = p->origins[p->norigins];
    if (normalize(origin, dst, sizeof p->origins[0]) < 0) return;
    for (int i = 0; i < p->norigins; i++)
        if (!strcmp(p->origins[i], dst)) return;
    p->norigins++;
}

/* http and https on the hub's port for one host name or address. */
static void add_host(struct http_policy *p, const char *host, int port) {
    char o[EVENT_ORIGIN_MAX + 1];
    int v6 = strchr(host, ':') != NULL;
    snprintf(o, sizeof o, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
    add(p, o);
    snprintf(o, sizeof o, "https://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
    add(p, o);
}

void http_policy_init(struct http_policy *p, const struct http_cfg *c) {
    memset(p, 0, sizeof *p);
    if (c->public_url && *c->public_url) add(p, c->public_url);
    if (c->bind && strcmp(c->bind, "0.0.0.0") && strcmp(c->bind, "::")) {
        add_host(p, c->bind, c->port);
    } else {
        struct ifaddrs *ifs;
        if (getifaddrs(&ifs) == 0) {
            for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
                char ip[INET6_ADDRSTRLEN];
                if (!i->ifa_addr) continue;
                if (i->ifa_addr->sa_family == AF_INET)
                    inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
                else if (i->ifa_addr->sa_family == AF_INET6 &&
                         !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
                    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, ip, sizeof ip);
                else continue;
                add_host(p, ip, c->port);
            }
            freeifaddrs(ifs);
        }
    }
    if (!c->bind || !strncmp(c->bind, "127.", 4) || !strcmp(c->bind, "::1") || !strcmp(c->bind, "localhost") ||
        !strcmp(c->bind, "0.0.0.0") || !strcmp(c->bind, "::")) {
        add_host(p, "localhost", c->port);
        add_host(p, "127.0.0.1", c->port);
        add_host(p, "::1", c->port);
    }
    for (int i = 0; c->ev && i < c->ev->norigins; i++) add(p, c->ev->origins[i]);

    size_t n = (size_t)snprintf(p->frame_screen, sizeof p->frame_screen, "frame-ancestors");
    for (int i = 0; c->ev && i < c->ev->nframe_ancestors && n < sizeof p->frame_screen; i++)
        n += (size_t)snprintf(p->frame_screen + n, sizeof p->frame_screen - n, " %s", c->ev->frame_ancestors[i]);
    if (!c->ev || !c->ev->nframe_ancestors) snprintf(p->frame_screen, sizeof p->frame_screen, HTTP_FRAME_NONE);
}

int http_origin_ok(const struct http_policy *p, const char *origin) {
    char o[EVENT_ORIGIN_MAX + 1];
    if (normalize(origin, o, sizeof o) < 0) return 0;
    for (int i = 0; i < p->norigins; i++)
        if (!strcmp(p->origins[i], o)) return 1;
    return 0;
}

const char *http_frame_ancestors(const struct http_policy *p, int screen) {
    return screen ? p->frame_screen : HTTP_FRAME_NONE;
}

/* --- GET /metrics --------------------------------------------------------- */

/* One answer from one buffer: status, headers, body (none for HEAD or when
 * body is NULL). Returns what the callback returns. */
static int metrics_answer(struct lws *wsi, unsigned status, const char *type, const char *body, size_t len, int close) {
    size_t cap = LWS_PRE + 1024 + len;
    unsigned char *buf = malloc(cap);
    if (!buf) return -1;
    unsigned char *start = buf + LWS_PRE, *q = start, *end = buf + cap;
    int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0, rc = -1;
    if (!lws_add_http_header_status(wsi, status, &q, end) &&
        !lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)type, (int)strlen(type),
                                      &q, end) &&
        !lws_add_http_header_content_length(wsi, len, &q, end) &&
        !lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store", 8,
                                     &q, end) &&
        !lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                     (const unsigned char *)HTTP_FRAME_NONE, (int)strlen(HTTP_FRAME_NONE), &q, end) &&
        (status != 405 || !lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
                                                        (const unsigned char *)"GET, HEAD", 9, &q, end)) &&
        (!close || !lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &q, end)) &&
        !lws_finalize_http_header(wsi, &q, end)) {
        if (!head && body) { memcpy(q, body, len); q += len; }
        if (lws_write(wsi, start, (size_t)(q - start), LWS_WRITE_HTTP) == (int)(q - start) && !close)
            rc = lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    free(buf);
    return rc;
}

static int metrics_text(struct lws *wsi, unsigned status, const char *text, int close) {
    return metrics_answer(wsi, status, "text/plain; charset=utf-8", text, strlen(text), close);
}

/* The crew key from Authorization: Bearer or ?key= (either one that is
 * right lets the request in, as for /api/report). */
static int metrics_key_ok(struct lws *wsi, const char *want) {
    char key[300] = "", auth[300] = "";
    const char *q = lws_get_urlarg_by_name(wsi, "key=", key, sizeof key);
    const char *b = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
                    !strncasecmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
    return (b && auth_key_ok(want, b, strlen(b))) || (q && auth_key_ok(want, q, strlen(q)));
}

static int cb_metrics(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    if (reason != LWS_CALLBACK_HTTP) return lws_callback_http_dummy(wsi, reason, user, in, len);
    const struct lws_protocols *proto = lws_get_protocol(wsi);
    const struct http_metrics *m = proto ? proto->user : NULL;
    if (!m || !m->render) return -1;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) <= 0)
        return metrics_text(wsi, 405, "method not allowed: this hub serves GET and HEAD", 1);
    if (!in || strcmp((const char *)in, HTTP_METRICS_PATH) != 0) return metrics_text(wsi, 404, "Not found", 0);
    if (!metrics_key_ok(wsi, m->key))
        return metrics_text(wsi, 403, "the crew key is required (Authorization: Bearer, or ?key=)", 0);
    char *text = malloc(HTTP_METRICS_MAX);
    if (!text) return -1;
    int n = m->render(m->arg, text, HTTP_METRICS_MAX);
    int rc = n < 0 ? metrics_text(wsi, 500, "the metrics did not fit", 0)
                   : metrics_answer(wsi, 200, "text/plain; version=0.0.4; charset=utf-8", text, (size_t)n, 0);
    free(text);
    return rc;
}

const struct lws_protocols *http_metrics_protocol(void) {
    static const struct lws_protocols p = {HTTP_METRICS_PROTO, cb_metrics, 0, 0, 0, NULL, 0};
    return &p;
}
