/* Unit tests: cluster parts (peers.c): the codec round-trips and refuses
 * what is not a part of this event; the merge keeps a silent hub's totals
 * but not its crowd, ignores old and own parts, and takes a restarted hub's
 * new run. */
#include <stdlib.h>
#include <msgpack.h>
#include <string.h>
#include "peers.h"
#include "proto.h"
#include "t.h"

static struct peers_part sample(int hub, int64_t seq, int64_t started) {
    struct peers_part p = {.hub = hub, .seq = seq, .started_ms = started, .nsections = 3, .nkinds = 2,
                           .signals_total = 40};
    p.conns[ROLE_AUDIENCE] = 10;
    p.conns[ROLE_SCREEN] = 1;
    p.section_conns[0] = 4, p.section_conns[1] = 5, p.section_conns[2] = 1;
    p.totals[0] = 100, p.totals[1] = 7;
    p.rate[0] = 12;
    p.nchants = 2;
    strcpy(p.chants[0].key, "encore");
    strcpy(p.chants[0].text, "Encore!");
    p.chants[0].count = 9;
    strcpy(p.chants[1].key, "one more");
    strcpy(p.chants[1].text, "One more");
    p.chants[1].count = 2;
    return p;
}

/* sample()'s part of hub 3 whose `where` is the n bytes at w: what
 * peers_encode writes without a `where` (10 fields), made an array of 11 by
 * hand, so it can say what peers_encode never would. */
static struct msg *part_saying(const char *w, size_t n) {
    struct peers_part p = sample(3, 1, 1);
    struct msg *plain = peers_encode(&p);
    if (!plain) return NULL;
    const uint8_t *body = msg_payload(plain);
    CHECK_EQ(body[0], 0x9a);   /* fixarray of 10: what is made an 11 below */
    if (body[0] != 0x9a) { msg_unref(plain); return NULL; }
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_array(&e.pk, 11);
    msgpack_sbuffer_write(&e.sb, (const char *)body + 1, plain->len - 1);
    msgpack_pack_str(&e.pk, n);
    msgpack_pack_str_body(&e.pk, w, n);
    msg_unref(plain);
    return proto_enc_finish(&e);
}

static void codec_round_trip(void) {
    struct peers_part p = sample(3, 17, 1000), q;
    struct msg *m = peers_encode(&p);
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), 0);
    CHECK_EQ(q.hub, 3);
    CHECK_EQ(q.seq, 17);
    CHECK_EQ(q.conns[ROLE_AUDIENCE], 10);
    CHECK_EQ(q.section_conns[1], 5);
    CHECK_EQ(q.totals[0], 100);
    CHECK_EQ(q.rate[0], 12);
    CHECK_EQ(q.nchants, 2);
    CHECK_STR(q.chants[0].text, "Encore!");
    CHECK_EQ(q.chants[1].count, 2);
    CHECK_STR(q.where, "");   /* a part that does not say where its database is */
    /* Another event file (other reaction or section counts): refused. */
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 3, 3, &q), -1);
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 4, &q), -1);
    /* Every truncation is refused, never read past the end. */
    for (uint32_t n = 0; n < m->len; n++) CHECK_EQ(peers_decode(msg_payload(m), n, 2, 3, &q), -1);
    msg_unref(m);
    p.hub = PEERS_MAX;   /* out of range */
    m = peers_encode(&p);
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), -1);
    msg_unref(m);
    /* Where the hub's database is: carried whole; empty is left out. */
    p.hub = 3;
    strcpy(p.where, "stage-left:/srv/chorus/hub1.db");
    m = peers_encode(&p);
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), 0);
    CHECK_STR(q.where, "stage-left:/srv/chorus/hub1.db");
    CHECK_EQ(q.nchants, 2);
    for (uint32_t n = 0; n < m->len; n++) CHECK_EQ(peers_decode(msg_payload(m), n, 2, 3, &q), -1);
    msg_unref(m);
    memset(p.where, 'x', sizeof p.where - 1);   /* the longest that fits */
    p.where[sizeof p.where - 1] = 0;
    m = peers_encode(&p);
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), 0);
    CHECK_EQ(strlen(q.where), sizeof q.where - 1);
    msg_unref(m);
    /* One byte longer than a part may say: refused, never cut. */
    static char longer[PEERS_WHERE_MAX + 1];
    memset(longer, 'y', sizeof longer - 1);
    m = part_saying(longer, strlen(longer));
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), -1);
    msg_unref(m);
    longer[sizeof longer - 2] = 0;   /* one shorter: a part */
    m = part_saying(longer, strlen(longer));
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), 0);
    msg_unref(m);
    m = part_saying("a\0b", 3);      /* a NUL inside: refused */
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), -1);
    msg_unref(m);
    m = part_saying("h:/\xff.db", 6); /* not UTF-8: refused */
    if (!m) { CHECK(!"out of memory"); return; }
    CHECK_EQ(peers_decode(msg_payload(m), m->len, 2, 3, &q), -1);
    msg_unref(m);
    static const uint8_t junk[] = {0x93, 0x01, 0x02, 0x03};
    CHECK_EQ(peers_decode(junk, sizeof junk, 2, 3, &q), -1);
    CHECK_EQ(peers_decode(NULL, 0, 2, 3, &q), -1);
}

