/* dedup.h -- the signals a phone already delivered, so a re-send counts once.
 *
 * A phone gives each vote and chant an id of its own (`cid`) and keeps it
 * with the signal until the hub answered; after a silent disconnect it sends
 * the signal again with the same id. dedup_seen() remembers the newest
 * (device, cid) pairs in a fixed table (DEDUP_SETS x DEDUP_WAYS entries,
 * zero-initialised = empty, no allocation): a pair is forgotten only when
 * DEDUP_WAYS newer pairs landed in its set, i.e. after about
 * DEDUP_SETS x DEDUP_WAYS (16,384) newer signals -- minutes of a busy show,
 * far longer than a phone keeps a signal it could not send. A forgotten pair
 * counts again; a pair is never mistaken for another (both are compared). */
#ifndef CHORUS_DEDUP_H
#define CHORUS_DEDUP_H

#include <stdint.h>

#define DEDUP_SETS 4096
#define DEDUP_WAYS 4

struct dedup_entry { int64_t device, cid; uint64_t stamp; };

struct dedup {
    struct dedup_entry e[DEDUP_SETS][DEDUP_WAYS];
    uint64_t clock;
};

/* 1 when (device, cid) was recorded before; otherwise records it (evicting
 * the oldest pair of its set) and returns 0. cid 0 means "no id": never
 * recorded, always 0. */
int dedup_seen(struct dedup *d, int64_t device, int64_t cid);

/* Forget (device, cid), e.g. when the signal it named was refused and may
 * be sent again. */
void dedup_forget(struct dedup *d, int64_t device, int64_t cid);

#endif
