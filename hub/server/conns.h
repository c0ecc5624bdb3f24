/* conns.h -- the connection table: slot -> session, with a generation per
 * slot so that a late result (an ack after its commit) addressed to
 * (slot, gen) never reaches a newer connection that reuses the slot.
 *
 * Slots are reused last-freed first; the table only grows (to the peak
 * number of connections). Add, remove and lookup are O(1); iteration walks
 * 0 .. conns_end() and skips empty slots. */
#ifndef CHORUS_CONNS_H
#define CHORUS_CONNS_H

#include <stdint.h>
#include "session.h"

struct conns {
    struct session **slots;
    uint32_t *gens;             /* generation of each slot's current or last session */
    uint32_t *free;             /* stack of free slots */
    uint32_t n, cap, nfree;     /* slots in use or freed, capacity, free count */
};

/* Give s a slot and a new generation (s->slot, s->gen). Returns 0, or -1 on
 * out-of-memory (s untouched). */
int conns_add(struct conns *c, struct session *s);
/* Free s's slot (s must be in the table). */
void conns_remove(struct conns *c, struct session *s);
/* The session at (slot, gen), or NULL when it has gone. */
struct session *conns_lookup(const struct conns *c, uint32_t slot, uint32_t gen);
/* Free the table's arrays (not the sessions). */
void conns_free(struct conns *c);

static inline uint32_t conns_end(const struct conns *c) { return c->n; }
/* The session in slot i < conns_end(), or NULL. */
static inline struct session *conns_at(const struct conns *c, uint32_t i) { return c->slots[i]; }
static inline uint32_t conns_live(const struct conns *c) { return c->n - c->nfree; }

#endif
