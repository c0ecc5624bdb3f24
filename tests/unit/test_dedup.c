/* Unit tests: the re-send table (dedup.c), against a dumb list of every
 * pair ever recorded. */
#include <stdlib.h>
#include "dedup.h"
#include "t.h"

static struct dedup d;   /* 400 KB: not on the stack */

static void resend_is_seen(void) {
    memset(&d, 0, sizeof d);
    CHECK_EQ(dedup_seen(&d, 7, 123456789), 0);
    CHECK_EQ(dedup_seen(&d, 7, 123456789), 1);    /* the same phone sends it again */
    CHECK_EQ(dedup_seen(&d, 8, 123456789), 0);    /* another phone's id is its own */
    CHECK_EQ(dedup_seen(&d, 7, 0), 0);            /* no id: never deduplicated */
    CHECK_EQ(dedup_seen(&d, 7, 0), 0);
    dedup_forget(&d, 7, 123456789);
    CHECK_EQ(dedup_seen(&d, 7, 123456789), 0);    /* refused, sent again: counts */
}

/* Against a dumb log: a pair reported seen was recorded before (never a
 * false positive), and every one of the last 200 pairs (a set holds 4; 200 pairs over 4,096 sets almost never put 4 in one) is remembered. */
static void matches_log(void) {
    memset(&d, 0, sizeof d);
    enum { N = 200000 };
    int64_t *dev = malloc(N * sizeof *dev), *cid = malloc(N * sizeof *cid);
    uint32_t seed = 1;
    int bad_pos = 0, bad_recent = 0;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        int resend = i > 0 && seed % 4 == 0;
        int j = resend ? (int)(seed / 7 % (uint32_t)(i < 200 ? i : 200)) : 0;
        dev[i] = resend ? dev[i - 1 - j] : 1 + seed % 5000;
        cid[i] = resend ? cid[i - 1 - j] : (int64_t)(((uint64_t)seed * 2654435761ULL + (uint64_t)i) >> 1);
        int seen = dedup_seen(&d, dev[i], cid[i]);
        int before = 0;
        for (int k = i - 1; k >= 0 && k >= i - 1000 && !before; k--) before = dev[k] == dev[i] && cid[k] == cid[i];
        if (seen && !resend && !before) bad_pos++;
        if (resend && !seen) bad_recent++;
    }
    CHECK_EQ(bad_pos, 0);
    CHECK_EQ(bad_recent, 0);
    free(dev);
    free(cid);
}

int main(void) {
    TEST(resend_is_seen);
    TEST(matches_log);
    return T_DONE();
}
