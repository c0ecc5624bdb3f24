/* devices.h -- the audience devices the server knows: each device's section
 * and live connection, and the per-address budget for new devices.
 *
 * Device ids are dense (1 .. next-1, handed out by the server), so both
 * tables are arrays indexed by id, grown by doubling: 6 bytes per device.
 * The join budget is a fixed table of DEVICES_IP_BUCKETS token buckets
 * indexed by address hash; two addresses that share a bucket reset each
 * other's budget (a known weakness, see issue 12). */
#ifndef CHORUS_DEVICES_H
#define CHORUS_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "rate.h"

#define DEVICES_IP_BUCKETS 16384

struct devices {
    int8_t *section;            /* device -> section index, -1 none */
    uint32_t *slot;             /* device -> live connection slot + 1, 0 none */
    size_t cap;
    uint8_t *banned;            /* device -> 1 when the crew banned it */
    int64_t nbanned;
    int64_t next;               /* the id the next new device gets */
    struct { uint32_t ip; struct rate_bucket b; } ipb[DEVICES_IP_BUCKETS];
};

/* Start with devices 1..max_device whose sections are sections[0..max_device]
 * (copied). Returns 0, or -1 on out-of-memory. */
int devices_init(struct devices *d, int64_t max_device, const int8_t *sections);
void devices_free(struct devices *d);

/* Room for device ids up to `device`. Returns 0, or -1 on out-of-memory. */
int devices_ensure(struct devices *d, int64_t device);
/* 1 when device was handed out by this event's database. */
static inline int devices_is_known(const struct devices *d, int64_t device) {
    return device >= 1 && device < d->next;
}
/* Hand out the next new id (its room is ensured). Returns it, or -1. */
int64_t devices_new(struct devices *d);

/* Section (-1 none) and live slot + 1 (0 none) of a known device. */
int devices_section(const struct devices *d, int64_t device);
void devices_set_section(struct devices *d, int64_t device, int section);
uint32_t devices_slot(const struct devices *d, int64_t device);
void devices_set_slot(struct devices *d, int64_t device, uint32_t slot_plus_1);

/* Banning: is device banned; set or clear it (a known device). */
int devices_is_banned(const struct devices *d, int64_t device);
void devices_set_banned(struct devices *d, int64_t device, int banned);

/* May the address with this hash bring one more new device now? */
int devices_allow_join(struct devices *d, uint32_t ip_hash, const struct event_limit *lim, uint32_t now_ms);

#endif
