/* lcrowd.c -- the crowd of one chorus-load process: lws clients on libevent.
 *
 * Owns every connection of the process (struct dev, one per audience
 * device, screen, crew member or probe), the lws context, and the one
 * libevent timer that drives everything: every 10 ms it starts paced
 * connects and visits one of 25 slots of devices, so each device is looked
 * at every 250 ms (its reaction batch, a due vote, a chant) without a timer
 * per device.
 *
 * Frames are built by lcodec (masked, whole) and queued in the device's
 * fixed out buffer; they go to lws as LWS_WRITE_RAW from the writeable
 * callback, several frames in one write. A frame that does not fit the
 * queue is dropped and counted (tx_overflow): memory never grows with load.
 *
 * Device states (dev_set_state checks the transitions):
 *   IDLE -> CONNECTING -> HELLO -> READY -> CLOSED
 *   CONNECTING/HELLO -> FAILED; READY -> DOWN (storm) -> CONNECTING.
 *
 * Signal-to-screen latency: the probe (an audience device) sends reactions
 * of a kind no one else sends, one tap each, at Poisson times; probe i makes
 * the kind's cumulative total base + i + 1, so a screen credits probe i in
 * the first snap whose total reaches that. */
#include "lcrowd.h"
#include "lcodec.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <libwebsockets.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OUTCAP 512
#define NSLOTS 25
#define TICK_MS 10
#define FLOOD_CHUNK 16000

enum dev_role { ROLE_AUDIENCE, ROLE_SCREEN, ROLE_CREW, ROLE_PROBE };
enum dev_state { DS_IDLE, DS_CONNECTING, DS_HELLO, DS_READY, DS_CLOSED, DS_FAILED, DS_DOWN };
enum phase { PH_CONNECT, PH_MEASURE, PH_DONE };

struct dev {
    struct lws *wsi;
    struct crowd *cr;
    uint32_t gidx;               /* global device index (source address) */
    uint8_t role, state, flood, storm;
    int close_code;
    int64_t device_id;
    char *token;
    uint16_t outlen;
    uint8_t out[OUTCAP];
    uint8_t *rx;                 /* reassembly of fragmented messages */
    uint32_t rxlen, rxcap;
    /* votes */
    int64_t vote_poll;           /* poll to vote in, -1 none */
    int64_t vote_at_ms;          /* when, -1 not scheduled */
    int vote_opt, changes_left;
    int64_t vote_id;             /* id of the vote in flight, -1 none */
    int64_t vote_sent_us;
    int64_t vrec;                /* index in crowd.votes for vote_poll, -1 */
    int64_t vrec_poll;
    /* screens: probes credited so far; -1 until the base total is known */
    int64_t probe_seen;
    int64_t last_snap_us;
    int64_t conn_us;             /* when the current connect / hello began */
    int64_t reconnect_at_ms;
};

struct crowd {
    const struct lcrowd_cfg *cfg;
    const struct lopts *o;
    struct lstats_run *r;
    struct event_base *base;
    struct event *tick;
    struct lws_context *ctx;
    struct lcodec_dec dec;
    struct dev *devs;
    int ndevs, naud_first;       /* audience devices are devs[naud_first..] */
    struct dev *crew, *probe;
    int nscreens;
    enum phase phase;
    int64_t t0_ms, measure_start_ms, measure_end_ms;
    int connected_sent, go;
    struct event *go_ev;
    /* connect pacing */
    double budget;
    int next_connect;
    int pending;
    int64_t last_tick_ms;
    int64_t last_slot;
    /* rng */
    uint64_t rng;
    double poisson_l;            /* e^-lambda for one 250 ms batch */
    /* crew */
    int polls_sent;
    int64_t crew_req_id, crew_open_req;
    int64_t open_poll, close_poll_at_ms;
    /* probe */
    int64_t probe_base;          /* cumulative total before the first probe */
    int64_t *probe_us;
    int64_t nprobe, probe_cap;
    int64_t next_probe_ms;
    /* storm */
    int storm_started;
    int64_t storm_ms;
    uint32_t *storm_order;
    int nstorm, storm_next;
    /* votes */
    struct lstats_vote *votes;
    size_t nvotes, votes_cap;
    int64_t next_id;
    char src[LOPTS_MAX_SRC][20];
    uint8_t *flood_buf;
    int flood_len, flood_frames;
};

