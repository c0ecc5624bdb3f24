/* hub.c -- the hub's core (see hub.h).
 *
 * Data path: net hands a whole frame to hub_conn_frame(); proto decodes it;
 * the handler checks role, limits and fields, updates agg, queues a store
 * record, and queues the reply on the session. Votes, polls and markers are
 * acked from hub_store_ready() once their transaction committed. Reactions
 * are coalesced per session and per tick into one `react` signal row per
 * (device, kind), so the store writes at most one row per device and kind
 * per tick however fast a client taps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chant.h"
#include "api.h"
#include "hub.h"
#include "net.h"
#include "snap.h"

static uint32_t now32(struct hub *h) { return (uint32_t)(util_mono_ms() - h->start_mono + 1); }

/* --- replies ----------------------------------------------------------- */

static void send_msg(struct hub *h, struct session *s, struct msg *m) {
    if (!m) return;
    if (s->state != SS_CLOSING) {
        if (session_push(s, m) < 0) {
            /* Not reading its replies: drop it rather than buffer more. */
            s->state = SS_CLOSING;
            net_kill(h->net, s->wsi);
        } else {
            if (!s->stalled_since) s->stalled_since = util_mono_ms();
            net_want_write(h->net, s->wsi);
        }
    }
    msg_unref(m);
}

void hub_close_session(struct hub *h, struct session *s, int code) {
    if (s->state == SS_CLOSING) return;
    s->state = SS_CLOSING;
    s->close_code = (uint16_t)code;
    net_want_write(h->net, s->wsi);
}

/* Answer a rejected message: ack when it had an id, error otherwise; a
 * client over its error budget is closed with 1008. */
static void reject(struct hub *h, struct session *s, const struct proto_msg *m, const char *code, const char *text) {
    if (m && m->has_id) send_msg(h, s, proto_ack_err(m->id, code, text));
    else send_msg(h, s, proto_error_msg(code, text));
    if (session_error(s, now32(h))) hub_close_session(h, s, 1008);
}

static int limited(struct hub *h, struct session *s, enum limit_id id, double cost) {
    return !session_take(&s->b[id], &h->ev->limits[id], now32(h), cost);
}

/* --- poll messages ------------------------------------------------------ */

static void pack_poll(msgpack_packer *pk, const struct agg_poll *p, int open, int voted) {
    int n = 6 + (open ? 0 : 3) + (voted >= 0 ? 1 : 0);
    msgpack_pack_map(pk, (size_t)n);
    proto_pack_kv_int(pk, "id", p->id);
    proto_pack_kv_str(pk, "question", p->question);
    proto_pack_str(pk, "options");
    msgpack_pack_array(pk, (size_t)p->nopts);
    for (int i = 0; i < p->nopts; i++) proto_pack_str(pk, p->options[i]);
    proto_pack_str(pk, "open");
    if (open) msgpack_pack_true(pk); else msgpack_pack_false(pk);
    proto_pack_str(pk, "allow_change");
    if (p->allow_change) msgpack_pack_true(pk); else msgpack_pack_false(pk);
    proto_pack_kv_int(pk, "opened", p->opened_ms);
    if (!open) {
        proto_pack_kv_int(pk, "closed", p->closed_ms);
        proto_pack_str(pk, "counts");
        msgpack_pack_array(pk, (size_t)p->nopts);
        for (int i = 0; i < p->nopts; i++) msgpack_pack_int64(pk, p->counts[i]);
        proto_pack_kv_int(pk, "voters", p->voters);
    }
    if (voted >= 0) proto_pack_kv_int(pk, "voted", voted);
}

/* Send m (consumed) to every screen, performer and crew connection. Phones
 * learn of the same events through their snapshot phase (hub_tick). */
static void broadcast_watchers(struct hub *h, struct msg *m) {
    if (!m) return;
    for (uint32_t i = 0; i < h->nslots; i++) {
        struct session *s = h->slots[i];
        if (s && s->state == SS_READY && s->role != ROLE_AUDIENCE) {
            msg_ref(m);
            send_msg(h, s, m);
        }
    }
    msg_unref(m);
}

/* Screens, stage and crew hear of a poll at once; phones get the latest
 * poll event with their next snapshot (hub_tick), spread over a second like
 * the snapshots: opening a poll must not queue 40,000 writes in one tick. */
