/* osc.c -- OSC out and in over UDP (see osc.h, docs/osc.md).
 *
 * Owns: one non-blocking UDP socket per address family for sending, the
 * listening socket (bound to the one address the event file names), the
 * clock thread and its stop pipe, and per target the smoothing state and
 * counters. liblo builds and parses the OSC packets (lo_message_serialise,
 * lo_message_deserialise); the datagrams go through our own sockets,
 * because liblo 0.31's server binds every interface (it takes no local
 * address) and its sender may block: we bind exactly one address, check
 * the source before a byte is parsed, and send with MSG_DONTWAIT.
 *
 * Threads: the clock thread polls the stop pipe and the listening socket
 * with a timeout that ends at the next frame, then wakes the loop (once:
 * `pending` stays set until osc_run starts). Everything else runs in
 * osc_run on the loop thread.
 *
 * OSC in, in order: the source must be on the allow-list (else refused
 * unparsed), the message must fit the rate limit, parse (liblo; a bundle
 * is opened, one level deep) and name one of the addresses
 * below with the right types. Every refusal is counted and shown to the
 * crew; the log gets at most one line a second (and how many it left out).
 *
 * Cost on the loop per frame and target: one view (shared by the targets
 * due in the same run), ~10-100 small messages serialised into a stack
 * buffer and one sendto() each. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <lo/lo.h>
#include "log.h"
#include "osc.h"
#include "rate.h"

#define OSC_OUT_MAX      1024     /* bytes of one outgoing message */
#define OSC_LOG_MS       1000     /* at most one refusal line per second */
#define OSC_IN_PREFIX    "/chorus"

struct target {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int fd;                       /* the sending socket of its family */
    int64_t next_ms;              /* when its next frame is due */
    int64_t interval_ms;
    struct oscmap_tstate st;
};

struct osc {
    const struct event_def *ev;
    const struct oscmap_conf *conf;
    struct server *srv;
    struct target targets[OSC_TARGETS_MAX];
    int fd4, fd6, in_fd;
    int stop_pipe[2];
    pthread_t clock;
    int clock_started, stopped;
    atomic_int pending;           /* a wake-up is on its way to osc_run */
    void (*wake)(void *);
    void *warg;
    int64_t period_ms;            /* the clock: the shortest target interval */
    struct oscmap_stats stats;
    struct oscmap_view view;
    struct oscmap_rates rates;
    int64_t section_taps[OSC_SECTIONS_MAX];
    struct rate_bucket bucket;
    struct event_limit limit;
    int64_t log_ms, log_skipped;
};

/* --- start and stop -------------------------------------------------------- */

static int udp_socket(int family) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd;
}

static int resolve(const char *host, int port, struct sockaddr_storage *out, socklen_t *len) {
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &ai) != 0 || !ai) return -1;
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

