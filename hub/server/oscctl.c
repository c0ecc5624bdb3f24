/* oscctl.c -- the server's side of OSC (see server.h, "OSC", and
 * docs/osc.md): the read-only view OSC out sends from, the gates the crew
 * switches, the crew's `osc` status, and what a desk may do through OSC in
 * (set a marker, open a prepared poll, close the open poll).
 *
 * A desk's action is the crew's action without a session: the same
 * records are stored and the same messages go to screens, stage, crew and
 * phones, but nobody is acked (OSC has no replies; hub/io/osc.c logs a
 * refusal). The gates live here, not in the I/O layer, so the crew's
 * status and the sending agree on one state. They start as the event file
 * says; every switch is stored (REC_OSC_GATE), and a restarted hub starts
 * with the gates as the crew left them (server_osc_restore): a cut made
 * for a reason is not undone by a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include "enc.h"
#include "log.h"
#include "server_impl.h"

static const struct oscmap_conf *conf(const struct server *srv) { return srv->ev->osc; }

static void osc_init(struct server *srv) {
    if (srv->osc_ready || !conf(srv)) return;
    srv->osc_ready = 1;
    srv->osc_on = (uint8_t)conf(srv)->enabled;
    for (int i = 0; i < conf(srv)->ntargets; i++) srv->osc_target_on[i] = (uint8_t)conf(srv)->targets[i].enabled;
}

/* One gate at a restart: the crew's stored choice `on` (made when the event
 * file said `file`) onto *gate, unless the file says otherwise now (`now`):
 * then the file holds. Returns 1 when *gate changed. */
static int restore_gate(uint8_t *gate, int on, int file, int now, const char *name) {
    if (file != now) {
        log_info("the event file changed this OSC gate since the crew switched it: the file holds", "gate=%s on=%d",
                 log_q(name), now);
        return 0;
    }
    if (*gate == (uint8_t)on) return 0;
    *gate = (uint8_t)on;
    return 1;
}

void server_osc_restore(struct server *srv, const struct rec_boot *boot) {
    osc_init(srv);
    if (!conf(srv)) return;
    /* The crew's choice holds while the event file still says what it said
     * when the choice was made; an operator who edited the file since (to
     * switch that gate off for good, say) is obeyed. A gate a target no
     * longer in the file had is forgotten. */
    int changed = 0;
    if (boot->has_osc_master)
        changed += restore_gate(&srv->osc_on, boot->osc_master, boot->osc_master_file, conf(srv)->enabled, "master");
    for (size_t g = 0; g < boot->nosc_gates; g++)
        for (int i = 0; i < conf(srv)->ntargets; i++) {
            const struct oscmap_target *t = &conf(srv)->targets[i];
            if (!strcmp(t->name, boot->osc_gates[g].name))
                changed += restore_gate(&srv->osc_target_on[i], boot->osc_gates[g].on, boot->osc_gates[g].file,
                                        t->enabled, t->name);
        }
    if (!changed) return;
    char closed[OSC_TARGETS_MAX * 40 + 16] = "";
    size_t len = 0;
    if (!srv->osc_on) len += (size_t)snprintf(closed + len, sizeof closed - len, "master");
    for (int i = 0; i < conf(srv)->ntargets && len < sizeof closed; i++)
        if (!srv->osc_target_on[i])
            len += (size_t)snprintf(closed + len, sizeof closed - len, "%s%s", len ? "," : "", conf(srv)->targets[i].name);
    log_info("OSC gates as the crew left them, not as the event file says", "closed=%s", log_q(closed[0] ? closed : "none"));
}

int server_osc_target_gate(struct server *srv, int i) {
    osc_init(srv);
    return conf(srv) && i >= 0 && i < conf(srv)->ntargets && srv->osc_on && srv->osc_target_on[i];
}

/* --- the view ------------------------------------------------------------- */

static int is_public(const struct agg_poll *p) { return p->reveal == REVEAL_LIVE || p->revealed; }

