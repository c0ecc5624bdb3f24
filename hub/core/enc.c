/* enc.c -- server message encoders (see enc.h). Each map's entry count is
 * written before its entries: keep the count next to the pairs it counts. */
#include "enc.h"
#include "proto.h"

static void pack_bool(msgpack_packer *pk, int v) {
    if (v) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
}

static void pack_names(msgpack_packer *pk, const char *names, size_t stride, int n) {
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) proto_pack_str(pk, names + (size_t)i * stride);
}

/* 1 when the poll's counts may be shown to viewer (crew: always). */
static int counts_shown(const struct agg_poll *p, int crew) {
    return crew || p->reveal == REVEAL_LIVE || p->revealed;
}

static void pack_poll(msgpack_packer *pk, const struct agg_poll *p, int open, int voted, int crew) {
    int show = counts_shown(p, crew), hidden = !(p->reveal == REVEAL_LIVE || p->revealed);
    int played = !open && p->played_ms > 0;
    int n = 7 + (open ? 0 : 2 + show) + (voted >= 0) + hidden + played;
    msgpack_pack_map(pk, (size_t)n);
    proto_pack_kv_int(pk, "id", p->id);
    proto_pack_kv_str(pk, "question", p->question);
    proto_pack_str(pk, "options");
    msgpack_pack_array(pk, (size_t)p->nopts);
    for (int i = 0; i < p->nopts; i++) proto_pack_str(pk, p->options[i]);
    proto_pack_str(pk, "open");
    pack_bool(pk, open);
    proto_pack_str(pk, "allow_change");
    pack_bool(pk, p->allow_change);
    proto_pack_kv_int(pk, "opened", p->opened_ms);
    proto_pack_kv_str(pk, "reveal", wire_reveal_name(p->reveal));
    if (!open) {
        proto_pack_kv_int(pk, "closed", p->closed_ms);
        proto_pack_kv_int(pk, "voters", p->voters);
        if (show) {
            proto_pack_str(pk, "counts");
            msgpack_pack_array(pk, (size_t)p->nopts);
            for (int i = 0; i < p->nopts; i++) msgpack_pack_int64(pk, p->counts[i]);
        }
    }
    if (hidden) { proto_pack_str(pk, "hidden"); msgpack_pack_true(pk); }   /* not yet revealed to everybody */
    if (voted >= 0) proto_pack_kv_int(pk, "voted", voted);
    if (played) {   /* the crew confirmed the result: "you chose this" */
        proto_pack_str(pk, "played");
        msgpack_pack_map(pk, 2);
        proto_pack_kv_int(pk, "option", p->played_option);
        proto_pack_kv_int(pk, "ts", p->played_ms);
    }
}

static void pack_marker(msgpack_packer *pk, const struct rec_marker *m) {
    msgpack_pack_map(pk, 3 + (m->poll > 0));
    proto_pack_kv_str(pk, "label", m->label);
    proto_pack_kv_str(pk, "kind", wire_marker_name(m->kind));
    proto_pack_kv_int(pk, "ts", m->ts);
    if (m->poll > 0) proto_pack_kv_int(pk, "poll", m->poll);
}

/* "chosen": the crowd's choice now playing, or nil. */
static void pack_chosen(msgpack_packer *pk, const struct rec_played *c) {
    proto_pack_str(pk, "chosen");
    if (!c) { msgpack_pack_nil(pk); return; }
    msgpack_pack_map(pk, 6);
    proto_pack_kv_int(pk, "poll", c->poll);
    proto_pack_kv_str(pk, "question", c->question);
    proto_pack_kv_int(pk, "option", c->option);
    proto_pack_kv_str(pk, "label", c->label);
    proto_pack_kv_int(pk, "votes", c->votes);
    proto_pack_kv_int(pk, "voters", c->voters);
}