static int open_listener(const struct oscmap_listen *l, char *err, size_t errlen) {
    struct sockaddr_storage a;
    socklen_t alen;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *ai = NULL;
    char service[8];
    snprintf(service, sizeof service, "%d", l->port);
    if (getaddrinfo(l->host, service, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "osc.listen: '%s' is not an address of this machine", l->host);
        return -1;
    }
    memcpy(&a, ai->ai_addr, ai->ai_addrlen);
    alen = ai->ai_addrlen;
    freeaddrinfo(ai);
    int fd = udp_socket(a.ss_family);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, alen) < 0) {
        snprintf(err, errlen, "osc.listen: cannot listen on %s port %d (%s)", l->host, l->port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

struct osc *osc_new(const struct event_def *ev, struct server *srv, int shared, char *err, size_t errlen) {
    const struct oscmap_conf *conf = ev->osc;
    struct osc *o = calloc(1, sizeof *o);
    if (!o) { snprintf(err, errlen, "out of memory"); return NULL; }
    o->ev = ev;
    o->conf = conf;
    o->srv = srv;
    o->fd4 = o->fd6 = o->in_fd = o->stop_pipe[0] = o->stop_pipe[1] = -1;
    o->period_ms = OSC_REFRESH_MS;
    o->limit.rate = conf->listen.rate;
    o->limit.burst = conf->listen.burst;
    int64_t now = util_mono_ms();
    for (int i = 0; i < conf->ntargets; i++) {
        const struct oscmap_target *t = &conf->targets[i];
        struct target *x = &o->targets[i];
        if (resolve(t->host, t->port, &x->addr, &x->addrlen) < 0) {
            snprintf(err, errlen, "osc.targets[%d]: cannot resolve host '%s'", i, t->host);
            goto fail;
        }
        int *fd = x->addr.ss_family == AF_INET6 ? &o->fd6 : &o->fd4;
        if (*fd < 0 && (*fd = udp_socket(x->addr.ss_family)) < 0) {
            snprintf(err, errlen, "osc: cannot open a UDP socket (%s)", strerror(errno));
            goto fail;
        }
        x->fd = *fd;
        x->interval_ms = (int64_t)(1000.0 / t->rate_hz + 0.5);
        if (x->interval_ms < 1) x->interval_ms = 1;
        if (x->interval_ms < o->period_ms) o->period_ms = x->interval_ms;
        x->next_ms = now;
    }
    if (conf->has_listen && (o->in_fd = open_listener(&conf->listen, err, errlen)) < 0) {
        /* Several hubs of a cluster on one machine: one of them listens
         * (its cues go to every hub through the control stream). */
        if (!shared || errno != EADDRINUSE) goto fail;
        log_info("OSC in: another hub of this machine listens; this one does not", "port=%d", conf->listen.port);
        err[0] = 0;
    }
    if (pipe2(o->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "osc: cannot create a pipe (%s)", strerror(errno));
        goto fail;
    }
    return o;
fail:
    osc_free(o);
    return NULL;
}

/* The clock thread: wait for the stop pipe, a datagram or the next frame;
 * then wake the loop unless a wake-up is already on its way. */
static void *clock_main(void *arg) {
    struct osc *o = arg;
    int64_t next = util_mono_ms() + o->period_ms;
    for (;;) {
        struct pollfd p[2] = {{.fd = o->stop_pipe[0], .events = POLLIN}, {.fd = o->in_fd, .events = POLLIN}};
        int watch_in = o->in_fd >= 0 && !atomic_load(&o->pending);
        int64_t wait = next - util_mono_ms();
        if (wait < 0) wait = 0;
        int r = poll(p, watch_in ? 2 : 1, (int)wait);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && p[0].revents) break;
        int64_t now = util_mono_ms();
        int due = now >= next;
        if (due) {
            next += o->period_ms;
            if (next <= now) next = now + o->period_ms;   /* the loop fell behind: no burst to catch up */
        }
        if ((due || (r > 0 && watch_in && p[1].revents)) && !atomic_exchange(&o->pending, 1)) o->wake(o->warg);
    }
    return NULL;
}

int osc_start(struct osc *o, void (*wake)(void *), void *warg) {
    o->wake = wake;
    o->warg = warg;
    if (pthread_create(&o->clock, NULL, clock_main, o) != 0) return -1;
    o->clock_started = 1;
    return 0;
}

void osc_stop(struct osc *o) {
    if (!o) return;
    o->stopped = 1;
    if (!o->clock_started) return;
    ssize_t w = write(o->stop_pipe[1], "x", 1);
    (void)w;
    pthread_join(o->clock, NULL);
    o->clock_started = 0;
}

void osc_free(struct osc *o) {
    if (!o) return;
    osc_stop(o);
    int fds[] = {o->fd4, o->fd6, o->in_fd, o->stop_pipe[0], o->stop_pipe[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    free(o);
}

void osc_count_taps(struct osc *o, int section, int64_t n) {
    if (o && section >= 0 && section < OSC_SECTIONS_MAX) o->section_taps[section] += n;
}

/* --- OSC out ----------------------------------------------------------------- */

static int32_t clamp32(int64_t v) { return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v; }

struct send_ctx {
    struct osc *o;
    int i;
};

static void emit(void *arg, const struct oscmap_out *v) {
    struct send_ctx *c = arg;
    struct target *t = &c->o->targets[c->i];
    lo_message m = lo_message_new();
    if (!m) { c->o->stats.errors[c->i]++; return; }
    switch (v->type) {
    case 'f': lo_message_add_float(m, (float)v->f); break;
    case 'i': lo_message_add_int32(m, clamp32(v->i)); break;
    case 's': lo_message_add_string(m, v->s); break;
    default: lo_message_add_string(m, v->s); lo_message_add_string(m, v->s2); break;   /* a marker: label, kind */
    }
    uint8_t buf[OSC_OUT_MAX];
    size_t len = lo_message_length(m, v->address);
    if (len > sizeof buf || !lo_message_serialise(m, v->address, buf, &len) ||
        sendto(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&t->addr, t->addrlen) != (ssize_t)len)
        c->o->stats.errors[c->i]++;   /* a full socket buffer drops the message: the next frame carries on */
    else
        c->o->stats.sent[c->i]++;
    lo_message_free(m);
}

static void send_frames(struct osc *o, int64_t now) {
    int view = 0;
    for (int i = 0; i < o->conf->ntargets; i++) {
        struct target *t = &o->targets[i];
        /* 2 ms early counts as due: the clock's timeout is in whole ms. */
        if (now + 2 < t->next_ms) continue;
        t->next_ms += t->interval_ms;
        if (t->next_ms <= now) t->next_ms = now + t->interval_ms;
        if (!view) {
            server_osc_view(o->srv, &o->view);
            oscmap_rates_update(&o->rates, o->view.nsections, o->section_taps, now);
            for (int s = 0; s < o->view.nsections; s++) o->view.section_rate[s] = o->rates.rate[s];
            view = 1;
        }
        struct send_ctx c = {o, i};
        oscmap_frame(&t->st, &o->conf->targets[i], server_osc_gate_open(o->srv, i), &o->view, emit, &c);
    }
}

/* --- OSC in ------------------------------------------------------------------- */

static void source_text(const struct sockaddr_storage *a, char *out, size_t len) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)a;
        inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
        port = ntohs(s->sin_port);
    } else if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)a;
        inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
        port = ntohs(s->sin6_port);
    }
    snprintf(out, len, "%s:%d", host, port);
}

