/* devices.h -- the audience devices the server knows: each device's section,
 * live connection and rate-limit buckets, and the per-address tables (the
 * budget for new devices, failed role keys).
 *
 * Device ids are dense (1 .. next-1, handed out by the server), so the
 * device tables are arrays indexed by id, grown by doubling: 6 bytes per
 * device, plus LIM_DEVICE_COUNT buckets (32 bytes) for its rate limits.
 * Those buckets belong to the device, not to a connection: while a device
 * has a live connection the session holds the working copy (the handlers
 * charge s->b), registered here by devices_attach; when the connection
 * ends or is replaced its buckets are written back, and the next
 * connection of the device starts from them. So reconnecting never refills
 * a bucket faster than time does.
 *
 * The address tables are fixed (DEVICES_IP_BUCKETS entries each, 12 bytes)
 * and keyed by the full 32-bit address hash with linear probing over
 * DEVICES_IP_PROBE entries: two addresses never share or reset an entry
 * unless their whole hashes are equal (then they share one budget). When
 * every entry in the window is taken, the one idle longest is reused (its
 * bucket is the fullest; an address can lose at most what it would have
 * regained by waiting). */
#ifndef CHORUS_DEVICES_H
#define CHORUS_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "rate.h"

#define DEVICES_IP_BUCKETS 16384
#define DEVICES_IP_PROBE   8
#define DEVICES_KEY_LOG_MS 10000   /* wrong-key log lines: at most one per 10 s, with a count */

struct devices_iptab { struct { uint32_t ip; struct rate_bucket b; } e[DEVICES_IP_BUCKETS]; };

/* A connection holding a device's buckets (by connection slot). */
struct devices_live { int64_t device; struct rate_bucket *b; };

struct devices {
    int8_t *section;            /* device -> section index, -1 none */
    uint32_t *slot;             /* device -> live connection slot + 1, 0 none */
    struct rate_bucket *lim;    /* device -> LIM_DEVICE_COUNT buckets (saved while not live) */
    size_t cap;
    uint8_t *banned;            /* device -> 1 when the crew banned it */
    int64_t nbanned;
    int64_t next;               /* the id the next new device gets */
    int64_t stride;             /* ids this hub hands out: next, next + stride, ... (1; a cluster's hubs: PEERS_MAX) */
    int cluster;                /* 1: ids from other hubs of the event are known too (their tokens say so) */
    int64_t seen_max;           /* a cluster: the highest id a token or the vote stream showed */
    int64_t count;              /* devices in this database at start plus those made since (health, /metrics) */
    struct devices_live *live;  /* connection slot -> the device whose buckets it holds */
    size_t live_cap;
    struct devices_iptab joins; /* joins_per_ip */
    struct devices_iptab keys;  /* key_failures_per_ip */
    /* Wrong role keys: totals for the crew's health view, and the
     * rate-limited log (failures since the last line). */
    int64_t key_failures, key_refused, key_unlogged;
    uint32_t key_logged_ms;
};

/* Start with devices 1..max_device whose sections are sections[0..max_device]
 * (copied). Returns 0, or -1 on out-of-memory. */
int devices_init(struct devices *d, int64_t max_device, const int8_t *sections);
void devices_free(struct devices *d);

/* Room for device ids up to `device`. Returns 0, or -1 on out-of-memory. */
int devices_ensure(struct devices *d, int64_t device);
/* The most a device id can be (2^40): in a cluster any hub's, not only
 * this hub's ids are known. */
#define DEVICES_ID_MAX ((int64_t)1 << 40)
/* 1 when device was handed out by this event's database (in a cluster: by
 * any hub of the event, whose token this hub checked). */
/* A cluster: device was shown (a token, the vote stream); a ban may name it. */
static inline void devices_seen(struct devices *d, int64_t device) {
    if (device >= 1 && device < DEVICES_ID_MAX && device > d->seen_max) d->seen_max = device;
}
static inline int devices_is_known(const struct devices *d, int64_t device) {
    return device >= 1 && (d->cluster ? device < DEVICES_ID_MAX : device < d->next);
}
/* A cluster's hub hands out the ids residue, residue + stride, ... above
 * every id it knows, so no two hubs give the same id. */
void devices_stride(struct devices *d, int stride, int residue);
/* Hand out the next new id (its room is ensured). Returns it, or -1. */
int64_t devices_new(struct devices *d);

/* Section (-1 none) and live slot + 1 (0 none) of a known device. */
int devices_section(const struct devices *d, int64_t device);
void devices_set_section(struct devices *d, int64_t device, int section);
uint32_t devices_slot(const struct devices *d, int64_t device);
/* Set (or clear with 0) the device's live connection; the buckets of the
 * connection it had are saved to the device first. */
void devices_set_slot(struct devices *d, int64_t device, uint32_t slot_plus_1);

/* Banning: is device banned; set or clear it (a known device). */
int devices_is_banned(const struct devices *d, int64_t device);
void devices_set_banned(struct devices *d, int64_t device, int banned);

/* The connection in `slot` (its session's buckets b[0..LIM_DEVICE_COUNT))
 * becomes device's live connection: the buckets of the device's previous
 * connection, if one is still live, are saved first, then b is loaded with
 * the device's buckets. b must stay valid until devices_set_slot(device, 0)
 * or the next devices_attach of the device. Returns 0, or -1 on
 * out-of-memory (nothing changed). */
int devices_attach(struct devices *d, int64_t device, uint32_t slot, struct rate_bucket *b);

/* May the address with this hash bring one more new device now? */
int devices_allow_join(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms);

/* Role keys. May the address try a key now (it has failures left)? A
 * refused attempt is counted (key_refused). */
int devices_key_may_try(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms);
/* A wrong key from the address: charged to it and counted. */
void devices_key_failed(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms);
/* The rate-limited log: the wrong and refused keys not yet logged when a
 * line is due (at most one per DEVICES_KEY_LOG_MS; the count restarts),
 * else 0. */
int64_t devices_key_log(struct devices *d, uint32_t now_ms);

#endif