/* [{label, kind, ts, poll?}...]: the ts names the marker (marker.edit). */
static void pack_markers(msgpack_packer *pk, const struct rec_marker *m, int n) {
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) pack_marker(pk, &m[i]);
}

struct msg *enc_welcome(const struct enc_welcome *w) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    const struct event_def *ev = w->ev;
    proto_enc_begin(&e);
    int crew = w->role == ROLE_CREW, marks = w->role != ROLE_AUDIENCE;
    msgpack_pack_map(pk, 10 + (size_t)marks);
    proto_pack_kv_str(pk, "t", "welcome");
    proto_pack_kv_int(pk, "device", w->device);
    proto_pack_kv_str(pk, "token", w->token);
    proto_pack_kv_str(pk, "role", wire_role_name(w->role));
    proto_pack_str(pk, "event");
    msgpack_pack_map(pk, 6);
    proto_pack_kv_str(pk, "code", ev->code);
    proto_pack_kv_str(pk, "name", ev->name);
    proto_pack_str(pk, "reactions");
    pack_names(pk, ev->reactions[0], sizeof ev->reactions[0], ev->nreactions);
    proto_pack_str(pk, "sections");
    pack_names(pk, ev->sections[0], sizeof ev->sections[0], ev->nsections);
    proto_pack_str(pk, "songs");
    msgpack_pack_array(pk, (size_t)ev->nsongs);
    for (int i = 0; i < ev->nsongs; i++) proto_pack_str(pk, ev->songs[i]);
    proto_pack_kv_str(pk, "join_url", w->join_url);     /* the 6th entry of `event` */
    proto_pack_kv_int(pk, "now", w->now);
    proto_pack_str(pk, "poll");
    if (w->poll) pack_poll(pk, w->poll, 1, w->voted, crew);
    else msgpack_pack_nil(pk);
    proto_pack_str(pk, "last_poll");
    if (w->last_closed) pack_poll(pk, w->last_closed, 0, w->last_voted, crew);
    else msgpack_pack_nil(pk);
    proto_pack_str(pk, "now_playing");
    if (w->now_playing) proto_pack_str(pk, w->now_playing);
    else msgpack_pack_nil(pk);
    pack_chosen(pk, w->chosen);
    if (marks) {
        proto_pack_str(pk, "markers");
        pack_markers(pk, w->markers, w->nmarkers);
    }
    return proto_enc_finish(&e);
}

struct msg *enc_poll(const struct agg_poll *p, int open, int crew) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 2);
    proto_pack_kv_str(&e.pk, "t", "poll");
    proto_pack_str(&e.pk, "poll");
    pack_poll(&e.pk, p, open, -1, crew);
    return proto_enc_finish(&e);
}

struct msg *enc_marker(const struct rec_marker *m, const struct rec_played *chosen) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 3);
    proto_pack_kv_str(&e.pk, "t", "marker");
    proto_pack_str(&e.pk, "marker");
    pack_marker(&e.pk, m);
    pack_chosen(&e.pk, chosen);
    return proto_enc_finish(&e);
}

struct msg *enc_markers(const struct rec_marker *markers, int n, const char *now_playing,
                        const struct rec_played *chosen) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 4);
    proto_pack_kv_str(&e.pk, "t", "markers");
    proto_pack_str(&e.pk, "markers");
    pack_markers(&e.pk, markers, n);
    proto_pack_str(&e.pk, "now_playing");
    if (now_playing) proto_pack_str(&e.pk, now_playing);
    else msgpack_pack_nil(&e.pk);
    pack_chosen(&e.pk, chosen);
    return proto_enc_finish(&e);
}

/* hubs:[{hub, self, live, audience, conns, seen_ms}]: seen_ms is how long
 * ago its last part came (0 for this hub). */
