/* main.c -- chorus-hub: flags, wiring, start-up and shutdown order.
 *
 * Start: read flags -> event file -> store_open (database, reload) ->
 * server_new (the server logic, handed its I/O as struct server_io) ->
 * api_new (report worker) -> net_new (loop, listen) -> store writer thread
 * -> print the URLs -> loop.
 * Stop (SIGINT/SIGTERM): net closes every connection with 1001, the loop
 * ends, the report worker finishes, lws is destroyed (each close reaches
 * the server and is recorded), the server is freed, then the store writes
 * everything still queued and the process exits 0.
 * SIGHUP never stops it: it reloads the TLS certificate (net.c).
 * Logs: logfmt on stderr (core/log.h); the banner with the URLs, which
 * carry the role keys, is the only thing on stdout. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <jansson.h>
#include "api.h"
#include "auth.h"
#include "event.h"
#include "log.h"
#include "metrics_view.h"
#include "cluster.h"
#include "net.h"
#include "txring.h"
#include "osc.h"
#include "server.h"
#include "store.h"

static void usage(FILE *f) {
    fprintf(f,
        "usage: chorus-hub --db FILE --event-file FILE [options]\n"
        "  --port PORT         listen port (default 8080)\n"
        "  --bind ADDR         listen address (default: all)\n"
        "  --db FILE           SQLite database of the event (created if missing)\n"
        "  --event-file FILE   event definition (JSON); created in the database on first start\n"
        "  --tick-ms N         aggregation tick and screen snapshot period, 10..1000 (default 100)\n"
        "  --audience-hz X     snapshots per second to audience phones, 0.1..10 (default 1)\n"
        "  --max-anon-per-ip N connections one address may have open before their hello\n"
        "                      (default 1000; joined phones behind a venue NAT do not count)\n"
        "  --sndbuf BYTES      kernel send buffer of each connection, 4096..16777216\n"
        "                      (default 65536; the kernel doubles it)\n"
        "  --no-io-uring       send each phone's snapshot with its own send() instead of\n"
        "                      a thousand per system call (io_uring; used when the kernel allows)\n"
        "  --web-root DIR      folder of the built web pages (default web/dist)\n"
        "  --public-url URL    base URL phones use to reach this hub, for the QR code\n"
        "                      (default http://<first LAN address>:PORT)\n"
        "  --queue N           store queue capacity in records (default 262144)\n"
        "  --db-max-pages N    cap the database at N pages (testing a full disk)\n"
        "  --tls-cert FILE     serve HTTPS and WSS with this certificate (PEM, with its chain);\n"
        "  --tls-key FILE      and this key. SIGHUP loads both again (certificate renewal)\n"
        "  --nats URL          one of several hubs of the event, joined by NATS (JetStream):\n"
        "                      nats://host:port, or several comma-separated (docs/cluster.md)\n"
        "  --log-level LEVEL   debug, info (default), warn or error (stderr, logfmt)\n"
        "  --new-event CODE NAME  print an event file with fresh random keys, then exit\n"
        "  --help              this text\n");
}

/* The command line. */
struct hub_opts {
    int port;
    const char *bind;           /* NULL: all interfaces */
    const char *db_path;
    const char *event_path;
    const char *web_root;
    const char *public_url;     /* base URL phones open */
    int tick_ms;
    double audience_hz;
    int queue_max;
    int max_anon_per_ip;
    int sndbuf;                 /* SO_SNDBUF per connection */
    int no_io_uring;
    int db_max_pages;           /* test hook: cap the database size */
    const char *tls_cert, *tls_key; /* both or neither: HTTPS/WSS */
    const char *nats;           /* --nats URL: cluster mode */
    int public_url_given;
};

/* Everything the hub is made of, for the server_io adapters below. */
struct hub {
    struct event_def *ev;
    struct store *store;
    struct server *srv;
    struct api *api;
    struct net *net;
    struct osc *osc;            /* NULL: the event file has no `osc` */
    struct cluster *cluster;    /* NULL: one hub (no --nats) */
};

