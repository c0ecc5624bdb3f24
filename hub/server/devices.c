/* devices.c -- device tables (see devices.h). Invariant: cap > next - 1
 * once devices_init returned, so every known device has a row. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "devices.h"

#define DEVICES_CAP0 4096

int devices_ensure(struct devices *d, int64_t device) {
    if (device < 0) return -1;
    if ((size_t)device < d->cap) return 0;
    size_t cap = d->cap ? d->cap : DEVICES_CAP0;
    while (cap <= (size_t)device) cap *= 2;
    int8_t *sec = realloc(d->section, cap);
    if (!sec) return -1;
    d->section = sec;
    uint32_t *sl = realloc(d->slot, cap * sizeof *sl);
    if (!sl) return -1;
    d->slot = sl;
    uint8_t *ban = realloc(d->banned, cap);
    if (!ban) return -1;
    d->banned = ban;
    memset(sec + d->cap, -1, cap - d->cap);
    memset(sl + d->cap, 0, (cap - d->cap) * sizeof *sl);
    memset(ban + d->cap, 0, cap - d->cap);
    d->cap = cap;
    return 0;
}

int devices_init(struct devices *d, int64_t max_device, const int8_t *sections) {
    memset(d, 0, sizeof *d);
    d->next = max_device + 1;
    if (devices_ensure(d, d->next) < 0) return -1;
    if (sections) memcpy(d->section, sections, (size_t)max_device + 1);
    return 0;
}

void devices_free(struct devices *d) {
    free(d->section);
    free(d->slot);
    free(d->banned);
    d->section = NULL;
    d->slot = NULL;
    d->banned = NULL;
    d->cap = 0;
}

int64_t devices_new(struct devices *d) {
    if (devices_ensure(d, d->next) < 0) return -1;
    return d->next++;
}

int devices_section(const struct devices *d, int64_t device) {
    return device >= 0 && (size_t)device < d->cap ? d->section[device] : -1;
}

void devices_set_section(struct devices *d, int64_t device, int section) {
    assert(device >= 0 && (size_t)device < d->cap);
    d->section[device] = (int8_t)section;
}

uint32_t devices_slot(const struct devices *d, int64_t device) {
    return device >= 0 && (size_t)device < d->cap ? d->slot[device] : 0;
}

void devices_set_slot(struct devices *d, int64_t device, uint32_t slot_plus_1) {
    assert(device >= 0 && (size_t)device < d->cap);
    d->slot[device] = slot_plus_1;
}

int devices_is_banned(const struct devices *d, int64_t device) {
    return device >= 0 && (size_t)device < d->cap && d->banned[device];
}

void devices_set_banned(struct devices *d, int64_t device, int banned) {
    assert(device >= 0 && (size_t)device < d->cap);
    if (d->banned[device] == !!banned) return;
    d->banned[device] = (uint8_t)!!banned;
    d->nbanned += banned ? 1 : -1;
}

int devices_allow_join(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms) {
    uint32_t i = ip_hash % DEVICES_IP_BUCKETS;
    if (d->ipb[i].ip != ip_hash) {
        d->ipb[i].ip = ip_hash;
        memset(&d->ipb[i].b, 0, sizeof d->ipb[i].b);
    }
    return rate_allow(&d->ipb[i].b, lim, now_ms, 1);
}