static const char *const chants[] = {
    "ENCORE", "one more song", "we love you", "louder!", "CHORUS", "olé olé olé"
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void) { return now_us() / 1000; }

static uint64_t rnd(struct crowd *c)
{
    uint64_t x = c->rng;               /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double rnd01(struct crowd *c) { return (double)(rnd(c) >> 11) / 9007199254740992.0; }

static int poisson(struct crowd *c)
{
    int k = 0;
    double p = rnd01(c);
    while (p > c->poisson_l && k < 1000) {
        k++;
        p *= rnd01(c);
    }
    return k;
}


/* The one place a device changes state; a transition not in the table is a
 * bug in this file. */
static void dev_set_state(struct dev *d, enum dev_state to)
{
    static const uint8_t ok[7] = {
        [DS_IDLE] = 1 << DS_CONNECTING,
        [DS_CONNECTING] = 1 << DS_HELLO | 1 << DS_FAILED | 1 << DS_DOWN,
        [DS_HELLO] = 1 << DS_READY | 1 << DS_FAILED | 1 << DS_DOWN | 1 << DS_CLOSED,
        [DS_READY] = 1 << DS_CLOSED | 1 << DS_DOWN,
        [DS_CLOSED] = 0,
        [DS_FAILED] = 0,
        [DS_DOWN] = 1 << DS_CONNECTING | 1 << DS_FAILED,
    };
    if (!(ok[d->state] & (1 << to)))
        lwsl_err("chorus-load: device state %d -> %d\n", d->state, to);
    d->state = (uint8_t)to;
}

/* Queue a frame built by fn; counts and drops it when the queue is full. */
static int dev_queue(struct dev *d, const uint8_t *frame, int n)
{
    if (n < 0 || d->outlen + n > OUTCAP) {
        d->cr->r->tx_overflow++;
        return -1;
    }
    memcpy(d->out + d->outlen, frame, (size_t)n);
    d->outlen = (uint16_t)(d->outlen + n);
    if (d->wsi)
        lws_callback_on_writable(d->wsi);
    return 0;
}

static uint32_t mask_of(struct crowd *c) { return (uint32_t)rnd(c); }

static void dev_send_hello(struct crowd *c, struct dev *d)
{
    uint8_t f[LCODEC_MAX_FRAME];
    const struct lopts *o = c->o;
    int n;
    switch (d->role) {
    case ROLE_SCREEN:
        n = lcodec_hello(f, sizeof f, mask_of(c), "screen", o->event_code, o->key_screen, NULL, NULL);
        break;
    case ROLE_CREW:
        n = lcodec_hello(f, sizeof f, mask_of(c), "crew", o->event_code, o->key_crew, NULL, NULL);
        break;
    default:
        n = lcodec_hello(f, sizeof f, mask_of(c), "audience", o->event_code, NULL, d->token,
                         o->nsections ? o->sections[d->gidx % (uint32_t)o->nsections] : NULL);
    }
    dev_queue(d, f, n);
}

/* No ws validity (ping) timer per connection: lws keeps those timers in one
 * sorted list and inserts each new one by walking it, so with thousands of
 * connections every connect costs O(connections). The hub pings nobody and
 * the load ends by itself. */
static const lws_retry_bo_t no_validity = { 0 };

static void dev_connect(struct crowd *c, struct dev *d)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->ctx;
    i.address = c->o->host;
    i.port = c->o->port;
    i.path = c->o->path;
    i.host = c->o->host;
    i.origin = NULL;           /* a native client: no Origin header (the hub checks browsers' Origin) */
    i.protocol = "chorus.v1";
    i.iface = c->src[d->gidx % (uint32_t)c->o->nsrc];
    i.opaque_user_data = d;
    i.pwsi = &d->wsi;
    i.retry_and_idle_policy = &no_validity;
    dev_set_state(d, DS_CONNECTING);
    d->close_code = 0;
    d->outlen = 0;
    d->rxlen = 0;
    c->r->attempted++;
    c->pending++;
    d->conn_us = now_us();
    if (!lws_client_connect_via_info(&i) && d->state == DS_CONNECTING) {
        d->wsi = NULL;
        c->pending--;
        c->r->failed++;
        if (d->storm)
            c->r->storm_failed++;
        dev_set_state(d, DS_FAILED);
    }
}

/* --- votes ------------------------------------------------------------ */

