/* snap.h -- the snapshot message, encoded once per tick from agg and sent
 * as the same bytes to every subscriber of a view: one encoding for the
 * crew (everything, with the moderation view) and one for everybody else
 * (only the chants the moderation lets through). */
#ifndef CHORUS_SNAP_H
#define CHORUS_SNAP_H

#include <stdint.h>
#include "agg.h"
#include "event.h"
#include "mod.h"
#include "peers.h"
#include "util.h"

#define SNAP_PENDING_MAX 50     /* texts waiting for approval, in the crew's view */
#define SNAP_HIDDEN_MAX  50     /* hidden texts, in the crew's view */

struct snap_in {
    const struct agg *agg;
    const struct event_def *ev;
    const struct mod *mod;
    int64_t banned;             /* devices banned */
    int64_t seq, now;
    /* A cluster (NULL: one hub): the other hubs' sum, added to this hub's
     * figures, and their parts (their top chants join the ranking). */
    const struct peers_sum *ext;
    const struct peers *peers;
    int partial;                /* 1: some of the event's figures are missing (NATS down, a hub silent) */
};

/* Encode {t:"snap", ...} (docs/protocol.md) for the crew (crew != 0) or for
 * screens, stage and phones. Returns a new msg (refs = 1), or NULL on
 * out-of-memory. */
struct msg *snap_encode(const struct snap_in *in, int crew);

#endif