/* Reaction rows (one per device, kind and tick) also feed OSC's per-section
 * tap rates; rows of taps made earlier (d = 1, a phone's backlog) do not. */
static int io_persist(void *arg, struct rec *r) {
    struct hub *h = arg;
    if (h->osc && r->type == REC_REACT && !r->d) osc_count_taps(h->osc, r->section, r->c);
    return store_push(h->store, r);
}
static void io_stats(void *arg, struct rec_stats *out) { store_stats(((struct hub *)arg)->store, out); }
static void io_want_write(void *arg, void *conn) { net_want_write(((struct hub *)arg)->net, conn); }
static int io_write_now(void *arg, void *conn, struct msg *m) { return net_write_now(((struct hub *)arg)->net, conn, m); }
static int io_write_batch(void *arg, void *conn, struct msg *m) { return net_write_batch(((struct hub *)arg)->net, conn, m); }
static void io_write_flush(void *arg) { net_write_flush(((struct hub *)arg)->net); }
static void io_kill(void *arg, void *conn) { net_kill(((struct hub *)arg)->net, conn); }
static void io_publish_part(void *arg, struct msg *m) {
    struct hub *h = arg;
    if (h->cluster) cluster_publish_part(h->cluster, m);
    else msg_unref(m);
}
static int io_publish_ctl(void *arg, const uint8_t *frame, size_t len, const char *from) {
    struct hub *h = arg;
    return h->cluster ? cluster_publish_ctl(h->cluster, frame, len, from) : -1;
}
static int io_publish_vote(void *arg, int64_t poll, int64_t device, int option, int only_first, const char *from) {
    struct hub *h = arg;
    return h->cluster ? cluster_publish_vote(h->cluster, poll, device, option, only_first, from) : -1;
}

/* File descriptors open, from /proc/self/fd (-1 when it can not be read,
 * e.g. none is left to open it with). */
static int64_t fds_open(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int64_t n = 0;
    const struct dirent *e;
    /* readdir on a DIR of our own is safe (readdir_r is deprecated). */
    // cppcheck-suppress readdirCalled
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1;   /* not the one opendir used */
}

/* GET /metrics (net, loop thread): the server's, the store's, the
 * network's and the process's figures as Prometheus text. */
static int hub_metrics(void *arg, char *buf, size_t cap) {
    struct hub *h = arg;
    struct metrics_in in;
    memset(&in, 0, sizeof in);
    server_metrics(h->srv, &in);
    struct rec_stats st;
    store_stats(h->store, &st);
    in.store_queued = st.queued;
    in.store_queue_max = st.queue_max;
    in.store_commits = st.commits;
    in.store_failed = st.failed;
    in.store_dropped = st.dropped;
    in.store_written = st.written;
    in.commit = st.commit;
    struct net_wstats ws;
    net_write_stats(h->net, &ws);
    in.ws_at_once = (int64_t)ws.direct;
    in.ws_partly = (int64_t)ws.short_writes;
    in.ws_queued = (int64_t)ws.queued;
    in.ws_batched = (int64_t)ws.batched;
    in.ws_batches = (int64_t)ws.batches;
    in.conns_refused_fd = (int64_t)ws.refused_fd;
    struct rlimit rl;
    in.fds_open = fds_open();
    in.fds_max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int64_t)rl.rlim_cur : -1;
    in.log_suppressed = log_suppressed_total();
    struct net_tls_stats ts;
    net_tls_stats(h->net, &ts);
    in.tls = ts.on;
    in.tls_not_after = ts.not_after;
    in.tls_reloads = ts.reloads;
    in.tls_reload_failures = ts.failures;
    if (h->cluster) {
        struct cluster_stats cs;
        cluster_stats(h->cluster, &cs);
        in.cluster = 1;
        in.cluster_up = cs.up;
        in.cluster_sent = cs.sent;
        in.cluster_received = cs.received;
        in.cluster_dropped = cs.dropped;
        in.cluster_send_failed = cs.send_failed;
    }
    return metrics_render(&in, buf, cap);
}