static struct lstats_vote *vote_rec(struct crowd *c, struct dev *d, int64_t poll)
{
    if (d->vrec < 0 || d->vrec_poll != poll) {
        if (c->nvotes == c->votes_cap) {
            size_t cap = c->votes_cap ? c->votes_cap * 2 : 1024;
            struct lstats_vote *v = realloc(c->votes, cap * sizeof *v);
            if (!v)
                return NULL;
            c->votes = v;
            c->votes_cap = cap;
        }
        struct lstats_vote *v = &c->votes[c->nvotes];
        v->poll = poll;
        v->device = d->device_id;
        v->option = -1;
        v->later = 0;
        d->vrec = (int64_t)c->nvotes++;
        d->vrec_poll = poll;
    }
    return &c->votes[d->vrec];
}

static void dev_vote(struct crowd *c, struct dev *d, int64_t t_ms)
{
    uint8_t f[128];
    struct lstats_vote *v = vote_rec(c, d, d->vote_poll);
    d->vote_at_ms = -1;
    d->vote_id = c->next_id++;
    d->vote_sent_us = now_us();
    if (v)
        v->later |= (uint16_t)(1u << d->vote_opt);
    int n = lcodec_vote(f, sizeof f, mask_of(c), d->vote_id, d->vote_poll, d->vote_opt);
    if (dev_queue(d, f, n) == 0)
        c->r->sent_vote++;
    else
        d->vote_id = -1;
    (void)t_ms;
}

/* A poll opened: most devices vote within vote_within seconds. */
static void dev_poll_opened(struct crowd *c, struct dev *d, int64_t poll, int noptions, int64_t t_ms)
{
    if (d->role != ROLE_AUDIENCE || noptions < 1)
        return;
    d->vote_poll = poll;
    d->vote_at_ms = -1;
    if (rnd01(c) >= c->o->vote_share)
        return;
    d->vote_at_ms = t_ms + (int64_t)(rnd01(c) * c->o->vote_within * 1000);
    d->vote_opt = (int)(rnd(c) % (uint64_t)noptions);
    d->changes_left = c->o->allow_change && rnd01(c) < 0.2;
}

/* --- receiving --------------------------------------------------------- */

static void on_ack(struct crowd *c, struct dev *d, const struct lcodec_msg *m)
{
    if (m->ok)
        c->r->acked_ok++;
    else
        c->r->rejected[lstats_code_index(m->code)]++;
    if (d->role == ROLE_CREW) {
        if (m->id == c->crew_open_req) {
            c->crew_open_req = -1;
            if (m->ok && m->poll >= 0) {
                c->open_poll = m->poll;
                c->r->polls_opened++;
            }
        }
        return;
    }
    if (m->id < 0 || m->id != d->vote_id)
        return;
    int64_t lat = now_us() - d->vote_sent_us;
    d->vote_id = -1;
    lstats_hist_add(&c->r->vote_ack, (uint64_t)lat);
    if (!m->ok)
        return;
    c->r->acked_vote_ok++;
    struct lstats_vote *v = vote_rec(c, d, d->vote_poll);
    if (v) {
        v->option = (int16_t)(m->option >= 0 ? m->option : d->vote_opt);
        v->later = 0;
    }
    if (d->changes_left > 0 && c->phase == PH_MEASURE) {
        d->changes_left--;
        d->vote_opt = (d->vote_opt + 1) % c->o->poll_options;
        d->vote_at_ms = now_ms() + (int64_t)(rnd01(c) * c->o->vote_within * 1000);
    }
}

