/* oscmap.h -- the hub's OSC vocabulary, pure: the event file's `osc`
 * section (targets, value mappings, the listener and its allow-list), the
 * values a target is sent each frame (normalized, smoothed, mapped), the
 * source check for OSC in, and the crew's `osc` status message.
 *
 * No sockets, no clocks, no liblo: hub/io/osc.c does the I/O and calls in
 * with a read-only view of the show (filled by the server) and the time.
 * docs/osc.md is the specification of every address. */
#ifndef CHORUS_OSCMAP_H
#define CHORUS_OSCMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "util.h"
#include "wire.h"

#define OSC_TARGETS_MAX    8
#define OSC_MAPS_MAX       32     /* mappings per target */
#define OSC_ALLOW_MAX      16     /* allow-list entries of the listener */
#define OSC_ADDR_MAX       128    /* an OSC address, with its NUL */
#define OSC_PREFIX_MAX     64     /* a target's prefix, with its NUL */
#define OSC_RATE_DEFAULT   25.0   /* frames per second to a target */
#define OSC_RATE_MAX       100.0
#define OSC_SMOOTH_DEFAULT 0.25   /* s: time constant of the smoothing */
#define OSC_REFRESH_MS     1000   /* state values are re-sent this often (UDP loses packets) */
#define OSC_KINDS_MAX      16     /* = EVENT_MAX_REACTIONS (checked in event.c) */
#define OSC_SECTIONS_MAX   64     /* = EVENT_MAX_SECTIONS */
#define OSC_IN_RATE        20.0   /* accepted OSC-in messages per second (default) */
#define OSC_IN_BURST       40.0

/* The groups of values a target can ask for (`values` in the event file). */
enum oscmap_group {
    OSCG_ENERGY, OSCG_TAPS, OSCG_SECTIONS, OSCG_AUDIENCE, OSCG_POLL, OSCG_WINNER, OSCG_CHANT, OSCG_MARKER,
    OSCG_HEARTBEAT, OSCG_COUNT
};
extern const char *const oscmap_group_names[OSCG_COUNT];

/* One value routed elsewhere: key is the value's default address after the
 * prefix ("energy", "taps/fire", "poll/share/0"); a numeric value x is
 * clamped to [in_lo, in_hi] and scaled linearly to [out_lo, out_hi]. */
struct oscmap_map {
    char key[OSC_ADDR_MAX];
    char address[OSC_ADDR_MAX];   /* "" = prefix + "/" + key */
    int scale;                    /* 1 when `in` or `out` was given */
    double in_lo, in_hi, out_lo, out_hi;
    char type;                    /* 'f', 'i', or 0: the value's own type */
};

struct oscmap_target {
    char name[33];                /* for the crew (default host:port) */
    char host[256];
    int port;
    char prefix[OSC_PREFIX_MAX];  /* default "/chorus" */
    double rate_hz, smooth_s;
    unsigned groups;              /* 1 << enum oscmap_group */
    int enabled;                  /* the gate at start */
    int nmaps;
    struct oscmap_map maps[OSC_MAPS_MAX];
};

/* An allow-list entry: an address and how many leading bits must match. */
struct oscmap_net {
    int family;                   /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
};

struct oscmap_listen {
    char host[64];                /* the one local address it binds */
    int port;
    int nallow;
    struct oscmap_net allow[OSC_ALLOW_MAX];
    double rate, burst;           /* accepted messages per second */
};

struct oscmap_conf {
    int enabled;                  /* the master gate at start */
    int ntargets;
    struct oscmap_target targets[OSC_TARGETS_MAX];
    int has_listen;
    struct oscmap_listen listen;
};

/* The event's names, to check mapping keys ("taps/<kind>", "section/<name>/..."). */
struct oscmap_names {
    int nkinds, nsections;
    const char *kinds[OSC_KINDS_MAX];
    const char *sections[OSC_SECTIONS_MAX];
};

/* Read the event file's `osc` object. Returns a new conf (free()), or NULL
 * with a one-line reason naming the field in err. */
struct json_t;
struct oscmap_conf *oscmap_conf_parse(const struct json_t *osc, const struct oscmap_names *names, char *err, size_t errlen);

/* Parse "a.b.c.d", "a.b.c.d/n", an IPv6 address or "v6/n" into *out.
 * Returns 0, or -1 when it is none of those. */
int oscmap_net_parse(const char *s, struct oscmap_net *out);
/* 1 when the source address sa is on the listener's allow-list (an IPv4
 * source seen as ::ffff:a.b.c.d matches IPv4 entries), else 0. */
int oscmap_is_allowed(const struct oscmap_listen *l, const struct sockaddr *sa);