void server_osc_view(struct server *srv, struct oscmap_view *v) {
    const struct agg *a = srv->agg;
    const struct event_def *ev = srv->ev;
    int64_t mono = server_mono(srv);
    v->now_ms = mono;
    v->uptime_s = (mono - srv->start_mono) / 1000;
    v->energy = a->energy / 100.0;
    /* The event's figures: in a cluster this hub's plus the others' (srv->ext
     * is zero for one hub; the per-section tap rates stay this hub's). */
    v->audience = a->conns[ROLE_AUDIENCE] + srv->ext.conns[ROLE_AUDIENCE];
    v->nkinds = ev->nreactions;
    for (int k = 0; k < ev->nreactions; k++) {
        v->kinds[k] = ev->reactions[k];
        v->kind_rate[k] = (double)(a->rate[k] + srv->ext.rate[k]);
    }
    v->nsections = ev->nsections;
    for (int i = 0; i < ev->nsections; i++) {
        v->sections[i] = ev->sections[i];
        v->section_audience[i] = a->section_conns[i] + srv->ext.section_conns[i];
    }
    const struct agg_poll *p = a->poll;
    v->poll_id = p ? p->id : 0;
    v->poll_voters = p ? p->voters : 0;
    v->poll_public = p && is_public(p);
    v->nopts = p ? p->nopts : 0;
    for (int i = 0; i < v->nopts; i++) v->counts[i] = p->counts[i];
    /* The winner once everybody may see the result: most votes, the first
     * option on a tie, -1 when nobody voted. */
    const struct agg_poll *c = srv->last_closed && is_public(srv->last_closed) ? srv->last_closed : NULL;
    v->closed_id = c ? c->id : 0;
    v->winner = -1;
    v->winner_votes = 0;
    for (int i = 0; c && i < c->nopts; i++)
        if (c->counts[i] > v->winner_votes) v->winner = i, v->winner_votes = c->counts[i];
    v->played = c && c->played_ms ? c->played_option : -1;   /* the crew's "Play it" */
    if (v->played >= 0) v->winner = v->played, v->winner_votes = c->counts[v->played];
    /* The top chant exactly as the public screens show it (moderation's view). */
    struct chant_entry top;
    uint8_t need = 0, reject = 0;
    mod_public_view(srv->mod, &need, &reject);
    v->chant = chant_top_select(a->chants, &top, 1, need, reject) == 1 ? top.text : NULL;
    const struct rec_marker *m = srv->nmarkers ? &srv->markers[srv->nmarkers - 1] : NULL;
    v->marker_ts = m ? m->ts : 0;
    v->marker_label = m ? m->label : NULL;
    v->marker_kind = m ? wire_marker_name(m->kind) : NULL;
}

/* --- gates and the crew's status ----------------------------------------- */

int server_osc_gate_open(struct server *srv, int i) {
    osc_init(srv);
    return conf(srv) && i >= 0 && i < conf(srv)->ntargets && srv->osc_on && srv->osc_target_on[i] &&
           server_cluster_osc_sender(srv);
}

static void send_status(struct server *srv) {
    struct msg *m = oscmap_status_encode(conf(srv), srv->osc_on, srv->osc_target_on, &srv->osc_stats);
    if (!m) return;
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (!s || !session_is_ready(s) || s->role != ROLE_CREW) continue;
        msg_ref(m);
        server_send(srv, s, m);
    }
    msg_unref(m);
    srv->osc_status_ms = server_mono(srv);
}

int server_osc_set_gate(struct server *srv, int target, int on, int64_t by) {
    osc_init(srv);
    if (!conf(srv) || target >= conf(srv)->ntargets || target < -1) return SERVER_OSC_UNKNOWN;
    if (target < 0) srv->osc_on = (uint8_t)!!on;
    else srv->osc_target_on[target] = (uint8_t)!!on;
    /* Kept for a restart. The gate acts at once either way: a store that can
     * not keep it is logged, it does not hold up the cut. */
    struct rec r = {.type = REC_OSC_GATE, .c = !!on, .d = target < 0 ? conf(srv)->enabled : conf(srv)->targets[target].enabled,
                    .text = target < 0 ? NULL : strdup(conf(srv)->targets[target].name)};
    if ((target >= 0 && !r.text) || server_persist(srv, &r) < 0)
        log_warn("an OSC gate could not be stored: a restart starts with the gate as stored before", "gate=%s",
                 log_q(target < 0 ? "master" : conf(srv)->targets[target].name));
    /* Who cut the crowd out of the lights, and when, belongs in the log. */
    log_info("osc gate", "crew_session=%lld action=%s gate=%s", (long long)by, on ? "opened" : "closed",
             log_q(target < 0 ? "master" : conf(srv)->targets[target].name));
    send_status(srv);
    return 0;
}

