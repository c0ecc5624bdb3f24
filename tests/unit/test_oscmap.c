/* test_oscmap.c -- the OSC vocabulary without a network: the event file's
 * osc section, the allow-list, scaling, per-section rates, and the frames
 * a target gets (smoothing, mappings, gates, state refresh, events once). */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <jansson.h>
#include "oscmap.h"
#include "t.h"

#define CHECK_NEAR(a, b, eps) do { double _a = (a), _b = (b); if (!(fabs(_a - _b) <= (eps))) { \
    fprintf(stderr, "  %s:%d: %s: %s ~ %s: got %g, want %g\n", __FILE__, __LINE__, t_name, #a, #b, _a, _b); \
    t_cur_failed = 1; } } while (0)

static const struct oscmap_names names = {.nkinds = 2, .nsections = 2, .kinds = {"heart", "fire"}, .sections = {"A", "B"}};

static struct oscmap_conf *parse(const char *js, char *err, size_t errlen) {
    json_error_t je;
    json_t *j = json_loads(js, 0, &je);
    if (!j) { snprintf(err, errlen, "bad test JSON: %s", je.text); return NULL; }
    struct oscmap_conf *c = oscmap_conf_parse(j, &names, err, errlen);
    json_decref(j);
    return c;
}

static void conf_defaults_and_mappings(void) {
    char err[300] = "";
    struct oscmap_conf *c = parse("{\"targets\":[{\"host\":\"10.0.0.5\",\"port\":8000},"
                                  "{\"name\":\"ma\",\"host\":\"ma.local\",\"port\":8001,\"prefix\":\"/crowd\",\"rate\":50,"
                                  "\"values\":[\"energy\",\"poll\"],\"enabled\":false,"
                                  "\"map\":{\"energy\":{\"address\":\"/gma3/Page1/Fader201\",\"out\":[0,100]},"
                                  "\"taps/fire\":{\"in\":[0,200],\"type\":\"i\"},\"section/B/taps\":{\"address\":\"/b\"}}}],"
                                  "\"listen\":{\"host\":\"127.0.0.1\",\"port\":9000,\"allow\":[\"10.0.0.0/24\",\"::1\"]}}",
                                  err, sizeof err);
    CHECK(c != NULL);
    if (!c) { fprintf(stderr, "  %s\n", err); return; }
    CHECK_EQ(c->enabled, 1);
    CHECK_EQ(c->ntargets, 2);
    CHECK_STR(c->targets[0].prefix, "/chorus");
    CHECK_STR(c->targets[0].name, "10.0.0.5:8000");
    CHECK_NEAR(c->targets[0].rate_hz, 25, 0);
    CHECK_EQ(c->targets[0].groups, (1u << OSCG_COUNT) - 1);
    CHECK_EQ(c->targets[0].enabled, 1);
    CHECK_STR(c->targets[1].prefix, "/crowd");
    CHECK_EQ(c->targets[1].groups, (1u << OSCG_ENERGY) | (1u << OSCG_POLL));
    CHECK_EQ(c->targets[1].enabled, 0);
    CHECK_EQ(c->targets[1].nmaps, 3);
    CHECK_EQ(c->has_listen, 1);
    CHECK_EQ(c->listen.nallow, 2);
    CHECK_NEAR(c->listen.rate, OSC_IN_RATE, 0);
    free(c);
}

static void conf_errors_name_the_field(void) {
    static const struct { const char *js, *want; } bad[] = {
        {"{\"targets\":[{\"port\":8000}]}", "osc.targets[0].host"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":0}]}", "osc.targets[0].port"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"rate\":500}]}", "osc.targets[0].rate"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"prefix\":\"chorus\"}]}", "osc.targets[0].prefix"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"values\":[\"lasers\"]}]}", "osc.targets[0].values[0]"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"taps/nope\":{\"out\":[0,1]}}}]}", "'taps/nope'"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"section/C/taps\":{\"out\":[0,1]}}}]}", "'section/C/taps'"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"poll/share/12\":{\"out\":[0,1]}}}]}", "'poll/share/12'"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"chant\":{\"out\":[0,1]}}}]}", "map.chant' is text"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"energy\":{\"in\":[1,0]}}}]}", "map.energy.in"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"energy\":{\"address\":\"/a b\"}}}]}", "map.energy.address"},
        {"{\"targets\":[{\"host\":\"h\",\"port\":1,\"map\":{\"energy\":{}}}]}", "changes nothing"},
        {"{\"listen\":{\"host\":\"127.0.0.1\",\"port\":9000}}", "osc.listen.allow"},
        {"{\"listen\":{\"host\":\"localhost\",\"port\":9000,\"allow\":[\"127.0.0.1\"]}}", "osc.listen.host"},
        {"{\"listen\":{\"host\":\"127.0.0.1\",\"port\":9000,\"allow\":[\"10.0.0.0/33\"]}}", "osc.listen.allow[0]"},
        {"[]", "field 'osc'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[300] = "";
        struct oscmap_conf *c = parse(bad[i].js, err, sizeof err);
        CHECK(c == NULL);
        free(c);
        if (!strstr(err, bad[i].want)) {
            fprintf(stderr, "  case %zu: error \"%s\" does not name \"%s\"\n", i, err, bad[i].want);
            t_cur_failed = 1;
        }
    }
}

static struct sockaddr_in v4(const char *s) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, s, &a.sin_addr);
    return a;
}

