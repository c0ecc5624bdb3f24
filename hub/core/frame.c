/* frame.c -- message reassembly (see frame.h).
 *
 * Invariant: f->buf == NULL implies f->len == 0, and f->len <= max. The
 * buffer is allocated at `max` bytes on the first fragment of a fragmented
 * message, so a message costs one allocation whatever its fragment count. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "frame.h"

void frame_rx_clear(struct frame_rx *f) {
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
    f->done = 0;
}

int frame_feed(struct frame_rx *f, const uint8_t *in, size_t len, int final, size_t max,
               const uint8_t **out, size_t *outlen) {
    if (f->done) frame_rx_clear(f);
    assert(f->buf || f->len == 0);
    if (final && !f->buf) {
        if (len > max) return FRAME_TOO_BIG;
        *out = in;
        *outlen = len;
        return FRAME_DONE;
    }
    if (len > max - f->len) {
        frame_rx_clear(f);
        return FRAME_TOO_BIG;
    }
    if (!f->buf && !(f->buf = malloc(max ? max : 1))) return FRAME_NOMEM;
    if (len) memcpy(f->buf + f->len, in, len);
    f->len += (uint32_t)len;
    if (!final) return FRAME_MORE;
    /* The bytes stay valid until the next feed, which starts a new message
     * and frees this one first. */
    f->done = 1;
    *out = f->buf;
    *outlen = f->len;
    return FRAME_DONE;
}

uint8_t *frame_ws_header(uint8_t *end, uint64_t len) {
    uint8_t *h;
    if (len < 126) {
        h = end - 2;
        h[1] = (uint8_t)len;
    } else if (len < 65536) {
        h = end - 4;
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
    } else {
        h = end - 10;
        h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    }
    h[0] = 0x82;   /* FIN, opcode 2 (binary) */
    return h;
}
