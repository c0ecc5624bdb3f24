/* server.c -- the server's life cycle, connections, output, acks and tick
 * (see server.h); the message handlers are in dispatch.c.
 *
 * Output: every reply goes through server_send. When the session has
 * nothing queued, the I/O layer writes it at once (io.write_now: one send(),
 * the common case); otherwise, or when the socket is full, it is queued on
 * the session (bounded, session.h) and the I/O layer asked for a writable
 * callback, after which it pulls with server_pop. Snapshots are encoded once
 * per tick and sent to every subscriber the same way (the same bytes);
 * phones get every audience_every-th one, spread over the ticks by slot.
 *
 * Acks: votes, polls and markers are acked from server_acks, once the
 * store's transaction holding them committed; (slot, gen) finds the sender
 * unless it has gone. Reactions are coalesced per session and per tick into
 * one `react` row per (device, kind), so the store writes at most one row
 * per device and kind per tick however fast a client taps. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enc.h"
#include "server_impl.h"
#include "snap.h"

/* --- clocks and output ------------------------------------------------- */

int64_t server_now(const struct server *srv) {
    if (srv->ctl_now) return srv->ctl_now;   /* applying another hub's control message: its time */
    return srv->io.now_ms ? srv->io.now_ms(srv->io.arg) : util_now_ms();
}

int64_t server_mono(const struct server *srv) {
    return srv->io.mono_ms ? srv->io.mono_ms(srv->io.arg) : util_mono_ms();
}

uint32_t server_now32(const struct server *srv) { return (uint32_t)(server_mono(srv) - srv->start_mono + 1); }

static void kill_session(struct server *srv, struct session *s) {
    if (session_kill(s)) srv->io.kill(srv->io.arg, s->conn);
}

/* Write m to s at once when nothing of s's waits: no queue, no writable
 * callback, no poll change. 1 when written. */
static int write_now(struct server *srv, struct session *s, struct msg *m) {
    return srv->io.write_now && !session_pending(s) && srv->io.write_now(srv->io.arg, s->conn, m);
}

/* The tick's snapshot to a phone: gathered into the I/O layer's batch when
 * it has one (io.write_batch), else written at once. 1 when taken. */
static int write_batch(struct server *srv, struct session *s, struct msg *m) {
    if (!srv->io.write_batch) return write_now(srv, s, m);
    return !session_pending(s) && srv->io.write_batch(srv->io.arg, s->conn, m);
}

/* A tick snapshot that could not go out now waits in s's queue, replacing
 * an older one there (a phone wants the newest state, not every state). */
static void offer_snap(struct server *srv, struct session *s, struct msg *m) {
    session_offer_snap(s, m);
    if (!s->stalled_since) s->stalled_since = server_mono(srv);
    srv->io.want_write(srv->io.arg, s->conn);
}

void server_unsent(struct server *srv, struct session *s, struct msg *m) {
    if (session_is_open(s)) offer_snap(srv, s, m);
}

/* Send m to s: at once, or queued (the queue takes its own reference; the
 * caller keeps its). */
static void send_shared(struct server *srv, struct session *s, struct msg *m) {
    if (!session_is_open(s)) return;
    if (write_now(srv, s, m)) return;
    if (session_push(s, m) < 0) {
        kill_session(srv, s);   /* not reading its replies: drop it rather than buffer more */
        return;
    }
    if (!s->stalled_since) s->stalled_since = server_mono(srv);
    srv->io.want_write(srv->io.arg, s->conn);
}

void server_send(struct server *srv, struct session *s, struct msg *m) {
    if (!m) return;
    if (s == &srv->ghost) { msg_unref(m); return; }   /* another hub's crew member: its hub answers */
    send_shared(srv, s, m);
    msg_unref(m);
}

void server_close(struct server *srv, struct session *s, int code) {
    if (session_close(s, code)) srv->io.want_write(srv->io.arg, s->conn);
}

int server_persist(struct server *srv, struct rec *r) {
    if (!r->ts_ms) r->ts_ms = server_now(srv);
    return srv->io.persist(srv->io.arg, r);
}

void server_broadcast_watchers(struct server *srv, struct msg *m) {
    if (!m) return;
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (s && session_is_ready(s) && s->role != ROLE_AUDIENCE) send_shared(srv, s, m);
    }
    msg_unref(m);
}

/* Phones hear of a poll with their next snapshot (server_tick), spread over
 * a second like the snapshots: opening a poll must not queue 40,000 writes
 * in one tick. */