static void allow_list(void) {
    struct oscmap_listen l = {0};
    CHECK_EQ(oscmap_net_parse("10.0.0.0/24", &l.allow[l.nallow++]), 0);
    CHECK_EQ(oscmap_net_parse("192.168.1.7", &l.allow[l.nallow++]), 0);
    CHECK_EQ(oscmap_net_parse("fe80::/10", &l.allow[l.nallow++]), 0);
    struct oscmap_net junk;
    CHECK_EQ(oscmap_net_parse("10.0.0.0/", &junk), -1);
    CHECK_EQ(oscmap_net_parse("host.local", &junk), -1);
    CHECK_EQ(oscmap_net_parse("", &junk), -1);
    struct sockaddr_in a = v4("10.0.0.200"), b = v4("10.0.1.1"), c = v4("192.168.1.7"), d = v4("192.168.1.8");
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&a), 1);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&b), 0);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&c), 1);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&d), 0);
    struct sockaddr_in6 m = {.sin6_family = AF_INET6}, ll = {.sin6_family = AF_INET6}, g = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:10.0.0.9", &m.sin6_addr);   /* an IPv4 source on a dual-stack socket */
    inet_pton(AF_INET6, "fe80::1", &ll.sin6_addr);
    inet_pton(AF_INET6, "2001:db8::1", &g.sin6_addr);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&m), 1);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&ll), 1);
    CHECK_EQ(oscmap_is_allowed(&l, (struct sockaddr *)&g), 0);
}

static void scale(void) {
    struct oscmap_map m = {.scale = 1, .in_lo = 0, .in_hi = 1, .out_lo = 0, .out_hi = 100};
    CHECK_NEAR(oscmap_scale(&m, 0.5), 50, 1e-9);
    CHECK_NEAR(oscmap_scale(&m, 2), 100, 1e-9);
    CHECK_NEAR(oscmap_scale(&m, -1), 0, 1e-9);
    CHECK_NEAR(oscmap_scale(&m, NAN), 0, 1e-9);
    m.out_lo = 1, m.out_hi = 0;   /* inverted: a fader that closes as the crowd rises */
    CHECK_NEAR(oscmap_scale(&m, 0.25), 0.75, 1e-9);
    m.in_lo = m.in_hi = 5;
    CHECK_NEAR(oscmap_scale(&m, 7), 1, 1e-9);
    CHECK_NEAR(oscmap_scale(NULL, 7), 7, 0);
}

static void section_rates(void) {
    struct oscmap_rates r = {0};
    int64_t tot[2] = {0, 0};
    for (int64_t t = 0; t <= 3000; t += 40) {   /* A taps 30/s, B nothing, sampled at 25 Hz */
        tot[0] = t * 30 / 1000;
        oscmap_rates_update(&r, 2, tot, t);
    }
    CHECK_NEAR(r.rate[0], 30, 1.5);
    CHECK_NEAR(r.rate[1], 0, 0);
    for (int64_t t = 3040; t <= 4600; t += 40) oscmap_rates_update(&r, 2, tot, t);   /* they stop */
    CHECK_NEAR(r.rate[0], 0, 1e-9);
}

/* A recording emitter. */
struct rec_out { int n; char addr[256][OSC_ADDR_MAX]; char type[256]; double f[256]; int64_t i[256]; char s[256][80]; };

static void record(void *arg, const struct oscmap_out *o) {
    struct rec_out *r = arg;
    if (r->n >= 256) return;
    snprintf(r->addr[r->n], OSC_ADDR_MAX, "%s", o->address);
    r->type[r->n] = o->type;
    r->f[r->n] = o->f;
    r->i[r->n] = o->i;
    snprintf(r->s[r->n], sizeof r->s[0], "%s%s%s", o->s ? o->s : "", o->s2 ? "|" : "", o->s2 ? o->s2 : "");
    r->n++;
}

