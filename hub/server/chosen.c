/* chosen.c -- "you chose this": the server's side of the crowd's choice.
 *
 * The crew confirms a closed poll's result ("Play it", poll.play): the
 * poll event every page gets then carries `played`, and the result joins
 * srv->played (the newest REC_PLAYED_MAX, newest first). When a song_start
 * marker names that option (the same text as a chant groups it: NFKC, case
 * and white space folded), the marker is linked to the poll (marker.poll,
 * stored) and, while that song plays, every watcher is told `chosen`: the
 * crowd chose it, with how many votes. One marker per played poll; deleting
 * or correcting the marker undoes the link so another marker can take it. */
#include <stdio.h>
#include <string.h>
#include "chant.h"
#include "enc.h"
#include "server_impl.h"

/* 1 when a (n bytes) and b (a NUL-terminated label) name the same song. */
static int same_song(const char *a, size_t n, const char *b) {
    char da[CHANT_MAX_BYTES + 1], ka[CHANT_KEY_MAX], db[CHANT_MAX_BYTES + 1], kb[CHANT_KEY_MAX];
    return chant_normalize(a, n, da, ka) == 0 && chant_normalize(b, strlen(b), db, kb) == 0 && !strcmp(ka, kb);
}

/* The played poll a new song_start marker labelled label[0..n) starts: the
 * newest one not started yet whose option has that name, or NULL. */
static struct rec_played *link_for(struct server *srv, enum marker_kind kind, const char *label, size_t n) {
    if (kind != MARKER_SONG_START) return NULL;
    for (int i = 0; i < srv->nplayed; i++)
        if (!srv->played[i].marker_ts && same_song(label, n, srv->played[i].label)) return &srv->played[i];
    return NULL;
}

static struct rec_played *played_of(struct server *srv, int64_t poll) {
    for (int i = 0; poll > 0 && i < srv->nplayed; i++)
        if (srv->played[i].poll == poll) return &srv->played[i];
    return NULL;
}

const struct rec_marker *server_playing(const struct server *srv) {
    for (int i = srv->nmarkers - 1; i >= 0; i--) {
        if (srv->markers[i].kind == MARKER_SONG_END) return NULL;
        if (srv->markers[i].kind == MARKER_SONG_START) return &srv->markers[i];
    }
    return NULL;
}

const char *server_now_playing(const struct server *srv) {
    const struct rec_marker *m = server_playing(srv);
    return m ? m->label : NULL;
}

const struct rec_played *server_chosen_playing(const struct server *srv) {
    const struct rec_marker *m = server_playing(srv);
    if (!m || m->poll <= 0) return NULL;
    for (int i = 0; i < srv->nplayed; i++)
        if (srv->played[i].poll == m->poll) return &srv->played[i];
    return NULL;   /* an older choice than the newest REC_PLAYED_MAX: the marker still says so */
}

int server_set_marker(struct server *srv, struct rec *r, const char *label, size_t n, enum marker_kind kind) {
    if (n > WIRE_MAX_TEXT) n = WIRE_MAX_TEXT;
    struct rec_played *pl = link_for(srv, kind, label, n);
    r->type = REC_MARKER;
    r->kind = (int8_t)kind;
    r->ts_ms = server_marker_ts(srv);
    r->b = pl ? pl->poll : 0;
    r->text = strndup(label, n);
    if (!r->text || server_persist(srv, r) < 0) return -1;
    if (srv->nmarkers == REC_MARKERS_MAX) {
        memmove(srv->markers, srv->markers + 1, (REC_MARKERS_MAX - 1) * sizeof srv->markers[0]);
        srv->nmarkers--;
    }
    struct rec_marker *m = &srv->markers[srv->nmarkers++];
    snprintf(m->label, sizeof m->label, "%.*s", (int)n, label);
    m->kind = kind;
    m->ts = r->ts_ms;
    m->poll = r->b;
    if (pl) pl->marker_ts = m->ts;
    server_broadcast_watchers(srv, enc_marker(m, server_chosen_playing(srv)));
    return 0;
}

int64_t server_marker_link(struct server *srv, const struct rec_marker *k, int del, const char *label, size_t n,
                           int kind) {
    if (del) return 0;
    enum marker_kind nk = kind >= 0 ? (enum marker_kind)kind : k->kind;
    const char *nl = label ? label : k->label;
    size_t nn = label ? n : strlen(k->label);
    struct rec_played *cur = played_of(srv, k->poll);
    if (k->poll > 0 && nk == MARKER_SONG_START && (!cur || same_song(nl, nn, cur->label))) return k->poll;
    struct rec_played *pl = link_for(srv, nk, nl, nn);
    return pl ? pl->poll : 0;
}

void server_marker_relink(struct server *srv, struct rec_marker *k, int64_t poll) {
    if (k->poll == poll) return;
    struct rec_played *old = played_of(srv, k->poll), *pl = played_of(srv, poll);
    if (old && old->marker_ts == k->ts) old->marker_ts = 0;
    if (pl) pl->marker_ts = k->ts;
    k->poll = poll;
}

void server_keep_played(struct server *srv, const struct agg_poll *p) {
    struct rec_played keep = {0}, *pl = played_of(srv, p->id);
    int at;
    if (pl) {                                   /* played again: moves to the front, keeps its marker */
        keep = *pl;
        at = (int)(pl - srv->played);
    } else {                                    /* new: the oldest falls off when full */
        at = srv->nplayed < REC_PLAYED_MAX ? srv->nplayed++ : REC_PLAYED_MAX - 1;
    }
    memmove(&srv->played[1], &srv->played[0], (size_t)at * sizeof srv->played[0]);
    keep.poll = p->id;
    keep.played_ms = p->played_ms;
    keep.option = p->played_option;
    keep.votes = p->counts[p->played_option];
    keep.voters = p->voters;
    snprintf(keep.question, sizeof keep.question, "%s", p->question);
    snprintf(keep.label, sizeof keep.label, "%s", p->options[p->played_option]);
    srv->played[0] = keep;
}

int server_played_started(struct server *srv, int64_t poll) {
    const struct rec_played *pl = played_of(srv, poll);
    return pl && pl->marker_ts;
}

void server_unplay(struct server *srv, int64_t poll) {
    struct rec_played *pl = played_of(srv, poll);
    if (!pl) return;
    int at = (int)(pl - srv->played);
    memmove(pl, pl + 1, (size_t)(srv->nplayed - at - 1) * sizeof *pl);
    srv->nplayed--;
}
