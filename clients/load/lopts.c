/* lopts.c -- command line and event file of chorus-load.
 *
 * Every problem is reported as one line in err; nothing here exits. The
 * target must be a literal address in 127.0.0.0/8 (or "localhost"): the
 * tool is a load generator and must never be pointed at someone else. */
#include "lopts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void lopts_usage(FILE *f)
{
    fputs(
"usage: chorus-load --url ws://127.0.0.1:PORT/ws --event FILE [options]\n"
"Plays a crowd against a Chorus hub on this machine and measures it.\n"
"  --devices N          audience devices (default 100)\n"
"  --screens S          screen connections (default 0; probes need >= 1)\n"
"  --procs K            processes; devices are split between them (default 1)\n"
"  --connect-rate C     new connections per second, all processes (default 2000)\n"
"  --max-pending N      handshakes in flight per process (default 256)\n"
"  --duration D         seconds of load once everyone is connected (default 10)\n"
"  --connect-timeout T  seconds allowed for connecting (default 60)\n"
"  --react-rate R       taps/s per device, Poisson, sent every 250 ms;\n"
"                       'max' floods as fast as the hub reads (default 0.5)\n"
"  --chant-rate R       chants/s per device (default 0)\n"
"  --probe-rate R       probe reactions/s for signal-to-screen latency (default 4)\n"
"  --probe-kind NAME    reaction kind only the probe sends (default probe)\n"
"  --polls N            polls the crew opens (default 0; needs keys.crew)\n"
"  --poll-at T          first poll opens T s into the load (default 2)\n"
"  --poll-every P       seconds between poll openings (default 20)\n"
"  --poll-len L         seconds a poll stays open (default 15)\n"
"  --poll-options N     options per poll, 2..12 (default 4)\n"
"  --allow-change       polls allow changing a vote\n"
"  --vote-share F       share of devices that vote, 0..1 (default 0.9)\n"
"  --vote-within W      votes are spread over W s after opening (default 5)\n"
"  --storm-at T         T s into the load every device drops (default off)\n"
"  --storm-window W     ...and reconnects within W s (default 5)\n"
"  --flood N            T s into the load (--flood-at, default 2) one more\n"
"                       process opens N connections from 127.0.3.1 that send\n"
"                       the WebSocket upgrade and never a hello, at\n"
"                       --flood-rate per second (default 20000), reopening\n"
"                       those the hub closes, until the end\n"
"  --src-addrs N        source addresses 127.0.1.1.. to spread over\n"
"                       (default: one per 500 connections)\n"
"  --hub-pid PID        sample the hub's RSS and CPU from /proc\n"
"  --json FILE          write every figure as JSON\n"
"  --db FILE            check every acked vote is in the hub's database\n"
"  --max-failed N       failed connections tolerated (default 0)\n"
"  --quiet              no progress lines\n"
"  --self-test          check the codec and histograms, then exit\n"
"Exit: 0 ok, 1 failed connections over the limit or a vote missing, 2 usage.\n",
        f);
}

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* ws://HOST[:PORT][/path]; HOST must be loopback. */
static int parse_url(struct lopts *o, const char *url, char *err, size_t n)
{
    const char *p = url;
    if (strncmp(p, "ws://", 5) != 0)
        return fail(err, n, "--url must start with ws:// (got \"%s\")", url);
    p += 5;
    size_t hl = strcspn(p, ":/");
    if (!hl || hl >= sizeof o->host)
        return fail(err, n, "--url has no host");
    memcpy(o->host, p, hl);
    o->host[hl] = 0;
    if (strcmp(o->host, "localhost") == 0)
        strcpy(o->host, "127.0.0.1");
    struct in_addr a;
    if (inet_pton(AF_INET, o->host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        return fail(err, n, "refusing target %s: only 127.0.0.0/8 may be loaded", o->host);
    p += hl;
    o->port = 80;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535)
            return fail(err, n, "--url has a bad port");
        o->port = (int)port;
        p = end;
    }
    if (!*p)
        p = "/ws";
    if (*p != '/' || strlen(p) >= sizeof o->path)
        return fail(err, n, "--url has a bad path");
    strcpy(o->path, p);
    return 0;
}

