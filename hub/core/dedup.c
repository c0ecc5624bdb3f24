/* dedup.c -- recently delivered (device, cid) pairs (see dedup.h).
 *
 * A set-associative table: the pair's hash picks a set of DEDUP_WAYS
 * entries; an entry is in use iff stamp != 0; the least recently recorded
 * entry of a full set is replaced. O(DEDUP_WAYS) per call. */
#include "dedup.h"

static struct dedup_entry *set_of(struct dedup *d, int64_t device, int64_t cid) {
    uint64_t h = (uint64_t)device * 0x9e3779b97f4a7c15ull ^ (uint64_t)cid * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return d->e[h % DEDUP_SETS];
}

int dedup_seen(struct dedup *d, int64_t device, int64_t cid) {
    if (!cid) return 0;
    struct dedup_entry *set = set_of(d, device, cid), *victim = &set[0];
    for (int i = 0; i < DEDUP_WAYS; i++) {
        if (set[i].stamp && set[i].device == device && set[i].cid == cid) return 1;
        if (set[i].stamp < victim->stamp) victim = &set[i];
    }
    victim->device = device;
    victim->cid = cid;
    victim->stamp = ++d->clock;
    return 0;
}

void dedup_forget(struct dedup *d, int64_t device, int64_t cid) {
    if (!cid) return;
    struct dedup_entry *set = set_of(d, device, cid);
    for (int i = 0; i < DEDUP_WAYS; i++)
        if (set[i].stamp && set[i].device == device && set[i].cid == cid) set[i].stamp = 0;
}
