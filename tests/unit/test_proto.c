/* Unit tests: proto (the chorus.v1 codec) against malformed input of every kind. */
#include <stdlib.h>
#include "proto.h"
#include "t.h"

static struct proto_dec dec;

/* Pack a map from alternating key/value specs: "s:text", "i:123", "n" (nil), "b:1". */
static size_t pack(uint8_t *out, int n, const char **kv) {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (size_t)n / 2);
    for (int i = 0; i < n; i++) {
        const char *v = kv[i];
        if (i % 2 == 0) { proto_pack_str(&pk, v); continue; }
        if (v[0] == 's') proto_pack_str(&pk, v + 2);
        else if (v[0] == 'i') msgpack_pack_int64(&pk, atoll(v + 2));
        else if (v[0] == 'b') { if (v[2] == '1') msgpack_pack_true(&pk); else msgpack_pack_false(&pk); }
        else if (v[0] == 'f') msgpack_pack_double(&pk, 1.5);
        else msgpack_pack_nil(&pk);
    }
    memcpy(out, sb.data, sb.size);
    size_t len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return len;
}

#define DEC(arr, code_want) do { \
    uint8_t b[4096]; size_t l = pack(b, (int)(sizeof (arr) / sizeof (arr)[0]), (arr)); \
    struct proto_msg m; struct proto_error e; \
    const char *want_ = (code_want); \
    int r = proto_decode(&dec, b, l, &m, &e); \
    if (want_ != NULL) { CHECK_EQ(r, -1); CHECK_STR(e.code, want_); } else { CHECK_EQ(r, 0); } \
} while (0)

static void valid_messages(void) {
    const char *hello[] = {"t", "s:hello", "role", "s:audience", "event", "s:DEMO", "section", "s:A", "extra", "i:5"};
    DEC(hello, NULL);
    const char *vote[] = {"t", "s:vote", "id", "i:7", "poll", "i:1", "option", "i:0"};
    uint8_t b[256];
    size_t l = pack(b, 8, vote);
    struct proto_msg m;
    struct proto_error e;
    CHECK_EQ(proto_decode(&dec, b, l, &m, &e), 0);
    CHECK_EQ(m.type, PT_VOTE);
    CHECK_EQ(m.id, 7);
    CHECK_EQ(m.poll, 1);
    const char *react[] = {"t", "s:react", "kind", "s:fire", "n", "i:50"};
    DEC(react, NULL);
    const char *ping[] = {"t", "s:ping", "c", "i:-12"};
    DEC(ping, NULL);
    const char *marker[] = {"t", "s:marker", "id", "i:1", "label", "s:Song 2", "kind", "s:song_end"};
    DEC(marker, NULL);
}

/* A phone's own id and the age of a signal; undoing a poll close; fixing
 * or deleting a marker. */
