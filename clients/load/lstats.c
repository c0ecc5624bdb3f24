/* lstats.c -- mergeable counters and latency histograms for chorus-load.
 *
 * The histogram trades exactness for a fixed size so that K processes can
 * add theirs together: bucket width is at most 1/32 of its lower bound,
 * which is plenty for p50/p95/p99 of network latencies. */
#include "lstats.h"

#include <string.h>

const char *const lstats_codes[LSTATS_NCODES] = {
    "bad_frame", "bad_type", "bad_field", "not_allowed", "bad_key",
    "unknown_event", "unknown_poll", "bad_option", "poll_closed",
    "already_voted", "too_long", "rate_limited", "store_failed", "other"
};

const int lstats_close_codes[LSTATS_NCLOSE - 1] = { 1001, 1008, 1009, 4000, 4001 };

int lstats_code_index(const char *code)
{
    for (int i = 0; i < LSTATS_NCODES - 1; i++)
        if (strcmp(code, lstats_codes[i]) == 0)
            return i;
    return LSTATS_NCODES - 1;
}

int lstats_close_index(int code)
{
    for (int i = 0; i < LSTATS_NCLOSE - 1; i++)
        if (lstats_close_codes[i] == code)
            return i;
    return LSTATS_NCLOSE - 1;
}

static int bucket_of(uint64_t v)
{
    if (v < 64)
        return (int)v;
    int e = 63 - __builtin_clzll(v);            /* 6.. */
    int i = 64 + (e - 6) * LSTATS_SUB + (int)((v >> (e - 5)) & (LSTATS_SUB - 1));
    return i < LSTATS_NB ? i : LSTATS_NB - 1;
}

/* Midpoint of bucket i. */
static uint64_t bucket_mid(int i)
{
    if (i < 64)
        return (uint64_t)i;
    int e = (i - 64) / LSTATS_SUB + 6;
    uint64_t sub = (uint64_t)((i - 64) % LSTATS_SUB);
    uint64_t lo = (1ULL << e) + (sub << (e - 5));
    return lo + (1ULL << (e - 5)) / 2;
}

void lstats_hist_add(struct lstats_hist *h, uint64_t us)
{
    h->n++;
    h->sum_us += us;
    if (us > h->max_us)
        h->max_us = us;
    h->b[bucket_of(us)]++;
}

void lstats_hist_merge(struct lstats_hist *dst, const struct lstats_hist *src)
{
    dst->n += src->n;
    dst->sum_us += src->sum_us;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    for (int i = 0; i < LSTATS_NB; i++)
        dst->b[i] += src->b[i];
}

uint64_t lstats_hist_quantile(const struct lstats_hist *h, double q)
{
    if (!h->n)
        return 0;
    if (q >= 1)
        return h->max_us;
    uint64_t want = (uint64_t)(q * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t seen = 0;
    for (int i = 0; i < LSTATS_NB; i++) {
        seen += h->b[i];
        if (seen > want) {
            uint64_t v = bucket_mid(i);
            return v > h->max_us ? h->max_us : v;
        }
    }
    return h->max_us;
}

void lstats_run_init(struct lstats_run *r)
{
    memset(r, 0, sizeof *r);
    r->storm_all_back_s = -1;
}

void lstats_run_merge(struct lstats_run *d, const struct lstats_run *s)
{
#define ADD(f) d->f += s->f
#define MAX(f) if (s->f > d->f) d->f = s->f
    ADD(attempted); ADD(established); ADD(failed); ADD(welcomed);
    ADD(hello_rejected); ADD(dropped_unexpected); ADD(connected);
    for (int i = 0; i < LSTATS_NCLOSE; i++)
        ADD(closed_by_hub[i]);
    MAX(connect_s);
    ADD(sent_react); ADD(sent_taps); ADD(sent_vote); ADD(sent_chant); ADD(sent_crew);
    ADD(acked_ok); ADD(acked_vote_ok); ADD(votes_unacked); ADD(tx_overflow);
    for (int i = 0; i < LSTATS_NCODES; i++)
        ADD(rejected[i]);
    ADD(snaps); ADD(screen_snaps);
    MAX(measure_s);
    lstats_hist_merge(&d->vote_ack, &s->vote_ack);
    lstats_hist_merge(&d->probe, &s->probe);
    lstats_hist_merge(&d->snap_gap, &s->snap_gap);
    lstats_hist_merge(&d->connect, &s->connect);
    lstats_hist_merge(&d->hello, &s->hello);
    ADD(probes_sent); ADD(probe_samples_missing);
    ADD(health_n); ADD(sig_per_s_sum);
    ADD(sig_total_first); ADD(sig_total_last); ADD(sig_first_ms); ADD(sig_last_ms);
    MAX(sig_per_s_max); MAX(votes_per_s_max);
    MAX(dropped_slow); MAX(store_dropped); MAX(store_failed); MAX(store_queue_max);
    ADD(polls_opened);
    ADD(storm_dropped); ADD(storm_back); ADD(storm_new_device);
    ADD(storm_vote_lost); ADD(storm_failed);
    ADD(flood_opened); ADD(flood_closed); ADD(flood_answered); ADD(flood_failed); MAX(flood_open_max);
    if (s->storm_dropped) {
        uint64_t before = d->storm_dropped - s->storm_dropped;   /* ADD ran */
        if (!before)
            d->storm_all_back_s = s->storm_all_back_s;
        else if (s->storm_all_back_s < 0 || d->storm_all_back_s < 0)
            d->storm_all_back_s = -1;
        else if (s->storm_all_back_s > d->storm_all_back_s)
            d->storm_all_back_s = s->storm_all_back_s;
    }
#undef ADD
#undef MAX
}
