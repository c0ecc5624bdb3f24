/* cluster.c -- the server's side of a cluster (issue 14; docs/cluster.md):
 * this hub's part goes out every tick, the other hubs' parts come in, and
 * every page sees the sum (peers.h: cumulative totals, current audience and
 * rates, top chants; a silent hub keeps its totals, not its crowd). The
 * NATS side is hub/io/cluster.c; nothing here knows about NATS. */
#include <assert.h>
#include <string.h>
#include "chant.h"
#include "log.h"
#include "server_impl.h"

void server_cluster_part(struct server *srv, const uint8_t *buf, size_t len) {
    struct peers_part p;
    if (peers_decode(buf, len, srv->ev->nreactions, srv->ev->nsections + 1, &p) < 0) {
        if (srv->parts_bad++ == 0) log_warn("a cluster part did not decode (another event file?)", "bytes=%zu", len);
        return;
    }
    if (!srv->peers.hub[p.hub].known && p.hub != srv->hub_id)
        log_info("a hub of the cluster joined", "hub=%d audience=%lld", p.hub, (long long)p.conns[ROLE_AUDIENCE]);
    if (p.hub == srv->hub_id && p.started_ms != srv->started_ms && srv->parts_bad++ % 100 == 0)
        log_error("another hub uses this hub's id (two hubs on one database?)", "hub=%d", p.hub);
    peers_take(&srv->peers, &p, server_mono(srv));
}

void server_cluster_seed(struct server *srv, const uint8_t *buf, size_t len) {
    struct peers_part p;
    if (peers_decode(buf, len, srv->ev->nreactions, srv->ev->nsections + 1, &p) < 0 || p.hub == srv->hub_id) return;
    /* Seen long ago: gone (its totals count; no crowd, and not "partial").
     * A live hub's next part replaces it within a tick. */
    peers_take(&srv->peers, &p, server_mono(srv) - PEERS_GONE_MS);
    srv->peers.hub[p.hub].live = 0;
}

void server_cluster_link(struct server *srv, int up) {
    if (up && !srv->nats_up) log_info("cluster link up", "hub=%d", srv->hub_id);
    if (!up && srv->nats_up) log_warn("cluster link down: every page is told its view is partial", "hub=%d", srv->hub_id);
    srv->nats_up = up;
}

int server_cluster_partial(const struct server *srv) {
    if (!srv->cluster) return 0;
    if (!srv->nats_up) return 1;
    /* A hub that just went silent: its phones are still finding another
     * hub. Once it is gone (PEERS_GONE_MS) the view is whole again: its
     * totals are in it, its crowd is elsewhere. */
    int64_t now = server_mono(srv);
    for (int i = 0; i < PEERS_MAX; i++) {
        const struct peers_hub *h = &srv->peers.hub[i];
        if (h->known && !h->live && now - h->seen_ms < PEERS_GONE_MS) return 1;
    }
    return 0;
}

/* This hub's own figures (agg holds only this hub's, the ext_* aside). */
static void own_part(struct server *srv, struct peers_part *p) {
    const struct agg *a = srv->agg;
    memset(p, 0, sizeof *p);
    p->hub = srv->hub_id;
    p->seq = ++srv->part_seq;
    p->started_ms = srv->started_ms;
    memcpy(p->conns, a->conns, sizeof p->conns);
    p->nsections = srv->ev->nsections + 1;
    memcpy(p->section_conns, a->section_conns, (size_t)p->nsections * sizeof p->section_conns[0]);
    p->nkinds = srv->ev->nreactions;
    memcpy(p->totals, a->totals, (size_t)p->nkinds * sizeof p->totals[0]);
    memcpy(p->rate, a->rate, (size_t)p->nkinds * sizeof p->rate[0]);
    p->signals_total = a->signals_total;
    struct chant_entry top[PEERS_CHANTS];
    int n = chant_top_select(a->chants, top, PEERS_CHANTS, 0, 0);
    for (int i = 0; i < n; i++) {
        struct peers_chant *c = &p->chants[p->nchants];
        if (strlen(top[i].key) >= sizeof c->key || strlen(top[i].text) >= sizeof c->text) continue;
        strcpy(c->key, top[i].key);    /* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked */
        strcpy(c->text, top[i].text);  /* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked */
        c->count = top[i].count;
        p->nchants++;
    }
    memcpy(p->where, srv->where, sizeof p->where);
}

