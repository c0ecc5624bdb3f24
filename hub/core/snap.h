/* snap.h -- the snapshot message, encoded once per tick from agg and sent
 * as the same bytes to every subscriber. */
#ifndef CHORUS_SNAP_H
#define CHORUS_SNAP_H

#include <stdint.h>
#include "agg.h"
#include "event.h"
#include "util.h"

/* Encode {t:"snap", ...} (docs/protocol.md). Returns a new msg (refs = 1),
 * or NULL on out-of-memory. */
struct msg *snap_encode(const struct agg *a, const struct event_def *ev, int64_t seq, int64_t now);

#endif