static void broadcast_poll(struct hub *h, const struct agg_poll *p, int open) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 2);
    proto_pack_kv_str(&e.pk, "t", "poll");
    proto_pack_str(&e.pk, "poll");
    pack_poll(&e.pk, p, open, -1);
    struct msg *m = proto_enc_finish(&e);
    if (!m) return;
    msg_unref(h->poll_msg);
    msg_ref(m);
    h->poll_msg = m;
    h->poll_gen++;
    broadcast_watchers(h, m);
}

/* --- devices ------------------------------------------------------------ */

static int dev_ensure(struct hub *h, int64_t device) {
    if ((size_t)device < h->dev_cap) return 0;
    size_t cap = h->dev_cap ? h->dev_cap : 4096;
    while (cap <= (size_t)device) cap *= 2;
    int8_t *sec = realloc(h->dev_section, cap);
    if (!sec) return -1;
    h->dev_section = sec;
    uint32_t *sl = realloc(h->dev_slot, cap * sizeof *sl);
    if (!sl) return -1;
    h->dev_slot = sl;
    memset(sec + h->dev_cap, -1, cap - h->dev_cap);
    memset(sl + h->dev_cap, 0, (cap - h->dev_cap) * sizeof *sl);
    h->dev_cap = cap;
    return 0;
}

static int ip_allow_new_device(struct hub *h, uint32_t ip_hash) {
    uint32_t i = ip_hash % IP_BUCKETS;
    if (h->ipb[i].ip != ip_hash) {
        h->ipb[i].ip = ip_hash;
        memset(&h->ipb[i].b, 0, sizeof h->ipb[i].b);
    }
    return session_take(&h->ipb[i].b, &h->ev->limits[LIM_JOINS_PER_IP], now32(h), 1);
}

static int push(struct hub *h, struct store_rec *r) {
    if (!r->ts_ms) r->ts_ms = util_now_ms();
    return store_push(h->store, r);
}

/* --- handlers ----------------------------------------------------------- */

static int str_eq(struct proto_str s, const char *lit) {
    return s.p && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static void send_welcome(struct hub *h, struct session *s, const char *token) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    const struct event_def *ev = h->ev;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, 7);
    proto_pack_kv_str(pk, "t", "welcome");
    proto_pack_kv_int(pk, "device", s->device);
    proto_pack_kv_str(pk, "token", token);
    proto_pack_kv_str(pk, "role", agg_role_names[s->role]);
    proto_pack_str(pk, "event");
    msgpack_pack_map(pk, 6);
    proto_pack_kv_str(pk, "code", ev->code);
    proto_pack_kv_str(pk, "name", ev->name);
    proto_pack_str(pk, "reactions");
    msgpack_pack_array(pk, (size_t)ev->nreactions);
    for (int i = 0; i < ev->nreactions; i++) proto_pack_str(pk, ev->reactions[i]);
    proto_pack_str(pk, "sections");
    msgpack_pack_array(pk, (size_t)ev->nsections);
    for (int i = 0; i < ev->nsections; i++) proto_pack_str(pk, ev->sections[i]);
    proto_pack_str(pk, "songs");
    msgpack_pack_array(pk, (size_t)ev->nsongs);
    for (int i = 0; i < ev->nsongs; i++) proto_pack_str(pk, ev->songs[i]);
    proto_pack_kv_str(pk, "join_url", h->join_url);
    proto_pack_kv_int(pk, "now", util_now_ms());
    proto_pack_str(pk, "poll");
    if (h->agg->poll) pack_poll(pk, h->agg->poll, 1, s->role == ROLE_AUDIENCE ? agg_vote_of(h->agg, s->device) : -1);
    else msgpack_pack_nil(pk);
    send_msg(h, s, proto_enc_finish(&e));
}