static void pack_hubs(msgpack_packer *pk, const struct enc_health *h) {
    int n = 1;
    for (int i = 0; i < PEERS_MAX; i++) n += h->peers->hub[i].known && i != h->hub_id;
    proto_pack_str(pk, "hubs");
    msgpack_pack_array(pk, (size_t)n);
    int64_t all = 0;
    for (int r = 0; r < ROLE_COUNT; r++) all += h->conns[r];
    msgpack_pack_map(pk, 6);
    proto_pack_kv_int(pk, "hub", h->hub_id);
    proto_pack_str(pk, "self");
    msgpack_pack_true(pk);
    proto_pack_str(pk, "live");
    pack_bool(pk, h->nats_up);
    proto_pack_kv_int(pk, "audience", h->conns[ROLE_AUDIENCE]);
    proto_pack_kv_int(pk, "conns", all);
    proto_pack_kv_int(pk, "seen_ms", 0);
    for (int i = 0; i < PEERS_MAX; i++) {
        const struct peers_hub *p = &h->peers->hub[i];
        if (!p->known || i == h->hub_id) continue;
        int64_t c = 0;
        for (int r = 0; r < ROLE_COUNT; r++) c += p->part.conns[r];
        msgpack_pack_map(pk, 6);
        proto_pack_kv_int(pk, "hub", i);
        proto_pack_str(pk, "self");
        msgpack_pack_false(pk);
        proto_pack_str(pk, "live");
        pack_bool(pk, p->live);
        proto_pack_kv_int(pk, "audience", p->part.conns[ROLE_AUDIENCE]);
        proto_pack_kv_int(pk, "conns", c);
        proto_pack_kv_int(pk, "seen_ms", h->mono - p->seen_ms);
    }
}

struct msg *enc_health(const struct enc_health *h) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    const struct event_def *ev = h->ev;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, 12 + (size_t)(h->peers != NULL));
    proto_pack_kv_str(pk, "t", "health");
    if (h->peers) pack_hubs(pk, h);
    proto_pack_kv_int(pk, "now", h->now);
    proto_pack_str(pk, "conns");
    msgpack_pack_map(pk, ROLE_COUNT + 1);
    for (int r = 0; r < ROLE_COUNT; r++) proto_pack_kv_int(pk, wire_role_name((enum role)r), h->conns[r]);
    proto_pack_kv_int(pk, "pending", h->pending);
    proto_pack_str(pk, "sections");
    msgpack_pack_map(pk, (size_t)ev->nsections + 1);
    for (int i = 0; i < ev->nsections; i++) proto_pack_kv_int(pk, ev->sections[i], h->section_conns[i]);
    proto_pack_kv_int(pk, "", h->section_conns[ev->nsections]);
    proto_pack_kv_int(pk, "signals_per_s", h->signals_per_s);
    proto_pack_kv_int(pk, "votes_per_s", h->votes_per_s);
    proto_pack_kv_int(pk, "signals_total", h->signals_total);
    proto_pack_kv_int(pk, "dropped_slow", h->dropped_slow);
    proto_pack_kv_int(pk, "devices", h->devices);
    proto_pack_str(pk, "keys");
    msgpack_pack_map(pk, 2);
    proto_pack_kv_int(pk, "wrong", h->keys_wrong);
    proto_pack_kv_int(pk, "refused", h->keys_refused);
    proto_pack_str(pk, "store");
    msgpack_pack_map(pk, 7);
    proto_pack_kv_int(pk, "queue", h->store.queued);
    proto_pack_kv_int(pk, "queue_max", h->store.queue_max);
    proto_pack_kv_int(pk, "commits", h->store.commits);
    proto_pack_kv_int(pk, "failed", h->store.failed);
    proto_pack_kv_int(pk, "dropped", h->store.dropped);
    proto_pack_kv_int(pk, "written", h->store.written);
    proto_pack_kv_int(pk, "last_commit_ms", h->store.last_commit_us / 1000);
    proto_pack_kv_int(pk, "uptime_s", h->uptime_s);
    return proto_enc_finish(&e);
}