__attribute__((format(printf, 3, 4)))
static void refuse(struct osc *o, const char *from, const char *fmt, ...) {
    char why[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    o->stats.refused++;
    snprintf(o->stats.last_refusal, sizeof o->stats.last_refusal, "%s from %s", why, from);
    int64_t now = util_mono_ms();
    if (o->log_ms && now - o->log_ms < OSC_LOG_MS) { o->log_skipped++; return; }
    if (o->log_skipped)
        log_warn("osc in: refused", "why=%s from=%s not_logged=%lld", log_q(why), log_q(from),
                 (long long)o->log_skipped);
    else
        log_warn("osc in: refused", "why=%s from=%s", log_q(why), log_q(from));
    o->log_skipped = 0;
    o->log_ms = now;
}

/* An integer argument: 'i', 'h', or a whole 'f'/'d' (TouchDesigner sends floats). */
/* liblo's arguments sit in the message's buffer at 4-byte offsets (OSC's
 * alignment), so an 8-byte one may be misaligned for lo_arg: read each
 * value with memcpy, and a string as the bytes it is (no member access). */
static const char *arg_str(lo_arg *a) { return (const char *)(void *)a; }

static int arg_int(char type, const lo_arg *a, int64_t *out) {
    double d;
    int32_t i32;
    int64_t i64;
    float f;
    switch (type) {
    case 'i': memcpy(&i32, a, sizeof i32); *out = i32; return 0;
    case 'h': memcpy(&i64, a, sizeof i64); *out = i64; return 0;
    case 'f': memcpy(&f, a, sizeof f); d = f; break;
    case 'd': memcpy(&d, a, sizeof d); break;
    default: return -1;
    }
    if (d != d || d < -1e9 || d > 1e9 || d != (double)(int64_t)d) return -1;
    *out = (int64_t)d;
    return 0;
}

static const char *osc_strerror(int rc) {
    switch (rc) {
    case SERVER_OSC_UNKNOWN: return "no such prepared poll";
    case SERVER_OSC_BAD: return "a label must be 1-64 bytes of UTF-8 text";
    case SERVER_OSC_STATE: return "that poll is already open, or no poll is open";
    default: return "the hub could not store it (queue full)";
    }
}

/* One message from an allowed source, within the rate: do what it says. */
static void handle(struct osc *o, const char *from, const char *path, lo_message m) {
    const char *types = lo_message_get_types(m);
    lo_arg **argv = lo_message_get_argv(m);
    int argc = lo_message_get_argc(m);
    int rc;
    int64_t n;
    char what[120];
    if (!strcmp(path, OSC_IN_PREFIX "/marker") && argc >= 1 && argc <= 2 && types[0] == 's' &&
        (argc == 1 || types[1] == 's')) {
        int kind = MARKER_NOTE;
        if (argc == 2 && (kind = wire_marker_parse(arg_str(argv[1]), strlen(arg_str(argv[1])))) < 0)
            return refuse(o, from, "%s: kind must be song_start, song_end or note", path);
        rc = server_osc_marker(o->srv, arg_str(argv[0]), strlen(arg_str(argv[0])), (enum marker_kind)kind);
        snprintf(what, sizeof what, "marker \"%.64s\" (%s)", arg_str(argv[0]), wire_marker_name((enum marker_kind)kind));
    } else if (!strcmp(path, OSC_IN_PREFIX "/poll/open") && argc == 1) {
        int i = -1;
        if (types[0] == 's') i = event_def_poll(o->ev, arg_str(argv[0]), strlen(arg_str(argv[0])));
        else if (arg_int(types[0], argv[0], &n) == 0 && n >= 0 && n <= INT_MAX) i = (int)n;
        else return refuse(o, from, "%s: needs a prepared poll's index (i) or name (s)", path);
        rc = server_osc_poll_open(o->srv, i);
        snprintf(what, sizeof what, "poll/open %d", i);
    } else if (!strcmp(path, OSC_IN_PREFIX "/poll/close") && argc == 0) {
        rc = server_osc_poll_close(o->srv);
        snprintf(what, sizeof what, "poll/close");
    } else {
        return refuse(o, from, "unknown address or types: %.40s ,%.8s", path, types ? types : "");
    }
    if (rc < 0) return refuse(o, from, "%s: %s", what, osc_strerror(rc));
    o->stats.accepted++;
    log_info("osc in", "cue=%s from=%s", log_q(what), log_q(from));
}

/* One OSC message (not a bundle): within the rate, parsed by liblo, done. */
static void message(struct osc *o, const char *from, uint8_t *buf, size_t len) {
    if (!rate_allow(&o->bucket, &o->limit, (uint32_t)util_mono_ms(), 1))
        return refuse(o, from, "over the rate limit (%g/s)", o->limit.rate);
    int result = 0;
    lo_message m = lo_message_deserialise(buf, len, &result);
    if (!m) return refuse(o, from, "a malformed OSC message (liblo error %d)", result);
    const char *path = lo_get_path(buf, (ssize_t)len);
    if (path) handle(o, from, path, m);
    else refuse(o, from, "a malformed OSC message (no address)");
    lo_message_free(m);
}

/* A packet: a message, or a bundle of messages (size-prefixed elements
 * after "#bundle" and an 8-byte time tag, which is ignored: cues act now).
 * A bundle inside a bundle is refused: desks send flat ones. */
static void packet(struct osc *o, const char *from, uint8_t *buf, size_t len) {
    if (len < 8 || memcmp(buf, "#bundle", 8)) return message(o, from, buf, len);
    if (len < 16) return refuse(o, from, "malformed bundle");
    size_t off = 16;
    while (off + 4 <= len) {
        uint32_t n;
        memcpy(&n, buf + off, 4);
        n = ntohl(n);
        off += 4;
        if (n == 0 || n % 4 || n > len - off) return refuse(o, from, "malformed bundle");
        if (n >= 8 && !memcmp(buf + off, "#bundle", 8)) refuse(o, from, "a bundle inside a bundle");
        else message(o, from, buf + off, n);
        off += n;
    }
    if (off != len) refuse(o, from, "malformed bundle");
}

static void receive(struct osc *o) {
    uint8_t buf[OSC_IN_MAX + 4];
    for (int k = 0; k < OSC_IN_BATCH; k++) {
        struct sockaddr_storage src;
        memset(&src, 0, sizeof src);
        socklen_t slen = sizeof src;
        ssize_t n = recvfrom(o->in_fd, buf, OSC_IN_MAX + 1, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&src, &slen);
        if (n < 0) return;   /* EAGAIN: nothing more (other errors: the next run tries again) */
        char from[INET6_ADDRSTRLEN + 8];
        source_text(&src, from, sizeof from);
        if (!oscmap_is_allowed(&o->conf->listen, (const struct sockaddr *)&src)) {
            refuse(o, from, "a source that is not on osc.listen.allow");
            continue;
        }
        if (n > OSC_IN_MAX) {
            refuse(o, from, "a datagram over %d bytes", OSC_IN_MAX);
            continue;
        }
        packet(o, from, buf, (size_t)n);
    }
}

void osc_run(void *arg) {
    struct osc *o = arg;
    atomic_store(&o->pending, 0);
    if (o->stopped) return;
    if (o->in_fd >= 0) receive(o);
    send_frames(o, util_mono_ms());
    server_osc_status(o->srv, &o->stats);
}