static void on_hello(struct hub *h, struct session *s, const struct proto_msg *m) {
    if (s->state != SS_NEW) return reject(h, s, m, E_NOT_ALLOWED, "hello was already sent");
    enum role role;
    if (str_eq(m->role, "audience")) role = ROLE_AUDIENCE;
    else if (str_eq(m->role, "screen")) role = ROLE_SCREEN;
    else if (str_eq(m->role, "performer")) role = ROLE_PERFORMER;
    else if (str_eq(m->role, "crew")) role = ROLE_CREW;
    else return reject(h, s, m, E_BAD_FIELD, "field 'role' must be audience, screen, performer or crew");
    if (m->event.p && m->event.n > 0 && !str_eq(m->event, h->ev->code)) return reject(h, s, m, E_UNKNOWN_EVENT, "this hub does not run that event");

    const char *key = role == ROLE_SCREEN ? h->ev->key_screen : role == ROLE_PERFORMER ? h->ev->key_performer
                    : role == ROLE_CREW ? h->ev->key_crew : NULL;
    if (key && !auth_key_ok(key, m->key.p, m->key.n))
        return reject(h, s, m, E_BAD_KEY, m->key.p ? "wrong key for this role" : "this role needs its key");

    int section = -1;
    if (m->section.p && m->section.n > 0) {
        section = event_def_section(h->ev, m->section.p, m->section.n);
        if (section < 0) return reject(h, s, m, E_BAD_FIELD, "field 'section' is not one of the event's sections");
    }
    char token[AUTH_TOKEN_MAX + 1] = "";
    int64_t device = 0;
    if (role == ROLE_AUDIENCE) {
        device = m->token.p ? auth_token_check(h->secret, h->ev->code, m->token.p, m->token.n) : -1;
        if (device > 0 && device >= h->next_device) device = -1;   /* signed, but not in this database */
        int is_new = device <= 0;
        if (is_new) {
            if (!ip_allow_new_device(h, s->ip_hash))
                return reject(h, s, m, E_RATE_LIMITED, "too many new devices from this address; retry soon");
            device = h->next_device;
        }
        if (dev_ensure(h, device) < 0) return reject(h, s, m, E_STORE_FAILED, "out of memory");
        if (section < 0 && !is_new) section = h->dev_section[device];
        if (is_new || section != h->dev_section[device]) {
            struct store_rec r = {.type = SR_DEVICE, .a = device, .section = (int8_t)section};
            if (push(h, &r) < 0) return reject(h, s, m, E_STORE_FAILED, "the hub is overloaded; retry soon");
            h->dev_section[device] = (int8_t)section;
        }
        if (is_new) h->next_device++;
        uint32_t old = h->dev_slot[device];
        if (old && h->slots[old - 1] && h->slots[old - 1] != s) {
            struct session *o = h->slots[old - 1];
            o->device = 0;  /* its close must not clear the new owner */
            hub_close_session(h, o, 4000);
        }
        h->dev_slot[device] = s->slot + 1;
        auth_token_make(h->secret, h->ev->code, device, token, sizeof token);
    }
    s->state = SS_READY;
    s->role = role;
    s->device = device;
    s->section = (int8_t)(role == ROLE_AUDIENCE ? section : -1);
    s->session_id = h->next_session++;
    struct store_rec r = {.type = SR_SESSION_START, .a = s->session_id, .b = device, .c = role, .section = s->section};
    push(h, &r);  /* analytics only: a full queue loses the row, not the connection */
    agg_conn(h->agg, role, s->section, +1);
    s->poll_gen = h->poll_gen;   /* the welcome carries the current poll */
    send_welcome(h, s, token);
}

