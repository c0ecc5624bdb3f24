/* agg.c -- live state (see agg.h).
 *
 * Rates: taps go into the current tick window; agg_tick() adds that window
 * to `rate` and subtracts the window that falls out of the last second, so
 * `rate` is always the taps of the last nwin closed windows (one second). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

#define VOTES_CAP0 4096         /* first size of the device -> vote table */

struct agg *agg_new(int nkinds, int nsections, int tick_ms) {
    struct agg *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->nkinds = nkinds;
    a->nsections = nsections;
    a->nwin = tick_ms >= 1000 ? 1 : (1000 + tick_ms - 1) / tick_ms;
    a->tick_s = tick_ms / 1000.0;
    a->win = calloc((size_t)(a->nwin + 1) * (size_t)nkinds, sizeof *a->win);
    a->section_conns = calloc((size_t)nsections + 1, sizeof *a->section_conns);
    a->chants = chant_top_new(AGG_CHANTS_MAX);
    if (!a->win || !a->section_conns || !a->chants) { agg_free(a); return NULL; }
    return a;
}

void agg_poll_free(struct agg_poll *p) {
    if (!p) return;
    free(p->question);
    for (int i = 0; i < p->nopts; i++) free(p->options[i]);
    free(p);
}

void agg_free(struct agg *a) {
    if (!a) return;
    free(a->win);
    free(a->section_conns);
    chant_top_free(a->chants);
    agg_poll_free(a->poll);
    free(a->votes);
    free(a);
}

void agg_react(struct agg *a, int kind, int64_t n) {
    assert(kind >= 0 && kind < a->nkinds && n > 0);
    a->win[a->cur * a->nkinds + kind] += n;
    a->totals[kind] += n;
    a->sec.kind_taps[kind] += n;
    a->sec.taps += n;
    a->signals_total++;
}

void agg_react_late(struct agg *a, int kind, int64_t n) {
    assert(kind >= 0 && kind < a->nkinds && n > 0);
    a->totals[kind] += n;
    a->signals_total++;
}

int agg_chant(struct agg *a, const char *key, const char *disp, int64_t sec, int64_t device, int64_t now_ms,
              uint8_t flags) {
    a->signals_total++;
    a->chants_total++;
    a->sec.chants++;
    return chant_add_from(a->chants, key, disp, sec, device, now_ms, flags);
}

void agg_poll_open(struct agg *a, struct agg_poll *p) {
    assert(p && p->nopts >= 2 && p->nopts <= WIRE_MAX_OPTIONS);
    agg_poll_free(a->poll);
    a->poll = p;
    if (a->votes) memset(a->votes, 0, a->votes_cap);
}

struct agg_poll *agg_poll_close(struct agg *a, int64_t closed_ms) {
    struct agg_poll *p = a->poll;
    if (p) p->closed_ms = closed_ms;
    a->poll = NULL;
    return p;
}

void agg_poll_reopen(struct agg *a, struct agg_poll *p) {
    assert(p && !a->poll);
    p->closed_ms = 0;
    a->poll = p;
}

static int ensure(struct agg *a, int64_t device) {
    if ((size_t)device < a->votes_cap) return 0;
    size_t cap = a->votes_cap ? a->votes_cap : VOTES_CAP0;
    while (cap <= (size_t)device) cap *= 2;
    uint8_t *v = realloc(a->votes, cap);
    if (!v) return -1;
    memset(v + a->votes_cap, 0, cap - a->votes_cap);
    a->votes = v;
    a->votes_cap = cap;
    return 0;
}

int agg_vote_of(const struct agg *a, int64_t device) {
    if (!a->poll || device < 0 || (size_t)device >= a->votes_cap) return -1;
    return (int)a->votes[device] - 1;
}

int agg_last_vote_of(const struct agg *a, int64_t device) {
    if (a->poll || device < 0 || (size_t)device >= a->votes_cap) return -1;
    return (int)a->votes[device] - 1;
}

int agg_poll_winner(const struct agg_poll *p) {
    int best = -1, tie = 0;
    for (int i = 0; i < p->nopts; i++) {
        if (best < 0 || p->counts[i] > p->counts[best]) { best = i; tie = 0; }
        else if (p->counts[i] == p->counts[best]) tie = 1;
    }
    return best >= 0 && p->counts[best] > 0 && !tie ? best : -1;
}