static void show_night_fields(void) {
    uint8_t b[256];
    struct proto_msg m;
    struct proto_error e;
    const char *vote[] = {"t", "s:vote", "id", "i:7", "poll", "i:1", "option", "i:0", "cid", "i:9007199254740992", "age", "i:-5"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 12, vote), &m, &e), 0);
    CHECK_EQ(m.cid, 9007199254740992LL);
    CHECK_EQ(m.age, -5);                       /* accepted; the hub bounds it */
    const char *chant[] = {"t", "s:chant", "text", "s:Ayo!", "cid", "i:0"};
    DEC(chant, E_BAD_FIELD);                   /* ids start at 1 */
    const char *react[] = {"t", "s:react", "kind", "s:fire", "n", "i:3", "age", "i:45000"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 8, react), &m, &e), 0);
    CHECK_EQ(m.age, 45000);
    const char *reopen[] = {"t", "s:poll.reopen", "id", "i:1", "poll", "i:3"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 6, reopen), &m, &e), 0);
    CHECK_EQ(m.type, PT_POLL_REOPEN);
    const char *edit[] = {"t", "s:marker.edit", "id", "i:2", "at", "i:1700000000123", "kind", "s:song_end"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 8, edit), &m, &e), 0);
    CHECK_EQ(m.at, 1700000000123LL);
    CHECK(m.has_kind && !m.has_label && m.marker == MARKER_SONG_END);
    const char *nothing[] = {"t", "s:marker.edit", "id", "i:2", "at", "i:5"};
    DEC(nothing, E_BAD_FIELD);                 /* nothing to change */
    const char *del[] = {"t", "s:marker.delete", "id", "i:2", "at", "i:5"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 6, del), &m, &e), 0);
    CHECK_EQ(m.type, PT_MARKER_DELETE);
    const char *noid[] = {"t", "s:marker.delete", "at", "i:5"};
    DEC(noid, E_BAD_FIELD);
    const char *play[] = {"t", "s:poll.play", "id", "i:4", "poll", "i:3"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 6, play), &m, &e), 0);
    CHECK(m.type == PT_POLL_PLAY && m.poll == 3 && !m.has_option && m.option == -1);   /* the winner */
    const char *pick[] = {"t", "s:poll.play", "id", "i:4", "poll", "i:3", "option", "i:11"};
    CHECK_EQ(proto_decode(&dec, b, pack(b, 8, pick), &m, &e), 0);
    CHECK(m.has_option && m.option == 11);
    const char *far[] = {"t", "s:poll.play", "id", "i:4", "poll", "i:3", "option", "i:12"};
    DEC(far, E_BAD_FIELD);                     /* no poll has a 13th option */
    const char *playnoid[] = {"t", "s:poll.play", "poll", "i:3"};
    DEC(playnoid, E_BAD_FIELD);
}

static void bad_fields(void) {
    const char *no_t[] = {"x", "i:1"};
    DEC(no_t, E_BAD_FRAME);
    const char *t_int[] = {"t", "i:1"};
    DEC(t_int, E_BAD_FRAME);
    const char *unknown[] = {"t", "s:dance"};
    DEC(unknown, E_BAD_TYPE);
    const char *vote_noid[] = {"t", "s:vote", "poll", "i:1", "option", "i:0"};
    DEC(vote_noid, E_BAD_FIELD);
    const char *vote_str[] = {"t", "s:vote", "id", "i:1", "poll", "s:1", "option", "i:0"};
    DEC(vote_str, E_BAD_FIELD);
    const char *vote_float[] = {"t", "s:vote", "id", "i:1", "poll", "f", "option", "i:0"};
    DEC(vote_float, E_BAD_FIELD);
    const char *neg_id[] = {"t", "s:vote", "id", "i:-1", "poll", "i:1", "option", "i:0"};
    DEC(neg_id, E_BAD_FIELD);
    const char *react_n[] = {"t", "s:react", "kind", "s:fire", "n", "i:51"};
    DEC(react_n, E_BAD_FIELD);
    const char *react_0[] = {"t", "s:react", "kind", "s:fire", "n", "i:0"};
    DEC(react_0, E_BAD_FIELD);
    const char *hello_norole[] = {"t", "s:hello", "event", "s:DEMO"};
    DEC(hello_norole, E_BAD_FIELD);
    const char *hello_badrole[] = {"t", "s:hello", "role", "s:admin"};
    DEC(hello_badrole, E_BAD_FIELD);
    const char *marker_kind[] = {"t", "s:marker", "id", "i:1", "label", "s:x", "kind", "s:party"};
    DEC(marker_kind, E_BAD_FIELD);
    char longlabel[80];
    memset(longlabel, 'x', sizeof longlabel - 1);
    longlabel[0] = 's'; longlabel[1] = ':';
    longlabel[sizeof longlabel - 1] = 0;
    const char *marker_long[] = {"t", "s:marker", "id", "i:1", "label", longlabel};
    DEC(marker_long, E_TOO_LONG);
    const char *nil_ok[] = {"t", "s:hello", "role", "s:crew", "event", "s:DEMO", "key", "n"};
    DEC(nil_ok, NULL);
}

