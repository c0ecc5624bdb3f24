/* frame.h -- reassembly of one WebSocket message from the fragments the
 * network delivers, with a hard size limit. Pure: no sockets, no clocks.
 *
 * The network layer feeds each fragment as it arrives (`final` set on the
 * last one). A message that arrives in one fragment is handed back in place,
 * without a copy; a fragmented one is copied into a buffer of at most `max`
 * bytes that exists only until the message is complete. */
#ifndef CHORUS_FRAME_H
#define CHORUS_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* frame_feed() results. */
#define FRAME_MORE     0     /* need the next fragment */
#define FRAME_DONE     1     /* *out / *outlen hold one whole message */
#define FRAME_TOO_BIG  (-1)  /* over the limit: close the connection (1009) */
#define FRAME_NOMEM    (-2)  /* could not allocate the reassembly buffer */

/* A connection's reassembly state; zero-initialised is empty. */
struct frame_rx {
    uint8_t *buf;       /* NULL unless a fragmented message is in progress */
    uint32_t len;
    uint8_t done;       /* buf holds a message already handed out */
};

/* Add len bytes of the current message; final marks its last fragment.
 * Returns FRAME_DONE with the whole message in *out (valid until the next
 * frame_feed or frame_rx_clear on f), FRAME_MORE, FRAME_TOO_BIG when the
 * message would exceed max bytes, or FRAME_NOMEM. After FRAME_TOO_BIG or
 * FRAME_NOMEM the state is cleared. */
int frame_feed(struct frame_rx *f, const uint8_t *in, size_t len, int final, size_t max,
               const uint8_t **out, size_t *outlen);

/* Free the buffer (a message that was never completed is dropped). */
void frame_rx_clear(struct frame_rx *f);

/* The header of an unmasked (server-to-client), final, binary WebSocket
 * frame (RFC 6455 5.2) of len payload bytes, written so that it ends at
 * end: the caller passes its payload's start and gets back the frame's
 * start (end - 2, - 4 or - 10). The bytes are what libwebsockets writes for
 * LWS_WRITE_BINARY, so a message may be framed by either. */
uint8_t *frame_ws_header(uint8_t *end, uint64_t len);

#endif