int agg_vote_set(struct agg *a, int64_t device, int option) {
    assert(a->poll && option >= 0 && option < a->poll->nopts);
    if (device < 0 || ensure(a, device) < 0) return AGG_NOMEM;
    int old = (int)a->votes[device] - 1;
    if (old == option) return 0;
    if (old >= 0) a->poll->counts[old]--;
    else a->poll->voters++;
    a->poll->counts[option]++;
    a->votes[device] = (uint8_t)(option + 1);
    return 0;
}

void agg_vote_counted(struct agg *a) {
    a->signals_total++;
    a->votes_total++;
    a->sec.votes++;
}

int agg_vote(struct agg *a, int64_t device, int option, int *prev) {
    assert(a->poll && option >= 0 && option < a->poll->nopts);
    if (device < 0 || ensure(a, device) < 0) return AGG_NOMEM;
    int old = (int)a->votes[device] - 1;
    *prev = old;
    if (old >= 0 && old != option && !a->poll->allow_change) return AGG_ALREADY_VOTED;
    agg_vote_counted(a);
    return agg_vote_set(a, device, option);
}

void agg_vote_revert(struct agg *a, int64_t device, int option, int prev) {
    if (!a->poll || agg_vote_of(a, device) != option || option == prev) return;
    a->poll->counts[option]--;
    if (prev >= 0) a->poll->counts[prev]++;
    else a->poll->voters--;
    a->votes[device] = (uint8_t)(prev + 1);
}

int agg_load(struct agg *a, struct agg_saved *saved) {
    memcpy(a->totals, saved->totals, sizeof a->totals);
    if (!saved->poll) {   /* the last closed poll's votes, for a reopen */
        for (size_t i = 0; i < saved->nvotes; i++) {
            if (saved->vote_device[i] < 0 || ensure(a, saved->vote_device[i]) < 0) return AGG_NOMEM;
            a->votes[saved->vote_device[i]] = (uint8_t)(saved->vote_option[i] + 1);
        }
        return 0;
    }
    agg_poll_open(a, saved->poll);
    saved->poll = NULL;
    for (size_t i = 0; i < saved->nvotes; i++) {
        int prev, opt = saved->vote_option[i];
        if (opt < a->poll->nopts && agg_vote(a, saved->vote_device[i], opt, &prev) == AGG_NOMEM) return AGG_NOMEM;
    }
    /* Reloading is not voting: the live counters start at zero. */
    a->signals_total = a->votes_total = 0;
    memset(&a->sec, 0, sizeof a->sec);
    return 0;
}

void agg_saved_clear(struct agg_saved *saved) {
    agg_poll_free(saved->poll);
    free(saved->vote_device);
    free(saved->vote_option);
    memset(saved, 0, sizeof *saved);
}

int agg_vote_remove(struct agg *a, int64_t device) {
    int opt = agg_vote_of(a, device);
    if (opt < 0) return -1;
    a->poll->counts[opt]--;
    a->poll->voters--;
    a->votes[device] = 0;
    return opt;
}

void agg_conn(struct agg *a, enum role r, int section, int delta) {
    a->conns[r] += delta;
    if (r == ROLE_AUDIENCE)
        a->section_conns[section >= 0 && section < a->nsections ? section : a->nsections] += delta;
}

void agg_tick(struct agg *a) {
    int k = a->nkinds, slots = a->nwin + 1;
    int64_t all = 0;
    for (int i = 0; i < k; i++) a->rate[i] += a->win[a->cur * k + i];
    a->cur = (a->cur + 1) % slots;
    for (int i = 0; i < k; i++) {
        a->rate[i] -= a->win[a->cur * k + i];
        a->win[a->cur * k + i] = 0;
        all += a->rate[i];
    }
    all += a->ext_rate;
    int64_t phones = a->conns[ROLE_AUDIENCE] + a->ext_audience;
    double aud = phones > 1 ? (double)phones : 1.0;
    double alpha = a->tick_s < 1.0 ? a->tick_s : 1.0;
    a->energy_ema += ((double)all / aud - a->energy_ema) * alpha;
    a->energy = (int)lround(100.0 * (1.0 - exp(-a->energy_ema / 0.5)));
}

void agg_second_done(struct agg *a, int64_t sec, struct agg_second *out) {
    a->sec.sec = sec;
    a->sec.audience = a->conns[ROLE_AUDIENCE];
    *out = a->sec;
    memset(&a->sec, 0, sizeof a->sec);
    chant_advance(a->chants, sec + 1);
}