static int read_event(struct lopts *o, const char *path, char *err, size_t n)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return fail(err, n, "--event %s: %s (line %d)", path, je.text, je.line);
    int rc = -1;
    const char *code = json_string_value(json_object_get(root, "code"));
    json_t *keys = json_object_get(root, "keys");
    json_t *reacts = json_object_get(root, "reactions");
    json_t *sects = json_object_get(root, "sections");
    if (!code || strlen(code) >= sizeof o->event_code) {
        fail(err, n, "--event %s: no usable \"code\"", path);
        goto out;
    }
    strcpy(o->event_code, code);
    const char *ks = json_string_value(json_object_get(keys, "screen"));
    const char *kc = json_string_value(json_object_get(keys, "crew"));
    snprintf(o->key_screen, sizeof o->key_screen, "%s", ks ? ks : "");
    snprintf(o->key_crew, sizeof o->key_crew, "%s", kc ? kc : "");
    int has_probe = 0;
    size_t i;
    json_t *v;
    json_array_foreach(reacts, i, v) {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        if (strcmp(s, o->probe_kind) == 0) {
            has_probe = 1;
            continue;
        }
        if (o->nreactions < LOPTS_MAX_REACTIONS)
            o->reactions[o->nreactions++] = strdup(s);
    }
    json_array_foreach(sects, i, v) {
        const char *s = json_string_value(v);
        if (s && o->nsections < LOPTS_MAX_SECTIONS)
            o->sections[o->nsections++] = strdup(s);
    }
    if (!o->nreactions) {
        fail(err, n, "--event %s: no reactions besides \"%s\"", path, o->probe_kind);
        goto out;
    }
    if (o->probe_rate > 0 && o->screens > 0 && !has_probe) {
        fail(err, n, "--event %s: reactions lack the probe kind \"%s\" (add it, or --probe-rate 0)",
             path, o->probe_kind);
        goto out;
    }
    if (!has_probe)
        o->probe_rate = 0;
    if (o->screens && !*o->key_screen) {
        fail(err, n, "--event %s: --screens needs keys.screen", path);
        goto out;
    }
    if (o->polls && !*o->key_crew) {
        fail(err, n, "--event %s: --polls needs keys.crew", path);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int lopts_parse(struct lopts *o, int argc, char **argv, char *err, size_t errlen)
{
    static const struct option lo[] = {
        {"url", 1, 0, 'u'}, {"event", 1, 0, 'e'}, {"devices", 1, 0, 'n'},
        {"screens", 1, 0, 's'}, {"procs", 1, 0, 'k'}, {"connect-rate", 1, 0, 'c'},
        {"max-pending", 1, 0, 'P'}, {"duration", 1, 0, 'd'},
        {"connect-timeout", 1, 0, 'T'}, {"react-rate", 1, 0, 'r'},
        {"chant-rate", 1, 0, 'C'}, {"probe-rate", 1, 0, 'p'},
        {"probe-kind", 1, 0, 'K'}, {"polls", 1, 0, 'o'}, {"poll-at", 1, 0, 'a'},
        {"poll-every", 1, 0, 'E'}, {"poll-len", 1, 0, 'L'},
        {"poll-options", 1, 0, 'O'}, {"allow-change", 0, 0, 'A'},
        {"vote-share", 1, 0, 'v'}, {"vote-within", 1, 0, 'w'},
        {"storm-at", 1, 0, 'S'}, {"storm-window", 1, 0, 'W'},
        {"flood", 1, 0, 'F'}, {"flood-at", 1, 0, 'I'}, {"flood-rate", 1, 0, 'R'},
        {"src-addrs", 1, 0, 'x'}, {"hub-pid", 1, 0, 'h'}, {"json", 1, 0, 'j'},
        {"db", 1, 0, 'D'}, {"max-failed", 1, 0, 'f'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'H'}, {0, 0, 0, 0}
    };
    const char *url = NULL, *event = NULL;
    double v;
    int c;

    memset(o, 0, sizeof *o);
    o->devices = 100;
    o->procs = 1;
    o->connect_rate = 2000;
    o->max_pending = 256;
    o->duration = 10;
    o->connect_timeout = 60;
    o->react_rate = 0.5;
    o->probe_rate = 4;
    strcpy(o->probe_kind, "probe");
    o->poll_at = 2;
    o->poll_every = 20;
    o->poll_len = 15;
    o->poll_options = 4;
    o->vote_share = 0.9;
    o->vote_within = 5;
    o->storm_at = -1;
    o->storm_window = 5;
    o->flood_at = 2;
    o->flood_rate = 20000;
    o->src_base = (127u << 24) | (1u << 8) | 1u;     /* 127.0.1.1 */
    o->max_failed = 0;

    opterr = 0;
    optind = 1;
#define NUM(lo_, hi_, name) \
    if (num(optarg, lo_, hi_, &v)) \
        return fail(err, errlen, "--%s: \"%s\" is not a number in %g..%g", name, optarg, \
                    (double)(lo_), (double)(hi_))
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'e': event = optarg; break;
        case 'n': NUM(0, 1000000, "devices"); o->devices = (int)v; break;
        case 's': NUM(0, 1000, "screens"); o->screens = (int)v; break;
        case 'k': NUM(1, 64, "procs"); o->procs = (int)v; break;
        case 'c': NUM(1, 1e6, "connect-rate"); o->connect_rate = v; break;
        case 'P': NUM(1, 100000, "max-pending"); o->max_pending = (int)v; break;
        case 'd': NUM(0, 86400, "duration"); o->duration = v; break;
        case 'T': NUM(1, 3600, "connect-timeout"); o->connect_timeout = v; break;
        case 'r':
            if (strcmp(optarg, "max") == 0) { o->react_rate = -1; break; }
            NUM(0, 1000, "react-rate"); o->react_rate = v; break;
        case 'C': NUM(0, 100, "chant-rate"); o->chant_rate = v; break;
        case 'p': NUM(0, 1000, "probe-rate"); o->probe_rate = v; break;
        case 'K':
            if (!*optarg || strlen(optarg) >= sizeof o->probe_kind)
                return fail(err, errlen, "--probe-kind: bad name");
            strcpy(o->probe_kind, optarg);
            break;
        case 'o': NUM(0, 10000, "polls"); o->polls = (int)v; break;
        case 'a': NUM(0, 86400, "poll-at"); o->poll_at = v; break;
        case 'E': NUM(0.1, 86400, "poll-every"); o->poll_every = v; break;
        case 'L': NUM(0.1, 86400, "poll-len"); o->poll_len = v; break;
        case 'O': NUM(2, 12, "poll-options"); o->poll_options = (int)v; break;
        case 'A': o->allow_change = 1; break;
        case 'v': NUM(0, 1, "vote-share"); o->vote_share = v; break;
        case 'w': NUM(0, 3600, "vote-within"); o->vote_within = v; break;
        case 'S': NUM(0, 86400, "storm-at"); o->storm_at = v; break;
        case 'W': NUM(0, 3600, "storm-window"); o->storm_window = v; break;
        case 'F': NUM(0, LOPTS_MAX_CONNS_PER_PROC - 100, "flood"); o->flood = (int)v; break;
        case 'I': NUM(0, 86400, "flood-at"); o->flood_at = v; break;
        case 'R': NUM(1, 1e6, "flood-rate"); o->flood_rate = v; break;
        case 'x': NUM(1, LOPTS_MAX_SRC, "src-addrs"); o->nsrc = (int)v; break;
        case 'h': NUM(1, 4194304, "hub-pid"); o->hub_pid = (int)v; break;
        case 'j': o->json_path = strdup(optarg); break;
        case 'D': o->db_path = strdup(optarg); break;
        case 'f': NUM(0, 1e9, "max-failed"); o->max_failed = (long)v; break;
        case 'q': o->quiet = 1; break;
        case 'H':
            lopts_usage(stdout);
            return 1;
        default:
            return fail(err, errlen, "unknown or incomplete option \"%s\"",
                        argv[optind - 1]);
        }
    }