static int find(const struct rec_out *r, const char *addr) {
    for (int i = r->n - 1; i >= 0; i--)
        if (!strcmp(r->addr[i], addr)) return i;
    return -1;
}

/* The last value sent to addr (NaN, INT64_MIN, "(missing)", 0 when none). */
static double getf(const struct rec_out *r, const char *addr) { int i = find(r, addr); return i < 0 ? NAN : r->f[i]; }
static int64_t geti(const struct rec_out *r, const char *addr) { int i = find(r, addr); return i < 0 ? INT64_MIN : r->i[i]; }
static const char *gets_(const struct rec_out *r, const char *addr) { int i = find(r, addr); return i < 0 ? "(missing)" : r->s[i]; }
static char gett(const struct rec_out *r, const char *addr) { int i = find(r, addr); return i < 0 ? 0 : r->type[i]; }

static struct oscmap_view view_at(int64_t now) {
    struct oscmap_view v = {.now_ms = now, .uptime_s = now / 1000, .nkinds = 2, .kinds = {"heart", "fire"},
                            .nsections = 2, .sections = {"A", "B"}, .played = -1};
    return v;
}

static void frame_values_smoothing_and_mapping(void) {
    struct oscmap_target t = {.prefix = "/chorus", .rate_hz = 25, .smooth_s = 0.25, .groups = (1u << OSCG_COUNT) - 1};
    struct oscmap_map *m = &t.maps[t.nmaps++];
    snprintf(m->key, sizeof m->key, "energy");
    snprintf(m->address, sizeof m->address, "/gma3/Page1/Fader201");
    m->scale = 1, m->in_lo = 0, m->in_hi = 1, m->out_lo = 0, m->out_hi = 100;
    struct oscmap_tstate st = {0};
    struct rec_out *r = calloc(1, sizeof *r);
    struct oscmap_view v = view_at(1000);
    v.energy = 0.8;
    v.audience = 12;
    v.kind_rate[1] = 40;
    v.section_rate[0] = 40;
    v.section_audience[0] = 12;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(gett(r, "/gma3/Page1/Fader201"), 'f');
    CHECK_NEAR(getf(r, "/gma3/Page1/Fader201"), 80, 1e-9);   /* the first frame is the value itself */
    CHECK_EQ(find(r, "/chorus/energy"), -1);   /* mapped away */
    CHECK_NEAR(getf(r, "/chorus/taps/fire"), 40, 1e-9);
    CHECK_NEAR(getf(r, "/chorus/taps"), 40, 1e-9);
    CHECK_NEAR(getf(r, "/chorus/section/A/taps"), 40, 1e-9);
    CHECK_EQ(geti(r, "/chorus/section/A/audience"), 12);
    CHECK_EQ(geti(r, "/chorus/audience"), 12);
    CHECK(find(r, "/chorus/heartbeat") >= 0);
    CHECK(find(r, "/chorus/chant") >= 0);   /* state: sent on the first frame */

    /* 40 ms later the crowd is quiet: one step of the EMA, alpha = 1 - e^(-0.04/0.25). */
    r->n = 0;
    v = view_at(1040);
    oscmap_frame(&st, &t, 1, &v, record, r);
    double alpha = 1 - exp(-0.04 / 0.25);
    CHECK_NEAR(getf(r, "/gma3/Page1/Fader201"), 80 * (1 - alpha), 1e-6);
    CHECK_NEAR(getf(r, "/chorus/taps/fire"), 40 * (1 - alpha), 1e-6);
    CHECK_EQ(find(r, "/chorus/heartbeat"), -1);   /* once a second */
    CHECK_EQ(find(r, "/chorus/chant"), -1);       /* unchanged state waits for the refresh */
    r->n = 0;
    v = view_at(2000);
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK(find(r, "/chorus/heartbeat") >= 0);
    CHECK_EQ(geti(r, "/chorus/heartbeat"), 2);
    free(r);
}

