/* Unit tests: session (state machine, bounded out-queue, snapshot
 * replacement, error budget) and rate (token buckets). */
#include <stdlib.h>
#include "session.h"
#include "t.h"

static struct msg *mk(void) {
    struct msg *m = calloc(1, sizeof *m + MSG_HEADROOM + 1);
    m->refs = 1;
    m->len = 1;
    return m;
}

static void bucket(void) {
    struct event_limit lim = {2, 5};
    struct rate_bucket b = {0, 0};
    int ok = 0;
    for (int i = 0; i < 10; i++) ok += rate_allow(&b, &lim, 1000, 1);
    CHECK_EQ(ok, 5);                            /* the burst */
    CHECK_EQ(rate_allow(&b, &lim, 1400, 1), 0);
    CHECK_EQ(rate_allow(&b, &lim, 1500, 1), 1); /* 2/s refills one in 500 ms */
    CHECK_EQ(rate_allow(&b, &lim, 100000, 10), 0); /* never more than the burst */
    CHECK_EQ(rate_allow(&b, &lim, 100000, 5), 1);
}

static void queue_is_bounded(void) {
    struct session s;
    memset(&s, 0, sizeof s);
    struct msg *m = mk();
    int pushed = 0;
    for (int i = 0; i < SESSION_OUTQ_MAX + 10; i++) pushed += session_push(&s, m) == 0;
    CHECK_EQ(pushed, SESSION_OUTQ_MAX);
    CHECK_EQ(m->refs, 1 + SESSION_OUTQ_MAX);
    struct msg *s1 = mk(), *s2 = mk();
    session_offer_snap(&s, s1);
    session_offer_snap(&s, s2);                 /* replaces the unsent one */
    CHECK_EQ(s1->refs, 1);
    CHECK_EQ(s2->refs, 2);
    int n = 0;
    struct msg *x;
    while ((x = session_pop(&s)) != NULL) { n++; if (n == SESSION_OUTQ_MAX + 1) CHECK(x == s2); msg_unref(x); }
    CHECK_EQ(n, SESSION_OUTQ_MAX + 1);          /* control messages first, then one snapshot */
    CHECK_EQ(m->refs, 1);
    CHECK_EQ(session_pending(&s), 0);
    session_offer_snap(&s, s1);
    session_clear(&s);
    CHECK_EQ(s1->refs, 1);
    msg_unref(m); msg_unref(s1); msg_unref(s2);
}

static void error_budget(void) {
    struct session s;
    memset(&s, 0, sizeof s);
    int closed = 0;
    for (int i = 0; i < 19; i++) closed |= session_error(&s, 1000 + (uint32_t)i) < 0;
    CHECK_EQ(closed, 0);
    CHECK_EQ(session_error(&s, 2000), SESSION_OVER_BUDGET);       /* the 20th within 10 s */
    memset(&s, 0, sizeof s);
    for (int i = 0; i < 40; i++) closed |= session_error(&s, 1000 + (uint32_t)i * 1000) < 0;
    CHECK_EQ(closed, 0);                        /* one a second never exhausts it */
}

/* Every transition outside the table is refused; close and kill are
 * idempotent and never go back. */
static void state_machine(void) {
    static const int allowed[SS_COUNT][SS_COUNT] = {
        [SS_NEW] = {[SS_READY] = 1, [SS_DRAINING] = 1, [SS_DEAD] = 1},
        [SS_READY] = {[SS_DRAINING] = 1, [SS_DEAD] = 1},
        [SS_DRAINING] = {[SS_DEAD] = 1},
    };
    for (int a = 0; a < SS_COUNT; a++)
        for (int b = 0; b < SS_COUNT; b++) CHECK_EQ(session_can_move(a, b), allowed[a][b]);
    struct session s;
    memset(&s, 0, sizeof s);
    CHECK_STR(session_state_name(s.state), "new");
    CHECK(session_is_open(&s));
    CHECK(!session_is_ready(&s));
    session_set_state(&s, SS_READY);
    CHECK(session_is_ready(&s));
    CHECK_EQ(session_close(&s, WIRE_CLOSE_REPLACED), 1);
    CHECK_EQ(s.close_code, WIRE_CLOSE_REPLACED);
    CHECK_EQ(session_close(&s, WIRE_CLOSE_POLICY), 0);      /* the first reason stays */
    CHECK_EQ(s.close_code, WIRE_CLOSE_REPLACED);
    CHECK(!session_is_open(&s));
    CHECK_EQ(session_kill(&s), 1);
    CHECK_STR(session_state_name(s.state), "dead");
    CHECK_EQ(session_kill(&s), 0);
    CHECK_EQ(session_close(&s, WIRE_CLOSE_POLICY), 0);      /* dead stays dead */
    CHECK_EQ(s.state, SS_DEAD);
}

int main(void) {
    TEST(state_machine);
    TEST(bucket);
    TEST(queue_is_bounded);
    TEST(error_budget);
    return T_DONE();
}