void server_broadcast_poll(struct server *srv, const struct agg_poll *p, int open) {
    struct msg *pub = enc_poll(p, open, 0), *crew = enc_poll(p, open, 1);
    if (pub && crew) {
        msg_unref(srv->poll_msg);
        msg_ref(pub);
        srv->poll_msg = pub;
        srv->poll_gen++;
        for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
            struct session *s = conns_at(&srv->conns, i);
            if (s && session_is_ready(s) && s->role != ROLE_AUDIENCE)
                send_shared(srv, s, s->role == ROLE_CREW ? crew : pub);
        }
    }
    msg_unref(pub);
    msg_unref(crew);
}

int64_t server_marker_ts(struct server *srv) {
    int64_t ts = server_now(srv);
    if (srv->nmarkers && ts <= srv->markers[srv->nmarkers - 1].ts) ts = srv->markers[srv->nmarkers - 1].ts + 1;
    return ts;
}

void server_keep_closed(struct server *srv, struct agg_poll *p) {
    agg_poll_free(srv->last_closed);
    srv->last_closed = p;
}

void server_flush_taps(struct server *srv, struct session *s) {
    int64_t now = server_now(srv);
    for (int k = 0; k < srv->ev->nreactions; k++) {
        if (!s->pend_taps[k]) continue;
        struct rec r = {.type = REC_REACT, .b = s->device, .kind = (int8_t)k, .c = s->pend_taps[k],
                        .section = s->section, .ts_ms = now};
        server_persist(srv, &r);  /* on a full queue the row is dropped (counted); the totals keep it */
        s->pend_taps[k] = 0;
    }
    s->dirty = 0;
}

struct msg *server_pop(struct server *srv, struct session *s) {
    (void)srv;
    return s->state == SS_DEAD ? NULL : session_pop(s);
}

int server_has_output(const struct server *srv, const struct session *s) {
    (void)srv;
    return s->state != SS_DEAD && session_pending(s);
}

int server_drained(struct server *srv, struct session *s) {
    (void)srv;
    s->stalled_since = 0;
    return s->state == SS_DRAINING ? s->close_code : 0;
}

/* --- connections -------------------------------------------------------- */

struct session *server_open(struct server *srv, void *conn, const char *ip) {
    if (srv->stopping) return NULL;
    struct session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (conns_add(&srv->conns, s) < 0) { free(s); return NULL; }
    s->conn = conn;
    s->state = SS_NEW;
    s->section = -1;
    s->opened_ms = server_mono(srv);
    session_set_ip(s, ip);
    s->ip_hash = util_hash_str(ip);
    if (!s->ip_hash) s->ip_hash = 1;
    srv->conns_total++;
    int a = anon_add(&srv->anon, s->ip_hash, srv->max_anon);
    if (a < 0) {
        /* Its address already has max_anon connections that have not said
         * hello: say why, and close once that is written. */
        srv->refused_anon++;
        metrics_refusal_add(&srv->refused, E_RATE_LIMITED);
        server_send(srv, s, proto_error_msg(E_RATE_LIMITED, "too many connections from your address are still "
                                                            "joining; retry in a few seconds"));
        server_close(srv, s, WIRE_CLOSE_POLICY);
    } else {
        s->anon = a == 0;
    }
    return s;
}

void server_joined(struct server *srv, struct session *s) {
    if (s->anon && s->state != SS_NEW) {
        anon_del(&srv->anon, s->ip_hash);
        s->anon = 0;
    }
}

void server_closed(struct server *srv, struct session *s) {
    if (s->dirty) {
        /* Unlink from the coalescing list, storing its taps first. */
        *s->dirty_pprev = s->dirty_next;
        if (s->dirty_next) s->dirty_next->dirty_pprev = s->dirty_pprev;
        server_flush_taps(srv, s);
    }
    if (s->session_id) {
        agg_conn(srv->agg, s->role, s->section, -1);
        struct rec r = {.type = REC_SESSION_END, .a = s->session_id};
        server_persist(srv, &r);
    }
    if (s->role == ROLE_AUDIENCE && s->device > 0 && devices_slot(&srv->dev, s->device) == s->slot + 1)
        devices_set_slot(&srv->dev, s->device, 0);
    if (s->anon) anon_del(&srv->anon, s->ip_hash);
    conns_remove(&srv->conns, s);
    session_clear(s);
    free(s);
}

uint32_t server_conns(const struct server *srv) { return conns_live(&srv->conns); }

void server_shutdown(struct server *srv) {
    srv->stopping = 1;
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (s) server_close(srv, s, WIRE_CLOSE_GOING_AWAY);
    }
}

/* --- store results -------------------------------------------------------- */