static void on_welcome(struct crowd *c, struct dev *d, const struct lcodec_msg *m)
{
    int64_t t = now_ms();
    if (d->state != DS_HELLO)
        return;
    dev_set_state(d, DS_READY);
    c->r->welcomed++;
    lstats_hist_add(&c->r->hello, (uint64_t)(now_us() - d->conn_us));
    if (d->role != ROLE_AUDIENCE && d->role != ROLE_PROBE)
        return;
    if (d->storm) {
        if (m->device == d->device_id)
            c->r->storm_back++;
        else
            c->r->storm_new_device++;
        /* the vote this device had acked must still be its vote */
        if (d->vrec >= 0 && m->poll == d->vrec_poll && m->poll_open) {
            const struct lstats_vote *v = &c->votes[d->vrec];
            if (v->option >= 0 && m->voted != v->option &&
                !(m->voted >= 0 && (v->later & (1u << m->voted))))
                c->r->storm_vote_lost++;
        }
        if (c->r->storm_back + c->r->storm_new_device == c->r->storm_dropped)
            c->r->storm_all_back_s = (double)(t - c->storm_ms) / 1000.0;
    } else {
        if (m->poll >= 0 && m->poll_open && m->voted < 0 && c->phase == PH_MEASURE)
            dev_poll_opened(c, d, m->poll, m->noptions, t);
    }
    d->device_id = m->device;
    if (*m->token && (!d->token || strcmp(d->token, m->token))) {
        free(d->token);
        d->token = strdup(m->token);
    }
    if (d->flood && d->wsi) {
        int sz = 128 * 1024;
        setsockopt(lws_get_socket_fd(d->wsi), SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        lws_callback_on_writable(d->wsi);
    }
}

static void on_snap(struct crowd *c, struct dev *d, const struct lcodec_msg *m)
{
    if (c->phase == PH_MEASURE) {
        c->r->snaps++;
        if (d->role == ROLE_SCREEN)
            c->r->screen_snaps++;
    }
    if (d->role != ROLE_SCREEN)
        return;
    int64_t t = now_us();
    if (c->phase == PH_MEASURE && d->last_snap_us)
        lstats_hist_add(&c->r->snap_gap, (uint64_t)(t - d->last_snap_us));
    d->last_snap_us = t;
    if (!c->probe)
        return;
    if (d->probe_seen < 0) {
        if (c->nprobe == 0) {
            c->probe_base = m->kind_total;
            d->probe_seen = 0;
        }
        return;
    }
    while (d->probe_seen < c->nprobe && c->probe_base + d->probe_seen + 1 <= m->kind_total) {
        lstats_hist_add(&c->r->probe, (uint64_t)(t - c->probe_us[d->probe_seen]));
        d->probe_seen++;
    }
}

static void on_message(struct crowd *c, struct dev *d, const uint8_t *buf, size_t len)
{
    struct lcodec_msg m;
    if (lcodec_decode(&c->dec, buf, len, c->probe ? c->o->probe_kind : NULL, &m))
        return;
    switch (m.type) {
    case LM_SNAP:
        on_snap(c, d, &m);
        break;
    case LM_ACK:
        on_ack(c, d, &m);
        break;
    case LM_WELCOME:
        on_welcome(c, d, &m);
        break;
    case LM_POLL:
        if (m.poll_open && c->phase == PH_MEASURE)
            dev_poll_opened(c, d, m.poll, m.noptions, now_ms());
        else if (!m.poll_open && d->vote_poll == m.poll)
            d->vote_at_ms = -1;
        break;
    case LM_HEALTH:
        if (c->phase == PH_MEASURE) {
            struct lstats_run *r = c->r;
            if (m.signals_total >= 0) {
                if (!r->health_n) {
                    r->sig_total_first = m.signals_total;
                    r->sig_first_ms = m.now;
                }
                r->sig_total_last = m.signals_total;
                r->sig_last_ms = m.now;
            }
            r->health_n++;
            r->sig_per_s_sum += m.signals_per_s;
            if (m.signals_per_s > r->sig_per_s_max)
                r->sig_per_s_max = m.signals_per_s;
            if (m.votes_per_s > r->votes_per_s_max)
                r->votes_per_s_max = m.votes_per_s;
            r->dropped_slow = m.dropped_slow;
            r->store_dropped = m.store_dropped;
            r->store_failed = m.store_failed;
            if (m.store_queue_max > r->store_queue_max)
                r->store_queue_max = m.store_queue_max;
        }
        break;
    case LM_ERROR:
        c->r->rejected[lstats_code_index(m.code)]++;
        if (d->state == DS_HELLO) {
            c->r->hello_rejected++;
            lwsl_err("chorus-load: hello refused: %s\n", m.code);
        }
        break;
    default:
        break;
    }
}

/* --- lws glue ----------------------------------------------------------- */

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
              void *in, size_t len)
{
    struct dev *d = lws_get_opaque_user_data(wsi);
    struct crowd *c = d ? d->cr : NULL;
    (void)user;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (!d)
            break;
        if (d->state == DS_CONNECTING || d->state == DS_HELLO) {
            c->pending -= d->state == DS_CONNECTING;
            c->r->failed++;
            if (d->storm)
                c->r->storm_failed++;
            if (c->r->failed <= 3)
                lwsl_err("chorus-load: connect failed: %s\n",
                         in ? (const char *)in : "(no reason)");
            dev_set_state(d, DS_FAILED);
        }
        d->wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!d)
            break;
        c->pending--;
        c->r->established++;
        {
            int64_t t = now_us();
            lstats_hist_add(&c->r->connect, (uint64_t)(t - d->conn_us));
            d->conn_us = t;
        }
        dev_set_state(d, DS_HELLO);
        dev_send_hello(c, d);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (!d)
            break;
        int whole = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
        if (whole && !d->rxlen) {
            on_message(c, d, in, len);
            break;
        }
        if (d->rxlen + len > d->rxcap) {
            uint32_t cap = d->rxcap ? d->rxcap : 4096;
            while (cap < d->rxlen + len)
                cap *= 2;
            if (cap > (1u << 22))
                return -1;               /* a hub message over 4 MiB: give up */
            uint8_t *p = realloc(d->rx, cap);
            if (!p)
                return -1;
            d->rx = p;
            d->rxcap = cap;
        }
        memcpy(d->rx + d->rxlen, in, len);
        d->rxlen += (uint32_t)len;
        if (whole) {
            on_message(c, d, d->rx, d->rxlen);
            d->rxlen = 0;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!d)
            break;
        uint8_t *buf = d->out;
        size_t n = d->outlen;
        uint8_t big[OUTCAP + FLOOD_CHUNK];
        int flood = d->flood && d->state == DS_READY && c->phase == PH_MEASURE;
        if (flood) {
            memcpy(big, d->out, n);
            memcpy(big + n, c->flood_buf, (size_t)c->flood_len);
            buf = big;
            n += (size_t)c->flood_len;
        }
        if (!n)
            break;
        if (lws_write(wsi, buf, n, LWS_WRITE_RAW) < 0)
            return -1;
        d->outlen = 0;
        if (flood) {
            c->r->sent_react += (uint64_t)c->flood_frames;
            c->r->sent_taps += (uint64_t)c->flood_frames;
            lws_callback_on_writable(wsi);
        }
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (d && len >= 2)
            d->close_code = ((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1];
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!d)
            break;
        d->wsi = NULL;
        if (d->state == DS_DOWN || c->phase == PH_DONE)
            break;
        if (d->state == DS_HELLO) {
            c->r->failed++;
            if (d->storm)
                c->r->storm_failed++;
            dev_set_state(d, DS_FAILED);
            break;
        }
        if (d->state == DS_READY) {
            if (d->close_code)
                c->r->closed_by_hub[lstats_close_index(d->close_code)]++;
            else
                c->r->dropped_unexpected++;
            if (d->vote_id >= 0)
                c->r->votes_unacked++;
            d->vote_id = -1;
            dev_set_state(d, DS_CLOSED);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "chorus.v1", cb, 0, 4096, 0, NULL, FLOOD_CHUNK + OUTCAP },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* --- the tick ------------------------------------------------------------ */