void server_cluster_tick(struct server *srv) {
    if (!srv->cluster) return;
    peers_age(&srv->peers, server_mono(srv), NULL, NULL);
    peers_sum(&srv->peers, &srv->ext);
    srv->agg->ext_audience = srv->ext.conns[ROLE_AUDIENCE];
    int64_t rate = 0;
    for (int k = 0; k < srv->ev->nreactions; k++) rate += srv->ext.rate[k];
    srv->agg->ext_rate = rate;
    if (!srv->io.publish_part) return;
    static struct peers_part p;   /* the loop thread only; 10 chants make it large */
    own_part(srv, &p);
    struct msg *m = peers_encode(&p);
    if (m) srv->io.publish_part(srv->io.arg, m);
}

int server_cluster_hubs(const struct server *srv, struct server_hub out[PEERS_MAX]) {
    int n = 0;
    out[n++] = (struct server_hub){.hub = srv->hub_id, .live = 1, .where = srv->where};
    for (int i = 0; srv->cluster && i < PEERS_MAX; i++) {
        const struct peers_hub *h = &srv->peers.hub[i];
        if (i == srv->hub_id || !h->known) continue;
        assert(n < PEERS_MAX);
        out[n++] = (struct server_hub){.hub = i, .live = h->live, .where = h->part.where};
    }
    return n;
}

int server_cluster_osc_sender(const struct server *srv) {
    if (!srv->cluster) return 1;
    for (int i = 0; i < srv->hub_id; i++)
        if (srv->peers.hub[i].known && srv->peers.hub[i].live) return 0;
    return 1;
}

/* --- the control stream: crew state every hub shares ----------------------- */

int server_cluster_replicated(enum proto_type t) {
    switch (t) {
    case PT_POLL_OPEN: case PT_POLL_CLOSE: case PT_POLL_REVEAL: case PT_POLL_REOPEN: case PT_POLL_PLAY:
    case PT_MARKER: case PT_MARKER_EDIT: case PT_MARKER_DELETE: case PT_MOD:
    case PT_OSC_GATE:   /* whichever hub sends OSC obeys the crew's cut */
        return 1;
    default:
        return 0;
    }
}

/* from: "<hub> <slot> <gen> <now_ms>": who to ack, and the origin's clock. */
void server_cluster_send_ctl(struct server *srv, struct session *s, const struct proto_msg *m, const uint8_t *buf,
                             size_t len) {
    char from[128];
    snprintf(from, sizeof from, "%d %u %u %lld %lld", srv->hub_id, s->slot, s->gen, (long long)server_now(srv),
             (long long)(m->has_id ? m->id : -1));
    if (srv->io.publish_ctl && srv->io.publish_ctl(srv->io.arg, buf, len, from) == 0) return;   /* acked when applied */
    if (m->type == PT_OSC_GATE) {
        /* The lighting operator's cut must work without NATS: without it
         * every hub sends OSC on its own, and this one obeys at once. */
        log_warn("NATS unreachable: this OSC gate change acts on this hub only", "crew_session=%lld",
                 (long long)s->session_id);
        return server_dispatch_crew(srv, s, m);
    }
    metrics_refusal_add(&srv->refused, E_STORE_FAILED);
    if (m->has_id)
        server_send(srv, s, proto_ack_err(m->id, E_STORE_FAILED, "the hubs of this event can not be reached; retry"));
}

