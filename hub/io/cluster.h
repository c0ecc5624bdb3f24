/* cluster.h -- the NATS side of a cluster (issue 14, docs/cluster.md):
 * several hub processes serve one event, joined by NATS (nats-server with
 * JetStream, the libnats C client).
 *
 * At start (cluster_setup, before the loop runs, on a plain connection):
 * the event's key-value bucket `chorus_<CODE>` gives this hub its id (the
 * first free `hub.<n>`, n < PEERS_MAX, kept beside the database in
 * <db>.hub so a restart keeps it) and the event's token secret (`secret`:
 * the first hub's, so a token signed by one hub is valid on every hub).
 *
 * Then (cluster_new, on the loop through libnats's libevent adapter): every
 * tick the server's part goes to `chorus.<CODE>.part` (and once a second
 * into the bucket, part.<hub>) and the other hubs' parts come back; crew
 * messages go to the stream CHORUS_<CODE>_CTL and votes to
 * CHORUS_<CODE>_VOTES, published without waiting (at most CLUSTER_INFLIGHT
 * unanswered, each answered within CLUSTER_ACK_WAIT_MS or refused), and
 * both streams come back through ordered consumers. libnats calls back on
 * its own threads: what arrives is copied into a bounded inbox
 * (CLUSTER_INBOX) and the loop is woken; when the inbox is full a part is
 * dropped (the next part of that hub repairs it) and anything else waits
 * for room (libnats's own queue holds it meanwhile). Link changes are a
 * flag the loop reads. Nothing blocks the loop. */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include "auth.h"
#include "net.h"
#include "peers.h"
#include "server.h"

#define CLUSTER_INBOX 1024      /* messages waiting for the loop */
#define CLUSTER_INFLIGHT 65536  /* votes and crew changes waiting for the stream's answer */
#define CLUSTER_ACK_WAIT_MS 5000 /* ... at most this long (then refused: the sender retries) */
#define CLUSTER_PART_MAX 65536  /* bytes: a larger message is not a part */
/* The streams' ordered consumers live on one NATS server each (memory, one
 * replica). NATS sends a heartbeat this often while nothing else comes; two
 * missed, libnats makes the consumer again from where the hub is, on a
 * server that runs: so a reader whose server died is back in 2-4 s. */
#define CLUSTER_READER_HB_MS 1000
/* A hub whose part (kept in the bucket once a second) did not change for
 * this long is not running: its id may be taken again by its database. */
#define CLUSTER_LIVE_MS 3000

struct cluster;

/* Join the event's cluster at url (one or several nats:// URLs, comma
 * separated): this hub's id into *hub_id, every hub's last kept part into
 * kept (server_cluster_seed: the totals of hubs that are gone) and the
 * event's token secret into secret (this hub's own secret, local, becomes the event's when it is the
 * first). When NATS can not be reached within a few seconds, the id and
 * secret cached in <db_path>.hub are used (a hub restarted while NATS is
 * down keeps serving); without a cache it fails. Returns 0, or -1 with a
 * one-line reason in err. */
struct cluster_kept { int n; uint32_t len[PEERS_MAX]; uint8_t *data[PEERS_MAX]; };
int cluster_setup(const char *url, const char *code, const char *db_path, const uint8_t local[AUTH_SECRET_LEN],
                  int *hub_id, uint8_t secret[AUTH_SECRET_LEN], struct cluster_kept *kept, char *err, size_t errlen);
/* Where the database at db is, "host:/absolute/path": what the hub claims
 * its id with (hub.<n> in the bucket) and what its parts say, so the crew's
 * Analytics tab on another hub of this machine can read it. */
void cluster_where(const char *db, char *out, size_t n);
/* Free what cluster_setup put in kept. */
void cluster_kept_free(struct cluster_kept *kept);

/* Connect on net's loop and exchange parts with the other hubs for srv.
 * Returns NULL with a reason in err. */
struct cluster *cluster_new(struct net *net, struct server *srv, const char *url, const char *code, int hub_id,
                            char *err, size_t errlen);
/* struct server_io's publish_part, publish_ctl and publish_vote (arg: the
 * cluster): on the loop thread, never blocking; ctl and votes go to the
 * event's JetStream streams and their outcome comes back through the
 * server_cluster_* calls. */
void cluster_publish_part(void *arg, struct msg *m);
int cluster_publish_ctl(void *arg, const uint8_t *frame, size_t len, const char *from);
int cluster_publish_vote(void *arg, int64_t poll, int64_t device, int option, int only_first, const char *from);
/* Close the connection (before net_free). cluster_free(NULL) is a no-op. */
void cluster_free(struct cluster *c);

/* Figures for /metrics and the log. */
struct cluster_stats { int64_t sent, received, dropped, send_failed; int up; };
void cluster_stats(struct cluster *c, struct cluster_stats *out);

#endif
