/* ltest.c -- chorus-load's self-test (`chorus-load --self-test`), run by
 * tests/suites/50-load.sh.
 *
 * Checks the pure modules against dumb references: lcodec frames are
 * unmasked by hand and their msgpack read back with msgpack-c's generic
 * unpacker; lcodec_decode is fed hub messages packed here, and malformed
 * ones; lstats histogram quantiles are compared with a sorted array, and a
 * merge with one histogram holding everything. */
#include "ltest.h"
#include "lcodec.h"
#include "lstats.h"

#include <stdlib.h>
#include <string.h>

static int npass, nfail;

#define CHECK(cond, ...)                                             \
    do {                                                             \
        if (cond) {                                                  \
            npass++;                                                 \
        } else {                                                     \
            nfail++;                                                 \
            fprintf(out, "FAIL %s:%d: ", __FILE__, __LINE__);        \
            fprintf(out, __VA_ARGS__);                               \
            fputc('\n', out);                                        \
        }                                                            \
    } while (0)

/* Unmask a client frame by hand; returns payload length or -1. */
static long unframe(const uint8_t *f, int n, uint8_t *pay)
{
    if (n < 6 || f[0] != 0x82 || !(f[1] & 0x80))
        return -1;
    size_t len = f[1] & 0x7f, h = 2;
    if (len == 126) {
        len = (size_t)f[2] << 8 | f[3];
        h = 4;
    } else if (len == 127) {
        return -1;
    }
    if (h + 4 + len != (size_t)n)
        return -1;
    for (size_t i = 0; i < len; i++)
        pay[i] = f[h + 4 + i] ^ f[h + (i & 3)];
    return (long)len;
}

