/* Unit tests: hub/server/devices (the device and per-address tables) and
 * the session rules they work with: a device's buckets survive its
 * reconnections, two addresses in one slot keep their own budgets, wrong
 * keys lock an address out, a crew connection holds more than a phone's. */
#include <stdlib.h>
#include "devices.h"
#include "session.h"
#include "t.h"

static const struct event_limit chants = {0.5, 3}, joins = {0.01, 2}, keys = {0.1, 3};

static struct devices *fresh(void) {
    struct devices *d = calloc(1, sizeof *d);
    if (!d || devices_init(d, 0, NULL) < 0) exit(1);
    devices_new(d);                              /* device 1 */
    return d;
}

static int spend(struct rate_bucket *b, uint32_t now) {
    int n = 0;
    while (rate_allow(&b[LIM_CHANTS], &chants, now, 1)) n++;
    return n;
}

/* Close, then reconnect: the new connection starts where the old one left. */
static void buckets_survive_a_reconnection(void) {
    struct devices *d = fresh();
    struct rate_bucket a[LIM_COUNT] = {0}, b[LIM_COUNT] = {0};
    CHECK_EQ(devices_attach(d, 1, 0, a), 0);
    CHECK_EQ(spend(a, 1000), 3);
    devices_set_slot(d, 1, 0);                   /* the connection closed */
    CHECK_EQ(devices_attach(d, 1, 5, b), 0);
    CHECK_EQ(spend(b, 1000), 0);                 /* nothing refilled */
    CHECK_EQ(spend(b, 3000), 1);                 /* 2 s at 0.5/s */
    devices_free(d);
    free(d);
}

/* Reconnect while the old connection is still open (it is replaced). */
static void buckets_move_to_the_replacing_connection(void) {
    struct devices *d = fresh();
    struct rate_bucket a[LIM_COUNT] = {0}, b[LIM_COUNT] = {0}, c[LIM_COUNT] = {0};
    devices_attach(d, 1, 0, a);
    CHECK_EQ(spend(a, 1000), 3);
    devices_attach(d, 1, 1, b);                  /* a is replaced: its buckets move to b */
    CHECK_EQ(spend(b, 1000), 0);
    CHECK_EQ(devices_slot(d, 1), 2);
    devices_set_slot(d, 1, 0);
    devices_attach(d, 1, 0, c);                  /* slot 0 again: no stale registration of a */
    CHECK_EQ(spend(c, 1000), 0);
    devices_free(d);
    free(d);
}

/* 127.0.50.1 and 127.0.157.45 share slot 10409 of 16384 (FNV-1a). */
static void colliding_addresses_keep_their_budgets(void) {
    struct devices *d = fresh();
    uint32_t x = util_hash_str("127.0.50.1"), y = util_hash_str("127.0.157.45");
    CHECK_EQ(x % DEVICES_IP_BUCKETS, y % DEVICES_IP_BUCKETS);
    int nx = 0, ny = 0;
    for (int i = 0; i < 10; i++) {
        nx += devices_allow_join(d, x, &joins, 1000);
        ny += devices_allow_join(d, y, &joins, 1000);
    }
    CHECK_EQ(nx, 2);
    CHECK_EQ(ny, 2);
    devices_free(d);
    free(d);
}

/* A full probe window reuses the entry idle longest, never a busy one. */
static void a_full_window_evicts_the_longest_idle(void) {
    struct devices *d = fresh();
    uint32_t base = 77, now = 1000;
    for (uint32_t k = 0; k < DEVICES_IP_PROBE; k++)
        devices_allow_join(d, base + k * DEVICES_IP_BUCKETS, &joins, now + k);   /* same slot, distinct keys */
    devices_allow_join(d, base + 99u * DEVICES_IP_BUCKETS, &joins, now + 100);   /* evicts the first */
    CHECK_EQ(devices_allow_join(d, base + 1u * DEVICES_IP_BUCKETS, &joins, now + 101), 1);
    CHECK_EQ(devices_allow_join(d, base + 1u * DEVICES_IP_BUCKETS, &joins, now + 102), 0);   /* kept: spent */
    devices_free(d);
    free(d);
}

static void wrong_keys_lock_the_address_and_log_once(void) {
    struct devices *d = fresh();
    uint32_t ip = util_hash_str("127.0.5.5"), other = util_hash_str("127.0.5.6");
    int64_t logged = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(devices_key_may_try(d, ip, &keys, 1000));
        devices_key_failed(d, ip, &keys, 1000);
        logged += devices_key_log(d, 1000) ? 1 : 0;
    }
    CHECK(!devices_key_may_try(d, ip, &keys, 1000));
    CHECK(devices_key_may_try(d, other, &keys, 1000));
    CHECK_EQ(logged, 1);
    CHECK_EQ(d->key_failures, 3);
    CHECK_EQ(d->key_refused, 1);
    CHECK_EQ(devices_key_log(d, 1000 + DEVICES_KEY_LOG_MS), 3);   /* the next line counts the rest */
    CHECK(devices_key_may_try(d, ip, &keys, 11000));               /* 10 s at 0.1/s */
    devices_free(d);
    free(d);
}

static void crew_queue_is_larger_and_never_over_budget(void) {
    struct session s = {0};
    CHECK_EQ(session_outq_max(&s), SESSION_OUTQ_MAX);
    s.state = SS_READY;
    s.role = ROLE_CREW;
    CHECK_EQ(session_outq_max(&s), SESSION_OUTQ_WATCHER_MAX);
    for (int i = 0; i < 100; i++) CHECK_EQ(session_error(&s, 1000), 0);
    s.role = ROLE_AUDIENCE;
    CHECK_EQ(session_outq_max(&s), SESSION_OUTQ_MAX);
    int over = 0;
    for (int i = 0; i < SESSION_ERR_MAX; i++) over |= session_error(&s, 1000) < 0;
    CHECK(over);
}

int main(void) {
    TEST(buckets_survive_a_reconnection);
    TEST(buckets_move_to_the_replacing_connection);
    TEST(colliding_addresses_keep_their_budgets);
    TEST(a_full_window_evicts_the_longest_idle);
    TEST(wrong_keys_lock_the_address_and_log_once);
    TEST(crew_queue_is_larger_and_never_over_budget);
    return T_DONE();
}