static void crew_tick(struct crowd *c, int64_t t)
{
    const struct lopts *o = c->o;
    struct dev *d = c->crew;
    uint8_t f[LCODEC_MAX_FRAME];
    if (!d || d->state != DS_READY || c->phase != PH_MEASURE)
        return;
    if (c->open_poll >= 0 && t >= c->close_poll_at_ms) {
        if (dev_queue(d, f, lcodec_poll_close(f, sizeof f, mask_of(c), c->crew_req_id++,
                                             c->open_poll)) == 0)
            c->r->sent_crew++;
        c->open_poll = -1;
    }
    int64_t due = c->measure_start_ms +
                  (int64_t)((o->poll_at + o->poll_every * c->polls_sent) * 1000);
    if (c->polls_sent < o->polls && c->crew_open_req < 0 && c->open_poll < 0 && t >= due) {
        static const char *const opts[LCODEC_MAX_OPTIONS] = { "Red", "Blue", "Green",
            "Gold", "Silver", "Black", "White", "Pink", "Orange", "Teal", "Violet", "Grey" };
        char q[64];
        snprintf(q, sizeof q, "Load poll %d?", c->polls_sent + 1);
        c->crew_open_req = c->crew_req_id++;
        if (dev_queue(d, f, lcodec_poll_open(f, sizeof f, mask_of(c), c->crew_open_req, q, opts,
                                            o->poll_options, o->allow_change)) == 0)
            c->r->sent_crew++;
        c->polls_sent++;
        c->close_poll_at_ms = t + (int64_t)(o->poll_len * 1000);
    }
}

