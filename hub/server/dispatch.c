/* dispatch.c -- one handler per client message (see server.h).
 *
 * server_frame decodes the message (proto), checks that the session's state
 * and role allow it, and hands it to its handler. A handler checks limits
 * and fields, updates agg, queues a record for the store and queues the
 * reply. Anything wrong is answered with a named error (docs/protocol.md):
 * an ack with ok:false when the message had an id, an error message
 * otherwise; a client over its error budget is closed with 1008. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chant.h"
#include "enc.h"
#include "filter.h"
#include "log.h"
#include "server_impl.h"

static void reject(struct server *srv, struct session *s, const struct proto_msg *m, const char *code, const char *text) {
    metrics_refusal_add(&srv->refused, code);
    if (s == &srv->ghost) return;   /* another hub's crew member: its own hub tells it */
    if (m && m->has_id) server_send(srv, s, proto_ack_err(m->id, code, text));
    else server_send(srv, s, proto_error_msg(code, text));
    if (session_error(s, server_now32(srv)) < 0) server_close(srv, s, WIRE_CLOSE_POLICY);
}

static int limited(struct server *srv, struct session *s, enum limit_id id, double cost) {
    return !rate_allow(&s->b[id], &srv->ev->limits[id], server_now32(srv), cost);
}

static int str_eq(struct proto_str s, const char *lit) {
    return s.p && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* True when s holds nothing but white space (ASCII; the crew types it). */
static int blank(struct proto_str s) {
    for (uint32_t i = 0; i < s.n; i++)
        if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\n' && s.p[i] != '\r') return 0;
    return 1;
}

/* --- hello ---------------------------------------------------------------- */

static const char *role_key(const struct event_def *ev, enum role role) {
    switch (role) {
    case ROLE_SCREEN: return ev->key_screen;
    case ROLE_PERFORMER: return ev->key_performer;
    case ROLE_CREW: return ev->key_crew;
    default: return NULL;
    }
}

/* An audience hello: the device its token names, or a new one (within the
 * address's join budget), its section remembered; an older connection of
 * the same device is closed with 4000. Returns the device, or 0 after
 * rejecting m. Writes the device's token to token. */
static int64_t admit_device(struct server *srv, struct session *s, const struct proto_msg *m, int *section,
                            char *token, size_t toklen) {
    int64_t device = m->token.p ? auth_token_check(srv->secret, srv->ev->code, m->token.p, m->token.n) : -1;
    int is_new = !devices_is_known(&srv->dev, device);  /* unsigned, or signed but not in this database */
    if (!is_new && devices_is_banned(&srv->dev, device)) {
        reject(srv, s, m, E_BANNED, "this device was banned by the crew");
        server_close(srv, s, WIRE_CLOSE_BANNED);
        return 0;
    }
    if (is_new) {
        if (!devices_allow_join(&srv->dev, s->ip_hash, &srv->ev->limits[LIM_JOINS_PER_IP], server_now32(srv))) {
            reject(srv, s, m, E_RATE_LIMITED, "too many new devices from this address; retry soon");
            return 0;
        }
        device = srv->dev.next;
        if (devices_ensure(&srv->dev, device) < 0) {
            reject(srv, s, m, E_STORE_FAILED, "out of memory");
            return 0;
        }
    } else {
        if (devices_ensure(&srv->dev, device) < 0) {   /* in a cluster: a device another hub made */
            reject(srv, s, m, E_STORE_FAILED, "out of memory");
            return 0;
        }
        devices_seen(&srv->dev, device);
        if (*section < 0) *section = devices_section(&srv->dev, device);
    }
    if (is_new || *section != devices_section(&srv->dev, device)) {
        struct rec r = {.type = REC_DEVICE, .a = device, .section = (int8_t)*section};
        if (server_persist(srv, &r) < 0) {
            reject(srv, s, m, E_STORE_FAILED, "the hub is overloaded; retry soon");
            return 0;
        }
        devices_set_section(&srv->dev, device, *section);
    }
    if (is_new) devices_new(&srv->dev);   /* room was ensured above */
    uint32_t old = devices_slot(&srv->dev, device);
    struct session *o = old ? conns_at(&srv->conns, old - 1) : NULL;
    /* The device's buckets move to this connection (from the older one, or
     * from where its last connection left them): a reconnection starts
     * where the device stood, never with full buckets. */
    if (devices_attach(&srv->dev, device, s->slot, s->b) < 0) {
        reject(srv, s, m, E_STORE_FAILED, "out of memory");
        return 0;
    }
    if (o && o != s) {
        o->device = 0;  /* its close must not clear the new owner */
        server_close(srv, o, WIRE_CLOSE_REPLACED);
    }
    auth_token_make(srv->secret, srv->ev->code, device, token, toklen);
    return device;
}

/* A role key from the address. The right key is always accepted: a fan
 * on the crew's own network (a venue NAT) sending wrong keys must never
 * lock the crew out on show night; keys are long and random (--new-event),
 * so guessing is not what protects them. A wrong key is charged to the
 * address's key_failures_per_ip budget; over it, the answer is key_locked
 * and the connection is closed, so each further guess costs a new
 * connection (and counts against --max-anon-per-ip). Both refusals are
 * counted for the crew's health view and logged at most every 10 s with a
 * count. Returns 1 when the key is right (after rejecting m otherwise). */
static int key_ok(struct server *srv, struct session *s, const struct proto_msg *m, const char *key) {
    const struct event_limit *lim = &srv->ev->limits[LIM_KEY_FAILURES];
    uint32_t now = server_now32(srv);
    int ok = 0;
    if (!m->key.p) {
        reject(srv, s, m, E_BAD_KEY, "this role needs its key");
        return 0;
    }
    if ((ok = auth_key_ok(key, m->key.p, m->key.n))) {
        /* accepted, whatever the address's budget */
    } else if (!devices_key_may_try(&srv->dev, s->ip_hash, lim, now)) {
        reject(srv, s, m, E_KEY_LOCKED, "too many wrong keys from this address; wait a minute before trying again");
        server_close(srv, s, WIRE_CLOSE_POLICY);
    } else {
        devices_key_failed(&srv->dev, s->ip_hash, lim, now);
        reject(srv, s, m, E_BAD_KEY, "wrong key for this role");
    }
    int64_t n = ok ? 0 : devices_key_log(&srv->dev, now);
    if (n)
        log_warn("wrong or refused role keys", "count=%lld latest_role=%s latest_from=%s wrong_total=%lld "
                 "refused_total=%lld next_line_in_s=10", (long long)n, wire_role_name(m->role),
                 log_q(s->ip[0] ? s->ip : "unknown"), (long long)srv->dev.key_failures,
                 (long long)srv->dev.key_refused);
    return ok;
}

static void on_hello(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (s->state != SS_NEW) return reject(srv, s, m, E_NOT_ALLOWED, "hello was already sent");
    if (m->event.p && m->event.n > 0 && !str_eq(m->event, srv->ev->code))
        return reject(srv, s, m, E_UNKNOWN_EVENT, "this hub does not run that event");
    const char *key = role_key(srv->ev, m->role);
    if (key && !key_ok(srv, s, m, key)) return;
    int section = -1;
    if (m->section.p && m->section.n > 0) {
        section = event_def_section(srv->ev, m->section.p, m->section.n);
        if (section < 0) return reject(srv, s, m, E_BAD_FIELD, "field 'section' is not one of the event's sections");
    }
    char token[AUTH_TOKEN_MAX + 1] = "";
    int64_t device = 0;
    if (m->role == ROLE_AUDIENCE && !(device = admit_device(srv, s, m, &section, token, sizeof token))) return;
    session_set_state(s, SS_READY);
    s->role = m->role;
    s->device = device;
    s->section = (int8_t)(m->role == ROLE_AUDIENCE ? section : -1);
    s->session_id = srv->next_session++;
    struct rec r = {.type = REC_SESSION_START, .a = s->session_id, .b = device, .c = (int32_t)m->role,
                    .section = s->section};
    server_persist(srv, &r);  /* analytics only: a full queue loses the row, not the connection */
    agg_conn(srv->agg, s->role, s->section, +1);
    s->poll_gen = srv->poll_gen;   /* the welcome carries the current poll */
    struct enc_welcome w = {
        .device = device, .token = token, .role = s->role, .ev = srv->ev, .join_url = srv->join_url,
        .now = server_now(srv), .poll = srv->agg->poll,
        .voted = s->role == ROLE_AUDIENCE ? agg_vote_of(srv->agg, device) : -1,
        .last_closed = srv->last_closed, .markers = srv->markers, .nmarkers = srv->nmarkers,
        .last_voted = s->role == ROLE_AUDIENCE ? agg_last_vote_of(srv->agg, device) : -1,
        .now_playing = server_now_playing(srv), .chosen = server_chosen_playing(srv),
    };
    server_send(srv, s, enc_welcome(&w));
}

/* --- audience ------------------------------------------------------------- */

/* When the fan made a signal: now, or `age` ms before (a phone's offline
 * backlog). Hub time is authoritative: never in the future, never more than
 * WIRE_MAX_AGE_MS back, never before the hub started. */
static int64_t made_at(const struct server *srv, int64_t age) {
    int64_t now = server_now(srv), up = server_mono(srv) - srv->start_mono;
    int64_t max = up < WIRE_MAX_AGE_MS ? up : WIRE_MAX_AGE_MS;
    if (age <= 0 || max <= 0) return now;
    return now - (age < max ? age : max);
}

static void on_vote(struct server *srv, struct session *s, const struct proto_msg *m) {
    struct agg_poll *p = srv->agg->poll;
    if (limited(srv, s, LIM_VOTES, 1)) return reject(srv, s, m, E_RATE_LIMITED, "too many votes; slow down");
    if (!p || p->id != m->poll) {
        if (m->poll >= 1 && m->poll < srv->next_poll) return reject(srv, s, m, E_POLL_CLOSED, "that poll is closed");
        return reject(srv, s, m, E_UNKNOWN_POLL, "no such poll");
    }
    if (m->option < 0 || m->option >= p->nopts) return reject(srv, s, m, E_BAD_OPTION, "no such option in this poll");
    int64_t at = made_at(srv, m->age);
    if (srv->cluster) return server_cluster_send_vote(srv, s, m, p, at > p->opened_ms ? at : p->opened_ms);
    struct rec r = {.type = REC_VOTE, .want_ack = 1, .a = p->id, .b = s->device, .c = (int32_t)m->option,
                    .section = s->section, .ts_ms = at > p->opened_ms ? at : p->opened_ms,
                    .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (dedup_seen(&srv->seen, s->device, m->cid) && agg_vote_of(srv->agg, s->device) == (int)m->option) {
        /* A re-send of a vote already counted (its ack was lost with the
         * connection): counted once, acked once the round holding it committed. */
        r.kind = 1;
        r.d = r.c;
        if (server_persist(srv, &r) < 0) reject(srv, s, m, E_STORE_FAILED, "the hub is overloaded; retry soon");
        return;
    }
    int prev;
    int rc = agg_vote(srv->agg, s->device, (int)m->option, &prev);
    if (rc < 0) dedup_forget(&srv->seen, s->device, m->cid);   /* refused: a later re-send is a new try */
    if (rc == AGG_ALREADY_VOTED) return reject(srv, s, m, E_ALREADY_VOTED, "this poll does not allow changing a vote");
    if (rc < 0) return reject(srv, s, m, E_STORE_FAILED, "out of memory");
    r.d = prev;
    if (server_persist(srv, &r) < 0) {
        agg_vote_revert(srv->agg, s->device, (int)m->option, prev);
        dedup_forget(&srv->seen, s->device, m->cid);
        reject(srv, s, m, E_STORE_FAILED, "the hub could not store the vote; retry");
    }
}

static void on_react(struct server *srv, struct session *s, const struct proto_msg *m) {
    int kind = event_def_reaction(srv->ev, m->kind.p, m->kind.n);
    if (kind < 0) return reject(srv, s, m, E_BAD_FIELD, "field 'kind' is not one of the event's reactions");
    if (limited(srv, s, LIM_REACT_MSGS, 1) || limited(srv, s, LIM_REACT_TAPS, (double)m->n))
        return reject(srv, s, m, E_RATE_LIMITED, "too many reactions; slow down");
    int64_t at = made_at(srv, m->age);
    if (m->age >= 1000 && at / 1000 < server_now(srv) / 1000) {
        /* A backlog from a phone that was offline: stored in the second the
         * taps were made (the timeline), not as a burst now. */
        agg_react_late(srv->agg, kind, m->n);
        struct rec r = {.type = REC_REACT, .b = s->device, .kind = (int8_t)kind, .c = (int32_t)m->n, .d = 1,
                        .section = s->section, .ts_ms = at};
        server_persist(srv, &r);   /* droppable like every reaction row; the totals keep it */
        if (m->has_id) server_send(srv, s, proto_ack_ok(m->id));
        return;
    }
    agg_react(srv->agg, kind, m->n);
    s->pend_taps[kind] += (int32_t)m->n;
    if (!s->dirty) {
        s->dirty = 1;
        s->dirty_next = srv->dirty;
        s->dirty_pprev = &srv->dirty;
        if (srv->dirty) srv->dirty->dirty_pprev = &s->dirty_next;
        srv->dirty = s;
    }
    if (m->has_id) server_send(srv, s, proto_ack_ok(m->id));
}

/* A chant: closed (mode off), malformed, over the limit, refused by the
 * filter, or counted; in approve mode it shows once the crew approves it. */
static void on_chant(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (mod_mode(srv->mod) == MOD_OFF) return reject(srv, s, m, E_CHANTS_OFF, "the crew closed chants for now");
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    switch (chant_normalize(m->text.p, m->text.n, disp, key)) {
    case 0: break;
    case CHANT_TOO_LONG: return reject(srv, s, m, E_TOO_LONG, "a chant is at most 64 characters");
    case CHANT_EMPTY: return reject(srv, s, m, E_BAD_FIELD, "field 'text' is empty");
    default: return reject(srv, s, m, E_BAD_FIELD, "field 'text' has control characters");
    }
    if (limited(srv, s, LIM_CHANTS, 1)) return reject(srv, s, m, E_RATE_LIMITED, "too many chants; slow down");
    int64_t now = server_now(srv);
    if (filter_check(srv->ev->filter, key) == FILTER_BLOCKED) {
        struct rec r = {.type = REC_MOD, .kind = MOD_BLOCKED, .b = s->device, .text = strdup(disp), .key = strdup(key)};
        server_persist(srv, &r);   /* the audit log; droppable under pressure */
        return reject(srv, s, m, E_BLOCKED, "this text is not allowed here");
    }
    uint8_t flags = mod_flags(srv->mod, key);
    int held = mod_mode(srv->mod) == MOD_APPROVE && !(flags & CHANT_APPROVED);
    if (dedup_seen(&srv->seen, s->device, m->cid)) {   /* a re-send after a lost ack: counted once */
        if (m->has_id) server_send(srv, s, proto_ack_chant(m->id, held));
        return;
    }
    agg_chant(srv->agg, key, disp, now / 1000, s->device, now, flags);
    struct rec r = {.type = REC_CHANT, .b = s->device, .section = s->section, .text = strdup(disp), .key = strdup(key),
                    .ts_ms = made_at(srv, m->age)};
    if (r.text && r.key) server_persist(srv, &r);
    else { free(r.text); free(r.key); }
    if (m->has_id) server_send(srv, s, proto_ack_chant(m->id, held));
}

/* A phone picks (or leaves) its section: the same session, counted once. */
static void on_section(struct server *srv, struct session *s, const struct proto_msg *m) {
    int section = -1;
    if (m->section.n > 0 && (section = event_def_section(srv->ev, m->section.p, m->section.n)) < 0)
        return reject(srv, s, m, E_BAD_FIELD, "field 'section' is not one of the event's sections");
    if (section != s->section) {
        struct rec r = {.type = REC_DEVICE, .a = s->device, .section = (int8_t)section};
        if (server_persist(srv, &r) < 0) return reject(srv, s, m, E_STORE_FAILED, "the hub is overloaded; retry soon");
        agg_conn(srv->agg, s->role, s->section, -1);
        agg_conn(srv->agg, s->role, section, +1);
        s->section = (int8_t)section;
        devices_set_section(&srv->dev, s->device, section);
    }
    if (m->has_id) server_send(srv, s, proto_ack_ok(m->id));
}

/* --- crew ----------------------------------------------------------------- */

static void close_open_poll(struct server *srv) {
    struct agg_poll *old = agg_poll_close(srv->agg, server_now(srv));
    if (!old) return;
    if (old->reveal == REVEAL_ON_CLOSE) old->revealed = 1;
    struct rec r = {.type = REC_POLL_CLOSE, .a = old->id, .ts_ms = old->closed_ms};
    server_persist(srv, &r);
    server_broadcast_poll(srv, old, 0);
    server_keep_closed(srv, old);
}

/* The poll as agg keeps it and the copy of question and options the store
 * record takes. Returns 0, or -1 on out-of-memory (nothing left allocated). */
static int copy_poll(const struct proto_msg *m, struct agg_poll **pp, char **qq, char ***oo) {
    struct agg_poll *p = calloc(1, sizeof *p);
    char **opts = calloc((size_t)m->noptions, sizeof *opts);
    char *q = strndup(m->text.p, m->text.n);
    int ok = p && opts && q && (p->question = strndup(m->text.p, m->text.n)) != NULL;
    for (int i = 0; ok && i < m->noptions; i++) {
        p->options[i] = strndup(m->options[i].p, m->options[i].n);
        opts[i] = strndup(m->options[i].p, m->options[i].n);
        p->nopts = i + 1;
        ok = p->options[i] && opts[i];
    }
    if (!ok) {
        agg_poll_free(p);
        if (opts) for (int i = 0; i < m->noptions; i++) free(opts[i]);
        free(opts);
        free(q);
        return -1;
    }
    *pp = p;
    *qq = q;
    *oo = opts;
    return 0;
}

static void on_poll_open(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (blank(m->text)) return reject(srv, s, m, E_BAD_FIELD, "field 'question' is blank");
    for (int i = 0; i < m->noptions; i++) {
        if (blank(m->options[i])) return reject(srv, s, m, E_BAD_FIELD, "field 'options' has a blank entry");
        for (int j = 0; j < i; j++)
            if (m->options[i].n == m->options[j].n && !memcmp(m->options[i].p, m->options[j].p, m->options[i].n))
                return reject(srv, s, m, E_BAD_FIELD, "field 'options' has the same entry twice");
    }
    struct agg_poll *p;
    char *q, **opts;
    if (copy_poll(m, &p, &q, &opts) < 0) return reject(srv, s, m, E_STORE_FAILED, "out of memory");
    close_open_poll(srv);
    /* In a cluster the control stream's seq names the poll on every hub. */
    p->id = srv->applying ? (int64_t)srv->applying : srv->next_poll++;
    if (p->id >= srv->next_poll) srv->next_poll = p->id + 1;
    p->allow_change = m->allow_change;
    p->reveal = m->reveal;
    p->opened_ms = server_now(srv);
    struct rec r = {.type = REC_POLL_OPEN, .want_ack = 1, .kind = (int8_t)m->reveal, .a = p->id,
                    .b = srv->agg->conns[ROLE_AUDIENCE],
                    .c = m->noptions, .d = m->allow_change, .text = q, .opts = opts, .ts_ms = p->opened_ms,
                    .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (server_persist(srv, &r) < 0) {
        agg_poll_free(p);
        if (!srv->applying) srv->next_poll--;
        return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the poll; retry");
    }
    agg_poll_open(srv->agg, p);
    server_broadcast_poll(srv, p, 1);
}

static void on_poll_close(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (!srv->agg->poll || srv->agg->poll->id != m->poll) {
        if (m->poll >= 1 && m->poll < srv->next_poll) return reject(srv, s, m, E_POLL_CLOSED, "that poll is already closed");
        return reject(srv, s, m, E_UNKNOWN_POLL, "no such poll");
    }
    struct rec r = {.type = REC_POLL_CLOSE, .want_ack = 1, .a = m->poll, .slot = s->slot, .gen = s->gen,
                    .msg_id = m->id};
    if (server_persist(srv, &r) < 0) return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    struct agg_poll *old = agg_poll_close(srv->agg, r.ts_ms);
    if (old->reveal == REVEAL_ON_CLOSE) old->revealed = 1;
    server_broadcast_poll(srv, old, 0);
    server_keep_closed(srv, old);
}

/* Undo an accidental close: the last closed poll opens again with the votes
 * it had (the same poll, so the report counts it once); an on_close poll
 * hides its results again. Only while no other poll is open. */
static void on_poll_reopen(struct server *srv, struct session *s, const struct proto_msg *m) {
    struct agg_poll *p = srv->last_closed;
    if (srv->agg->poll) return reject(srv, s, m, E_NOT_ALLOWED, "a poll is open; close it before reopening another");
    if (!p || p->id != m->poll) return reject(srv, s, m, E_UNKNOWN_POLL, "only the last closed poll can be reopened");
    if (server_played_started(srv, p->id))
        return reject(srv, s, m, E_NOT_ALLOWED, "the crowd's choice from this poll is already playing");
    struct rec r = {.type = REC_POLL_REOPEN, .want_ack = 1, .a = p->id, .slot = s->slot, .gen = s->gen,
                    .msg_id = m->id};
    if (server_persist(srv, &r) < 0) return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    srv->last_closed = NULL;   /* agg owns it again */
    if (p->reveal == REVEAL_ON_CLOSE) p->revealed = 0;
    p->played_ms = 0;   /* the choice is undone with the close */
    server_unplay(srv, p->id);
    agg_poll_reopen(srv->agg, p);
    server_broadcast_poll(srv, p, 1);
}

/* Show a poll's results to everybody: the open poll, or the last closed one. */
static void on_poll_reveal(struct server *srv, struct session *s, const struct proto_msg *m) {
    struct agg_poll *p = srv->agg->poll && srv->agg->poll->id == m->poll ? srv->agg->poll
                       : srv->last_closed && srv->last_closed->id == m->poll ? srv->last_closed : NULL;
    if (!p) return reject(srv, s, m, E_UNKNOWN_POLL, "only the open poll or the last closed one can be revealed");
    struct rec r = {.type = REC_POLL_REVEAL, .want_ack = 1, .a = m->poll, .slot = s->slot, .gen = s->gen,
                    .msg_id = m->id};
    if (server_persist(srv, &r) < 0) return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    if (p->reveal == REVEAL_LIVE || p->revealed) return;   /* already shown: acked, nothing changes */
    p->revealed = 1;
    server_broadcast_poll(srv, p, p == srv->agg->poll);
}

/* The crew confirms the last closed poll's result ("Play it"): the winner,
 * or the option it names (a tie, no votes, or the crew's own call). Every
 * page gets the poll with `played`; phones show their "you chose this". */
static void on_poll_play(struct server *srv, struct session *s, const struct proto_msg *m) {
    struct agg_poll *p = srv->last_closed;
    if (!p || p->id != m->poll) return reject(srv, s, m, E_UNKNOWN_POLL, "only the last closed poll can be played");
    int opt = m->has_option ? (int)m->option : agg_poll_winner(p);
    if (opt < 0) return reject(srv, s, m, E_BAD_FIELD, "no single winner (a tie or no votes): say which 'option' to play");
    if (opt >= p->nopts) return reject(srv, s, m, E_BAD_OPTION, "no such option in this poll");
    struct rec r = {.type = REC_POLL_PLAY, .want_ack = 1, .a = p->id, .c = opt, .slot = s->slot, .gen = s->gen,
                    .msg_id = m->id};
    if (server_persist(srv, &r) < 0) return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    p->played_ms = r.ts_ms;
    p->played_option = opt;
    p->revealed = 1;   /* playing it shows it */
    server_keep_played(srv, p);
    server_broadcast_poll(srv, p, 0);
}

static void on_marker(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (blank(m->text)) return reject(srv, s, m, E_BAD_FIELD, "field 'label' is blank");
    struct rec r = {.want_ack = 1, .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (server_set_marker(srv, &r, m->text.p, m->text.n, m->marker) < 0)
        return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the marker; retry");
}

/* Correct (label, kind) or delete one of the newest markers, named by its ts;
 * every screen, stage and crew page gets the new list and song now playing. */
static void on_marker_edit(struct server *srv, struct session *s, const struct proto_msg *m) {
    int i = srv->nmarkers - 1;
    while (i >= 0 && srv->markers[i].ts != m->at) i--;
    if (i < 0) return reject(srv, s, m, E_UNKNOWN_MARKER, "no such marker among the newest 20");
    int del = m->type == PT_MARKER_DELETE;
    if (!del && m->has_label && blank(m->text)) return reject(srv, s, m, E_BAD_FIELD, "field 'label' is blank");
    int kind = !del && m->has_kind ? (int)m->marker : -1;
    struct rec_marker *k = &srv->markers[i];
    int64_t poll = server_marker_link(srv, k, del, m->has_label ? m->text.p : NULL, m->text.n, kind);
    struct rec r = {.type = REC_MARKER_EDIT, .want_ack = 1, .a = m->at, .b = poll, .c = del, .kind = (int8_t)kind,
                    .text = !del && m->has_label ? strndup(m->text.p, m->text.n) : NULL,
                    .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if ((!del && m->has_label && !r.text) || server_persist(srv, &r) < 0)
        return reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    server_marker_relink(srv, k, poll);
    if (del) {
        memmove(k, k + 1, (size_t)(srv->nmarkers - i - 1) * sizeof *k);
        srv->nmarkers--;
    } else {
        if (m->has_label) snprintf(k->label, sizeof k->label, "%.*s", (int)m->text.n, m->text.p);
        if (m->has_kind) k->kind = m->marker;
    }
    server_broadcast_watchers(srv, enc_markers(srv->markers, srv->nmarkers, server_now_playing(srv),
                                               server_chosen_playing(srv)));
}

/* --- moderation (crew) ------------------------------------------------------ */

/* approve, hide, unhide: set the text's flags everywhere it shows. */
static void mod_text(struct server *srv, struct session *s, const struct proto_msg *m) {
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    if (chant_normalize(m->text.p, m->text.n, disp, key) != 0)
        return reject(srv, s, m, E_BAD_FIELD, "field 'text' is not a chant's text");
    uint8_t flags = mod_flags(srv->mod, key);
    if (m->action == MOD_APPROVE_TEXT) flags = (uint8_t)((flags | CHANT_APPROVED) & ~CHANT_HIDDEN);
    else if (m->action == MOD_HIDE) flags |= CHANT_HIDDEN;
    else flags &= (uint8_t)~CHANT_HIDDEN;
    int64_t now = server_now(srv);
    const char *seen = chant_text(srv->agg->chants, key);   /* the spelling the crowd saw */
    if (seen) snprintf(disp, sizeof disp, "%s", seen);
    int rc = mod_set(srv->mod, key, disp, flags, now);
    if (rc == MOD_FULL) return reject(srv, s, m, E_MOD_FULL, "the moderation list is full (4096 texts)");
    if (rc < 0) return reject(srv, s, m, E_STORE_FAILED, "out of memory");
    chant_set_flags(srv->agg->chants, key, flags);
    struct rec r = {.type = REC_MOD, .want_ack = 1, .kind = (int8_t)m->action, .a = s->session_id, .c = flags,
                    .text = strdup(disp), .key = strdup(key), .ts_ms = now, .slot = s->slot, .gen = s->gen,
                    .msg_id = m->id};
    if (server_persist(srv, &r) < 0) reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
}

/* ban, unban: a banned device is disconnected, leaves the open poll's tally
 * and is refused from then on. */
static void mod_device(struct server *srv, struct session *s, const struct proto_msg *m) {
    int64_t d = m->device;
    if (!devices_is_known(&srv->dev, d)) return reject(srv, s, m, E_UNKNOWN_DEVICE, "this event has no such device");
    int ban = m->action == MOD_BAN;
    /* In a cluster any hub's id is known: only ids some phone has shown
     * (a typo must not grow the tables to it). */
    if (srv->cluster && d >= srv->dev.next && d > srv->dev.seen_max)
        return reject(srv, s, m, E_UNKNOWN_DEVICE, "this event has no such device");
    if (devices_ensure(&srv->dev, d) < 0) return reject(srv, s, m, E_STORE_FAILED, "out of memory");
    devices_set_banned(&srv->dev, d, ban);
    if (ban) {
        agg_vote_remove(srv->agg, d);
        uint32_t slot = devices_slot(&srv->dev, d);
        struct session *o = slot ? conns_at(&srv->conns, slot - 1) : NULL;
        if (o) server_close(srv, o, WIRE_CLOSE_BANNED);
    }
    struct rec r = {.type = REC_MOD, .want_ack = 1, .kind = (int8_t)m->action, .a = s->session_id, .b = d,
                    .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (server_persist(srv, &r) < 0) reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
}

static void on_mod(struct server *srv, struct session *s, const struct proto_msg *m) {
    switch (m->action) {
    case MOD_APPROVE_TEXT: case MOD_HIDE: case MOD_UNHIDE: return mod_text(srv, s, m);
    case MOD_BAN: case MOD_UNBAN: return mod_device(srv, s, m);
    default: break;
    }
    mod_set_mode(srv->mod, m->mode);
    struct rec r = {.type = REC_MOD, .want_ack = 1, .kind = MOD_SET_MODE, .a = s->session_id, .c = (int32_t)m->mode,
                    .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (server_persist(srv, &r) < 0) reject(srv, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
}

/* --- OSC gates (crew) ------------------------------------------------------ */

/* Open or close OSC out: the master gate (no target) or one target's. The
 * lighting operator's one-click cut; kept for a restart (oscctl.c). */
static void on_osc_gate(struct server *srv, struct session *s, const struct proto_msg *m) {
    if (server_osc_set_gate(srv, (int)m->osc_target, m->osc_on, s->session_id) < 0)
        return reject(srv, s, m, E_BAD_FIELD, srv->ev->osc ? "field 'target' is not one of the event's OSC targets"
                                                           : "this event sends no OSC (no 'osc' in the event file)");
    server_send(srv, s, proto_ack_ok(m->id));
}

/* --- entry ---------------------------------------------------------------- */

static int is_audience_message(enum proto_type t) {
    return t == PT_VOTE || t == PT_REACT || t == PT_CHANT || t == PT_SECTION;
}

void server_frame(struct server *srv, struct session *s, const uint8_t *buf, size_t len, int binary) {
    if (!session_is_open(s)) return;
    struct proto_msg m;
    struct proto_error err;
    if (!binary) return reject(srv, s, NULL, E_BAD_FRAME, "frames must be binary msgpack");
    if (proto_decode(&srv->dec, buf, len, &m, &err) < 0) return reject(srv, s, &m, err.code, err.msg);
    if (m.type == PT_PING) {
        if (limited(srv, s, LIM_PINGS, 1)) return reject(srv, s, &m, E_RATE_LIMITED, "too many pings");
        return server_send(srv, s, proto_pong(m.c, server_now(srv)));
    }
    if (m.type == PT_HELLO) {
        on_hello(srv, s, &m);
        server_joined(srv, s);
        return;
    }
    if (!session_is_ready(s)) return reject(srv, s, &m, E_NOT_ALLOWED, "send hello first");
    int audience = is_audience_message(m.type);
    if (audience ? s->role != ROLE_AUDIENCE : s->role != ROLE_CREW)
        return reject(srv, s, &m, E_NOT_ALLOWED, audience ? "only audience devices send this" : "only crew sends this");
    if (!audience && limited(srv, s, LIM_CREW_MSGS, 1))
        return reject(srv, s, &m, E_RATE_LIMITED, "too many crew messages at once; slow down and retry");
    switch (m.type) {
    case PT_VOTE: return on_vote(srv, s, &m);
    case PT_REACT: return on_react(srv, s, &m);
    case PT_CHANT: return on_chant(srv, s, &m);
    case PT_SECTION: return on_section(srv, s, &m);
    default: break;
    }
    /* Crew: in a cluster, what every hub must share goes through the
     * control stream; this hub applies it when the stream hands it back. */
    if (srv->cluster && server_cluster_replicated(m.type)) return server_cluster_send_ctl(srv, s, &m, buf, len);
    server_dispatch_crew(srv, s, &m);
}

void server_dispatch_crew(struct server *srv, struct session *s, const struct proto_msg *m) {
    switch (m->type) {
    case PT_POLL_OPEN: return on_poll_open(srv, s, m);
    case PT_POLL_CLOSE: return on_poll_close(srv, s, m);
    case PT_POLL_REVEAL: return on_poll_reveal(srv, s, m);
    case PT_MARKER: return on_marker(srv, s, m);
    case PT_MARKER_EDIT: case PT_MARKER_DELETE: return on_marker_edit(srv, s, m);
    case PT_POLL_REOPEN: return on_poll_reopen(srv, s, m);
    case PT_MOD: return on_mod(srv, s, m);
    case PT_OSC_GATE: return on_osc_gate(srv, s, m);
    case PT_POLL_PLAY: return on_poll_play(srv, s, m);
    default: return;
    }
}
