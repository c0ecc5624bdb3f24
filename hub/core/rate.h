/* rate.h -- token-bucket rate limits (the event file's `limits`). A bucket
 * is 8 bytes; the caller decides what it belongs to (a connection, an
 * address). Pure: times are passed in. */
#ifndef CHORUS_RATE_H
#define CHORUS_RATE_H

#include <stdint.h>
#include "event.h"

struct rate_bucket { float tokens; uint32_t last_ms; };

/* Take `cost` tokens at time now_ms (ms, any epoch that fits 32 bits and
 * moves forward). Returns 1 when allowed, 0 when limited (nothing taken).
 * A new bucket (zeroed) starts full; it never holds more than lim->burst. */
int rate_allow(struct rate_bucket *b, const struct event_limit *lim, uint32_t now_ms, double cost);

/* The tokens b would hold at now_ms (lim->burst for a new bucket), without
 * taking any: for a limit that is charged only on failure (key guesses). */
double rate_peek(const struct rate_bucket *b, const struct event_limit *lim, uint32_t now_ms);

#endif