static void probe_tick(struct crowd *c, int64_t t)
{
    struct dev *d = c->probe;
    uint8_t f[128];
    if (!d || d->state != DS_READY || c->phase != PH_MEASURE ||
        t >= c->measure_end_ms - 1000 || t < c->next_probe_ms)
        return;
    for (int i = 0; i < c->ndevs; i++)   /* wait until every screen has its base */
        if (c->devs[i].role == ROLE_SCREEN && c->devs[i].state == DS_READY &&
            c->devs[i].probe_seen < 0)
            return;
    c->next_probe_ms = t + (int64_t)(-log(1 - rnd01(c)) / c->o->probe_rate * 1000);
    if (c->nprobe == c->probe_cap)
        return;
    if (dev_queue(d, f, lcodec_react(f, sizeof f, mask_of(c), c->o->probe_kind, 1)) == 0) {
        c->probe_us[c->nprobe++] = now_us();
        c->r->probes_sent++;
    }
}

/* One device's 250 ms visit. */
static void dev_visit(struct crowd *c, struct dev *d, int64_t t)
{
    const struct lopts *o = c->o;
    uint8_t f[LCODEC_MAX_FRAME];
    if (d->state != DS_READY || d->role != ROLE_AUDIENCE)
        return;
    if (o->react_rate > 0) {
        int n = poisson(c);
        while (n > 0) {
            int k = n > 50 ? 50 : n;
            const char *kind = o->reactions[rnd(c) % (uint64_t)o->nreactions];
            if (dev_queue(d, f, lcodec_react(f, sizeof f, mask_of(c), kind, k)) == 0) {
                c->r->sent_react++;
                c->r->sent_taps += (uint64_t)k;
            }
            n -= k;
        }
    }
    if (d->vote_at_ms >= 0 && t >= d->vote_at_ms && d->vote_id < 0)
        dev_vote(c, d, t);
    if (o->chant_rate > 0 && rnd01(c) < o->chant_rate * NSLOTS * TICK_MS / 1000.0) {
        const char *text = chants[rnd(c) % (sizeof chants / sizeof *chants)];
        if (dev_queue(d, f, lcodec_chant(f, sizeof f, mask_of(c), c->next_id++, text)) == 0)
            c->r->sent_chant++;
    }
}

static int storm_cmp(const void *a, const void *b, void *arg)
{
    const struct crowd *c = arg;
    int64_t x = c->devs[*(const uint32_t *)a].reconnect_at_ms;
    int64_t y = c->devs[*(const uint32_t *)b].reconnect_at_ms;
    return x < y ? -1 : x > y;
}

static void storm_begin(struct crowd *c, int64_t t)
{
    c->storm_started = 1;
    c->storm_ms = t;
    c->storm_order = malloc(sizeof *c->storm_order * (size_t)(c->ndevs + 1));
    if (!c->storm_order)
        return;
    for (int i = c->naud_first; i < c->ndevs; i++) {
        struct dev *d = &c->devs[i];
        if (d->state != DS_READY || !d->wsi)
            continue;
        if (d->vote_id >= 0)
            c->r->votes_unacked++;
        d->vote_id = -1;
        d->vote_at_ms = -1;
        d->storm = 1;
        d->reconnect_at_ms = t + (int64_t)(rnd01(c) * c->o->storm_window * 1000);
        dev_set_state(d, DS_DOWN);
        /* a dropped network, not a goodbye: no close frame */
        shutdown(lws_get_socket_fd(d->wsi), SHUT_RDWR);
        lws_callback_on_writable(d->wsi);
        c->storm_order[c->nstorm++] = (uint32_t)i;
        c->r->storm_dropped++;
    }
    qsort_r(c->storm_order, (size_t)c->nstorm, sizeof *c->storm_order, storm_cmp, c);
}

static void storm_tick(struct crowd *c, int64_t t)
{
    while (c->storm_next < c->nstorm && c->pending < c->o->max_pending) {
        struct dev *d = &c->devs[c->storm_order[c->storm_next]];
        if (d->reconnect_at_ms > t || d->wsi)
            break;
        c->storm_next++;
        dev_connect(c, d);
    }
}

