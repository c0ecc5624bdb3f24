/* oscmap.c -- the OSC vocabulary (see oscmap.h and docs/osc.md).
 *
 * A frame for a target is built from a view of the show in three kinds of
 * values:
 *  - continuous values (energy, taps per second, audience, the open poll's
 *    shares): every frame, each smoothed by an exponential moving average
 *    with the target's time constant (alpha = 1 - e^(-dt/smooth)), so a
 *    fader glides instead of stepping with the hub's 100 ms tick;
 *  - state values (the open poll's id and voters, the winner, the top
 *    chant): when they change and again every OSC_REFRESH_MS, because UDP
 *    can lose any one packet and a desk that starts late must catch up;
 *  - events (markers): once each.
 * A mapping may route any value to another address and scale it. The
 * frame is emitted through a callback; nothing here allocates per frame.
 *
 * Cost: a frame is O(values x mappings) string compares (at most ~100 x 32),
 * at 25 frames per second per target. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "oscmap.h"
#include "proto.h"

const char *const oscmap_group_names[OSCG_COUNT] = {
    "energy", "taps", "sections", "audience", "poll", "winner", "chant", "marker", "heartbeat",
};

/* --- the event file ----------------------------------------------------- */

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* An OSC address: '/' then printable ASCII without space or the pattern
 * characters # * , ? [ ] { }; at most max - 1 bytes. */
static int address_ok(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n < 2 || n >= max || s[0] != '/' || s[n - 1] == '/') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 127 || strchr("#*,?[]{}", c)) return 0;
    }
    return 1;
}

static int name_in(const char *s, size_t n, const char *const *names, int count) {
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) return 1;
    return 0;
}

/* 1 when key is the address (after the prefix) of a value the hub sends;
 * *numeric says whether it can be scaled. */
static int key_ok(const char *key, const struct oscmap_names *nm, int *numeric) {
    static const char *const nums[] = {"energy", "taps", "audience", "poll/open", "poll/voters", "poll/winner",
                                       "poll/winner/votes", "poll/played", "heartbeat", "gate"};
    *numeric = 1;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!strcmp(key, nums[i])) return 1;
    if (!strncmp(key, "taps/", 5)) return name_in(key + 5, strlen(key + 5), nm->kinds, nm->nkinds);
    if (!strncmp(key, "poll/share/", 11)) {
        const char *d = key + 11;
        char *end;
        long i = strtol(d, &end, 10);
        return *d >= '0' && *d <= '9' && !*end && i >= 0 && i < WIRE_MAX_OPTIONS && (d[0] != '0' || !d[1]);
    }
    if (!strncmp(key, "section/", 8)) {
        const char *s = key + 8, *slash = strchr(s, '/');
        return slash && name_in(s, (size_t)(slash - s), nm->sections, nm->nsections) &&
               (!strcmp(slash, "/taps") || !strcmp(slash, "/audience"));
    }
    *numeric = 0;
    return !strcmp(key, "chant") || !strcmp(key, "marker");
}

static int read_range(const json_t *a, double *lo, double *hi) {
    if (!json_is_array(a) || json_array_size(a) != 2 || !json_is_number(json_array_get(a, 0)) ||
        !json_is_number(json_array_get(a, 1)))
        return -1;
    *lo = json_number_value(json_array_get(a, 0));
    *hi = json_number_value(json_array_get(a, 1));
    return isfinite(*lo) && isfinite(*hi) ? 0 : -1;
}