/* The store committed records that want acks: route them (loop thread). */
static void on_store_results(void *arg) {
    struct hub *h = arg;
    struct rec_result res[256];
    size_t n;
    while ((n = store_results(h->store, res, 256)) > 0) server_acks(h->srv, res, n);
}

static void hub_free(struct hub *h) {
    /* The report worker may still wake net: let it finish before net goes;
     * the store may too: silence it. Closing connections (net_free) reaches
     * the server, which records each end in the store. */
    osc_stop(h->osc);   /* no OSC wake-up may reach the loop from here on */
    api_free(h->api);
    if (h->store) store_stop_notify(h->store);
    cluster_free(h->cluster);   /* on the loop's base: before net_free */
    net_free(h->net);
    osc_free(h->osc);
    server_free(h->srv);
    store_close(h->store);
    event_def_free(h->ev);
}

/* The keys in the README's demo event are public: anyone in the venue who
 * read it could open the crew dashboard. Say so loudly unless the hub only
 * listens on loopback. */
static void warn_demo_keys(const struct event_def *ev, const char *bind) {
    static const char *const demo[] = {"crew-demo-key", "screen-demo-key", "stage-demo-key"};
    int uses = 0;
    for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++)
        uses |= !strcmp(ev->key_crew, demo[i]) || !strcmp(ev->key_screen, demo[i]) || !strcmp(ev->key_performer, demo[i]);
    if (!uses || (bind && (!strncmp(bind, "127.", 4) || !strcmp(bind, "::1") || !strcmp(bind, "localhost")))) return;
    log_warn("this event uses the public demo keys and the hub is reachable from the network",
             "risk=%s fix=%s", log_q("anyone who read the README can open the crew dashboard"),
             log_q("make an event file with fresh keys: chorus-hub --new-event CODE \"Name\" > event.json"));
}

/* --new-event CODE NAME: an event file with fresh random keys on stdout. */
static int new_event(const char *code, const char *name) {
    uint8_t rnd[3][16];
    char keys[3][33];
    for (int k = 0; k < 3; k++) {
        uint8_t secret[AUTH_SECRET_LEN];
        if (auth_secret_new(secret) < 0) { fprintf(stderr, "chorus-hub: no randomness for the keys\n"); return 1; }
        memcpy(rnd[k], secret, sizeof rnd[k]);
        for (int i = 0; i < 16; i++) snprintf(keys[k] + 2 * i, 3, "%02x", rnd[k][i]);
    }
    for (const char *c = code; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_') ||
            strlen(code) > 32) {
            fprintf(stderr, "chorus-hub: --new-event: the code must be 1-32 letters, digits, '-' or '_'\n");
            return 2;
        }
    json_t *ev = json_pack("{s:s, s:s, s:[s,s,s,s,s], s:[s,s,s], s:{s:s, s:s, s:s}, s:[], s:{}, s:{s:s}}",
                           "code", code, "name", name, "reactions", "heart", "fire", "clap", "rock", "laugh",
                           "sections", "A", "B", "C", "keys", "crew", keys[0], "screen", keys[1], "performer", keys[2],
                           "songs", "limits", "moderation", "mode", "auto");
    if (!ev || !*code || !*name) { fprintf(stderr, "chorus-hub: --new-event CODE NAME: both must be non-empty\n"); json_decref(ev); return 2; }
    json_dumpf(ev, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("\n");
    json_decref(ev);
    return 0;
}

static int parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void lan_url(const char *scheme, int port, char *out, size_t len) {
    struct ifaddrs *ifs, *i;
    snprintf(out, len, "%s://localhost:%d", scheme, port);
    if (getifaddrs(&ifs) != 0) return;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) == 127) continue;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a, ip, sizeof ip);
        snprintf(out, len, "%s://%s:%d", scheme, ip, port);
        break;
    }
    freeifaddrs(ifs);
}