static void finish(struct crowd *c)
{
    c->phase = PH_DONE;
    c->r->measure_s = (double)(now_ms() - c->measure_start_ms) / 1000.0;
    for (int i = 0; i < c->ndevs; i++) {
        struct dev *d = &c->devs[i];
        if (d->vote_id >= 0)
            c->r->votes_unacked++;
        if (d->role == ROLE_SCREEN && d->state == DS_READY && c->probe)
            c->r->probe_samples_missing += (uint64_t)(c->nprobe - (d->probe_seen < 0 ? 0 : d->probe_seen));
    }
    if (c->cfg->phase)
        c->cfg->phase('D', c->cfg->arg);
    event_base_loopbreak(c->base);
}

static void on_go(evutil_socket_t fd, short ev, void *arg)
{
    struct crowd *c = arg;
    char b;
    (void)ev;
    if (read(fd, &b, 1) <= 0 || b == 'G')
        c->go = 1;                     /* a parent gone also means go (and end) */
    event_del(c->go_ev);
}

static void on_tick(evutil_socket_t fd, short ev, void *arg)
{
    struct crowd *c = arg;
    const struct lopts *o = c->o;
    int64_t t = now_ms();
    (void)fd;
    (void)ev;

    /* paced connects of the first connection of each device */
    double dt = (double)(t - c->last_tick_ms) / 1000.0;
    c->last_tick_ms = t;
    c->budget += dt * c->cfg->connect_rate;
    if (c->budget > c->cfg->connect_rate * 0.05 + 1)
        c->budget = c->cfg->connect_rate * 0.05 + 1;     /* no burst after a stall */
    while (c->next_connect < c->ndevs && c->budget >= 1 && c->pending < o->max_pending) {
        c->budget -= 1;
        dev_connect(c, &c->devs[c->next_connect++]);
    }

    if (c->phase == PH_CONNECT) {
        uint64_t settled = c->r->welcomed + c->r->failed;
        int timeout = t - c->t0_ms > (int64_t)(o->connect_timeout * 1000);
        if (!c->connected_sent &&
            ((c->next_connect == c->ndevs && settled >= (uint64_t)c->ndevs) || timeout)) {
            c->connected_sent = 1;
            c->r->connect_s = (double)(t - c->t0_ms) / 1000.0;
            c->r->connected = c->r->welcomed;
            if (!o->quiet)
                fprintf(stderr, "chorus-load[%d]: %llu/%d connected in %.1f s%s\n",
                        c->cfg->proc, (unsigned long long)c->r->welcomed, c->ndevs,
                        c->r->connect_s, timeout ? " (connect timeout)" : "");
            if (c->cfg->phase)
                c->cfg->phase('C', c->cfg->arg);
        }
        if (c->connected_sent && (c->go || c->cfg->go_fd < 0)) {
            c->phase = PH_MEASURE;
            c->measure_start_ms = t;
            c->measure_end_ms = t + (int64_t)(o->duration * 1000);
            c->next_probe_ms = t + 500;
            c->last_slot = t / TICK_MS;
            for (int i = 0; i < c->ndevs; i++)
                if (c->devs[i].flood && c->devs[i].wsi)
                    lws_callback_on_writable(c->devs[i].wsi);
        }
        return;
    }
    if (c->phase != PH_MEASURE)
        return;
    if (t >= c->measure_end_ms) {
        finish(c);
        return;
    }
    crew_tick(c, t);
    probe_tick(c, t);
    if (o->storm_at >= 0 && !c->storm_started &&
        t >= c->measure_start_ms + (int64_t)(o->storm_at * 1000))
        storm_begin(c, t);
    if (c->storm_started)
        storm_tick(c, t);
    int64_t slot = t / TICK_MS;
    if (slot - c->last_slot > NSLOTS)
        c->last_slot = slot - NSLOTS;
    for (; c->last_slot < slot; c->last_slot++) {
        int s = (int)((c->last_slot + 1) % NSLOTS);
        for (int i = c->naud_first + s; i < c->ndevs; i += NSLOTS)
            dev_visit(c, &c->devs[i], t);
    }
}

/* --- setup ------------------------------------------------------------ */

static int build_flood(struct crowd *c)
{
    uint8_t f[128];
    c->flood_buf = malloc(FLOOD_CHUNK);
    if (!c->flood_buf)
        return -1;
    for (;;) {
        const char *kind = c->o->reactions[c->flood_frames % c->o->nreactions];
        int n = lcodec_react(f, sizeof f, mask_of(c), kind, 1);
        if (n < 0 || c->flood_len + n > FLOOD_CHUNK)
            break;
        memcpy(c->flood_buf + c->flood_len, f, (size_t)n);
        c->flood_len += n;
        c->flood_frames++;
    }
    return 0;
}