void server_acks(struct server *srv, const struct rec_result *res, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const struct rec_result *r = &res[i];
        if (!r->ok && r->type == REC_VOTE && !srv->cluster && srv->agg->poll && srv->agg->poll->id == r->a)
            agg_vote_revert(srv->agg, r->b, r->c, r->d);
        struct session *s = conns_lookup(&srv->conns, r->slot, r->gen);
        if (!s) continue;
        if (!r->ok)
            server_send(srv, s, proto_ack_err(r->msg_id, E_STORE_FAILED, "the database did not commit; retry"));
        else if (r->type == REC_VOTE)
            server_send(srv, s, proto_ack_vote(r->msg_id, r->a, r->c, r->d >= 0 && r->d != r->c));
        else if (r->type == REC_POLL_OPEN)
            server_send(srv, s, proto_ack_poll(r->msg_id, r->a));
        else
            server_send(srv, s, proto_ack_ok(r->msg_id));
    }
}

/* --- ticks ---------------------------------------------------------------- */

static struct msg *health_msg(struct server *srv) {
    struct enc_health h = {
        .now = server_now(srv), .uptime_s = (server_mono(srv) - srv->start_mono) / 1000,
        .conns = srv->agg->conns, .ev = srv->ev, .section_conns = srv->agg->section_conns,
        .signals_per_s = srv->signals_rate, .votes_per_s = srv->votes_rate,
        .signals_total = srv->agg->signals_total, .dropped_slow = srv->dropped_slow,
        .devices = srv->dev.count,
        .keys_wrong = srv->dev.key_failures, .keys_refused = srv->dev.key_refused,
        .peers = srv->cluster ? &srv->peers : NULL, .hub_id = srv->hub_id, .nats_up = srv->nats_up,
        .mono = server_mono(srv),
    };
    srv->io.stats(srv->io.arg, &h.store);
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (s && s->state == SS_NEW) h.pending++;
    }
    return enc_health(&h);
}

/* Sessions: drop the stalled, close those without hello in time, health to
 * the crew. */
static void check_sessions(struct server *srv, struct msg *health) {
    int64_t now = server_mono(srv);
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (!s || s->state == SS_DEAD) continue;
        if (s->stalled_since && now - s->stalled_since > SESSION_STALL_MS) {
            srv->dropped_slow++;
            kill_session(srv, s);
        } else if (s->state == SS_NEW && now - s->opened_ms > SESSION_HELLO_MS) {
            server_close(srv, s, WIRE_CLOSE_POLICY);
        } else if (s->role == ROLE_CREW && session_is_ready(s) && health) {
            send_shared(srv, s, health);
        }
    }
}

static void every_second(struct server *srv, int64_t sec) {
    struct rec_second *x = calloc(1, sizeof *x);
    struct agg_second cur;
    agg_second_done(srv->agg, sec, &cur);
    if (x) {
        x->s = cur;
        memcpy(x->totals, srv->agg->totals, sizeof x->totals);
        struct rec r = {.type = REC_SECOND, .second = x};
        server_persist(srv, &r);
    }
    srv->signals_rate = srv->agg->signals_total - srv->signals_last;
    srv->signals_last = srv->agg->signals_total;
    srv->votes_rate = srv->agg->votes_total - srv->votes_last;
    srv->votes_last = srv->agg->votes_total;
    struct msg *hm = health_msg(srv);
    check_sessions(srv, hm);
    msg_unref(hm);
}

void server_tick(struct server *srv) {
    while (srv->dirty) {
        struct session *s = srv->dirty;
        srv->dirty = s->dirty_next;
        if (srv->dirty) srv->dirty->dirty_pprev = &srv->dirty;
        server_flush_taps(srv, s);
    }
    server_cluster_tick(srv);
    agg_tick(srv->agg);
    int64_t now = server_now(srv);
    int64_t sec = now / 1000;
    if (srv->last_sec == 0) srv->last_sec = sec;
    while (srv->last_sec < sec) every_second(srv, srv->last_sec++);

    srv->seq++;
    struct snap_in in = {.agg = srv->agg, .ev = srv->ev, .mod = srv->mod, .banned = srv->dev.nbanned,
                         .seq = srv->seq, .now = now};
    if (srv->cluster) {
        in.ext = &srv->ext;
        in.peers = &srv->peers;
        in.partial = server_cluster_partial(srv);
    }
    struct msg *snap = snap_encode(&in, 0), *crew_snap = snap_encode(&in, 1);
    if (!snap || !crew_snap) { msg_unref(snap); msg_unref(crew_snap); return; }
    int every = srv->audience_every;
    int64_t phase = srv->seq % every;
    /* Screens, stage and crew first: the loop services writable sockets in
     * the order they were asked for, and they are the ones watched live. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
            struct session *s = conns_at(&srv->conns, i);
            if (!s || !session_is_ready(s) || (s->role == ROLE_AUDIENCE) != pass) continue;
            if (pass && (int64_t)(i % (uint32_t)every) != phase) continue;
            if (pass && s->poll_gen != srv->poll_gen && srv->poll_msg) {
                s->poll_gen = srv->poll_gen;
                send_shared(srv, s, srv->poll_msg);
                if (!session_is_open(s)) continue;
            }
            struct msg *m = s->role == ROLE_CREW ? crew_snap : snap;
            if (pass ? write_batch(srv, s, m) : write_now(srv, s, m)) continue;
            offer_snap(srv, s, m);
        }
    }
    /* Every gathered snapshot is out (or back in its queue) before the tick
     * returns: nothing else can be written between. */
    if (srv->io.write_flush) srv->io.write_flush(srv->io.arg);
    msg_unref(snap);
    msg_unref(crew_snap);
}