int main(int argc, char **argv) {
    struct hub_opts o = {.port = 8080, .tick_ms = 100, .audience_hz = 1, .web_root = "web/dist",
                         .queue_max = 262144, .sndbuf = 65536};
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'}, {"bind", required_argument, 0, 'b'},
        {"db", required_argument, 0, 'd'}, {"event-file", required_argument, 0, 'e'},
        {"tick-ms", required_argument, 0, 't'}, {"audience-hz", required_argument, 0, 'a'},
        {"web-root", required_argument, 0, 'w'}, {"public-url", required_argument, 0, 'u'},
        {"queue", required_argument, 0, 'q'}, {"db-max-pages", required_argument, 0, 'm'},
        {"max-anon-per-ip", required_argument, 0, 'N'}, {"sndbuf", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'}, {"new-event", required_argument, 0, 'n'},
        {"tls-cert", required_argument, 0, 'C'}, {"tls-key", required_argument, 0, 'K'},
        {"log-level", required_argument, 0, 'L'}, {"nats", required_argument, 0, 'Z'},
        {"no-io-uring", no_argument, 0, 'U'}, {0, 0, 0, 0},
    };
    opterr = 0;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_num(optarg, 1, 65535, &v) < 0) { fprintf(stderr, "chorus-hub: --port must be 1..65535\n"); return 2; }
            o.port = (int)v; break;
        case 'b': o.bind = optarg; break;
        case 'd': o.db_path = optarg; break;
        case 'e': o.event_path = optarg; break;
        case 't':
            if (parse_num(optarg, 10, 1000, &v) < 0) { fprintf(stderr, "chorus-hub: --tick-ms must be 10..1000\n"); return 2; }
            o.tick_ms = (int)v; break;
        case 'a':
            if (parse_num(optarg, 0.1, 10, &v) < 0) { fprintf(stderr, "chorus-hub: --audience-hz must be 0.1..10\n"); return 2; }
            o.audience_hz = v; break;
        case 'w': o.web_root = optarg; break;
        case 'u':
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8)) {
                fprintf(stderr, "chorus-hub: --public-url must start with http:// or https://\n");
                return 2;
            }
            o.public_url = optarg; break;
        case 'q':
            if (parse_num(optarg, 1024, 1 << 24, &v) < 0) { fprintf(stderr, "chorus-hub: --queue must be 1024..16777216\n"); return 2; }
            o.queue_max = (int)v; break;
        case 'N':
            if (parse_num(optarg, 1, 1000000, &v) < 0) { fprintf(stderr, "chorus-hub: --max-anon-per-ip must be 1..1000000\n"); return 2; }
            o.max_anon_per_ip = (int)v; break;
        case 'S':
            if (parse_num(optarg, 4096, 1 << 24, &v) < 0) { fprintf(stderr, "chorus-hub: --sndbuf must be 4096..16777216\n"); return 2; }
            o.sndbuf = (int)v; break;
        case 'm':
            if (parse_num(optarg, 1, 1 << 30, &v) < 0) { fprintf(stderr, "chorus-hub: --db-max-pages must be a positive number\n"); return 2; }
            o.db_max_pages = (int)v; break;
        case 'C': o.tls_cert = optarg; break;
        case 'U': o.no_io_uring = 1; break;
        case 'Z':
            if (strncmp(optarg, "nats://", 7) && strncmp(optarg, "tls://", 6)) {
                fprintf(stderr, "chorus-hub: --nats must be nats://host:port (several: comma-separated)\n");
                return 2;
            }
            o.nats = optarg; break;
        case 'K': o.tls_key = optarg; break;
        case 'L':
            if (log_set_level(optarg) < 0) { fprintf(stderr, "chorus-hub: --log-level must be debug, info, warn or error\n"); return 2; }
            break;
        case 'h': usage(stdout); return 0;
        case 'n':
            if (optind >= argc) { fprintf(stderr, "chorus-hub: --new-event needs CODE and NAME\n"); return 2; }
            return new_event(optarg, argv[optind]);
        default:
            fprintf(stderr, "chorus-hub: unknown or incomplete option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) { fprintf(stderr, "chorus-hub: unexpected argument '%s' (see --help)\n", argv[optind]); return 2; }
    if (!o.db_path || !o.event_path) { fprintf(stderr, "chorus-hub: --db and --event-file are required (see --help)\n"); return 2; }
    if (!o.tls_cert != !o.tls_key) { fprintf(stderr, "chorus-hub: --tls-cert and --tls-key go together\n"); return 2; }
    const char *scheme = o.tls_cert ? "https" : "http";

    char base[200];
    o.public_url_given = o.public_url != NULL;
    if (o.public_url) snprintf(base, sizeof base, "%s", o.public_url);
    else lan_url(scheme, o.port, base, sizeof base);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') base[--bl] = 0;
    o.public_url = base;

    char err[512], join_url[300];
    snprintf(join_url, sizeof join_url, "%s/e/", o.public_url);
    struct hub h = {0};
    struct rec_boot boot;
    struct cluster_kept kept = {0};
    int rc = 1;
    if (!(h.ev = event_def_load(o.event_path, err, sizeof err))) goto fail;
    strncat(join_url, h.ev->code, sizeof join_url - strlen(join_url) - 1);
    warn_demo_keys(h.ev, o.bind);   /* before anything can fail, so it is never missed */
    if (!(h.store = store_open(o.db_path, h.ev, o.queue_max, o.db_max_pages, &boot, err, sizeof err))) goto fail;
    struct server_opts so = {.tick_ms = o.tick_ms, .audience_hz = o.audience_hz, .join_url = join_url,
                             .max_anon_per_ip = (uint32_t)o.max_anon_per_ip, .cluster = o.nats != NULL};
    struct server_io io = {.arg = &h, .want_write = io_want_write, .write_now = io_write_now,
                            .write_batch = io_write_batch, .write_flush = io_write_flush, .kill = io_kill, .persist = io_persist,
                           .stats = io_stats, .publish_part = o.nats ? io_publish_part : NULL,
                           .publish_ctl = o.nats ? io_publish_ctl : NULL, .publish_vote = o.nats ? io_publish_vote : NULL};
    static char where[PEERS_WHERE_MAX];
    if (o.nats) {
        cluster_where(o.db_path, where, sizeof where);
        so.where = where;
        /* One of several hubs: its id and the event's token secret come
         * from the cluster (before the server makes any token). */
        if (cluster_setup(o.nats, h.ev->code, o.db_path, boot.secret, &so.hub_id, boot.secret, &kept, err,
                          sizeof err) < 0) {
            rec_boot_clear(&boot);
            goto fail;
        }
    }
    h.srv = server_new(&so, h.ev, &boot, &io, err, sizeof err);
    rec_boot_clear(&boot);
    for (int i = 0; h.srv && i < kept.n; i++) server_cluster_seed(h.srv, kept.data[i], kept.len[i]);
    cluster_kept_free(&kept);
    if (!h.srv) goto fail;
    if (!(h.api = api_new(o.db_path, 2000))) { snprintf(err, sizeof err, "out of memory"); goto fail; }
    struct net_opts no = {.port = o.port, .bind = o.bind, .web_root = o.web_root, .tick_ms = o.tick_ms, .sndbuf = o.sndbuf,
                          .report_key = h.ev->key_crew, .public_url = base, .ev = h.ev,
                          .tls_cert = o.tls_cert, .tls_key = o.tls_key, .share_port = o.nats != NULL, .no_io_uring = o.no_io_uring,
                          .metrics = {.key = h.ev->key_crew, .render = hub_metrics, .arg = &h}};
    if (!(h.net = net_new(&no, h.srv, h.api, err, sizeof err))) goto fail;
    if (o.nats && !(h.cluster = cluster_new(h.net, h.srv, o.nats, h.ev->code, so.hub_id, err, sizeof err))) goto fail;
    struct net_waker *w = net_waker_new(h.net, on_store_results, &h);
    if (!w || store_start(h.store, net_wake, w) < 0) { snprintf(err, sizeof err, "cannot start the store thread"); goto fail; }
    if (h.ev->osc) {
        if (!(h.osc = osc_new(h.ev, h.srv, o.nats != NULL, err, sizeof err))) goto fail;
        struct net_waker *ow = net_waker_new(h.net, osc_run, h.osc);
        if (!ow || osc_start(h.osc, net_wake, ow) < 0) { snprintf(err, sizeof err, "cannot start OSC"); goto fail; }
    }

    /* Every role gets the address other machines reach (a venue screen is
     * rarely the hub machine); localhost is printed for this machine too. */
    printf("chorus-hub: event %s \"%s\" on port %d, database %s\n", h.ev->code, h.ev->name, o.port, o.db_path);
    if (o.nats) printf("  cluster:            hub %d of the event, NATS %s\n", so.hub_id, o.nats);
    printf("  audience (QR code): %s\n", join_url);
    printf("  venue screen:       %s/screen?key=%s\n", base, h.ev->key_screen);
    printf("  stage view:         %s/stage?key=%s\n", base, h.ev->key_performer);
    printf("  crew dashboard:     %s/crew?key=%s\n", base, h.ev->key_crew);
    printf("  on this machine:    %s://localhost:%d/ (same paths)\n", scheme, o.port);
    for (int i = 0; h.ev->osc && i < h.ev->osc->ntargets; i++) {
        const struct oscmap_target *t = &h.ev->osc->targets[i];
        printf("  osc out:            %s -> %s:%d %s (%g/s)%s\n", t->name, t->host, t->port, t->prefix, t->rate_hz,
               server_osc_target_gate(h.srv, i) ? "" : " (gate closed)");
    }
    if (h.ev->osc && h.ev->osc->has_listen)
        printf("  osc in:             %s:%d (only from osc.listen.allow)\n", h.ev->osc->listen.host, h.ev->osc->listen.port);
    fflush(stdout);
    log_info("hub started", "event=%s port=%d tls=%s db=%s", log_q(h.ev->code), o.port, o.tls_cert ? "on" : "off",
             log_q(o.db_path));
    const char *why_not;
    if (net_batching(h.net, &why_not)) log_info("snapshots to phones go out through io_uring", "batch=%d", TXRING_BATCH);
    else log_info("snapshots to phones go out one send() each", "why=%s", log_q(why_not));
    if (o.tls_cert && !o.public_url_given)
        log_warn("TLS without --public-url: phones get an address the certificate may not name",
                 "public_url=%s fix=%s", log_q(base), log_q("give --public-url https://<the certificate's name>:PORT"));

    rc = net_run(h.net) == 0 ? 0 : 1;
    struct net_wstats ws;
    net_write_stats(h.net, &ws);
    log_info("messages written", "at_once=%llu partly=%llu queued=%llu batched=%llu batched_partly=%llu flushes=%llu",
             (unsigned long long)ws.direct, (unsigned long long)ws.short_writes, (unsigned long long)ws.queued,
             (unsigned long long)ws.batched, (unsigned long long)ws.batched_short, (unsigned long long)ws.batches);
    hub_free(&h);
    log_info("hub stopped", "exit_code=%d", rc);
    log_flush();
    return rc;
fail:
    cluster_kept_free(&kept);
    log_error("cannot start", "reason=%s", log_q(err));
    hub_free(&h);
    log_flush();
    return 1;
}
