/* Unit tests: Chorus's patch to libwebsockets' sorted list insert
 * (scripts/lws-patches/01-sorted-insert-both-ends.patch), which every
 * connection's timeout goes through. It must put each entry exactly where
 * the original head-first walk did (after every smaller entry, before the
 * first equal or larger one: among equal keys the newest comes first), for
 * any sequence of keys, and cost O(1) for keys at either end. */
#include <stdint.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include "t.h"

struct item {
    lws_dll2_t list;
    int64_t key;
    int seq;            /* arrival order */
};

static long compares;
static uint64_t rng = 7;

/* A fixed, portable sequence (xorshift64): the test is the same every run. */
static int next_key(int n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int)(rng % (uint64_t)n);
}

static int cmp(const lws_dll2_t *a, const lws_dll2_t *b) {
    const struct item *x = lws_container_of(a, struct item, list), *y = lws_container_of(b, struct item, list);
    compares++;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* The list holds items by key, equal keys newest first, and has n entries. */
static int in_order(lws_dll2_owner_t *own, int n) {
    int count = 0;
    const struct item *prev = NULL;
    lws_start_foreach_dll(struct lws_dll2 *, p, lws_dll2_get_head(own)) {
        const struct item *it = lws_container_of(p, struct item, list);
        if (prev && (prev->key > it->key || (prev->key == it->key && prev->seq < it->seq))) return 0;
        prev = it;
        count++;
    } lws_end_foreach_dll(p);
    return count == n && (int)own->count == n;
}

static void random_keys_keep_order_and_ties(void) {
    enum { N = 3000 };
    static struct item it[N];
    lws_dll2_owner_t own = {0};
    for (int i = 0; i < N; i++) {
        it[i].key = next_key(50);           /* many ties */
        it[i].seq = i;
        lws_dll2_add_sorted(&it[i].list, &own, cmp);
    }
    CHECK(in_order(&own, N));
    /* Removing and re-adding (a timeout moved) keeps the order too. */
    for (int i = 0; i < N; i += 3) {
        lws_dll2_remove(&it[i].list);
        it[i].key = next_key(50);
        it[i].seq = N + i;
        lws_dll2_add_sorted(&it[i].list, &own, cmp);
    }
    CHECK(in_order(&own, N));
}

static void ends_cost_o1(void) {
    enum { N = 20000 };
    static struct item it[N + 2];
    lws_dll2_owner_t own = {0};
    compares = 0;
    for (int i = 0; i < N; i++) {          /* connections: each deadline the latest yet */
        it[i].key = 1000 + i;
        it[i].seq = i;
        lws_dll2_add_sorted(&it[i].list, &own, cmp);
    }
    CHECK(compares < 3L * N);              /* the head-first walk: N * N / 2 */
    long before = compares;
    it[N].key = 0;                         /* a kill: due now */
    it[N].seq = N;
    lws_dll2_add_sorted(&it[N].list, &own, cmp);
    CHECK(compares - before <= 2);
    CHECK(lws_dll2_get_head(&own) == &it[N].list);
    it[N + 1].key = 1000 + N / 2;          /* the middle still lands right */
    it[N + 1].seq = N + 1;
    lws_dll2_add_sorted(&it[N + 1].list, &own, cmp);
    CHECK(in_order(&own, N + 2));
}

static void empty_and_single(void) {
    struct item a = {.key = 5, .seq = 0}, b = {.key = 5, .seq = 1}, c = {.key = 1, .seq = 2};
    lws_dll2_owner_t own = {0};
    lws_dll2_add_sorted(&a.list, &own, cmp);
    CHECK(in_order(&own, 1));
    lws_dll2_add_sorted(&b.list, &own, cmp);   /* equal key: before a, as lws always did */
    CHECK(lws_dll2_get_head(&own) == &b.list);
    lws_dll2_add_sorted(&c.list, &own, cmp);   /* smaller: first */
    CHECK(lws_dll2_get_head(&own) == &c.list);
    CHECK(in_order(&own, 3));
}

int main(void) {
    TEST(empty_and_single);
    TEST(random_keys_keep_order_and_ties);
    TEST(ends_cost_o1);
    return T_DONE();
}