static void merge_and_silence(void) {
    struct peers ps = {.self = 0};
    struct peers_part a = sample(1, 1, 1000), b = sample(2, 1, 1000), own = sample(0, 1, 1000);
    CHECK_EQ(peers_take(&ps, &own, 0), 0);          /* this hub's own part comes back: ignored */
    CHECK_EQ(peers_take(&ps, &a, 0), 1);
    CHECK_EQ(peers_take(&ps, &b, 0), 1);
    struct peers_sum s;
    peers_sum(&ps, &s);
    CHECK_EQ(s.conns[ROLE_AUDIENCE], 20);
    CHECK_EQ(s.totals[0], 200);
    CHECK_EQ(s.section_conns[1], 10);
    /* Parts are cumulative: one received twice, or an older one late, changes nothing. */
    CHECK_EQ(peers_take(&ps, &a, 10), 0);
    a.seq = 2, a.totals[0] = 150;
    CHECK_EQ(peers_take(&ps, &a, 100), 1);
    struct peers_part late = sample(1, 1, 1000);
    CHECK_EQ(peers_take(&ps, &late, 200), 0);
    peers_sum(&ps, &s);
    CHECK_EQ(s.totals[0], 250);
    /* Hub 2 goes silent: its totals stay, its crowd and rate go. */
    int known, live;
    peers_age(&ps, 100 + PEERS_STALE_MS, &known, &live);
    CHECK_EQ(known, 2);
    CHECK_EQ(live, 0);
    a.seq = 3;
    peers_take(&ps, &a, 100 + PEERS_STALE_MS);
    peers_age(&ps, 100 + PEERS_STALE_MS, &known, &live);
    CHECK_EQ(live, 1);
    peers_sum(&ps, &s);
    CHECK_EQ(s.conns[ROLE_AUDIENCE], 10);
    CHECK_EQ(s.rate[0], 12);
    CHECK_EQ(s.totals[0], 250);
    /* Hub 2 restarts (a later start, seq from 1 again): taken. */
    b = sample(2, 1, 5000);
    b.totals[0] = 120;   /* reloaded from its database, then more */
    CHECK_EQ(peers_take(&ps, &b, 6000), 1);
    peers_sum(&ps, &s);
    CHECK_EQ(s.totals[0], 270);
    CHECK_EQ(s.conns[ROLE_AUDIENCE], 20);
}

/* The control and vote headers are read with util_ints. */
static void header_ints(void) {
    int64_t v[4] = {0};
    CHECK_EQ(util_ints("3 17 2 1700000000123", ' ', v, 4), 4);
    CHECK_EQ(v[3], 1700000000123LL);
    CHECK_EQ(util_ints("3 x 2", ' ', v, 4), 1);             /* stops at what is not a number */
    CHECK_EQ(util_ints("", ' ', v, 4), 0);
    CHECK_EQ(util_ints(NULL, ' ', v, 4), 0);
    CHECK_EQ(util_ints("99999999999999999999 1", ' ', v, 2), 0);   /* out of range */
    CHECK_EQ(util_ints("12.345", '.', v, 2), 2);
    CHECK_EQ(v[1], 345);
    CHECK_EQ(util_ints("7", 0, v, 3), 1);                   /* never past the end */
}

int main(void) {
    TEST(header_ints);
    TEST(codec_round_trip);
    TEST(merge_and_silence);
    return T_DONE();
}
