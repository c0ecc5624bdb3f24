/* lstats.h -- the figures one chorus-load process measures, mergeable
 * across processes: counters, latency histograms and acked-vote records.
 *
 * Everything in struct lstats_run is plain data with no pointers, so a
 * child process can write it down a pipe and the parent can add it up. */
#ifndef CHORUS_LSTATS_H
#define CHORUS_LSTATS_H

#include <stddef.h>
#include <stdint.h>

/* Log-linear latency histogram over microseconds: exact below 64 us, then
 * 32 buckets per power of two (about 3% resolution) up to ~2^40 us. */
#define LSTATS_SUB 32
#define LSTATS_NB (64 + 35 * LSTATS_SUB)

struct lstats_hist {
    uint64_t n, sum_us, max_us;
    uint32_t b[LSTATS_NB];
};

void lstats_hist_add(struct lstats_hist *h, uint64_t us);
void lstats_hist_merge(struct lstats_hist *dst, const struct lstats_hist *src);
/* Value (us) at quantile q in 0..1 (the bucket's midpoint; the exact max
 * for q == 1). 0 when the histogram is empty. */
uint64_t lstats_hist_quantile(const struct lstats_hist *h, double q);

/* Error codes counted separately; anything else counts as "other". */
#define LSTATS_NCODES 14
extern const char *const lstats_codes[LSTATS_NCODES];   /* last is "other" */
int lstats_code_index(const char *code);                /* never fails */

/* Close codes the hub may send (docs/protocol.md); index 5 is "other". */
#define LSTATS_NCLOSE 6
extern const int lstats_close_codes[LSTATS_NCLOSE - 1];
int lstats_close_index(int code);

struct lstats_run {
    /* connections */
    uint64_t attempted, established, failed, welcomed, hello_rejected;
    uint64_t closed_by_hub[LSTATS_NCLOSE], dropped_unexpected;
    uint64_t connected;                  /* welcomed when the connect phase ended */
    double connect_s;                    /* start of connecting to all welcomed */
    /* signals */
    uint64_t sent_react, sent_taps, sent_vote, sent_chant, sent_crew;
    uint64_t acked_ok, acked_vote_ok;
    uint64_t rejected[LSTATS_NCODES];    /* acks not ok + error messages */
    uint64_t votes_unacked;
    uint64_t tx_overflow;                /* a frame did not fit a device's queue */
    /* snapshots */
    uint64_t snaps, screen_snaps;
    double measure_s;                    /* length of the measure phase */
    /* latencies */
    struct lstats_hist vote_ack, probe;
    struct lstats_hist snap_gap;         /* screens: time between two snaps */
    struct lstats_hist connect, hello;   /* connect() -> ws open -> welcome */
    uint64_t probes_sent, probe_samples_missing;
    /* hub health as seen by the crew */
    uint64_t health_n;
    double sig_per_s_sum, sig_per_s_max, votes_per_s_max;
    int64_t sig_total_first, sig_total_last, sig_first_ms, sig_last_ms;  /* hub clock */
    int64_t dropped_slow, store_dropped, store_failed, store_queue_max;
    /* polls the crew opened */
    uint64_t polls_opened;
    /* storm */
    uint64_t storm_dropped, storm_back, storm_new_device, storm_vote_lost,
             storm_failed;
    double storm_all_back_s;             /* -1: not all came back */
    /* flood (lflood.h) */
    uint64_t flood_opened, flood_closed, flood_answered, flood_failed, flood_open_max;
};

void lstats_run_init(struct lstats_run *r);
void lstats_run_merge(struct lstats_run *dst, const struct lstats_run *src);

/* One acked vote (or vote sent after the last ack) of a device in a poll. */
struct lstats_vote {
    int64_t poll, device;
    int16_t option;          /* last option acked ok, -1 none */
    uint16_t later;          /* options sent after that ack (bit mask) */
};

#endif