static void on_vote(struct hub *h, struct session *s, const struct proto_msg *m) {
    struct agg_poll *p = h->agg->poll;
    if (limited(h, s, LIM_VOTES, 1)) return reject(h, s, m, E_RATE_LIMITED, "too many votes; slow down");
    if (!p || p->id != m->poll) {
        if (m->poll >= 1 && m->poll < h->next_poll) return reject(h, s, m, E_POLL_CLOSED, "that poll is closed");
        return reject(h, s, m, E_UNKNOWN_POLL, "no such poll");
    }
    if (m->option < 0 || m->option >= p->nopts) return reject(h, s, m, E_BAD_OPTION, "no such option in this poll");
    int prev;
    int rc = agg_vote(h->agg, s->device, (int)m->option, &prev);
    if (rc == AGG_ALREADY_VOTED) return reject(h, s, m, E_ALREADY_VOTED, "this poll does not allow changing a vote");
    if (rc < 0) return reject(h, s, m, E_STORE_FAILED, "out of memory");
    struct store_rec r = {.type = SR_VOTE, .want_ack = 1, .a = p->id, .b = s->device, .c = (int32_t)m->option,
                          .d = prev, .section = s->section, .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (push(h, &r) < 0) {
        agg_vote_revert(h->agg, s->device, (int)m->option, prev);
        reject(h, s, m, E_STORE_FAILED, "the hub could not store the vote; retry");
    }
}

static void on_react(struct hub *h, struct session *s, const struct proto_msg *m) {
    int kind = event_def_reaction(h->ev, m->kind.p, m->kind.n);
    if (kind < 0) return reject(h, s, m, E_BAD_FIELD, "field 'kind' is not one of the event's reactions");
    if (limited(h, s, LIM_REACT_MSGS, 1) || limited(h, s, LIM_REACT_TAPS, (double)m->n))
        return reject(h, s, m, E_RATE_LIMITED, "too many reactions; slow down");
    agg_react(h->agg, kind, m->n);
    s->pend_taps[kind] += (int32_t)m->n;
    if (!s->dirty) {
        s->dirty = 1;
        s->dirty_next = h->dirty;
        s->dirty_pprev = &h->dirty;
        if (h->dirty) h->dirty->dirty_pprev = &s->dirty_next;
        h->dirty = s;
    }
    if (m->has_id) send_msg(h, s, proto_ack_ok(m->id));
}

static void flush_taps(struct hub *h, struct session *s) {
    int64_t now = util_now_ms();
    for (int k = 0; k < h->ev->nreactions; k++) {
        if (!s->pend_taps[k]) continue;
        struct store_rec r = {.type = SR_REACT, .b = s->device, .kind = (int8_t)k, .c = s->pend_taps[k],
                              .section = s->section, .ts_ms = now};
        push(h, &r);  /* on a full queue the row is dropped (counted); the totals keep it */
        s->pend_taps[k] = 0;
    }
    s->dirty = 0;
}

static void on_chant(struct hub *h, struct session *s, const struct proto_msg *m) {
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    int rc = chant_normalize(m->text.p, m->text.n, disp, key);
    if (rc == -3) return reject(h, s, m, E_TOO_LONG, "a chant is at most 64 bytes");
    if (rc == -2) return reject(h, s, m, E_BAD_FIELD, "field 'text' is empty");
    if (rc < 0) return reject(h, s, m, E_BAD_FIELD, "field 'text' has control characters");
    if (limited(h, s, LIM_CHANTS, 1)) return reject(h, s, m, E_RATE_LIMITED, "too many chants; slow down");
    agg_chant(h->agg, key, disp, util_now_ms() / 1000);
    struct store_rec r = {.type = SR_CHANT, .b = s->device, .section = s->section, .text = strdup(disp)};
    if (r.text) push(h, &r);
    if (m->has_id) send_msg(h, s, proto_ack_ok(m->id));
}

static void close_open_poll(struct hub *h) {
    struct agg_poll *old = agg_poll_close(h->agg, util_now_ms());
    if (!old) return;
    struct store_rec r = {.type = SR_POLL_CLOSE, .a = old->id, .ts_ms = old->closed_ms};
    push(h, &r);
    broadcast_poll(h, old, 0);
    agg_poll_free(old);
}

/* True when s holds nothing but white space (ASCII; the crew types it). */
static int blank(struct proto_str s) {
    for (uint32_t i = 0; i < s.n; i++)
        if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\n' && s.p[i] != '\r') return 0;
    return 1;
}

static void on_poll_open(struct hub *h, struct session *s, const struct proto_msg *m) {
    if (blank(m->text)) return reject(h, s, m, E_BAD_FIELD, "field 'question' is blank");
    for (int i = 0; i < m->noptions; i++) {
        if (blank(m->options[i])) return reject(h, s, m, E_BAD_FIELD, "field 'options' has a blank entry");
        for (int j = 0; j < i; j++)
            if (m->options[i].n == m->options[j].n && !memcmp(m->options[i].p, m->options[j].p, m->options[i].n))
                return reject(h, s, m, E_BAD_FIELD, "field 'options' has the same entry twice");
    }
    struct agg_poll *p = calloc(1, sizeof *p);
    char **opts = calloc((size_t)m->noptions, sizeof *opts);
    char *q = strndup(m->text.p, m->text.n);
    int ok = p && opts && q;
    if (p) {
        p->question = strndup(m->text.p, m->text.n);
        ok = ok && p->question;
        for (int i = 0; ok && i < m->noptions; i++) {
            p->options[i] = strndup(m->options[i].p, m->options[i].n);
            opts[i] = strndup(m->options[i].p, m->options[i].n);
            p->nopts = i + 1;
            ok = p->options[i] && opts[i];
        }
    }
    if (!ok) {
        agg_poll_free(p);
        if (opts) for (int i = 0; i < m->noptions; i++) free(opts[i]);
        free(opts);
        free(q);
        return reject(h, s, m, E_STORE_FAILED, "out of memory");
    }
    close_open_poll(h);
    p->id = h->next_poll++;
    p->allow_change = m->allow_change;
    p->opened_ms = util_now_ms();
    struct store_rec r = {.type = SR_POLL_OPEN, .want_ack = 1, .a = p->id, .b = h->agg->conns[ROLE_AUDIENCE],
                          .c = m->noptions, .d = m->allow_change, .text = q, .opts = opts, .ts_ms = p->opened_ms,
                          .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (push(h, &r) < 0) {
        agg_poll_free(p);
        h->next_poll--;
        return reject(h, s, m, E_STORE_FAILED, "the hub could not store the poll; retry");
    }
    agg_poll_open(h->agg, p);
    broadcast_poll(h, p, 1);
}

static void on_poll_close(struct hub *h, struct session *s, const struct proto_msg *m) {
    if (!h->agg->poll || h->agg->poll->id != m->poll) {
        if (m->poll >= 1 && m->poll < h->next_poll) return reject(h, s, m, E_POLL_CLOSED, "that poll is already closed");
        return reject(h, s, m, E_UNKNOWN_POLL, "no such poll");
    }
    struct store_rec r = {.type = SR_POLL_CLOSE, .want_ack = 1, .a = m->poll, .slot = s->slot, .gen = s->gen,
                          .msg_id = m->id};
    if (push(h, &r) < 0) return reject(h, s, m, E_STORE_FAILED, "the hub could not store the change; retry");
    struct agg_poll *old = agg_poll_close(h->agg, r.ts_ms);
    broadcast_poll(h, old, 0);
    agg_poll_free(old);
}

static void on_marker(struct hub *h, struct session *s, const struct proto_msg *m) {
    if (blank(m->text)) return reject(h, s, m, E_BAD_FIELD, "field 'label' is blank");
    int kind = str_eq(m->kind, "song_start") ? 0 : str_eq(m->kind, "song_end") ? 1 : 2;
    struct store_rec r = {.type = SR_MARKER, .want_ack = 1, .kind = (int8_t)kind,
                          .text = strndup(m->text.p, m->text.n), .slot = s->slot, .gen = s->gen, .msg_id = m->id};
    if (!r.text || push(h, &r) < 0) return reject(h, s, m, E_STORE_FAILED, "the hub could not store the marker; retry");
    static const char *const kinds[] = {"song_start", "song_end", "note"};
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 2);
    proto_pack_kv_str(&e.pk, "t", "marker");
    proto_pack_str(&e.pk, "marker");
    msgpack_pack_map(&e.pk, 3);
    proto_pack_str(&e.pk, "label");
    proto_pack_strn(&e.pk, m->text.p, m->text.n);
    proto_pack_kv_str(&e.pk, "kind", kinds[kind]);
    proto_pack_kv_int(&e.pk, "ts", r.ts_ms);
    broadcast_watchers(h, proto_enc_finish(&e));
}

void hub_conn_frame(struct hub *h, struct session *s, const uint8_t *buf, size_t len, int binary) {
    if (s->state == SS_CLOSING) return;
    struct proto_msg m;
    struct proto_error err;
    if (!binary) return reject(h, s, NULL, E_BAD_FRAME, "frames must be binary msgpack");
    if (proto_decode(&h->dec, buf, len, &m, &err) < 0) return reject(h, s, &m, err.code, err.msg);
    if (m.type == PT_PING) {
        if (limited(h, s, LIM_PINGS, 1)) return reject(h, s, &m, E_RATE_LIMITED, "too many pings");
        return send_msg(h, s, proto_pong(m.c, util_now_ms()));
    }
    if (m.type == PT_HELLO) return on_hello(h, s, &m);
    if (s->state != SS_READY) return reject(h, s, &m, E_NOT_ALLOWED, "send hello first");
    int audience = m.type == PT_VOTE || m.type == PT_REACT || m.type == PT_CHANT;
    if (audience ? s->role != ROLE_AUDIENCE : s->role != ROLE_CREW)
        return reject(h, s, &m, E_NOT_ALLOWED, audience ? "only audience devices send this" : "only crew sends this");
    switch (m.type) {
    case PT_VOTE: return on_vote(h, s, &m);
    case PT_REACT: return on_react(h, s, &m);
    case PT_CHANT: return on_chant(h, s, &m);
    case PT_POLL_OPEN: return on_poll_open(h, s, &m);
    case PT_POLL_CLOSE: return on_poll_close(h, s, &m);
    case PT_MARKER: return on_marker(h, s, &m);
    default: return;
    }
}

/* --- connections -------------------------------------------------------- */

static uint32_t hash_ip(const char *ip) {
    uint32_t x = 2166136261u;
    for (; *ip; ip++) { x ^= (uint8_t)*ip; x *= 16777619u; }
    return x ? x : 1;
}

struct session *hub_conn_open(struct hub *h, void *wsi, const char *ip) {
    if (h->stopping) return NULL;
    uint32_t slot;
    if (h->nfree) {
        slot = h->free_slots[--h->nfree];
    } else {
        if (h->nslots == h->capslots) {
            uint32_t cap = h->capslots ? h->capslots * 2 : 1024;
            struct session **sl = realloc(h->slots, cap * sizeof *sl);
            if (!sl) return NULL;
            h->slots = sl;
            uint32_t *g = realloc(h->gens, cap * sizeof *g);
            if (!g) return NULL;
            h->gens = g;
            uint32_t *f = realloc(h->free_slots, cap * sizeof *f);
            if (!f) return NULL;
            h->free_slots = f;
            h->capslots = cap;
        }
        slot = h->nslots++;
        h->gens[slot] = 0;
    }
    struct session *s = calloc(1, sizeof *s);
    if (!s) { h->free_slots[h->nfree++] = slot; return NULL; }
    s->wsi = wsi;
    s->slot = slot;
    s->gen = ++h->gens[slot];
    s->section = -1;
    s->opened_ms = util_mono_ms();
    s->ip_hash = hash_ip(ip);
    h->slots[slot] = s;
    h->conns_total++;
    return s;
}

void hub_conn_closed(struct hub *h, struct session *s) {
    if (s->dirty) {
        /* Unlink from the coalescing list, storing its taps first. */
        *s->dirty_pprev = s->dirty_next;
        if (s->dirty_next) s->dirty_next->dirty_pprev = s->dirty_pprev;
        flush_taps(h, s);
    }
    if (s->session_id) {
        agg_conn(h->agg, s->role, s->section, -1);
        struct store_rec r = {.type = SR_SESSION_END, .a = s->session_id};
        push(h, &r);
    }
    if (s->role == ROLE_AUDIENCE && s->device > 0 && (size_t)s->device < h->dev_cap &&
        h->dev_slot[s->device] == s->slot + 1)
        h->dev_slot[s->device] = 0;
    h->slots[s->slot] = NULL;
    h->free_slots[h->nfree++] = s->slot;
    session_clear(s);
    free(s);
}

/* --- store results -------------------------------------------------------- */

static struct session *lookup(struct hub *h, uint32_t slot, uint32_t gen) {
    if (slot >= h->nslots || !h->slots[slot] || h->slots[slot]->gen != gen) return NULL;
    return h->slots[slot];
}

void hub_store_ready(struct hub *h) {
    struct store_result res[256];
    size_t n;
    while ((n = store_results(h->store, res, 256)) > 0) {
        for (size_t i = 0; i < n; i++) {
            const struct store_result *r = &res[i];
            if (!r->ok && r->type == SR_VOTE && h->agg->poll && h->agg->poll->id == r->a)
                agg_vote_revert(h->agg, r->b, r->c, r->d);
            struct session *s = lookup(h, r->slot, r->gen);
            if (!s) continue;
            if (!r->ok) {
                send_msg(h, s, proto_ack_err(r->msg_id, E_STORE_FAILED, "the database did not commit; retry"));
                continue;
            }
            if (r->type == SR_VOTE)
                send_msg(h, s, proto_ack_vote(r->msg_id, r->a, r->c, r->d >= 0 && r->d != r->c));
            else if (r->type == SR_POLL_OPEN)
                send_msg(h, s, proto_ack_poll(r->msg_id, r->a));
            else
                send_msg(h, s, proto_ack_ok(r->msg_id));
        }
    }
}

/* --- ticks ---------------------------------------------------------------- */

static struct msg *health_msg(struct hub *h) {
    struct store_stats st;
    store_stats(h->store, &st);
    int64_t pending = 0;
    for (uint32_t i = 0; i < h->nslots; i++)
        if (h->slots[i] && h->slots[i]->state == SS_NEW) pending++;
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, 11);
    proto_pack_kv_str(pk, "t", "health");
    proto_pack_kv_int(pk, "now", util_now_ms());
    proto_pack_str(pk, "conns");
    msgpack_pack_map(pk, ROLE_COUNT + 1);
    for (int r = 0; r < ROLE_COUNT; r++) proto_pack_kv_int(pk, agg_role_names[r], h->agg->conns[r]);
    proto_pack_kv_int(pk, "pending", pending);
    proto_pack_str(pk, "sections");
    msgpack_pack_map(pk, (size_t)h->ev->nsections + 1);
    for (int i = 0; i < h->ev->nsections; i++) proto_pack_kv_int(pk, h->ev->sections[i], h->agg->section_conns[i]);
    proto_pack_kv_int(pk, "", h->agg->section_conns[h->ev->nsections]);
    proto_pack_kv_int(pk, "signals_per_s", h->signals_rate);
    proto_pack_kv_int(pk, "votes_per_s", h->votes_rate);
    proto_pack_kv_int(pk, "signals_total", h->agg->signals_total);
    proto_pack_kv_int(pk, "dropped_slow", h->dropped_slow);
    proto_pack_kv_int(pk, "devices", h->next_device - 1);
    proto_pack_str(pk, "store");
    msgpack_pack_map(pk, 7);
    proto_pack_kv_int(pk, "queue", st.queued);
    proto_pack_kv_int(pk, "queue_max", st.queue_max);
    proto_pack_kv_int(pk, "commits", st.commits);
    proto_pack_kv_int(pk, "failed", st.failed);
    proto_pack_kv_int(pk, "dropped", st.dropped);
    proto_pack_kv_int(pk, "written", st.written);
    proto_pack_kv_int(pk, "last_commit_ms", st.last_commit_us / 1000);
    proto_pack_kv_int(pk, "uptime_s", (util_mono_ms() - h->start_mono) / 1000);
    return proto_enc_finish(&e);
}

