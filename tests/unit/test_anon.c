/* Unit tests: anon (per-address connections before hello). */
#include <stdlib.h>
#include "anon.h"
#include "t.h"

static struct anon A;

static void cap_per_address(void) {
    for (int i = 0; i < 3; i++) CHECK_EQ(anon_add(&A, 42, 3), 0);
    CHECK_EQ(anon_add(&A, 42, 3), -1);          /* the fourth is refused */
    CHECK_EQ(anon_add(&A, 43, 3), 0);           /* another address is not */
    anon_del(&A, 42);                           /* one said hello */
    CHECK_EQ(anon_count(&A, 42), 2);
    CHECK_EQ(anon_add(&A, 42, 3), 0);
    for (int i = 0; i < 3; i++) anon_del(&A, 42);
    anon_del(&A, 43);
    CHECK_EQ(anon_count(&A, 42), 0);
    CHECK_EQ(anon_count(&A, 43), 0);
}

/* Addresses in the same probe window never share or reset a count. */
static void colliding_addresses_keep_their_own_counts(void) {
    uint32_t base = 7 * ANON_SLOTS + 100;       /* same start slot */
    for (uint32_t k = 0; k < ANON_PROBE; k++) {
        CHECK_EQ(anon_add(&A, base + k * ANON_SLOTS, 2), 0);
        CHECK_EQ(anon_add(&A, base + k * ANON_SLOTS, 2), 0);
    }
    for (uint32_t k = 0; k < ANON_PROBE; k++) CHECK_EQ(anon_count(&A, base + k * ANON_SLOTS), 2);
    CHECK_EQ(anon_add(&A, base, 2), -1);
    /* The window is full: a ninth address is admitted, uncounted. */
    CHECK_EQ(anon_add(&A, base + ANON_PROBE * ANON_SLOTS, 2), ANON_UNCOUNTED);
    /* A freed entry is reused. */
    anon_del(&A, base + 3 * ANON_SLOTS);
    anon_del(&A, base + 3 * ANON_SLOTS);
    CHECK_EQ(anon_add(&A, base + ANON_PROBE * ANON_SLOTS, 2), 0);
    CHECK_EQ(anon_count(&A, base + ANON_PROBE * ANON_SLOTS), 1);
    CHECK_EQ(anon_count(&A, base + 4 * ANON_SLOTS), 2);
}

int main(void) {
    TEST(cap_per_address);
    TEST(colliding_addresses_keep_their_own_counts);
    return T_DONE();
}