void server_osc_status(struct server *srv, const struct oscmap_stats *st) {
    osc_init(srv);
    if (!conf(srv)) return;
    srv->osc_stats = *st;
    int64_t crew = srv->agg->conns[ROLE_CREW];
    /* A crew member who just connected sees the gates at once. */
    int joined = crew > srv->osc_crew_seen;
    srv->osc_crew_seen = crew;
    if (crew > 0 && (joined || server_mono(srv) - srv->osc_status_ms >= OSC_REFRESH_MS)) send_status(srv);
}

/* --- OSC in: what a desk may do ----------------------------------------- */

static int label_ok(const char *s, size_t n) {
    if (n == 0 || n > WIRE_MAX_TEXT || u8_check((const uint8_t *)s, n)) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 1;
    return 0;
}

/* In a cluster a desk's cue goes through the control stream like a crew
 * member's message (every hub applies it; nobody is acked). frame is
 * consumed. Returns 0 or SERVER_OSC_STORE. */
static int cue_to_cluster(struct server *srv, struct msg *frame) {
    if (!frame) return SERVER_OSC_STORE;
    char from[96];
    snprintf(from, sizeof from, "%d %u 0 %lld", srv->hub_id, UINT32_MAX, (long long)server_now(srv));
    int rc = srv->io.publish_ctl && srv->io.publish_ctl(srv->io.arg, msg_payload(frame), frame->len, from) == 0;
    msg_unref(frame);
    return rc ? 0 : SERVER_OSC_STORE;
}

/* {t, id: 0, ...}: a crew frame for a desk's cue. */
static struct msg *cue_frame(const char *type, const char *label, size_t n, enum marker_kind kind,
                             const struct event_poll *pp) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, label ? 4 : pp ? 6 : 2);
    proto_pack_kv_str(pk, "t", type);
    proto_pack_kv_int(pk, "id", 0);
    if (label) {
        proto_pack_str(pk, "label");
        proto_pack_strn(pk, label, n);
        proto_pack_kv_str(pk, "kind", wire_marker_name(kind));
    } else if (pp) {
        proto_pack_kv_str(pk, "question", pp->question);
        proto_pack_str(pk, "options");
        msgpack_pack_array(pk, (size_t)pp->nopts);
        for (int i = 0; i < pp->nopts; i++) proto_pack_str(pk, pp->options[i]);
        proto_pack_str(pk, "allow_change");
        if (pp->allow_change) msgpack_pack_true(pk);
        else msgpack_pack_false(pk);
        proto_pack_kv_str(pk, "reveal", wire_reveal_name(pp->reveal));
    }
    return proto_enc_finish(&e);
}

int server_osc_marker(struct server *srv, const char *label, size_t n, enum marker_kind kind) {
    if (!label_ok(label, n)) return SERVER_OSC_BAD;
    if (srv->cluster) return cue_to_cluster(srv, cue_frame("marker", label, n, kind, NULL));
    struct rec r = {0};
    return server_set_marker(srv, &r, label, n, kind) < 0 ? SERVER_OSC_STORE : 0;
}

/* Close the open poll as the crew's poll.close does, without an ack. */
static int close_poll(struct server *srv) {
    if (!srv->agg->poll) return SERVER_OSC_STATE;
    struct rec r = {.type = REC_POLL_CLOSE, .a = srv->agg->poll->id};
    if (server_persist(srv, &r) < 0) return SERVER_OSC_STORE;
    struct agg_poll *old = agg_poll_close(srv->agg, r.ts_ms);
    if (old->reveal == REVEAL_ON_CLOSE) old->revealed = 1;
    server_broadcast_poll(srv, old, 0);
    server_keep_closed(srv, old);
    return 0;
}