static void every_second(struct hub *h, int64_t sec) {
    struct store_second *x = calloc(1, sizeof *x);
    struct agg_second cur;
    agg_second_done(h->agg, sec, &cur);
    if (x) {
        x->s = cur;
        memcpy(x->totals, h->agg->totals, sizeof x->totals);
        struct store_rec r = {.type = SR_SECOND, .second = x};
        push(h, &r);
    }
    h->signals_rate = h->agg->signals_total - h->signals_last;
    h->signals_last = h->agg->signals_total;
    h->votes_rate = h->agg->votes_total - h->votes_last;
    h->votes_last = h->agg->votes_total;

    struct msg *hm = health_msg(h);
    int64_t now = util_mono_ms();
    for (uint32_t i = 0; i < h->nslots; i++) {
        struct session *s = h->slots[i];
        if (!s || s->state == SS_CLOSING) continue;
        if (s->stalled_since && now - s->stalled_since > SESSION_STALL_MS) {
            h->dropped_slow++;
            s->state = SS_CLOSING;
            net_kill(h->net, s->wsi);
        } else if (s->state == SS_NEW && now - s->opened_ms > SESSION_HELLO_MS) {
            hub_close_session(h, s, 1008);
        } else if (s->role == ROLE_CREW && s->state == SS_READY && hm) {
            msg_ref(hm);
            send_msg(h, s, hm);
        }
    }
    msg_unref(hm);
}

