/* lflood.h -- chorus-load's hostile extra: --flood N connections from one
 * address (127.0.3.1) that complete the TCP handshake, send a WebSocket
 * upgrade request and then nothing: no hello, never a read. The hub must
 * close them (hello deadline, per-address limit, descriptor reserve)
 * without the connected crowd noticing. Closed ones are reopened at
 * --flood-rate per second, so the pressure lasts until the end.
 *
 * Plain non-blocking sockets on one epoll set: a flood costs the load
 * generator little, and libwebsockets would answer the hub's handshake. */
#ifndef CHORUS_LFLOOD_H
#define CHORUS_LFLOOD_H

#include "lopts.h"

struct lflood_stats {
    uint64_t opened;        /* connections established and upgrade sent */
    uint64_t closed_by_hub; /* ... of them the hub closed (EOF or reset) */
    uint64_t failed;        /* connect() refused or timed out */
    uint64_t answered;      /* of the closed: the hub wrote bytes first (e.g. 101, 503) */
    int open_max;           /* most open at once */
};

/* Run from start_ms (CLOCK_MONOTONIC ms) + o->flood_at s until end_ms:
 * keep up to o->flood connections open. Blocking; returns 0, or -1 when
 * it could not start (no epoll, cannot bind 127.0.3.1). */
int lflood_run(const struct lopts *o, int64_t start_ms, int64_t end_ms, struct lflood_stats *st);

#endif
