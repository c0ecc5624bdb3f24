/* fuzz_proto.c -- libFuzzer target for the chorus.v1 decoder and the chant
 * normalizer: any bytes must decode to a message or a named error, never
 * crash, leak or read out of bounds. An accepted message has a known type
 * and, when it carries one, an id in 0..2^53; a rejection names its error
 * code and message. Seeds: tests/fuzz/corpus/fuzz_proto (written by
 * make_corpus.mjs). Run with `make fuzz` (FUZZ_SECONDS, default 60 s) or, as
 * part of `make test`, tests/suites/60-asan.sh (20 s, fixed seed). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "chant.h"
#include "proto.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct proto_dec dec;  /* reused like a connection's decoder */
    static int init;
    if (!init) { proto_dec_init(&dec); init = 1; }
    struct proto_msg m;
    struct proto_error e;
    if (proto_decode(&dec, data, size, &m, &e) == 0) {
        CHECK(m.type >= PT_HELLO && m.type <= PT_MARKER);
        CHECK(!m.has_id || (m.id >= 0 && m.id <= (int64_t)1 << 53));
        if (m.type == PT_CHANT) {
            char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
            if (chant_normalize(m.text.p, m.text.n, disp, key) == 0)
                CHECK(strlen(disp) <= CHANT_MAX_BYTES && strlen(key) < CHANT_KEY_MAX);
        }
    } else {
        /* every rejection names its error */
        CHECK(e.code && e.code[0] && e.msg[0] && memchr(e.msg, 0, sizeof e.msg));
    }
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    chant_normalize((const char *)data, size, disp, key);
    return 0;
}
