/* main.c -- chorus-hub: flags, start-up and shutdown order.
 *
 * Start: read flags -> hub_new (event file, database, reload) -> net_new
 * (loop, listen) -> store writer thread -> print the URLs -> loop.
 * Stop (SIGINT/SIGTERM): net closes every connection with 1001, the loop
 * ends, lws is destroyed (each close is recorded), then the store writes
 * everything still queued and the process exits 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "hub.h"
#include "net.h"

static void usage(FILE *f) {
    fprintf(f,
        "usage: chorus-hub --db FILE --event-file FILE [options]\n"
        "  --port PORT         listen port (default 8080)\n"
        "  --bind ADDR         listen address (default: all)\n"
        "  --db FILE           SQLite database of the event (created if missing)\n"
        "  --event-file FILE   event definition (JSON); created in the database on first start\n"
        "  --tick-ms N         aggregation tick and screen snapshot period, 10..1000 (default 100)\n"
        "  --audience-hz X     snapshots per second to audience phones, 0.1..10 (default 1)\n"
        "  --web-root DIR      folder of the built web pages (default web/dist)\n"
        "  --public-url URL    base URL phones use to reach this hub, for the QR code\n"
        "                      (default http://<first LAN address>:PORT)\n"
        "  --queue N           store queue capacity in records (default 262144)\n"
        "  --db-max-pages N    cap the database at N pages (testing a full disk)\n"
        "  --help              this text\n");
}

static int parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void lan_url(int port, char *out, size_t len) {
    struct ifaddrs *ifs, *i;
    snprintf(out, len, "http://localhost:%d", port);
    if (getifaddrs(&ifs) != 0) return;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) == 127) continue;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a, ip, sizeof ip);
        snprintf(out, len, "http://%s:%d", ip, port);
        break;
    }
    freeifaddrs(ifs);
}

int main(int argc, char **argv) {
    struct hub_opts o = {.port = 8080, .tick_ms = 100, .audience_hz = 1, .web_root = "web/dist",
                         .queue_max = 262144};
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'}, {"bind", required_argument, 0, 'b'},
        {"db", required_argument, 0, 'd'}, {"event-file", required_argument, 0, 'e'},
        {"tick-ms", required_argument, 0, 't'}, {"audience-hz", required_argument, 0, 'a'},
        {"web-root", required_argument, 0, 'w'}, {"public-url", required_argument, 0, 'u'},
        {"queue", required_argument, 0, 'q'}, {"db-max-pages", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
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
        case 'm':
            if (parse_num(optarg, 1, 1 << 30, &v) < 0) { fprintf(stderr, "chorus-hub: --db-max-pages must be a positive number\n"); return 2; }
            o.db_max_pages = (int)v; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "chorus-hub: unknown or incomplete option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) { fprintf(stderr, "chorus-hub: unexpected argument '%s' (see --help)\n", argv[optind]); return 2; }
    if (!o.db_path || !o.event_path) { fprintf(stderr, "chorus-hub: --db and --event-file are required (see --help)\n"); return 2; }

    char base[200];
    if (o.public_url) snprintf(base, sizeof base, "%s", o.public_url);
    else lan_url(o.port, base, sizeof base);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') base[--bl] = 0;
    o.public_url = base;

    char err[512];
    struct hub *h = hub_new(&o, err, sizeof err);
    if (!h) { fprintf(stderr, "chorus-hub: %s\n", err); return 1; }
    struct net *n = net_new(h, err, sizeof err);
    if (!n) { fprintf(stderr, "chorus-hub: %s\n", err); hub_free(h); return 1; }
    if (store_start(h->store, net_store_notify, n) < 0) {
        fprintf(stderr, "chorus-hub: cannot start the store thread\n");
        net_free(n);
        hub_free(h);
        return 1;
    }
    char local[64];
    snprintf(local, sizeof local, "http://localhost:%d", o.port);
    printf("chorus-hub: event %s \"%s\" on port %d, database %s\n", h->ev->code, h->ev->name, o.port, o.db_path);
    printf("  audience (QR code): %s\n", h->join_url);
    printf("  venue screen:       %s/screen?key=%s\n", local, h->ev->key_screen);
    printf("  stage view:         %s/stage?key=%s\n", local, h->ev->key_performer);
    printf("  crew dashboard:     %s/crew?key=%s\n", local, h->ev->key_crew);
    printf("  phones on this machine: %s/e/%s\n", local, h->ev->code);
    fflush(stdout);

    int rc = net_run(n);
    /* The report thread may still wake net: let it finish before net goes. */
    api_free(h->api);
    h->api = NULL;
    net_free(n);
    hub_free(h);
    fprintf(stderr, "chorus-hub: stopped\n");
    return rc == 0 ? 0 : 1;
}
