/* metrics.c -- the Prometheus text of the hub's figures (see metrics.h).
 *
 * The text is written into the caller's buffer in one pass; a buffer that
 * is too small makes metrics_render fail rather than serve a cut text a
 * scraper would misread. Label values (reaction names come from the event
 * file) are escaped as the format says: backslash, double quote, newline.
 * Counting a refusal compares its code with at most METRICS_REFUSAL_KINDS
 * short strings: cheap next to answering it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "metrics.h"
#include "proto.h"

const double metrics_hist_bounds[METRICS_HIST_BOUNDS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

void metrics_hist_add(struct metrics_hist *h, double seconds) {
    int i = 0;
    while (i < METRICS_HIST_BOUNDS && seconds > metrics_hist_bounds[i]) i++;
    h->n[i]++;
    h->count++;
    h->sum += seconds;
}

static const char *const refusal_names[] = {
    E_BAD_FRAME, E_BAD_TYPE, E_BAD_FIELD, E_NOT_ALLOWED, E_BAD_KEY, E_KEY_LOCKED, E_UNKNOWN_EVENT,
    E_UNKNOWN_POLL, E_BAD_OPTION, E_POLL_CLOSED, E_ALREADY_VOTED, E_TOO_LONG, E_RATE_LIMITED,
    E_STORE_FAILED, E_BLOCKED, E_CHANTS_OFF, E_BANNED, E_UNKNOWN_DEVICE, E_MOD_FULL, E_UNKNOWN_MARKER,
    "other",
};
_Static_assert(sizeof refusal_names / sizeof refusal_names[0] == METRICS_REFUSAL_KINDS,
               "METRICS_REFUSAL_KINDS counts the codes above");

void metrics_refusal_add(struct metrics_refusals *r, const char *code) {
    int i = 0;
    while (i < METRICS_REFUSAL_KINDS - 1 && (!code || strcmp(code, refusal_names[i]) != 0)) i++;
    r->n[i]++;
}

const char *metrics_refusal_name(int i) {
    return i >= 0 && i < METRICS_REFUSAL_KINDS ? refusal_names[i] : "other";
}

/* --- text ------------------------------------------------------------------- */

struct out { char *buf; size_t cap, n; int full; };

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...) {
    if (o->full) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->cap - o->n) { o->full = 1; o->buf[o->n] = 0; return; }
    o->n += (size_t)k;
}

/* HELP and TYPE of a metric. */
static void head(struct out *o, const char *name, const char *type, const char *help) {
    put(o, "# HELP chorus_%s %s\n# TYPE chorus_%s %s\n", name, help, name, type);
}

static void one(struct out *o, const char *name, const char *type, const char *help, int64_t v) {
    head(o, name, type, help);
    put(o, "chorus_%s %lld\n", name, (long long)v);
}

/* A label value, escaped. */
static void label(struct out *o, const char *v) {
    for (; *v && !o->full; v++) {
        if (*v == '\\') put(o, "\\\\");
        else if (*v == '"') put(o, "\\\"");
        else if (*v == '\n') put(o, "\\n");
        else put(o, "%c", *v);
    }
}

static void labelled(struct out *o, const char *name, const char *key, const char *val, int64_t v) {
    put(o, "chorus_%s{%s=\"", name, key);
    label(o, val);
    put(o, "\"} %lld\n", (long long)v);
}

static void hist(struct out *o, const char *name, const char *help, const struct metrics_hist *h) {
    head(o, name, "histogram", help);
    int64_t cum = 0;
    for (int i = 0; i < METRICS_HIST_BOUNDS; i++) {
        cum += h->n[i];
        put(o, "chorus_%s_bucket{le=\"%g\"} %lld\n", name, metrics_hist_bounds[i], (long long)cum);
    }
    cum += h->n[METRICS_HIST_BOUNDS];
    put(o, "chorus_%s_bucket{le=\"+Inf\"} %lld\n", name, (long long)cum);
    put(o, "chorus_%s_sum %.6f\nchorus_%s_count %lld\n", name, h->sum, name, (long long)h->count);
}

