/* devices.c -- device tables (see devices.h). Invariants: cap > next - 1
 * once devices_init returned, so every known device has a row; live[i]
 * names a device only while slot[device] == i + 1 (a connection's buckets
 * are registered at most once, and unregistered when the device's slot
 * changes). */
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
    struct rate_bucket *lim = realloc(d->lim, cap * LIM_DEVICE_COUNT * sizeof *lim);
    if (!lim) return -1;
    d->lim = lim;
    memset(sec + d->cap, -1, cap - d->cap);
    memset(sl + d->cap, 0, (cap - d->cap) * sizeof *sl);
    memset(ban + d->cap, 0, cap - d->cap);
    memset(lim + d->cap * LIM_DEVICE_COUNT, 0, (cap - d->cap) * LIM_DEVICE_COUNT * sizeof *lim);
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
    free(d->lim);
    free(d->live);
    d->section = NULL;
    d->slot = NULL;
    d->banned = NULL;
    d->lim = NULL;
    d->live = NULL;
    d->cap = 0;
    d->live_cap = 0;
}

void devices_stride(struct devices *d, int stride, int residue) {
    assert(stride >= 1 && residue >= 0 && residue < stride);
    int64_t above = d->next - 1;   /* the highest id in this database */
    d->stride = stride;
    d->cluster = 1;
    d->next = (above / stride + 1) * stride + residue;   /* >= stride: id 0 is never a device */
}

int64_t devices_new(struct devices *d) {
    if (devices_ensure(d, d->next) < 0) return -1;
    int64_t id = d->next;
    d->next += d->stride > 1 ? d->stride : 1;
    d->count++;
    return id;
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

/* The device's live connection (if any) gives its buckets back. */
static void save_live(struct devices *d, int64_t device) {
    uint32_t old = d->slot[device];
    if (!old || old - 1 >= d->live_cap || d->live[old - 1].device != device) return;
    memcpy(d->lim + (size_t)device * LIM_DEVICE_COUNT, d->live[old - 1].b, LIM_DEVICE_COUNT * sizeof *d->lim);
    d->live[old - 1].device = 0;
    d->live[old - 1].b = NULL;
}

void devices_set_slot(struct devices *d, int64_t device, uint32_t slot_plus_1) {
    assert(device >= 0 && (size_t)device < d->cap);
    if (d->slot[device] != slot_plus_1) save_live(d, device);
    d->slot[device] = slot_plus_1;
}

int devices_attach(struct devices *d, int64_t device, uint32_t slot, struct rate_bucket *b) {
    assert(device >= 1 && (size_t)device < d->cap);
    if (slot >= d->live_cap) {
        size_t cap = d->live_cap ? d->live_cap : 1024;
        while (cap <= slot) cap *= 2;
        struct devices_live *l = realloc(d->live, cap * sizeof *l);
        if (!l) return -1;
        memset(l + d->live_cap, 0, (cap - d->live_cap) * sizeof *l);
        d->live = l;
        d->live_cap = cap;
    }
    devices_set_slot(d, device, slot + 1);
    memcpy(b, d->lim + (size_t)device * LIM_DEVICE_COUNT, LIM_DEVICE_COUNT * sizeof *b);
    d->live[slot].device = device;
    d->live[slot].b = b;
    return 0;
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

/* The entry of the address with this hash (never 0): its own, else an
 * empty one, else the one idle longest in its probe window (reset). */
static struct rate_bucket *ip_entry(struct devices_iptab *t, uint32_t ip_hash, uint32_t now_ms) {
    uint32_t base = ip_hash % DEVICES_IP_BUCKETS, pick = base, idle = 0;
    for (uint32_t k = 0; k < DEVICES_IP_PROBE; k++) {
        uint32_t i = (base + k) % DEVICES_IP_BUCKETS;
        if (t->e[i].ip == ip_hash) return &t->e[i].b;
        uint32_t age = t->e[i].ip ? now_ms - t->e[i].b.last_ms : UINT32_MAX;
        if (age > idle || k == 0) { idle = age; pick = i; }
    }
    t->e[pick].ip = ip_hash;
    memset(&t->e[pick].b, 0, sizeof t->e[pick].b);
    return &t->e[pick].b;
}

int devices_allow_join(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms) {
    return rate_allow(ip_entry(&d->joins, ip_hash, now_ms), lim, now_ms, 1);
}

int devices_key_may_try(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms) {
    if (rate_peek(ip_entry(&d->keys, ip_hash, now_ms), lim, now_ms) >= 1) return 1;
    d->key_refused++;
    d->key_unlogged++;
    return 0;
}

void devices_key_failed(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms) {
    rate_allow(ip_entry(&d->keys, ip_hash, now_ms), lim, now_ms, 1);
    d->key_failures++;
    d->key_unlogged++;
}

int64_t devices_key_log(struct devices *d, uint32_t now_ms) {
    if (!d->key_unlogged || (d->key_logged_ms && now_ms - d->key_logged_ms < DEVICES_KEY_LOG_MS)) return 0;
    int64_t n = d->key_unlogged;
    d->key_unlogged = 0;
    d->key_logged_ms = now_ms ? now_ms : 1;
    return n;
}
