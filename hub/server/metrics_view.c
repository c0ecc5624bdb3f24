/* metrics_view.c -- the server's figures for /metrics (see metrics_view.h).
 * Read-only: it only copies counters the server keeps anyway, so a scrape
 * can not change what the show does.
 *
 * Missed ticks: the tick timer is a persistent libevent timer, which skips
 * the runs it was too late for instead of running them in a burst. So the
 * ticks that should have run by now (time since start / tick) minus the
 * ticks that did run is how many snapshot periods the screens went without
 * a snapshot because the loop was busy. */
#include <math.h>
#include "metrics_view.h"
#include "server_impl.h"

void server_metrics(const struct server *srv, struct metrics_in *in) {
    const struct agg *a = srv->agg;
    for (int r = 0; r < ROLE_COUNT; r++) in->conns[r] = a->conns[r];
    in->conns_pending = 0;
    for (uint32_t i = 0; i < conns_end(&srv->conns); i++) {
        const struct session *s = conns_at(&srv->conns, i);
        if (s && s->state == SS_NEW) in->conns_pending++;
    }
    in->conns_opened = srv->conns_total;
    in->devices = srv->dev.count;
    in->devices_banned = srv->dev.nbanned;
    in->signals_vote = a->votes_total;
    in->signals_chant = a->chants_total;
    in->signals_react = a->signals_total - a->votes_total - a->chants_total;
    in->nreactions = srv->ev->nreactions;
    in->reaction_names = srv->ev->reactions;
    for (int k = 0; k < srv->ev->nreactions && k < EVENT_MAX_REACTIONS; k++) in->taps[k] = a->totals[k];
    in->poll_open = a->poll != NULL;
    in->poll_voters = a->poll ? a->poll->voters : 0;
    in->dropped_slow = srv->dropped_slow;
    in->keys_wrong = srv->dev.key_failures;
    in->keys_refused = srv->dev.key_refused;
    in->refused = srv->refused;
    int64_t up_ms = server_mono(srv) - srv->start_mono;
    in->uptime_s = (double)up_ms / 1000.0;
    in->ticks = srv->seq;
    int64_t due = a->tick_s > 0 ? (int64_t)floor((double)up_ms / (a->tick_s * 1000.0)) : 0;
    /* One tick may be due this very moment: not late yet. */
    in->ticks_missed = due - 1 > srv->seq ? due - 1 - srv->seq : 0;
}