void hub_tick(struct hub *h) {
    while (h->dirty) {
        struct session *s = h->dirty;
        h->dirty = s->dirty_next;
        if (h->dirty) h->dirty->dirty_pprev = &h->dirty;
        flush_taps(h, s);
    }
    agg_tick(h->agg);
    int64_t now = util_now_ms();
    int64_t sec = now / 1000;
    if (h->last_sec == 0) h->last_sec = sec;
    while (h->last_sec < sec) every_second(h, h->last_sec++);

    h->seq++;
    struct msg *snap = snap_encode(h->agg, h->ev, h->seq, now);
    if (!snap) return;
    /* Audience phones get every audience_every-th snapshot, spread over the
     * ticks by slot so 40,000 phones are not all written in one tick. */
    int every = h->audience_every;
    int64_t phase = h->seq % every;
    int64_t mono = util_mono_ms();
    /* Screens, stage and crew first: the loop services writable sockets in
     * the order they were asked for, and they are the ones watched live. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < h->nslots; i++) {
            struct session *s = h->slots[i];
            if (!s || s->state != SS_READY || (s->role == ROLE_AUDIENCE) != pass) continue;
            if (pass && (int64_t)(i % (uint32_t)every) != phase) continue;
            if (pass && s->poll_gen != h->poll_gen && h->poll_msg) {
                s->poll_gen = h->poll_gen;
                msg_ref(h->poll_msg);
                send_msg(h, s, h->poll_msg);
            }
            session_offer_snap(s, snap);
            if (!s->stalled_since) s->stalled_since = mono;
            net_want_write(h->net, s->wsi);
        }
    }
    msg_unref(snap);
}

void hub_shutdown(struct hub *h) {
    h->stopping = 1;
    for (uint32_t i = 0; i < h->nslots; i++)
        if (h->slots[i]) hub_close_session(h, h->slots[i], 1001);
}

/* --- life cycle ----------------------------------------------------------- */

struct hub *hub_new(const struct hub_opts *o, char *err, size_t errlen) {
    struct hub *h = calloc(1, sizeof *h);
    if (!h) { snprintf(err, errlen, "out of memory"); return NULL; }
    h->o = *o;
    h->start_mono = util_mono_ms();
    proto_dec_init(&h->dec);
    h->ev = event_def_load(o->event_path, err, errlen);
    if (!h->ev) goto fail;
    h->agg = agg_new(h->ev->nreactions, h->ev->nsections, o->tick_ms);
    if (!h->agg) { snprintf(err, errlen, "out of memory"); goto fail; }
    struct store_boot boot;
    h->store = store_open(o->db_path, h->ev, o->queue_max, o->db_max_pages, h->agg, &boot, err, errlen);
    if (!h->store) goto fail;
    memcpy(h->secret, boot.secret, sizeof h->secret);
    h->next_device = boot.max_device + 1;
    h->next_session = boot.max_session + 1;
    h->next_poll = boot.max_poll + 1;
    if (dev_ensure(h, h->next_device) < 0) { free(boot.device_section); snprintf(err, errlen, "out of memory"); goto fail; }
    memcpy(h->dev_section, boot.device_section, (size_t)boot.max_device + 1);
    free(boot.device_section);
    h->api = api_new(o->db_path, 2000, net_api_notify, h);
    if (!h->api) { snprintf(err, errlen, "out of memory"); goto fail; }
    double every = 1000.0 / (o->tick_ms * o->audience_hz);
    h->audience_every = every < 1 ? 1 : (int)lround(every);
    if (o->public_url) snprintf(h->join_url, sizeof h->join_url, "%s/e/%s", o->public_url, h->ev->code);
    else snprintf(h->join_url, sizeof h->join_url, "http://localhost:%d/e/%s", o->port, h->ev->code);
    return h;
fail:
    hub_free(h);
    return NULL;
}

void hub_free(struct hub *h) {
    if (!h) return;
    for (uint32_t i = 0; i < h->nslots; i++)
        if (h->slots[i]) hub_conn_closed(h, h->slots[i]);
    api_free(h->api);
    msg_unref(h->poll_msg);
    store_close(h->store);
    agg_free(h->agg);
    event_def_free(h->ev);
    proto_dec_free(&h->dec);
    free(h->dev_section);
    free(h->dev_slot);
    free(h->slots);
    free(h->gens);
    free(h->free_slots);
    free(h);
}
