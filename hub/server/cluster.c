/* cluster.c -- the server's side of a cluster (issue 14; docs/cluster.md):
 * this hub's part goes out every tick, the other hubs' parts come in, and
 * every page sees the sum (peers.h: cumulative totals, current audience and
 * rates, top chants; a silent hub keeps its totals, not its crowd). The
 * NATS side is hub/io/cluster.c; nothing here knows about NATS. */
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