/* --- life cycle ----------------------------------------------------------- */

struct server *server_new(const struct server_opts *o, const struct event_def *ev, struct rec_boot *boot,
                          const struct server_io *io, char *err, size_t errlen) {
    assert(io->want_write && io->kill && io->persist && io->stats);
    assert(o->tick_ms > 0 && o->audience_hz > 0);
    struct server *srv = calloc(1, sizeof *srv);
    if (!srv) { snprintf(err, errlen, "out of memory"); return NULL; }
    srv->io = *io;
    srv->ev = ev;
    srv->start_mono = server_mono(srv);
    proto_dec_init(&srv->dec);
    srv->agg = agg_new(ev->nreactions, ev->nsections, o->tick_ms);
    srv->mod = mod_new(boot->has_chant_mode ? boot->chant_mode : ev->mod_mode);
    if (!srv->agg || !srv->mod || agg_load(srv->agg, &boot->saved) < 0 ||
        devices_init(&srv->dev, boot->max_device, boot->device_section) < 0) {
        snprintf(err, errlen, "out of memory");
        server_free(srv);
        return NULL;
    }
    for (size_t i = 0; i < boot->nmod; i++)
        mod_set(srv->mod, boot->mod[i].key, boot->mod[i].text, boot->mod[i].flags, boot->mod[i].ts);
    srv->last_closed = boot->last_closed;   /* taken over */
    boot->last_closed = NULL;
    for (size_t i = 0; i < boot->nmarkers && i < REC_MARKERS_MAX; i++) srv->markers[srv->nmarkers++] = boot->markers[i];
    for (int i = 0; i < boot->nplayed && i < REC_PLAYED_MAX; i++) srv->played[srv->nplayed++] = boot->played[i];
    /* In a cluster a ban may be of another hub's device (it came through
     * the control stream): any id a hub could have given. */
    for (size_t i = 0; i < boot->nbanned; i++) {
        int64_t d = boot->banned[i];
        int known = devices_is_known(&srv->dev, d) || (o->cluster && d >= 1 && d < DEVICES_ID_MAX);
        if (known && devices_ensure(&srv->dev, d) == 0) devices_set_banned(&srv->dev, d, 1);
    }
    memcpy(srv->secret, boot->secret, sizeof srv->secret);
    srv->next_session = boot->max_session + 1;
    srv->next_poll = boot->max_poll + 1;
    double every = 1000.0 / (o->tick_ms * o->audience_hz);
    srv->audience_every = every < 1 ? 1 : (int)lround(every);
    srv->max_anon = o->max_anon_per_ip ? o->max_anon_per_ip : SERVER_ANON_DEFAULT;
    snprintf(srv->join_url, sizeof srv->join_url, "%s", o->join_url ? o->join_url : "");
    srv->cluster = o->cluster;
    srv->hub_id = o->hub_id;
    snprintf(srv->where, sizeof srv->where, "%s", o->where ? o->where : "");
    srv->peers.self = o->hub_id;
    srv->started_ms = server_now(srv);
    if (o->cluster) devices_stride(&srv->dev, PEERS_MAX, o->hub_id);
    srv->ctl_seq = boot->ctl_seq;
    srv->dev.count = boot->ndevices;
    srv->ghost.state = SS_READY;
    srv->ghost.role = ROLE_CREW;
    srv->ghost.slot = UINT32_MAX;
    server_osc_restore(srv, boot);
    return srv;
}

void server_free(struct server *srv) {
    if (!srv) return;
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        struct session *s = conns_at(&srv->conns, i);
        if (s) server_closed(srv, s);
    }
    msg_unref(srv->poll_msg);
    agg_poll_free(srv->last_closed);
    agg_free(srv->agg);
    mod_free(srv->mod);
    proto_dec_free(&srv->dec);
    devices_free(&srv->dev);
    conns_free(&srv->conns);
    free(srv);
}