static const msgpack_object *get(const msgpack_object *m, const char *k)
{
    for (uint32_t i = 0; m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size; i++) {
        const msgpack_object *key = &m->via.map.ptr[i].key;
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(k) &&
            !memcmp(key->via.str.ptr, k, key->via.str.size))
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

static int str_is(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           !memcmp(o->via.str.ptr, s, o->via.str.size);
}

static void test_encode(FILE *out)
{
    uint8_t f[LCODEC_MAX_FRAME], pay[LCODEC_MAX_FRAME];
    msgpack_zone z;
    msgpack_object o = { .type = MSGPACK_OBJECT_NIL };   /* read even when an unpack failed */
    size_t off;
    msgpack_zone_init(&z, 1024);

    int n = lcodec_vote(f, sizeof f, 0xA1B2C3D4u, 77, 3, 2);
    long pl = unframe(f, n, pay);
    CHECK(pl > 0, "vote frame does not unmask (%d bytes)", n);
    off = 0;
    CHECK(pl > 0 && msgpack_unpack((char *)pay, (size_t)pl, &off, &z, &o) == MSGPACK_UNPACK_SUCCESS &&
          off == (size_t)pl, "vote payload is not one msgpack object");
    CHECK(str_is(get(&o, "t"), "vote"), "vote: t");
    CHECK(get(&o, "id") && get(&o, "id")->via.u64 == 77, "vote: id");
    CHECK(get(&o, "poll") && get(&o, "poll")->via.u64 == 3, "vote: poll");
    CHECK(get(&o, "option") && get(&o, "option")->via.u64 == 2, "vote: option");

    n = lcodec_hello(f, sizeof f, 0, "audience", "EV", NULL, "tok", "B");
    pl = unframe(f, n, pay);
    off = 0;
    CHECK(pl > 0 && msgpack_unpack((char *)pay, (size_t)pl, &off, &z, &o) == MSGPACK_UNPACK_SUCCESS,
          "hello payload");
    CHECK(str_is(get(&o, "role"), "audience") && str_is(get(&o, "event"), "EV") &&
          str_is(get(&o, "token"), "tok") && str_is(get(&o, "section"), "B") && !get(&o, "key"),
          "hello fields");

    const char *opts[3] = { "a", "b", "c" };
    n = lcodec_poll_open(f, sizeof f, 5, 9, "Q?", opts, 3, 1);
    pl = unframe(f, n, pay);
    off = 0;
    CHECK(pl > 0 && msgpack_unpack((char *)pay, (size_t)pl, &off, &z, &o) == MSGPACK_UNPACK_SUCCESS,
          "poll.open payload");
    CHECK(get(&o, "options") && get(&o, "options")->via.array.size == 3 &&
          get(&o, "allow_change") && get(&o, "allow_change")->via.boolean, "poll.open fields");

    /* 16-bit length header, and a frame that does not fit */
    char text[200];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    n = lcodec_chant(f, sizeof f, 1, -1, text);
    CHECK(n > 0 && f[1] == (0x80 | 126) && unframe(f, n, pay) > 125, "a 200-byte chant uses the 16-bit length");
    CHECK(lcodec_react(f, 10, 0, "heart", 1) == -1, "a frame larger than cap is refused");
    static uint8_t big[70000], src[65536];
    CHECK(lcodec_frame(big, sizeof big, src, sizeof src, 0) == 65536 + 14 && big[1] == (0x80 | 127) &&
          big[7] == 1 && big[8] == 0, "a 65,536-byte payload gets the 64-bit length");
    msgpack_zone_destroy(&z);
}

/* Pack a hub message with msgpack-c's own sbuffer. */
static void pk_s(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void test_decode(FILE *out)
{
    struct lcodec_dec d;
    struct lcodec_msg m;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    lcodec_dec_init(&d);

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pk_s(&pk, "t"); pk_s(&pk, "ack");
    pk_s(&pk, "id"); msgpack_pack_int64(&pk, 12);
    pk_s(&pk, "ok"); msgpack_pack_false(&pk);
    pk_s(&pk, "code"); pk_s(&pk, "poll_closed");
    pk_s(&pk, "unknown"); msgpack_pack_array(&pk, 0);
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == 0 && m.type == LM_ACK &&
          m.id == 12 && !m.ok && !strcmp(m.code, "poll_closed"), "ack not ok");
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size - 1, NULL, &m) == -1, "truncated ack is malformed");
    msgpack_sbuffer_write(&sb, "\xc0", 1);
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == -1, "trailing bytes are malformed");
    msgpack_sbuffer_clear(&sb);

    msgpack_pack_map(&pk, 4);
    pk_s(&pk, "t"); pk_s(&pk, "welcome");
    pk_s(&pk, "device"); msgpack_pack_int64(&pk, 4242);
    pk_s(&pk, "token"); pk_s(&pk, "abc.def");
    pk_s(&pk, "poll");
    msgpack_pack_map(&pk, 4);
    pk_s(&pk, "id"); msgpack_pack_int64(&pk, 7);
    pk_s(&pk, "open"); msgpack_pack_true(&pk);
    pk_s(&pk, "options"); msgpack_pack_array(&pk, 2); pk_s(&pk, "x"); pk_s(&pk, "y");
    pk_s(&pk, "voted"); msgpack_pack_int64(&pk, 1);
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == 0 && m.type == LM_WELCOME &&
          m.device == 4242 && !strcmp(m.token, "abc.def") && m.poll == 7 && m.poll_open &&
          m.noptions == 2 && m.voted == 1, "welcome with an open poll voted in");
    msgpack_sbuffer_clear(&sb);

    msgpack_pack_map(&pk, 3);
    pk_s(&pk, "t"); pk_s(&pk, "snap");
    pk_s(&pk, "seq"); msgpack_pack_int64(&pk, 99);
    pk_s(&pk, "react");
    msgpack_pack_map(&pk, 2);
    pk_s(&pk, "heart"); msgpack_pack_int64(&pk, 5);
    pk_s(&pk, "probe"); msgpack_pack_int64(&pk, 31);
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, "probe", &m) == 0 && m.type == LM_SNAP &&
          m.seq == 99 && m.kind_total == 31, "snap total of the probe kind");
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, "zap", &m) == 0 && m.kind_total == 0,
          "absent kind counts 0");
    msgpack_sbuffer_clear(&sb);

    msgpack_pack_array(&pk, 1);
    pk_s(&pk, "t");
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == -1, "an array is malformed");
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    pk_s(&pk, "t"); msgpack_pack_int64(&pk, 1);
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == -1, "a non-string t is malformed");
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    pk_s(&pk, "t"); pk_s(&pk, "brand-new");
    CHECK(lcodec_decode(&d, (uint8_t *)sb.data, sb.size, NULL, &m) == 0 && m.type == LM_OTHER,
          "an unknown type is not an error");
    msgpack_sbuffer_destroy(&sb);
    lcodec_dec_free(&d);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_hist(FILE *out)
{
    enum { N = 20000 };
    static struct lstats_hist a, b, all;
    uint64_t *v = malloc(N * sizeof *v);
    uint64_t x = 88172645463325252ULL;
    if (!v)
        return;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&all, 0, sizeof all);
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (x % 1000) < 900 ? x % 200000 : x % 5000000;   /* a long tail */
        lstats_hist_add(i & 1 ? &a : &b, v[i]);
        lstats_hist_add(&all, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    const double qs[] = { 0.5, 0.95, 0.99 };
    for (int i = 0; i < 3; i++) {
        double want = (double)v[(size_t)(qs[i] * N)];
        double got = (double)lstats_hist_quantile(&all, qs[i]);
        CHECK(got >= want * 0.96 - 2 && got <= want * 1.04 + 2,
              "q%.2f: histogram %.0f, sorted array %.0f", qs[i], got, want);
    }
    CHECK(lstats_hist_quantile(&all, 1) == v[N - 1], "max is exact");
    lstats_hist_merge(&a, &b);
    CHECK(a.n == all.n && a.max_us == all.max_us && a.sum_us == all.sum_us &&
          !memcmp(a.b, all.b, sizeof a.b), "merge of halves equals the whole");
    struct lstats_hist e;
    memset(&e, 0, sizeof e);
    CHECK(lstats_hist_quantile(&e, 0.5) == 0, "empty histogram gives 0");
    free(v);
}

int ltest_run(FILE *out)
{
    npass = nfail = 0;
    test_encode(out);
    test_decode(out);
    test_hist(out);
    fprintf(out, "self-test: %d passed, %d failed\n", npass, nfail);
    return nfail ? -1 : 0;
}
