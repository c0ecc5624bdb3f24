/* anon.c -- see anon.h. */
#include <assert.h>
#include <stddef.h>
#include "anon.h"

static uint32_t *find(struct anon *a, uint32_t ip, int take) {
    uint32_t *free_slot = NULL;
    for (uint32_t k = 0; k < ANON_PROBE; k++) {
        uint32_t i = (ip + k) & (ANON_SLOTS - 1);
        if (a->n[i] && a->ip[i] == ip) return &a->n[i];
        if (!a->n[i] && !free_slot) free_slot = &a->n[i];
    }
    if (!take || !free_slot) return NULL;
    a->ip[free_slot - a->n] = ip;
    return free_slot;
}

int anon_add(struct anon *a, uint32_t ip, uint32_t max) {
    uint32_t *n = find(a, ip, 1);
    if (!n) return ANON_UNCOUNTED;
    if (*n >= max) return -1;
    (*n)++;
    return 0;
}

void anon_del(struct anon *a, uint32_t ip) {
    uint32_t *n = find(a, ip, 0);
    assert(n && *n > 0);
    if (n && *n) (*n)--;
}

uint32_t anon_count(const struct anon *a, uint32_t ip) {
    uint32_t *n = find((struct anon *)a, ip, 0);
    return n ? *n : 0;
}
