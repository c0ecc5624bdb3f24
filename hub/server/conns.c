/* conns.c -- the connection table (see conns.h).
 * Invariants: n <= cap; nfree <= n; slots[free[i]] == NULL. */
#include <assert.h>
#include <stdlib.h>
#include "conns.h"

#define CONNS_CAP0 1024

static int grow(struct conns *c) {
    uint32_t cap = c->cap ? c->cap * 2 : CONNS_CAP0;
    struct session **sl = realloc(c->slots, cap * sizeof *sl);  // NOLINT(bugprone-sizeof-expression): an array of pointers
    if (!sl) return -1;
    c->slots = sl;
    uint32_t *g = realloc(c->gens, cap * sizeof *g);
    if (!g) return -1;
    c->gens = g;
    uint32_t *f = realloc(c->free, cap * sizeof *f);
    if (!f) return -1;
    c->free = f;
    c->cap = cap;
    return 0;
}

int conns_add(struct conns *c, struct session *s) {
    uint32_t slot;
    if (c->nfree) {
        slot = c->free[--c->nfree];
    } else {
        if (c->n == c->cap && grow(c) < 0) return -1;
        slot = c->n++;
        c->gens[slot] = 0;
    }
    assert(c->slots[slot] == NULL || slot == c->n - 1);
    s->slot = slot;
    s->gen = ++c->gens[slot];
    c->slots[slot] = s;
    return 0;
}

void conns_remove(struct conns *c, struct session *s) {
    assert(s->slot < c->n && c->slots[s->slot] == s);
    c->slots[s->slot] = NULL;
    c->free[c->nfree++] = s->slot;
}

struct session *conns_lookup(const struct conns *c, uint32_t slot, uint32_t gen) {
    if (slot >= c->n || !c->slots[slot] || c->slots[slot]->gen != gen) return NULL;
    return c->slots[slot];
}

void conns_free(struct conns *c) {
    free(c->slots);
    free(c->gens);
    free(c->free);
    c->slots = NULL;
    c->gens = c->free = NULL;
    c->n = c->cap = c->nfree = 0;
}