int metrics_render(const struct metrics_in *in, char *buf, size_t cap) {
    struct out o = {.buf = buf, .cap = cap};
    if (!cap) return -1;
    buf[0] = 0;

    head(&o, "connections", "gauge", "WebSocket connections that said hello, by role.");
    for (int r = 0; r < ROLE_COUNT; r++) labelled(&o, "connections", "role", wire_role_name((enum role)r), in->conns[r]);
    one(&o, "connections_pending", "gauge", "WebSocket connections that have not said hello yet.", in->conns_pending);
    one(&o, "connections_opened_total", "counter", "WebSocket connections opened since the hub started.",
        in->conns_opened);
    one(&o, "devices", "gauge", "Audience devices the event has had (every phone that ever joined).", in->devices);
    one(&o, "devices_banned", "gauge", "Audience devices banned by the crew.", in->devices_banned);

    head(&o, "signals_total", "counter", "Audience signals accepted since the hub started, by kind.");
    labelled(&o, "signals_total", "kind", "react", in->signals_react);
    labelled(&o, "signals_total", "kind", "vote", in->signals_vote);
    labelled(&o, "signals_total", "kind", "chant", in->signals_chant);
    head(&o, "reaction_taps_total", "counter", "Reaction taps since the event began, by reaction.");
    for (int k = 0; k < in->nreactions && in->reaction_names; k++)
        labelled(&o, "reaction_taps_total", "reaction", in->reaction_names[k], in->taps[k]);
    one(&o, "poll_open", "gauge", "1 while a poll is open.", in->poll_open ? 1 : 0);
    one(&o, "poll_voters", "gauge", "Devices that voted in the open poll.", in->poll_voters);

    head(&o, "dropped_total", "counter", "Things dropped since the hub started, by reason: connections that "
         "stopped reading (slow_client); reaction and chant rows the full store queue refused (store_queue_full).");
    labelled(&o, "dropped_total", "reason", "slow_client", in->dropped_slow);
    labelled(&o, "dropped_total", "reason", "store_queue_full", in->store_dropped);
    head(&o, "refused_total", "counter", "Client messages refused since the hub started, by error code.");
    for (int i = 0; i < METRICS_REFUSAL_KINDS; i++)
        labelled(&o, "refused_total", "reason", refusal_names[i], in->refused.n[i]);
    head(&o, "role_keys_total", "counter", "Wrong role keys (wrong) and hellos refused unchecked while their "
         "address was locked out (locked).");
    labelled(&o, "role_keys_total", "result", "wrong", in->keys_wrong);
    labelled(&o, "role_keys_total", "result", "locked", in->keys_refused);

    one(&o, "ticks_total", "counter", "Aggregation ticks run (one snapshot to screens each).", in->ticks);
    one(&o, "ticks_missed_total", "counter", "Ticks that did not run on time because the event loop was busy: "
        "each is a snapshot gap of a tick or more on the screens.", in->ticks_missed);

    one(&o, "store_queue_depth", "gauge", "Records waiting for the store's writer thread.", in->store_queued);
    one(&o, "store_queue_capacity", "gauge", "Capacity of the store queue (--queue).", in->store_queue_max);
    one(&o, "store_commits_total", "counter", "Store transactions committed.", in->store_commits);
    one(&o, "store_commit_failures_total", "counter", "Store transactions that failed (disk full, I/O error).",
        in->store_failed);
    one(&o, "store_records_written_total", "counter", "Records written by committed transactions.",
        in->store_written);
    hist(&o, "store_commit_seconds", "Time of one store transaction, BEGIN to COMMIT (fsync included).",
         &in->commit);

    head(&o, "ws_messages_written_total", "counter", "WebSocket messages written: whole at once (at_once), "
         "partly with the rest buffered (partly), or through the writable callback (queued).");
    labelled(&o, "ws_messages_written_total", "how", "at_once", in->ws_at_once);
    labelled(&o, "ws_messages_written_total", "how", "partly", in->ws_partly);
    labelled(&o, "ws_messages_written_total", "how", "queued", in->ws_queued);
    one(&o, "ws_messages_batched_total", "counter", "Of the messages written at once or partly, those gathered "
        "into an io_uring batch (the tick's snapshots to phones).", in->ws_batched);
    one(&o, "ws_batches_total", "counter", "io_uring batches handed to the kernel (one system call per 1,024 "
        "sends at most).", in->ws_batches);

    one(&o, "conns_refused_fd_limit_total", "counter", "Connections answered 503 and closed because the hub was "
        "at its file descriptor limit (its reserve).", in->conns_refused_fd);
    if (in->fds_open >= 0) one(&o, "fds_open", "gauge", "File descriptors the hub has open.", in->fds_open);
    if (in->fds_max >= 0) one(&o, "fds_max", "gauge", "The hub's file descriptor limit (RLIMIT_NOFILE).", in->fds_max);
    one(&o, "log_lines_suppressed_total", "counter", "Log lines not written by the per-line rate limits.",
        in->log_suppressed);
    head(&o, "uptime_seconds", "gauge", "Seconds since the hub started.");
    put(&o, "chorus_uptime_seconds %.3f\n", in->uptime_s);

    if (in->tls) {
        one(&o, "tls_cert_not_after_seconds", "gauge", "Expiry of the TLS certificate in use (Unix time).",
            in->tls_not_after);
        one(&o, "tls_reloads_total", "counter", "Certificate reloads on SIGHUP that took effect.", in->tls_reloads);
        one(&o, "tls_reload_failures_total", "counter", "Certificate reloads on SIGHUP refused (the old one stays).",
            in->tls_reload_failures);
    }
    if (in->cluster) {
        one(&o, "cluster_link_up", "gauge", "1 while this hub is connected to NATS.", in->cluster_up);
        one(&o, "cluster_published_total", "counter", "Parts, control messages and votes this hub sent to NATS.",
            in->cluster_sent);
        one(&o, "cluster_publish_failed_total", "counter", "Messages not sent to NATS (link down): votes and crew "
            "changes were refused with store_failed.", in->cluster_send_failed);
        one(&o, "cluster_received_total", "counter", "Parts, control messages, votes and acks from NATS.",
            in->cluster_received);
        one(&o, "cluster_parts_dropped_total", "counter", "Other hubs' parts dropped with the inbox full (the next "
            "part repairs them).", in->cluster_dropped);
    }
    return o.full ? -1 : (int)o.n;
}