void server_cluster_ctl(struct server *srv, uint64_t seq, const char *from, const uint8_t *frame, size_t len) {
    if (seq <= srv->ctl_seq) return;   /* applied before a restart */
    int64_t f[4] = {0};   /* hub, slot, gen, at */
    struct proto_msg m;
    struct proto_error err;
    srv->ctl_seq = seq;
    /* The seq is stored after what applying it stores (the store keeps the
     * order): a hub killed in between applies it again at restart, never
     * skips it. */
    struct rec r = {.type = REC_CTL, .a = (int64_t)seq};
    if (util_ints(from, ' ', f, 4) != 4 || f[3] <= 0 ||
        proto_decode(&srv->dec, frame, len, &m, &err) < 0 || !server_cluster_replicated(m.type)) {
        log_warn("a control message did not decode: skipped", "seq=%llu bytes=%zu", (unsigned long long)seq, len);
        server_persist(srv, &r);
        return;
    }
    /* The crew member who sent it is on this hub (and still here): it gets
     * the ack and any error; for everybody else the ghost stands in. */
    struct session *s = f[0] == srv->hub_id ? conns_lookup(&srv->conns, (uint32_t)f[1], (uint32_t)f[2]) : NULL;
    if (!s || !session_is_ready(s) || s->role != ROLE_CREW) s = &srv->ghost;
    srv->applying = seq;
    srv->ctl_now = f[3];
    server_dispatch_crew(srv, s, &m);
    srv->applying = 0;
    srv->ctl_now = 0;
    server_persist(srv, &r);
}

uint64_t server_cluster_ctl_seq(const struct server *srv) { return srv->ctl_seq; }

void server_cluster_ctl_failed(struct server *srv, const char *from) {
    int64_t f[5] = {0, 0, 0, 0, -1};   /* hub, slot, gen, at, the crew's message id (-1: none) */
    if (util_ints(from, ' ', f, 5) < 4 || f[0] != srv->hub_id) return;
    metrics_refusal_add(&srv->refused, E_STORE_FAILED);
    struct session *s = conns_lookup(&srv->conns, (uint32_t)f[1], (uint32_t)f[2]);
    if (!s) return;
    static const char text[] = "the hubs of this event did not store the change; retry";
    server_send(srv, s, f[4] >= 0 ? proto_ack_err(f[4], E_STORE_FAILED, text) : proto_error_msg(E_STORE_FAILED, text));
}

/* --- the vote stream: one vote per device per poll, across hubs ------------ */

/* from: "<hub> <slot> <gen> <msg id> <poll> <device> <option> <section> <ts>". */
struct vote_from {
    int hub, option, section;
    uint32_t slot, gen;
    int64_t id, poll, device, ts;
};

static int parse_vote(const char *from, struct vote_from *v) {
    int64_t f[9];
    if (util_ints(from, ' ', f, 9) != 9 || f[6] < 0 || f[6] >= WIRE_MAX_OPTIONS || f[7] < -1 || f[7] >= EVENT_MAX_SECTIONS)
        return -1;
    *v = (struct vote_from){.hub = (int)f[0], .slot = (uint32_t)f[1], .gen = (uint32_t)f[2], .id = f[3], .poll = f[4],
                            .device = f[5], .option = (int)f[6], .section = (int)f[7], .ts = f[8]};
    return 0;
}

