/* Unit tests: agg (rates over tick windows, tallies, vote changes, energy). */
#include <stdlib.h>
#include "agg.h"
#include "t.h"

static struct agg_poll *poll_new(int64_t id, int nopts, int allow_change) {
    struct agg_poll *p = calloc(1, sizeof *p);
    p->id = id;
    p->question = strdup("q");
    p->nopts = nopts;
    for (int i = 0; i < nopts; i++) p->options[i] = strdup("o");
    p->allow_change = allow_change;
    return p;
}

static void rate_is_last_second(void) {
    struct agg *a = agg_new(2, 0, 100);
    agg_react(a, 0, 5);
    agg_tick(a);
    CHECK_EQ(a->rate[0], 5);
    agg_react(a, 0, 3);
    agg_react(a, 1, 2);
    agg_tick(a);
    CHECK_EQ(a->rate[0], 8);
    CHECK_EQ(a->rate[1], 2);
    for (int i = 0; i < 9; i++) agg_tick(a);  /* the first window (5) leaves after 10 ticks */
    CHECK_EQ(a->rate[0], 3);
    agg_tick(a);
    CHECK_EQ(a->rate[0], 0);
    CHECK_EQ(a->totals[0], 8);
    CHECK_EQ(a->totals[1], 2);
    agg_free(a);
}

static void votes_and_changes(void) {
    struct agg *a = agg_new(1, 0, 100);
    agg_poll_open(a, poll_new(1, 3, 0));
    int prev;
    CHECK_EQ(agg_vote(a, 10, 2, &prev), 0);
    CHECK_EQ(prev, -1);
    CHECK_EQ(agg_vote(a, 10, 1, &prev), AGG_ALREADY_VOTED);
    CHECK_EQ(agg_vote(a, 10, 2, &prev), 0);        /* the same choice again is fine */
    CHECK_EQ(agg_vote(a, 100000, 0, &prev), 0);    /* grows the device table */
    CHECK_EQ(a->poll->counts[2], 1);
    CHECK_EQ(a->poll->voters, 2);
    struct agg_poll *old = agg_poll_close(a, 5);
    CHECK_EQ(old->closed_ms, 5);
    agg_poll_free(old);
    agg_poll_open(a, poll_new(2, 2, 1));
    CHECK_EQ(agg_vote_of(a, 10), -1);              /* a new poll starts empty */
    CHECK_EQ(agg_vote(a, 10, 0, &prev), 0);
    CHECK_EQ(agg_vote(a, 10, 1, &prev), 0);
    CHECK_EQ(prev, 0);
    CHECK_EQ(a->poll->counts[0], 0);
    CHECK_EQ(a->poll->counts[1], 1);
    CHECK_EQ(a->poll->voters, 1);
    agg_vote_revert(a, 10, 1, 0);                  /* the change was not stored */
    CHECK_EQ(a->poll->counts[0], 1);
    CHECK_EQ(a->poll->counts[1], 0);
    agg_vote_revert(a, 10, 1, 0);                  /* no longer its vote: no-op */
    CHECK_EQ(a->poll->counts[0], 1);
    agg_vote_revert(a, 10, 0, -1);                 /* a first vote undone */
    CHECK_EQ(a->poll->voters, 0);
    CHECK_EQ(agg_vote_of(a, 10), -1);
    agg_free(a);
}

/* "Play it" picks the single leader; a tie or no vote has none. The last
 * closed poll's votes stay readable until the next poll opens. */
static void winner_and_last_votes(void) {
    struct agg *a = agg_new(1, 0, 100);
    agg_poll_open(a, poll_new(1, 3, 0));
    CHECK_EQ(agg_poll_winner(a->poll), -1);        /* no vote */
    int prev;
    CHECK_EQ(agg_vote(a, 1, 2, &prev), 0);
    CHECK_EQ(agg_vote(a, 2, 0, &prev), 0);
    CHECK_EQ(agg_poll_winner(a->poll), -1);        /* a tie */
    CHECK_EQ(agg_vote(a, 3, 2, &prev), 0);
    CHECK_EQ(agg_poll_winner(a->poll), 2);
    CHECK_EQ(agg_last_vote_of(a, 1), -1);          /* a poll is open: use agg_vote_of */
    struct agg_poll *old = agg_poll_close(a, 9);
    CHECK_EQ(agg_last_vote_of(a, 1), 2);
    CHECK_EQ(agg_last_vote_of(a, 2), 0);
    CHECK_EQ(agg_last_vote_of(a, 4), -1);          /* did not vote */
    CHECK_EQ(agg_last_vote_of(a, -1), -1);
    CHECK_EQ(agg_poll_winner(old), 2);
    agg_poll_free(old);
    agg_poll_open(a, poll_new(2, 2, 0));
    CHECK_EQ(agg_last_vote_of(a, 1), -1);
    agg_free(a);
}

static void audience_and_energy(void) {
    struct agg *a = agg_new(1, 2, 100);
    for (int i = 0; i < 10; i++) agg_conn(a, ROLE_AUDIENCE, i % 3 == 2 ? -1 : i % 3, +1);
    agg_conn(a, ROLE_SCREEN, -1, +1);
    CHECK_EQ(a->conns[ROLE_AUDIENCE], 10);
    CHECK_EQ(a->section_conns[0], 4);
    CHECK_EQ(a->section_conns[1], 3);
    CHECK_EQ(a->section_conns[2], 3);
    for (int i = 0; i < 50; i++) agg_tick(a);
    CHECK_EQ(a->energy, 0);
    /* 10 phones tapping 0.5/s each: 5 taps per second, steady. */
    for (int i = 0; i < 100; i++) { if (i % 2 == 0) agg_react(a, 0, 1); agg_tick(a); }
    CHECK(a->energy >= 60 && a->energy <= 66);     /* 100 * (1 - e^-1) = 63 */
    for (int i = 0; i < 100; i++) { agg_react(a, 0, 10); agg_tick(a); }
    CHECK(a->energy >= 99);
    struct agg_second s;
    agg_second_done(a, 77, &s);
    CHECK_EQ(s.sec, 77);
    CHECK_EQ(s.audience, 10);
    CHECK_EQ(s.taps, 50 + 1000);
    agg_second_done(a, 78, &s);
    CHECK_EQ(s.taps, 0);
    agg_free(a);
}

int main(void) {
    TEST(rate_is_last_second);
    TEST(votes_and_changes);
    TEST(winner_and_last_votes);
    TEST(audience_and_energy);
    return T_DONE();
}
