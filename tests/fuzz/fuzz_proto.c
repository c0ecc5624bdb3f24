/* fuzz_proto.c -- libFuzzer target for the chorus.v1 decoder and the chant
 * normalizer: any bytes must decode to a message or a named error, never
 * crash, leak or read out of bounds. Run with `make fuzz` (60 s). */
#include <stddef.h>
#include <stdint.h>
#include "chant.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct proto_dec dec;
    static int init;
    if (!init) { proto_dec_init(&dec); init = 1; }
    struct proto_msg m;
    struct proto_error e;
    if (proto_decode(&dec, data, size, &m, &e) == 0) {
        if (m.type == PT_CHANT) {
            char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
            chant_normalize(m.text.p, m.text.n, disp, key);
        }
    } else if (!e.code || !e.msg[0]) {
        __builtin_trap();  /* every rejection names its error */
    }
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    chant_normalize((const char *)data, size, disp, key);
    return 0;
}
