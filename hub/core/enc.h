/* enc.h -- encoders of the server messages other than acks, errors, pongs
 * (proto.h) and snapshots (snap.h): welcome, poll events, markers and the
 * crew's health figures (docs/protocol.md). Pure: every input is passed in;
 * each returns a new msg (refs = 1), or NULL on out-of-memory. */
#ifndef CHORUS_ENC_H
#define CHORUS_ENC_H

#include <stddef.h>
#include <stdint.h>
#include "agg.h"
#include "event.h"
#include "peers.h"
#include "rec.h"
#include "util.h"

/* {t:"welcome", device, token, role, event:{code, name, reactions, sections,
 * songs, join_url}, now, poll, last_poll, now_playing, chosen, markers?} (markers:
 * not for the audience) -- what a page needs to show the hub's state on
 * connect, not only what it sees live. poll is the open poll or NULL; voted
 * is this device's option in it or -1; last_voted its option in last_closed
 * or -1. */
struct enc_welcome {
    int64_t device;
    const char *token;          /* "" for roles without a device */
    enum role role;
    const struct event_def *ev;
    const char *join_url;
    int64_t now;
    const struct agg_poll *poll;
    int voted;
    const struct agg_poll *last_closed; /* the last closed poll, or NULL */
    int last_voted;
    const struct rec_marker *markers;   /* newest last; sent to every role but the audience */
    int nmarkers;
    const char *now_playing;            /* the song started and not ended, or NULL */
    const struct rec_played *chosen;    /* the crowd's choice now playing, or NULL */
};
struct msg *enc_welcome(const struct enc_welcome *w);

/* {t:"poll", poll:{...}}: open, or closed with its final counts; for the
 * crew (crew != 0) counts always, for the others only once revealed. */
struct msg *enc_poll(const struct agg_poll *p, int open, int crew);

/* {t:"marker", marker:{label, kind, ts, poll?}, chosen}: chosen is the
 * crowd's choice now playing (this marker started it), or NULL. */
struct msg *enc_marker(const struct rec_marker *m, const struct rec_played *chosen);

/* {t:"markers", markers:[{label, kind, ts, poll?}...], now_playing, chosen}:
 * the newest markers (oldest first) after one was corrected or deleted, so
 * every screen, stage and crew page redraws them and the song now playing. */
struct msg *enc_markers(const struct rec_marker *markers, int n, const char *now_playing,
                        const struct rec_played *chosen);

/* {t:"health", ...}: the crew's view of the hub. */
struct enc_health {
    int64_t now, uptime_s;
    const int64_t *conns;           /* ROLE_COUNT connections by role */
    int64_t pending;                /* connections without hello yet */
    const struct event_def *ev;
    const int64_t *section_conns;   /* ev->nsections + 1 ("" last) */
    int64_t signals_per_s, votes_per_s, signals_total, dropped_slow, devices;
    int64_t keys_wrong, keys_refused;   /* role keys since start: wrong, refused (address locked out) */
    struct rec_stats store;
    /* A cluster (NULL: one hub): `hubs`, this hub first, then every other
     * hub heard from, with its connections and whether it is live. */
    const struct peers *peers;
    int hub_id, nats_up;
    int64_t mono;                   /* now, monotonic (the peers' seen_ms clock) */
};
struct msg *enc_health(const struct enc_health *h);

#endif