static int read_map(const json_t *map, struct oscmap_target *t, int ti, const struct oscmap_names *nm, char *err,
                    size_t errlen) {
    if (!map) return 0;
    if (!json_is_object(map) || json_object_size(map) > OSC_MAPS_MAX)
        BAD("field 'osc.targets[%d].map' must be an object of at most %d values", ti, OSC_MAPS_MAX);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v) {
        struct oscmap_map *m = &t->maps[t->nmaps];
        int numeric;
        if (strlen(k) >= sizeof m->key || !key_ok(k, nm, &numeric))
            BAD("field 'osc.targets[%d].map' has '%s', which is not a value the hub sends (see docs/osc.md)", ti, k);
        if (!json_is_object(v)) BAD("field 'osc.targets[%d].map.%s' must be an object", ti, k);
        memset(m, 0, sizeof *m);
        strcpy(m->key, k);
        m->in_lo = 0, m->in_hi = 1, m->out_lo = 0, m->out_hi = 1;
        const json_t *a = json_object_get(v, "address"), *in = json_object_get(v, "in"), *out = json_object_get(v, "out"),
                     *ty = json_object_get(v, "type");
        if (a && (!json_is_string(a) || !address_ok(json_string_value(a), sizeof m->address)))
            BAD("field 'osc.targets[%d].map.%s.address' must be an OSC address ('/' then up to 126 printable bytes, no "
                "spaces or # * , ? [ ] { })", ti, k);
        if (a) strcpy(m->address, json_string_value(a));
        if ((in || out || ty) && !numeric) BAD("field 'osc.targets[%d].map.%s' is text: only 'address' applies", ti, k);
        if (in && (read_range(in, &m->in_lo, &m->in_hi) < 0 || m->in_lo > m->in_hi))
            BAD("field 'osc.targets[%d].map.%s.in' must be [low, high] with low <= high", ti, k);
        if (out && read_range(out, &m->out_lo, &m->out_hi) < 0)
            BAD("field 'osc.targets[%d].map.%s.out' must be [from, to] (two numbers)", ti, k);
        m->scale = in || out;
        if (ty) {
            const char *s = json_is_string(ty) ? json_string_value(ty) : "";
            if (strcmp(s, "f") && strcmp(s, "i")) BAD("field 'osc.targets[%d].map.%s.type' must be \"f\" or \"i\"", ti, k);
            m->type = s[0];
        }
        if (!m->address[0] && !m->scale && !m->type)
            BAD("field 'osc.targets[%d].map.%s' changes nothing (give address, in, out or type)", ti, k);
        t->nmaps++;
    }
    return 0;
fail:
    return -1;
}

static int read_number(const json_t *o, const char *k, double lo, double hi, double dflt, double *out) {
    const json_t *v = json_object_get(o, k);
    if (!v) { *out = dflt; return 0; }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) return -1;
    *out = json_number_value(v);
    return 0;
}

static int read_bool(const json_t *o, const char *k, int dflt, int *out) {
    const json_t *v = json_object_get(o, k);
    if (!v) { *out = dflt; return 0; }
    if (!json_is_boolean(v)) return -1;
    *out = json_is_true(v);
    return 0;
}

static int read_target(const json_t *o, struct oscmap_target *t, int ti, const struct oscmap_names *nm, char *err,
                       size_t errlen) {
    if (!json_is_object(o)) BAD("field 'osc.targets[%d]' must be an object", ti);
    const json_t *host = json_object_get(o, "host"), *prefix = json_object_get(o, "prefix"),
                 *name = json_object_get(o, "name"), *values = json_object_get(o, "values");
    if (!json_is_string(host) || json_string_length(host) == 0 || json_string_length(host) >= sizeof t->host)
        BAD("field 'osc.targets[%d].host' must be a host name or address", ti);
    strcpy(t->host, json_string_value(host));
    double d;
    if (!json_is_integer(json_object_get(o, "port")) || read_number(o, "port", 1, 65535, 0, &d) < 0)
        BAD("field 'osc.targets[%d].port' must be a port number 1-65535", ti);
    t->port = (int)d;
    snprintf(t->prefix, sizeof t->prefix, "/chorus");
    if (prefix && (!json_is_string(prefix) || !address_ok(json_string_value(prefix), sizeof t->prefix)))
        BAD("field 'osc.targets[%d].prefix' must be an OSC address of up to 63 bytes, like \"/chorus\"", ti);
    if (prefix) strcpy(t->prefix, json_string_value(prefix));
    if (name && (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= sizeof t->name))
        BAD("field 'osc.targets[%d].name' must be a string of 1-32 bytes", ti);
    if (name) strcpy(t->name, json_string_value(name));
    else snprintf(t->name, sizeof t->name, "%.24s:%d", t->host, t->port);
    if (read_number(o, "rate", 1, OSC_RATE_MAX, OSC_RATE_DEFAULT, &t->rate_hz) < 0)
        BAD("field 'osc.targets[%d].rate' must be 1-%g frames per second", ti, OSC_RATE_MAX);
    if (read_number(o, "smooth", 0, 10, OSC_SMOOTH_DEFAULT, &t->smooth_s) < 0)
        BAD("field 'osc.targets[%d].smooth' must be 0-10 seconds", ti);
    if (read_bool(o, "enabled", 1, &t->enabled) < 0) BAD("field 'osc.targets[%d].enabled' must be a boolean", ti);
    t->groups = (1u << OSCG_COUNT) - 1;
    if (values) {
        if (!json_is_array(values)) BAD("field 'osc.targets[%d].values' must be an array of names", ti);
        t->groups = 0;
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v) {
            int g = json_is_string(v) ? wire_parse(oscmap_group_names, OSCG_COUNT, json_string_value(v),
                                                   json_string_length(v)) : -1;
            if (g < 0)
                BAD("field 'osc.targets[%d].values[%zu]' must be one of energy, taps, sections, audience, poll, "
                    "winner, chant, marker, heartbeat", ti, i);
            t->groups |= 1u << g;
        }
    }
    return read_map(json_object_get(o, "map"), t, ti, nm, err, errlen);
