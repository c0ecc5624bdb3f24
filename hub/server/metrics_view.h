/* metrics_view.h -- the server's figures for GET /metrics (core/metrics.h),
 * read without changing anything. */
#ifndef CHORUS_METRICS_VIEW_H
#define CHORUS_METRICS_VIEW_H

#include "metrics.h"
#include "server.h"

/* Fill the server's part of in (connections, devices, signals, refusals,
 * drops, ticks); the store's, network's and process's fields are left as
 * they are. O(connections): walks the table once for the pending ones. */
void server_metrics(const struct server *srv, struct metrics_in *in);

#endif
