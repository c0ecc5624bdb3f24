/* anon.h -- per address, the connections that have not said hello yet
 * ("anonymous"): the server admits a new connection only while its address
 * has fewer than a cap of them (--max-anon-per-ip). Phones that joined
 * (hello accepted) no longer count, so a venue NAT with thousands of phones
 * behind one address is limited only by how many are joining at the same
 * moment, while one address opening thousands of sockets that never say
 * hello is stopped at the cap.
 *
 * A fixed table (ANON_SLOTS entries, 8 bytes each) keyed by the full 32-bit
 * address hash with linear probing over ANON_PROBE entries; an entry whose
 * count is 0 is free. When the probe window is full of other addresses the
 * connection is admitted uncounted (anon_add returns ANON_UNCOUNTED): never
 * lock an address out because others filled the table. */
#ifndef CHORUS_ANON_H
#define CHORUS_ANON_H

#include <stdint.h>

#define ANON_SLOTS 65536
#define ANON_PROBE 8
#define ANON_UNCOUNTED 1

struct anon {
    uint32_t ip[ANON_SLOTS];
    uint32_t n[ANON_SLOTS];
};

/* Count one more anonymous connection of ip. Returns 0 (counted),
 * ANON_UNCOUNTED (admitted, not counted: do not anon_del it), or -1 when ip
 * already has max (refuse it). */
int anon_add(struct anon *a, uint32_t ip, uint32_t max);
/* One counted connection of ip said hello or closed. */
void anon_del(struct anon *a, uint32_t ip);
/* Anonymous connections of ip now. */
uint32_t anon_count(const struct anon *a, uint32_t ip);

#endif
