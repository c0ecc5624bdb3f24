/* filter.c -- the chant filter's cost per chant (`make bench-filter`).
 *
 * Normalizes and checks a fixed mix of chants (clean and blocked, English,
 * Chinese, Indonesian, with evasions) ROUNDS times per run, 7 runs, and
 * prints the median ns per chant for chant_normalize alone and for
 * chant_normalize + filter_check: the filter's own cost is the difference.
 * Speed is measured here, never asserted in a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "chant.h"
#include "filter.h"

#define ROUNDS 20000
#define RUNS 7

static const char *const mix[] = {
    "Encore!", "one more song", "LET'S GO", "we love you", "Ｅｎｃｏｒｅ", "class act", "as good as it gets",
    "f.u.c.k this", "fuuuuck", "sh1t show", "what a bl0w j0b", "加油 加油", "再来一首", "你妈的", "傻 逼",
    "ayo semangat", "satu lagu lagi", "dasar goblok", "BANGSAAAT", "Scunthorpe United 2024 champions!!",
};
#define NMIX (sizeof mix / sizeof mix[0])

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    struct filter *f = filter_new();
    if (!f) return 1;
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    double norm[RUNS], both[RUNS];
    int blocked = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (int i = 0; i < ROUNDS; i++)
            for (size_t k = 0; k < NMIX; k++) chant_normalize(mix[k], strlen(mix[k]), disp, key);
        double t1 = now_ns();
        blocked = 0;
        for (int i = 0; i < ROUNDS; i++)
            for (size_t k = 0; k < NMIX; k++) {
                chant_normalize(mix[k], strlen(mix[k]), disp, key);
                blocked += filter_check(f, key) == FILTER_BLOCKED;
            }
        double t2 = now_ns();
        norm[r] = (t1 - t0) / (ROUNDS * (double)NMIX);
        both[r] = (t2 - t1) / (ROUNDS * (double)NMIX);
    }
    qsort(norm, RUNS, sizeof norm[0], cmp);
    qsort(both, RUNS, sizeof both[0], cmp);
    printf("filter: %zu words; mix of %zu chants, %d blocked per round\n", filter_size(f), NMIX, blocked / ROUNDS);
    printf("normalize:          %8.0f ns/chant (median of %d runs)\n", norm[RUNS / 2], RUNS);
    printf("normalize + filter: %8.0f ns/chant\n", both[RUNS / 2]);
    printf("filter alone:       %8.0f ns/chant, %.0f chants/s on one core\n", both[RUNS / 2] - norm[RUNS / 2],
           1e9 / (both[RUNS / 2] - norm[RUNS / 2]));
    filter_free(f);
    return 0;
}