int server_osc_poll_close(struct server *srv) {
    if (srv->cluster && srv->agg->poll) {
        struct proto_enc e;
        proto_enc_begin(&e);
        msgpack_pack_map(&e.pk, 3);
        proto_pack_kv_str(&e.pk, "t", "poll.close");
        proto_pack_kv_int(&e.pk, "id", 0);
        proto_pack_kv_int(&e.pk, "poll", srv->agg->poll->id);
        return cue_to_cluster(srv, proto_enc_finish(&e));
    }
    return close_poll(srv);
}

/* 1 when the open poll is prepared poll pp (its question and options). */
static int is_prepared(const struct agg_poll *p, const struct event_poll *pp) {
    if (!p || p->nopts != pp->nopts || strcmp(p->question, pp->question)) return 0;
    for (int i = 0; i < p->nopts; i++)
        if (strcmp(p->options[i], pp->options[i])) return 0;
    return 1;
}

/* The prepared poll i as agg keeps it, plus the copies the store record
 * takes. Returns 0, or -1 on out-of-memory (nothing left allocated). */
static int copy_prepared(const struct event_poll *pp, struct agg_poll **pout, char **qout, char ***oout) {
    struct agg_poll *p = calloc(1, sizeof *p);
    char **opts = calloc((size_t)pp->nopts, sizeof *opts);
    char *q = strdup(pp->question);
    int ok = p && opts && q && (p->question = strdup(pp->question)) != NULL;
    for (int i = 0; ok && i < pp->nopts; i++) {
        p->options[i] = strdup(pp->options[i]);
        opts[i] = strdup(pp->options[i]);
        p->nopts = i + 1;
        ok = p->options[i] && opts[i];
    }
    if (!ok) {
        agg_poll_free(p);
        if (opts)
            for (int i = 0; i < pp->nopts; i++) free(opts[i]);
        free(opts);
        free(q);
        return -1;
    }
    *pout = p;
    *qout = q;
    *oout = opts;
    return 0;
}

int server_osc_poll_open(struct server *srv, int i) {
    if (i < 0 || i >= srv->ev->npolls) return SERVER_OSC_UNKNOWN;
    if (srv->agg->poll && srv->osc_prepared == i + 1 && srv->agg->poll->id == srv->osc_prepared_poll)
        return SERVER_OSC_STATE;
    const struct event_poll *pp = &srv->ev->polls[i];
    if (srv->cluster) {   /* the same cue twice leaves the open poll be, on every hub */
        if (is_prepared(srv->agg->poll, pp)) return SERVER_OSC_STATE;
        return cue_to_cluster(srv, cue_frame("poll.open", NULL, 0, MARKER_NOTE, pp));
    }
    struct agg_poll *p;
    char *q, **opts;
    if (copy_prepared(pp, &p, &q, &opts) < 0) return SERVER_OSC_STORE;
    if (srv->agg->poll && close_poll(srv) < 0) {
        agg_poll_free(p);
        for (int k = 0; k < pp->nopts; k++) free(opts[k]);
        free(opts);
        free(q);
        return SERVER_OSC_STORE;
    }
    p->id = srv->next_poll++;
    p->allow_change = pp->allow_change;
    p->reveal = pp->reveal;
    p->opened_ms = server_now(srv);
    struct rec r = {.type = REC_POLL_OPEN, .kind = (int8_t)pp->reveal, .a = p->id, .b = srv->agg->conns[ROLE_AUDIENCE],
                    .c = pp->nopts, .d = pp->allow_change, .text = q, .opts = opts, .ts_ms = p->opened_ms};
    if (server_persist(srv, &r) < 0) {
        agg_poll_free(p);
        srv->next_poll--;
        return SERVER_OSC_STORE;
    }
    agg_poll_open(srv->agg, p);
    server_broadcast_poll(srv, p, 1);
    srv->osc_prepared = i + 1;
    srv->osc_prepared_poll = p->id;
    return 0;
}
