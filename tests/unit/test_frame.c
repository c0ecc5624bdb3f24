/* Unit tests: frame (message reassembly) and conns (slot table). */
#include <stdlib.h>
#include "conns.h"
#include "frame.h"
#include "t.h"

static void whole_message_is_not_copied(void) {
    struct frame_rx f = {0};
    const uint8_t in[] = "hello";
    const uint8_t *out = NULL;
    size_t n = 0;
    CHECK_EQ(frame_feed(&f, in, 5, 1, 4096, &out, &n), FRAME_DONE);
    CHECK(out == in);
    CHECK_EQ(n, 5);
    CHECK(f.buf == NULL);
    CHECK_EQ(frame_feed(&f, in, 5, 1, 4, &out, &n), FRAME_TOO_BIG);
}

static void fragments_are_joined(void) {
    struct frame_rx f = {0};
    const uint8_t *out = NULL;
    size_t n = 0;
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"ab", 2, 0, 10, &out, &n), FRAME_MORE);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"", 0, 0, 10, &out, &n), FRAME_MORE);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"cd", 2, 1, 10, &out, &n), FRAME_DONE);
    CHECK_EQ(n, 4);
    CHECK(memcmp(out, "abcd", 4) == 0);
    /* The next message starts afresh. */
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"xy", 2, 1, 10, &out, &n), FRAME_DONE);
    CHECK_EQ(n, 2);
    CHECK(memcmp(out, "xy", 2) == 0);
    CHECK(f.buf == NULL);
    /* Exactly the limit passes; one byte more does not, and clears. */
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"12345", 5, 0, 10, &out, &n), FRAME_MORE);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"67890", 5, 1, 10, &out, &n), FRAME_DONE);
    CHECK_EQ(n, 10);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"12345", 5, 0, 10, &out, &n), FRAME_MORE);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"678901", 6, 1, 10, &out, &n), FRAME_TOO_BIG);
    CHECK(f.buf == NULL);
    CHECK_EQ(f.len, 0);
    CHECK_EQ(frame_feed(&f, (const uint8_t *)"ab", 2, 0, 10, &out, &n), FRAME_MORE);
    frame_rx_clear(&f);                 /* a connection closed mid-message */
    CHECK(f.buf == NULL);
}

static void slots_are_reused_with_a_new_generation(void) {
    struct conns c = {0};
    struct session a = {0}, b = {0}, d = {0};
    CHECK_EQ(conns_add(&c, &a), 0);
    CHECK_EQ(conns_add(&c, &b), 0);
    CHECK_EQ(a.slot, 0);
    CHECK_EQ(b.slot, 1);
    CHECK_EQ(conns_live(&c), 2);
    uint32_t gen = a.gen;
    conns_remove(&c, &a);
    CHECK(conns_lookup(&c, 0, gen) == NULL);
    CHECK_EQ(conns_add(&c, &d), 0);
    CHECK_EQ(d.slot, 0);
    CHECK(d.gen != gen);
    CHECK(conns_lookup(&c, 0, gen) == NULL);
    CHECK(conns_lookup(&c, 0, d.gen) == &d);
    CHECK(conns_lookup(&c, 7, 1) == NULL);
    CHECK_EQ(conns_live(&c), 2);
    /* Growing past the first capacity keeps every entry. */
    static struct session many[3000];
    for (int i = 0; i < 3000; i++) CHECK_EQ(conns_add(&c, &many[i]), 0);
    CHECK(conns_lookup(&c, many[2999].slot, many[2999].gen) == &many[2999]);
    CHECK(conns_lookup(&c, b.slot, b.gen) == &b);
    conns_free(&c);
}

/* The three header lengths of RFC 6455 5.2, at their boundaries. */
static void ws_header_sizes(void) {
    uint8_t buf[16], *end = buf + 12, *h;
    h = frame_ws_header(end, 0);
    CHECK(h == end - 2 && h[0] == 0x82 && h[1] == 0);
    h = frame_ws_header(end, 125);
    CHECK(h == end - 2 && h[1] == 125);
    h = frame_ws_header(end, 126);
    CHECK(h == end - 4 && h[0] == 0x82 && h[1] == 126 && h[2] == 0 && h[3] == 126);
    h = frame_ws_header(end, 65535);
    CHECK(h == end - 4 && h[2] == 0xff && h[3] == 0xff);
    h = frame_ws_header(end, 65536);
    CHECK(h == end - 10 && h[1] == 127);
    static const uint8_t l64[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    CHECK(memcmp(h + 2, l64, 8) == 0);
}

int main(void) {
    TEST(ws_header_sizes);
    TEST(whole_message_is_not_copied);
    TEST(fragments_are_joined);
    TEST(slots_are_reused_with_a_new_generation);
    return T_DONE();
}