static void malformed_bytes(void) {
    struct proto_msg m;
    struct proto_error e;
    const uint8_t never[] = {0xc1};
    CHECK_EQ(proto_decode(&dec, never, 1, &m, &e), -1);
    CHECK_STR(e.code, E_BAD_FRAME);
    const uint8_t trunc[] = {0x82, 0xa1, 't'};
    CHECK_EQ(proto_decode(&dec, trunc, sizeof trunc, &m, &e), -1);
    const uint8_t arr[] = {0x91, 0x01};
    CHECK_EQ(proto_decode(&dec, arr, sizeof arr, &m, &e), -1);
    CHECK_STR(e.code, E_BAD_FRAME);
    const uint8_t huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(proto_prescan(huge, sizeof huge), -1);
    const uint8_t hugemap[] = {0xdf, 0x7f, 0xff, 0xff, 0xff, 0x00};
    CHECK_EQ(proto_prescan(hugemap, sizeof hugemap), -1);
    const uint8_t hugestr[] = {0xdb, 0x00, 0x10, 0x00, 0x00, 'a'};
    CHECK_EQ(proto_prescan(hugestr, sizeof hugestr), -1);
    uint8_t deep[20];
    for (int i = 0; i < 19; i++) deep[i] = 0x91;
    deep[19] = 0x01;
    CHECK_EQ(proto_prescan(deep, sizeof deep), -1);
    const uint8_t trailing[] = {0x80, 0x00};
    CHECK_EQ(proto_prescan(trailing, sizeof trailing), -1);
    CHECK_EQ(proto_decode(&dec, NULL, 0, &m, &e), -1);
    const uint8_t badutf[] = {0x82, 0xa1, 't', 0xa5, 'c', 'h', 'a', 'n', 't', 0xa4, 't', 'e', 'x', 't', 0xa2, 0xff, 0xfe};
    CHECK_EQ(proto_decode(&dec, badutf, sizeof badutf, &m, &e), -1);
    CHECK_STR(e.code, E_BAD_FIELD);
    CHECK(strstr(e.msg, "UTF-8") != NULL);
}

static void random_input_never_crashes(void) {
    uint32_t seed = 1;
    uint8_t buf[512];
    int accepted = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = 1 + (seed = seed * 1664525u + 1013904223u) % sizeof buf;
        for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
        /* Bias towards maps so the field readers run too. */
        if (i % 2) buf[0] = 0x80 | (buf[0] & 0x0f);
        struct proto_msg m;
        struct proto_error e;
        if (proto_decode(&dec, buf, len, &m, &e) == 0) accepted++;
        else CHECK(e.code != NULL && e.msg[0] != 0);
    }
    CHECK(accepted < 200000);
}

static void encoders_roundtrip(void) {
    struct msg *m = proto_ack_err(9, E_BAD_OPTION, "no such option");
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    size_t off = 0;
    CHECK_EQ(msgpack_unpack((const char *)msg_payload(m), m->len, &off, &z, &o), MSGPACK_UNPACK_SUCCESS);
    CHECK_EQ(o.type, MSGPACK_OBJECT_MAP);
    CHECK_EQ(o.via.map.size, 5);
    CHECK_EQ(off, m->len);
    msgpack_zone_destroy(&z);
    msg_unref(m);
    m = proto_pong(-5, 1000);
    CHECK_EQ(m->refs, 1);
    CHECK(m->len > 10);
    msg_unref(m);
}

int main(void) {
    proto_dec_init(&dec);
    TEST(valid_messages);
    TEST(show_night_fields);
    TEST(bad_fields);
    TEST(malformed_bytes);
    TEST(random_input_never_crashes);
    TEST(encoders_roundtrip);
    proto_dec_free(&dec);
    return T_DONE();
}