int lcrowd_run(const struct lcrowd_cfg *cfg, struct lstats_run *r,
               struct lstats_vote **votes, size_t *nvotes)
{
    const struct lopts *o = cfg->o;
    struct crowd c;
    int rc = -1;

    memset(&c, 0, sizeof c);
    *votes = NULL;
    *nvotes = 0;
    c.cfg = cfg;
    c.o = o;
    c.r = r;
    c.rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)cfg->proc << 32) ^ (uint64_t)now_us();
    c.poisson_l = exp(-(o->react_rate > 0 ? o->react_rate : 0) * NSLOTS * TICK_MS / 1000.0);
    c.open_poll = -1;
    c.crew_open_req = -1;
    c.crew_req_id = 1;
    c.next_id = 1000000;
    lcodec_dec_init(&c.dec);
    for (int i = 0; i < o->nsrc; i++) {
        struct in_addr a = { htonl(o->src_base + (uint32_t)i) };
        inet_ntop(AF_INET, &a, c.src[i], sizeof c.src[i]);
    }

    int extra = cfg->proc == 0 ? o->screens + (*o->key_crew != 0) +
                                 (o->probe_rate > 0 && o->screens > 0) : 0;
    c.ndevs = cfg->ndevices + extra;
    c.devs = calloc((size_t)c.ndevs + 1, sizeof *c.devs);
    if (!c.devs)
        goto out;
    for (int i = 0; i < c.ndevs; i++) {
        struct dev *d = &c.devs[i];
        d->cr = &c;
        d->vote_poll = -1;
        d->vote_at_ms = -1;
        d->vote_id = -1;
        d->vrec = -1;
        d->probe_seen = -1;
        d->gidx = (uint32_t)(cfg->first_device + i);
        if (i < o->screens && cfg->proc == 0) {
            d->role = ROLE_SCREEN;
            c.nscreens++;
        } else if (cfg->proc == 0 && i == o->screens && *o->key_crew) {
            d->role = ROLE_CREW;
            c.crew = d;
        } else if (cfg->proc == 0 && i < extra) {
            d->role = ROLE_PROBE;
            c.probe = d;
        } else {
            d->role = ROLE_AUDIENCE;
            d->flood = o->react_rate < 0;
        }
    }
    c.naud_first = extra;
    if (c.probe) {
        c.probe_cap = (int64_t)(o->probe_rate * o->duration * 2) + 1000;
        c.probe_us = calloc((size_t)c.probe_cap, sizeof *c.probe_us);
        if (!c.probe_us)
            goto out;
    }
    if (o->react_rate < 0 && build_flood(&c))
        goto out;

    c.base = event_base_new();
    if (!c.base)
        goto out;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEVENT;
    void *loops[] = { c.base };
    info.foreign_loops = loops;
    info.connect_timeout_secs = 20;
    lws_set_log_level(LLL_ERR, NULL);
    c.ctx = lws_create_context(&info);
    if (!c.ctx) {
        fprintf(stderr, "chorus-load: lws_create_context failed\n");
        goto out;
    }
    c.tick = event_new(c.base, -1, EV_PERSIST, on_tick, &c);
    struct timeval tv = { 0, TICK_MS * 1000 };
    if (!c.tick || event_add(c.tick, &tv))
        goto out;
    if (cfg->go_fd >= 0) {
        c.go_ev = event_new(c.base, cfg->go_fd, EV_READ | EV_PERSIST, on_go, &c);
        if (!c.go_ev || event_add(c.go_ev, NULL))
            goto out;
    }
    c.t0_ms = c.last_tick_ms = now_ms();
    /* screens, crew and probe first: they are few and must see everything */
    for (int i = 0; i < extra; i++)
        dev_connect(&c, &c.devs[c.next_connect++]);
    event_base_dispatch(c.base);
    if (c.phase != PH_DONE)
        finish(&c);
    *votes = c.votes;
    *nvotes = c.nvotes;
    c.votes = NULL;
    rc = 0;
out:
    /* The process exits right after this: connections are left to the
     * kernel to close, which the hub sees as clients going away at once. */
    free(c.votes);
    free(c.probe_us);
    free(c.storm_order);
    free(c.flood_buf);
    if (c.go_ev)
        event_free(c.go_ev);
    lcodec_dec_free(&c.dec);
    return rc;
}