void server_cluster_send_vote(struct server *srv, struct session *s, const struct proto_msg *m,
                              const struct agg_poll *p, int64_t at) {
    int mine = agg_vote_of(srv->agg, s->device);
    if (dedup_seen(&srv->seen, s->device, m->cid) && mine == (int)m->option)   /* a re-send after a lost ack */
        return server_send(srv, s, proto_ack_vote(m->id, p->id, (int)m->option, 0));
    if (!p->allow_change && mine >= 0 && mine != (int)m->option)
        return server_send(srv, s, proto_ack_err(m->id, E_ALREADY_VOTED, "this poll does not allow changing a vote"));
    char from[160];
    snprintf(from, sizeof from, "%d %u %u %lld %lld %lld %d %d %lld", srv->hub_id, s->slot, s->gen, (long long)m->id,
             (long long)p->id, (long long)s->device, (int)m->option, s->section, (long long)at);
    if (srv->io.publish_vote &&
        srv->io.publish_vote(srv->io.arg, p->id, s->device, (int)m->option, !p->allow_change, from) == 0)
        return;   /* acked once the vote stream has it and this hub's database too */
    metrics_refusal_add(&srv->refused, E_STORE_FAILED);
    server_send(srv, s, proto_ack_err(m->id, E_STORE_FAILED, "the hubs of this event can not be reached; retry"));
}

void server_cluster_vote(struct server *srv, int64_t poll, int64_t device, int option) {
    struct agg_poll *p = srv->agg->poll;
    devices_seen(&srv->dev, device);
    if (!p || p->id != poll || option < 0 || option >= p->nopts || device < 1) return;   /* another poll's: the report has it */
    /* The stream keeps a banned device's vote; the ban (control stream,
     * applied before the votes at start) keeps it out of the tally. */
    if (devices_is_banned(&srv->dev, device)) return;
    agg_vote_set(srv->agg, device, option);
}

void server_cluster_vote_acked(struct server *srv, const char *from, int ok, int conflict) {
    struct vote_from v;
    if (parse_vote(from, &v) < 0 || v.hub != srv->hub_id) return;
    struct session *s = conns_lookup(&srv->conns, v.slot, v.gen);
    if (ok) {
        agg_vote_counted(srv->agg);
        /* A poll without changes holds one vote per device in the stream,
         * and this is it: the tally takes it now (its echo from the stream
         * changes nothing), so a re-send right after the ack is known for
         * what it is, however far behind the stream's reader is. A poll
         * with changes waits for the stream's order. */
        struct agg_poll *p = srv->agg->poll;
        if (p && p->id == v.poll && !p->allow_change && v.option < p->nopts && v.device >= 1 &&
            !devices_is_banned(&srv->dev, v.device))
            agg_vote_set(srv->agg, v.device, v.option);
        /* Durable in the stream; this hub's database has it for the report,
         * and the phone's ack follows that commit (server_acks). */
        struct rec r = {.type = REC_VOTE, .want_ack = s != NULL, .a = v.poll, .b = v.device, .c = v.option,
                        .d = -1, .section = (int8_t)v.section, .ts_ms = v.ts,
                        .slot = v.slot, .gen = v.gen, .msg_id = v.id};
        if (server_persist(srv, &r) < 0 && s)
            server_send(srv, s, proto_ack_vote(v.id, v.poll, v.option, 0));   /* counted; only the report lacks it */
        return;
    }
    metrics_refusal_add(&srv->refused, conflict ? E_ALREADY_VOTED : E_STORE_FAILED);
    if (!s) return;
    if (conflict) {
        /* The device voted before (on any hub): the same choice again is a
         * re-send, counted once; another is refused. */
        int had = srv->agg->poll && srv->agg->poll->id == v.poll ? agg_vote_of(srv->agg, v.device) : -1;
        if (had == v.option) return server_send(srv, s, proto_ack_vote(v.id, v.poll, v.option, 0));
        /* The stream has the device's vote and this hub's tally does not
         * yet (its reader lags, e.g. after a NATS server died): whether
         * this is a re-send or another choice is not known here yet. The
         * phone sends it again and gets the answer once the tally knows. */
        if (had < 0)
            return server_send(srv, s, proto_ack_err(v.id, E_STORE_FAILED, "the vote is being confirmed; retry"));
        return server_send(srv, s, proto_ack_err(v.id, E_ALREADY_VOTED, "this poll does not allow changing a vote"));
    }
    server_send(srv, s, proto_ack_err(v.id, E_STORE_FAILED, "the hubs of this event did not store the vote; retry"));
}
