/* peers.h -- the other hubs of a cluster (issue 14), as the figures each
 * publishes every tick over NATS ("parts"), and their exact merge.
 *
 * A part holds a hub's own figures, all CUMULATIVE or CURRENT, never
 * deltas: reaction totals since the event began (reloaded from its database
 * at restart), taps per second over the last second, the audience connected
 * to it now (by section), its top chants in the 30 s window. So a lost part
 * is repaired by the next one and a part received twice changes nothing.
 * The merged view is this hub's own figures plus, for every other hub, the
 * last part it sent: a hub not heard from for PEERS_STALE_MS is not live:
 * its totals are kept (what its crowd did still happened), its audience,
 * rates and chants are not counted.
 *
 * Pure: the caller passes times in and owns I/O. The codec is fuzzable. */
#ifndef CHORUS_PEERS_H
#define CHORUS_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "util.h"
#include "wire.h"

#define PEERS_MAX       16      /* hubs in one cluster (hub ids 0..15) */
#define PEERS_CHANTS    10      /* chants a part carries (a hub's top 10) */
#define PEERS_STALE_MS  3000    /* a hub silent this long is not live */
#define PEERS_GONE_MS   30000   /* ... and this long: gone (its phones are elsewhere by now) */
#define PEERS_WHERE_MAX 1024    /* bytes of a part's `where`, with its NUL */

struct peers_chant {
    char key[WIRE_MAX_TEXT * 4 + 1];
    char text[WIRE_MAX_TEXT * 4 + 1];
    int64_t count;
};

/* One hub's part. */
struct peers_part {
    int hub;                            /* 0..PEERS_MAX-1 */
    int64_t seq;                        /* increasing per hub run */
    int64_t started_ms;                 /* when that hub process started (a restart resets seq) */
    int64_t conns[ROLE_COUNT];          /* connections by role */
    int nsections;                      /* sections + 1 ("no section" last) */
    int64_t section_conns[EVENT_MAX_SECTIONS + 1];
    int nkinds;
    int64_t totals[EVENT_MAX_REACTIONS];/* cumulative taps by kind */
    int64_t rate[EVENT_MAX_REACTIONS];  /* taps in the last second by kind */
    int64_t signals_total;
    int nchants;
    struct peers_chant chants[PEERS_CHANTS];
    /* Where that hub's database is, "host:/absolute/path" (the crew's
     * Analytics tab reads the files of the hubs on its own machine); ""
     * when the part does not say (a part from before this field). */
    char where[PEERS_WHERE_MAX];
};

/* Encode p as a msgpack map (a NATS payload). NULL on out-of-memory. */
struct msg *peers_encode(const struct peers_part *p);
/* Decode a part. Returns 0, or -1 for anything malformed or out of range
 * (nkinds/nsections must equal the event's: hubs of one event share the
 * event file). */
int peers_decode(const uint8_t *buf, size_t len, int nkinds, int nsections, struct peers_part *out);

struct peers_hub {
    int known, live;
    int64_t seen_ms;                    /* monotonic time of the last part */
    struct peers_part part;
};

struct peers {
    int self;                           /* this hub's id (its own parts are ignored) */
    struct peers_hub hub[PEERS_MAX];
};

/* Take a part received at now_ms (monotonic). Returns 1 when taken, 0 when
 * ignored (this hub's own, or older than the last one from that hub run). */
int peers_take(struct peers *ps, const struct peers_part *p, int64_t now_ms);
/* Mark hubs silent for PEERS_STALE_MS as not live. Returns how many hubs
 * are known and live (not counting this one) through *live. */
void peers_age(struct peers *ps, int64_t now_ms, int *known, int *live);

/* The other hubs' sum, added to this hub's own figures for every page. */
struct peers_sum {
    int64_t conns[ROLE_COUNT];
    int64_t section_conns[EVENT_MAX_SECTIONS + 1];
    int64_t totals[EVENT_MAX_REACTIONS];
    int64_t rate[EVENT_MAX_REACTIONS];
    int64_t signals_total;
};
/* Sum every known hub's totals and every live hub's current figures. */
void peers_sum(const struct peers *ps, struct peers_sum *out);

#endif
