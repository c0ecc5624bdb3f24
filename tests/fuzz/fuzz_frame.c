/* fuzz_frame.c -- libFuzzer target for WebSocket message reassembly
 * (hub/core/frame.c), checked against a dumb reference that just
 * concatenates the fragments into a plain array.
 *
 * Input layout (every byte string is a valid input; a short tail is used as
 * far as it goes):
 *   byte 0..1   max = little-endian u16 % 4097, so 0..4096 (the frame limit)
 *   then fragments, each:
 *     header h  bit 0: final; bit 1: long length; bits 2..7: short length
 *     [2 bytes] long length, little-endian u16 (only when bit 1 is set)
 *     data      that many bytes (fewer if the input ends)
 *
 * Each fragment is copied into its own heap block of exactly its length and
 * freed right after frame_feed(), so AddressSanitizer catches a read past a
 * fragment or a pointer kept into it. Invariants, checked after every feed
 * (__builtin_trap() on a mismatch):
 *   - FRAME_TOO_BIG exactly when the bytes since the last completed or
 *     rejected message exceed max; the next fragment starts a new message;
 *   - FRAME_DONE exactly on a final fragment within the limit, with the
 *     concatenation of those fragments (never more than max bytes), handed
 *     back in place (out == fragment) when the message had one fragment;
 *   - FRAME_MORE on every other fragment; FRAME_NOMEM never (max <= 4096);
 *   - the state keeps its invariant: no buffer implies len 0, len <= max.
 * The state is cleared at the end, so a leaked buffer fails under LSan.
 * Seeds: tests/fuzz/corpus/fuzz_frame (make_corpus.mjs); runs: README. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "frame.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t max = (size_t)(data[0] | data[1] << 8) % 4097;
    size_t i = 2;

    /* Reference: the fragments of the message in progress, back to back.
     * It never holds more than the input. */
    uint8_t *ref = malloc(size);
    size_t reflen = 0, nfrags = 0;  /* bytes and fragments of the message so far */
    if (!ref) return 0;

    struct frame_rx f = {0};
    while (i < size) {
        uint8_t h = data[i++];
        int final = h & 1;
        size_t len = h >> 2;
        if (h & 2) {
            len = 0;
            if (i < size) len = data[i++];
            if (i < size) len |= (size_t)data[i++] << 8;
        }
        if (len > size - i) len = size - i;

        uint8_t *frag = malloc(len ? len : 1);  /* exact size: over-reads are caught */
        if (len && !frag) break;
        if (len) memcpy(frag, data + i, len);
        i += len;

        const uint8_t *out = NULL;
        size_t outlen = 0;
        int rc = frame_feed(&f, frag, len, final, max, &out, &outlen);

        int single = nfrags++ == 0;
        if (reflen + len > max) {
            CHECK(rc == FRAME_TOO_BIG);
            reflen = nfrags = 0;
        } else {
            memcpy(ref + reflen, data + i - len, len);
            reflen += len;
            if (!final) {
                CHECK(rc == FRAME_MORE);
            } else {
                CHECK(rc == FRAME_DONE);
                CHECK(outlen == reflen && outlen <= max);
                CHECK(outlen == 0 || (out && memcmp(out, ref, outlen) == 0));
                /* One fragment: no copy (a zero-length one may come from an
                 * empty buffer, which then proves nothing). */
                if (single && len) CHECK(out == frag);
                reflen = nfrags = 0;
            }
        }
        CHECK(f.buf || f.len == 0);
        CHECK(f.len <= max);
        if (rc == FRAME_MORE) CHECK(f.buf && f.len == reflen);
        if (rc == FRAME_TOO_BIG) CHECK(!f.buf && f.len == 0);
        free(frag);
    }
    frame_rx_clear(&f);
    free(ref);
    return 0;
}