#undef NUM
    if (optind < argc)
        return fail(err, errlen, "unexpected argument \"%s\"", argv[optind]);
    if (!url)
        return fail(err, errlen, "--url is required (ws://127.0.0.1:PORT/ws)");
    if (parse_url(o, url, err, errlen))
        return -1;
    if (!event)
        return fail(err, errlen, "--event FILE is required (the hub's event file)");
    if (o->polls && o->duration < o->poll_at)
        return fail(err, errlen, "--poll-at %g is after the end of --duration %g",
                    o->poll_at, o->duration);
    if (o->storm_at >= 0 && o->storm_at >= o->duration)
        return fail(err, errlen, "--storm-at %g is not within --duration %g",
                    o->storm_at, o->duration);
    int per = (o->devices + o->procs - 1) / o->procs + (o->screens + 2);
    if (per > LOPTS_MAX_CONNS_PER_PROC)
        return fail(err, errlen,
                    "%d connections in one process exceed the %d-per-process limit; raise --procs",
                    per, LOPTS_MAX_CONNS_PER_PROC);
    if (!o->nsrc)
        o->nsrc = (o->devices + o->screens + 499) / 500;
    if (o->nsrc < 1)
        o->nsrc = 1;
    if (o->nsrc > LOPTS_MAX_SRC)
        o->nsrc = LOPTS_MAX_SRC;
    return read_event(o, event, err, errlen);
}

void lopts_free(struct lopts *o)
{
    for (int i = 0; i < o->nsections; i++)
        free(o->sections[i]);
    for (int i = 0; i < o->nreactions; i++)
        free(o->reactions[i]);
    free(o->json_path);
    free(o->db_path);
    memset(o, 0, sizeof *o);
}