fail:
    return -1;
}

static int read_listen(const json_t *o, struct oscmap_listen *l, char *err, size_t errlen) {
    if (!json_is_object(o)) BAD("field 'osc.listen' must be an object with host, port and allow");
    const json_t *host = json_object_get(o, "host"), *allow = json_object_get(o, "allow");
    struct oscmap_net probe;
    if (!json_is_string(host) || json_string_length(host) >= sizeof l->host ||
        oscmap_net_parse(json_string_value(host), &probe) < 0 || strchr(json_string_value(host), '/'))
        BAD("field 'osc.listen.host' must be the IP address to listen on (e.g. \"127.0.0.1\" or the desk network's)");
    strcpy(l->host, json_string_value(host));
    double d;
    if (!json_is_integer(json_object_get(o, "port")) || read_number(o, "port", 1, 65535, 0, &d) < 0)
        BAD("field 'osc.listen.port' must be a port number 1-65535");
    l->port = (int)d;
    if (!json_is_array(allow) || json_array_size(allow) == 0 || json_array_size(allow) > OSC_ALLOW_MAX)
        BAD("field 'osc.listen.allow' must list 1-%d source addresses (OSC has no authentication)", OSC_ALLOW_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(allow, i, v) {
        if (!json_is_string(v) || oscmap_net_parse(json_string_value(v), &l->allow[l->nallow]) < 0)
            BAD("field 'osc.listen.allow[%zu]' must be an IP address or address/bits", i);
        l->nallow++;
    }
    if (read_number(o, "rate", 0.1, 1000, OSC_IN_RATE, &l->rate) < 0)
        BAD("field 'osc.listen.rate' must be 0.1-1000 messages per second");
    if (read_number(o, "burst", 1, 10000, OSC_IN_BURST, &l->burst) < 0)
        BAD("field 'osc.listen.burst' must be 1-10000 messages");
    return 0;
fail:
    return -1;
}

struct oscmap_conf *oscmap_conf_parse(const struct json_t *osc, const struct oscmap_names *names, char *err,
                                      size_t errlen) {
    struct oscmap_conf *c = calloc(1, sizeof *c);
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    if (!json_is_object(osc)) BAD("field 'osc' must be an object with targets and/or listen");
    if (read_bool(osc, "enabled", 1, &c->enabled) < 0) BAD("field 'osc.enabled' must be a boolean");
    const json_t *targets = json_object_get(osc, "targets"), *listen = json_object_get(osc, "listen");
    if (targets) {
        if (!json_is_array(targets) || json_array_size(targets) > OSC_TARGETS_MAX)
            BAD("field 'osc.targets' must be an array of at most %d targets", OSC_TARGETS_MAX);
        for (size_t i = 0; i < json_array_size(targets); i++) {
            if (read_target(json_array_get(targets, i), &c->targets[i], (int)i, names, err, errlen) < 0) goto fail;
            c->ntargets++;
        }
    }
    if (listen) {
        if (read_listen(listen, &c->listen, err, errlen) < 0) goto fail;
        c->has_listen = 1;
    }
    return c;
fail:
    free(c);
    return NULL;
}

/* --- addresses -------------------------------------------------------- */

int oscmap_net_parse(const char *s, struct oscmap_net *out) {
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) out->family = AF_INET, out->bits = 32;
    else if (inet_pton(AF_INET6, buf, out->addr) == 1) out->family = AF_INET6, out->bits = 128;
    else return -1;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || b < 0 || b > out->bits) return -1;
        out->bits = (int)b;
    }
    return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits) {
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole)) return 0;
    if (!rest) return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int oscmap_is_allowed(const struct oscmap_listen *l, const struct sockaddr *sa) {
    uint8_t v4[4], v6[16];
    int has4 = 0, has6 = 0;
    if (sa->sa_family == AF_INET) {
        memcpy(v4, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        has4 = 1;
    } else if (sa->sa_family == AF_INET6) {
        memcpy(v6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        has6 = 1;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(v6, mapped, 12)) { memcpy(v4, v6 + 12, 4); has4 = 1; }
    }
    for (int i = 0; i < l->nallow; i++) {
        const struct oscmap_net *e = &l->allow[i];
        if (e->family == AF_INET && has4 && prefix_match(e->addr, v4, e->bits)) return 1;
        if (e->family == AF_INET6 && has6 && prefix_match(e->addr, v6, e->bits)) return 1;
    }
    return 0;
}

/* --- values ------------------------------------------------------------- */

double oscmap_scale(const struct oscmap_map *m, double x) {
    if (!m || !m->scale) return x;
    if (!(x >= m->in_lo)) x = m->in_lo;   /* NaN too */
    if (x > m->in_hi) x = m->in_hi;
    if (m->in_hi <= m->in_lo) return m->out_lo;
    return m->out_lo + (x - m->in_lo) / (m->in_hi - m->in_lo) * (m->out_hi - m->out_lo);
}

void oscmap_rates_update(struct oscmap_rates *r, int n, const int64_t *total, int64_t now_ms) {
    if (n > OSC_SECTIONS_MAX) n = OSC_SECTIONS_MAX;
    if (r->count && r->n == n && now_ms - r->t[r->head] < OSC_RATE_STEP_MS) return;
    if (r->n != n) { r->count = 0; r->n = n; }
    r->head = r->count ? (r->head + 1) % OSC_RATE_RING : 0;
    if (r->count < OSC_RATE_RING) r->count++;
    r->t[r->head] = now_ms;
    memcpy(r->c[r->head], total, (size_t)n * sizeof *total);
    /* The oldest sample at most ~1 s old: the rate over the last second. */
    int old = r->head;
    for (int k = 1; k < r->count; k++) {
        int j = (r->head - k + OSC_RATE_RING) % OSC_RATE_RING;
        if (now_ms - r->t[j] > 1000 + OSC_RATE_STEP_MS / 2) break;
        old = j;
    }
    double dt = (double)(now_ms - r->t[old]) / 1000.0;
    for (int i = 0; i < n; i++) r->rate[i] = dt > 0 ? (double)(r->c[r->head][i] - r->c[old][i]) / dt : 0;
}

/* A frame in the making. */
struct frame {
    const struct oscmap_target *t;
    oscmap_emit_fn emit;
    void *arg;
    int n;
};

static const struct oscmap_map *find_map(const struct oscmap_target *t, const char *key) {
    for (int i = 0; i < t->nmaps; i++)
        if (!strcmp(t->maps[i].key, key)) return &t->maps[i];
    return NULL;
}

static void put(struct frame *f, const char *key, struct oscmap_out *o) {
    const struct oscmap_map *m = find_map(f->t, key);
    char addr[OSC_ADDR_MAX + OSC_PREFIX_MAX];
    if (m && m->address[0]) {
        o->address = m->address;
    } else {
        snprintf(addr, sizeof addr, "%s/%s", f->t->prefix, key);
        o->address = addr;
    }
    if (m && (o->type == 'f' || o->type == 'i')) {
        double x = oscmap_scale(m, o->type == 'f' ? o->f : (double)o->i);
        char ty = m->type ? m->type : m->scale ? 'f' : o->type;
        o->type = ty;
        o->f = x;
        o->i = (int64_t)llround(x);
    }
    f->emit(f->arg, o);
    f->n++;
}

static void put_f(struct frame *f, const char *key, double x) {
    struct oscmap_out o = {.type = 'f', .f = x};
    put(f, key, &o);
}

static void put_i(struct frame *f, const char *key, int64_t x) {
    struct oscmap_out o = {.type = 'i', .i = x};
    put(f, key, &o);
}

static double smooth(double old, double x, double alpha) { return old + (x - old) * alpha; }

static int wants(const struct oscmap_target *t, enum oscmap_group g) { return !!(t->groups & (1u << g)); }

int oscmap_frame(struct oscmap_tstate *st, const struct oscmap_target *t, int gate_open, const struct oscmap_view *v,
                 oscmap_emit_fn emit, void *arg) {
    struct frame f = {.t = t, .emit = emit, .arg = arg};
    char key[OSC_ADDR_MAX];
    if (!st->started) { st->gate = -1; st->started = 1; }
    if (!gate_open) {
        if (st->gate != 0) put_i(&f, "gate", 0);
        st->gate = 0;
        st->primed = 0;   /* reopening starts afresh: no glide from stale values, no old markers */
        return f.n;
    }
    if (st->gate == 0) put_i(&f, "gate", 1);
    st->gate = 1;
    double alpha = 1;
    if (st->primed && t->smooth_s > 0) {
        double dt = (double)(v->now_ms - st->last_ms) / 1000.0;
        alpha = dt <= 0 ? 0 : 1 - exp(-dt / t->smooth_s);
    }
    if (!st->primed) {
        /* Events before this target's first frame are not replayed. */
        st->marker_ts = v->marker_ts;
        snprintf(st->marker_label, sizeof st->marker_label, "%s", v->marker_label ? v->marker_label : "");
        st->share_poll = 0;
        st->next_refresh_ms = v->now_ms;
        st->chant_sent = 0;
        st->winner_sent = 0;
    }
    st->last_ms = v->now_ms;
    int refresh = v->now_ms >= st->next_refresh_ms;
    if (refresh) st->next_refresh_ms = v->now_ms + OSC_REFRESH_MS;

    if (wants(t, OSCG_ENERGY)) {
        st->energy = smooth(st->energy, v->energy, alpha);
        put_f(&f, "energy", st->energy);
    }
    if (wants(t, OSCG_TAPS)) {
        double all = 0;
        for (int k = 0; k < v->nkinds && k < OSC_KINDS_MAX; k++) {
            st->kind[k] = smooth(st->kind[k], v->kind_rate[k], alpha);
            all += v->kind_rate[k];
            snprintf(key, sizeof key, "taps/%s", v->kinds[k]);
            put_f(&f, key, st->kind[k]);
        }
        st->taps = smooth(st->taps, all, alpha);
        put_f(&f, "taps", st->taps);
    }
    if (wants(t, OSCG_SECTIONS)) {
        for (int i = 0; i < v->nsections && i < OSC_SECTIONS_MAX; i++) {
            st->section[i] = smooth(st->section[i], v->section_rate[i], alpha);
            snprintf(key, sizeof key, "section/%s/taps", v->sections[i]);
            put_f(&f, key, st->section[i]);
            snprintf(key, sizeof key, "section/%s/audience", v->sections[i]);
            put_i(&f, key, v->section_audience[i]);
        }
    }
    if (wants(t, OSCG_AUDIENCE)) put_i(&f, "audience", v->audience);
    if (wants(t, OSCG_POLL)) {
        if (refresh) {
            put_i(&f, "poll/open", v->poll_id);
            put_i(&f, "poll/voters", v->poll_voters);
        }
        if (v->poll_id && v->poll_public) {
            int64_t sum = 0;
            for (int i = 0; i < v->nopts; i++) sum += v->counts[i];
            /* A new poll starts from its own shares, not the last poll's. */
            double a = st->share_poll == v->poll_id ? alpha : 1;
            st->share_poll = v->poll_id;
            for (int i = 0; i < v->nopts && i < WIRE_MAX_OPTIONS; i++) {
                st->share[i] = smooth(st->share[i], sum ? (double)v->counts[i] / (double)sum : 0, a);
                snprintf(key, sizeof key, "poll/share/%d", i);
                put_f(&f, key, st->share[i]);
            }
        }
    }
    if (wants(t, OSCG_WINNER) && v->closed_id &&
        (refresh || st->winner_sent != v->closed_id || st->played_sent != v->played + 2)) {
        st->winner_sent = v->closed_id;
        st->played_sent = v->played + 2;
        put_i(&f, "poll/winner", v->winner);
        put_i(&f, "poll/winner/votes", v->winner_votes);
        put_i(&f, "poll/played", v->played);
    }
    if (wants(t, OSCG_CHANT)) {
        uint32_t h = util_hash_str(v->chant ? v->chant : "");
        if (refresh || !st->chant_sent || h != st->chant_hash) {
            struct oscmap_out o = {.type = 's', .s = v->chant ? v->chant : ""};
            put(&f, "chant", &o);
            st->chant_hash = h;
            st->chant_sent = 1;
        }
    }
    if (v->marker_ts && (v->marker_ts > st->marker_ts ||
                         (v->marker_ts == st->marker_ts && strcmp(v->marker_label ? v->marker_label : "", st->marker_label)))) {
        st->marker_ts = v->marker_ts;
        snprintf(st->marker_label, sizeof st->marker_label, "%s", v->marker_label ? v->marker_label : "");
        if (wants(t, OSCG_MARKER)) {
            struct oscmap_out o = {.type = 'm', .s = st->marker_label, .s2 = v->marker_kind ? v->marker_kind : "note",
                                   .i = v->marker_ts};
            put(&f, "marker", &o);
        }
    }
    if (wants(t, OSCG_HEARTBEAT) && refresh) put_i(&f, "heartbeat", v->uptime_s);
    st->primed = 1;
    return f.n;
}

/* --- the crew's status -------------------------------------------------- */

static void pack_bool(msgpack_packer *pk, const char *k, int v) {
    proto_pack_str(pk, k);
    if (v) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
}

struct msg *oscmap_status_encode(const struct oscmap_conf *c, int on, const uint8_t *target_on,
                                 const struct oscmap_stats *st) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, 4);
    proto_pack_kv_str(pk, "t", "osc");
    pack_bool(pk, "on", on);
    proto_pack_str(pk, "targets");
    msgpack_pack_array(pk, (size_t)c->ntargets);
    for (int i = 0; i < c->ntargets; i++) {
        const struct oscmap_target *t = &c->targets[i];
        msgpack_pack_map(pk, 8);
        proto_pack_kv_int(pk, "i", i);
        proto_pack_kv_str(pk, "name", t->name);
        proto_pack_kv_str(pk, "host", t->host);
        proto_pack_kv_int(pk, "port", t->port);
        proto_pack_str(pk, "rate");
        msgpack_pack_double(pk, t->rate_hz);
        pack_bool(pk, "on", target_on[i]);
        proto_pack_kv_int(pk, "sent", (int64_t)st->sent[i]);
        proto_pack_kv_int(pk, "errors", (int64_t)st->errors[i]);
    }
    proto_pack_str(pk, "listen");
    if (c->has_listen) {
        msgpack_pack_map(pk, 5);
        proto_pack_kv_str(pk, "host", c->listen.host);
        proto_pack_kv_int(pk, "port", c->listen.port);
        proto_pack_kv_int(pk, "accepted", (int64_t)st->accepted);
        proto_pack_kv_int(pk, "refused", (int64_t)st->refused);
        proto_pack_kv_str(pk, "last_refusal", st->last_refusal);
    } else {
        msgpack_pack_nil(pk);
    }
    return proto_enc_finish(&e);
}