/* x clamped to the map's `in` range and scaled to its `out` range (x itself
 * when the map does not scale; in_lo == in_hi gives out_lo). */
double oscmap_scale(const struct oscmap_map *m, double x);

/* --- the view: what the show looks like now (filled by the server) ------ */

struct oscmap_view {
    int64_t now_ms;               /* monotonic ms, the frame clock */
    int64_t uptime_s;
    double energy;                /* 0..1 */
    int64_t audience;
    int nkinds;
    const char *kinds[OSC_KINDS_MAX];
    double kind_rate[OSC_KINDS_MAX];          /* taps per second, last second */
    int nsections;
    const char *sections[OSC_SECTIONS_MAX];
    int64_t section_audience[OSC_SECTIONS_MAX];
    double section_rate[OSC_SECTIONS_MAX];    /* taps per second (oscmap_rates) */
    /* the open poll (id 0: none); counts only when its results are public */
    int64_t poll_id, poll_voters;
    int poll_public, nopts;
    int64_t counts[WIRE_MAX_OPTIONS];
    /* the last closed poll (id 0: none), once its results are public */
    int64_t closed_id;
    int winner;                   /* option index, -1 when nobody voted */
    int64_t winner_votes;
    int played;                   /* the option the crew confirmed ("Play it"), -1 not yet */
    const char *chant;            /* top chant as the public screens show it, NULL none */
    int64_t marker_ts;            /* the newest marker (0: none) */
    const char *marker_label, *marker_kind;
};

/* Taps per second per section over the last second, from cumulative
 * counters sampled every OSC_RATE_STEP_MS (a ring of the last second). */
#define OSC_RATE_STEP_MS 100
#define OSC_RATE_RING    12
struct oscmap_rates {
    int n, head, count;
    int64_t t[OSC_RATE_RING];
    int64_t c[OSC_RATE_RING][OSC_SECTIONS_MAX];
    double rate[OSC_SECTIONS_MAX];
};
/* Take the cumulative counts total[0..n) at now_ms; r->rate is updated when
 * a new sample is taken (at most every OSC_RATE_STEP_MS). */
void oscmap_rates_update(struct oscmap_rates *r, int n, const int64_t *total, int64_t now_ms);

/* --- one target's frames ---------------------------------------------- */

/* What a target was last sent (smoothing and change detection). Zeroed
 * state is a fresh target. */
struct oscmap_tstate {
    int started, primed, gate;    /* gate: last seen, -1 unknown */
    int64_t last_ms, next_refresh_ms;
    double energy, taps, kind[OSC_KINDS_MAX], section[OSC_SECTIONS_MAX], share[WIRE_MAX_OPTIONS];
    int64_t share_poll;
    int64_t winner_sent;          /* closed poll whose winner went out */
    int played_sent;              /* its played option as last sent + 2 (0: not sent) */
    int64_t marker_ts;            /* newest marker already sent (or seen at start) */
    char marker_label[WIRE_MAX_TEXT + 1];
    uint32_t chant_hash;
    int chant_sent;
};

/* One OSC message to send: type 'f' (f), 'i' (i), 's' (s) or 'm' (a marker:
 * s = label, s2 = kind, i = its time in ms). */
struct oscmap_out {
    const char *address;
    char type;
    double f;
    int64_t i;
    const char *s, *s2;
};
typedef void (*oscmap_emit_fn)(void *arg, const struct oscmap_out *o);

/* The frame for target t at v->now_ms: every value it asked for, through
 * its mappings, passed to emit in order. gate_open: the master gate and the
 * target's; a closed gate sends nothing but "<prefix>/gate 0" once (and
 * "gate 1" when it opens again). Returns the number of messages emitted. */
int oscmap_frame(struct oscmap_tstate *st, const struct oscmap_target *t, int gate_open, const struct oscmap_view *v,
                 oscmap_emit_fn emit, void *arg);

/* --- the crew's status message ----------------------------------------- */

/* Counters kept by the I/O side. */
struct oscmap_stats {
    uint64_t sent[OSC_TARGETS_MAX], errors[OSC_TARGETS_MAX];
    uint64_t accepted, refused;
    char last_refusal[120];       /* "" none */
};

/* {t:"osc", on, targets:[{i, name, host, port, rate, on, sent, errors}],
 *  listen:{host, port, accepted, refused, last_refusal} | nil}.
 * on: the master gate; target_on[i]: each target's. NULL on out-of-memory. */
struct msg *oscmap_status_encode(const struct oscmap_conf *c, int on, const uint8_t *target_on,
                                 const struct oscmap_stats *st);

#endif