static void frame_poll_winner_marker_chant(void) {
    struct oscmap_target t = {.prefix = "/c", .rate_hz = 25, .smooth_s = 0, .groups = (1u << OSCG_COUNT) - 1};
    struct oscmap_tstate st = {0};
    struct rec_out *r = calloc(1, sizeof *r);
    struct oscmap_view v = view_at(0);
    v.marker_ts = 50, v.marker_label = "Old", v.marker_kind = "note";   /* before the first frame: not replayed */
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(find(r, "/c/marker"), -1);
    CHECK_EQ(find(r, "/c/poll/share/0"), -1);   /* no poll */

    r->n = 0;
    v = view_at(40);
    v.poll_id = 3, v.poll_public = 1, v.nopts = 3, v.poll_voters = 4;
    v.counts[0] = 3, v.counts[2] = 1;
    v.marker_ts = 60, v.marker_label = "Neon Skies", v.marker_kind = "song_start";
    v.chant = "Play it";
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_NEAR(getf(r, "/c/poll/share/0"), 0.75, 1e-9);
    CHECK_NEAR(getf(r, "/c/poll/share/1"), 0, 1e-9);
    CHECK_NEAR(getf(r, "/c/poll/share/2"), 0.25, 1e-9);
    CHECK_EQ(gett(r, "/c/marker"), 'm');
    CHECK_STR(gets_(r, "/c/marker"), "Neon Skies|song_start");
    CHECK_STR(gets_(r, "/c/chant"), "Play it");   /* changed: sent before the refresh */

    r->n = 0;
    v.now_ms = 80;
    v.poll_public = 0;   /* results hidden until revealed: no shares */
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(find(r, "/c/marker"), -1);   /* once */
    CHECK_EQ(find(r, "/c/poll/share/0"), -1);

    r->n = 0;
    v = view_at(120);
    v.closed_id = 3, v.winner = 0, v.winner_votes = 3;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(geti(r, "/c/poll/winner"), 0);
    CHECK_EQ(gett(r, "/c/poll/winner"), 'i');
    CHECK_EQ(geti(r, "/c/poll/winner/votes"), 3);
    CHECK_EQ(geti(r, "/c/poll/played"), -1);   /* the crew has not confirmed it */
    CHECK_STR(gets_(r, "/c/chant"), "");   /* the chant went: an empty text says so */
    r->n = 0;
    v.now_ms = 160;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(find(r, "/c/poll/winner"), -1);   /* again only with the refresh */
    r->n = 0;
    v.now_ms = 200;
    v.played = 2, v.winner = 2, v.winner_votes = 1;   /* "Play it" on the crew's own pick */
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(geti(r, "/c/poll/played"), 2);    /* at once, not at the next refresh */
    CHECK_EQ(geti(r, "/c/poll/winner"), 2);
    free(r);
}

static void frame_gate(void) {
    struct oscmap_target t = {.prefix = "/chorus", .rate_hz = 25, .smooth_s = 1, .groups = (1u << OSCG_COUNT) - 1};
    struct oscmap_tstate st = {0};
    struct rec_out *r = calloc(1, sizeof *r);
    struct oscmap_view v = view_at(0);
    v.energy = 0.2;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(find(r, "/chorus/gate"), -1);   /* open from the start: nothing to say */
    r->n = 0;
    v.now_ms = 40;
    CHECK_EQ(oscmap_frame(&st, &t, 0, &v, record, r), 1);
    CHECK_EQ(r->n, 1);
    CHECK_STR(r->addr[0], "/chorus/gate");
    CHECK_EQ(r->i[0], 0);
    r->n = 0;
    v.now_ms = 80;
    CHECK_EQ(oscmap_frame(&st, &t, 0, &v, record, r), 0);   /* closed: silence */
    r->n = 0;
    v.now_ms = 5000;
    v.energy = 0.9;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_STR(r->addr[0], "/chorus/gate");
    CHECK_EQ(r->i[0], 1);
    CHECK_NEAR(getf(r, "/chorus/energy"), 0.9, 1e-9);   /* reopened: no glide from the old value */

    struct oscmap_tstate st2 = {0};
    r->n = 0;
    CHECK_EQ(oscmap_frame(&st2, &t, 0, &v, record, r), 1);   /* closed from the start: says so once */
    CHECK_EQ(oscmap_frame(&st2, &t, 0, &v, record, r), 0);
    free(r);
}

static void frame_values_filter(void) {
    struct oscmap_target t = {.prefix = "/chorus", .rate_hz = 25, .groups = 1u << OSCG_ENERGY};
    struct oscmap_tstate st = {0};
    struct rec_out *r = calloc(1, sizeof *r);
    struct oscmap_view v = view_at(0);
    v.marker_ts = 1;
    oscmap_frame(&st, &t, 1, &v, record, r);
    CHECK_EQ(r->n, 1);
    CHECK_STR(r->addr[0], "/chorus/energy");
    free(r);
}

int main(void) {
    TEST(conf_defaults_and_mappings);
    TEST(conf_errors_name_the_field);
    TEST(allow_list);
    TEST(scale);
    TEST(section_rates);
    TEST(frame_values_smoothing_and_mapping);
    TEST(frame_poll_winner_marker_chant);
    TEST(frame_gate);
    TEST(frame_values_filter);
    return T_DONE();
}
