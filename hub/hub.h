/* hub.h -- the one hub state struct and the hub's core: it turns decoded
 * client messages into state changes, store records and replies, runs the
 * ticks, and routes the store's commit results back as acks.
 *
 * net.c calls in (connection opened / frame / closed / writable / timers);
 * hub.c calls net only to ask for a write or a close. Everything here runs
 * on the event-loop thread. */
#ifndef CHORUS_HUB_H
#define CHORUS_HUB_H

#include <stdint.h>
#include "agg.h"
#include "auth.h"
#include "event.h"
#include "proto.h"
#include "session.h"
#include "store.h"

struct net;
struct api;

struct hub_opts {
    int port;
    const char *bind;           /* NULL: all interfaces */
    const char *db_path;
    const char *event_path;
    const char *web_root;
    const char *public_url;     /* base URL phones open; NULL: guessed */
    int tick_ms;
    double audience_hz;
    int queue_max;
    int db_max_pages;           /* test hook: cap the database size */
};

#define IP_BUCKETS 16384

struct hub {
    struct hub_opts o;
    struct event_def *ev;
    struct agg *agg;
    struct store *store;
    struct net *net;
    struct api *api;            /* GET /api/report */
    uint8_t secret[AUTH_SECRET_LEN];
    char join_url[256];
    int64_t start_mono;
    int64_t next_device, next_session, next_poll;
    /* device id -> section (-1 none) and live connection slot + 1 (0 none) */
    int8_t *dev_section;
    uint32_t *dev_slot;
    size_t dev_cap;
    /* connection table: slot -> session; gen tells reused slots apart */
    struct session **slots;
    uint32_t *gens;
    uint32_t nslots, capslots, *free_slots, nfree;
    struct session *dirty;      /* sessions with coalesced taps to store */
    struct msg *poll_msg;       /* the latest poll event, for phones */
    uint32_t poll_gen;          /* bumped with every poll event */
    int64_t seq;
    int audience_every;         /* ticks between audience snapshots */
    int64_t last_sec;
    struct { uint32_t ip; struct bucket b; } ipb[IP_BUCKETS];
    struct proto_dec dec;
    /* figures for the crew's health message */
    int64_t dropped_slow, signals_last, signals_rate, votes_last, votes_rate, conns_total;
    int stopping;
};

/* Build the hub from options: event file, database, state. Returns NULL
 * with a one-line reason in err. */
struct hub *hub_new(const struct hub_opts *o, char *err, size_t errlen);
/* Commit what is pending and free everything (after net is gone). */
void hub_free(struct hub *h);

/* A WebSocket connection completed its handshake. Returns its session, or
 * NULL to refuse it. */
struct session *hub_conn_open(struct hub *h, void *wsi, const char *ip);
/* One whole frame from the client. */
void hub_conn_frame(struct hub *h, struct session *s, const uint8_t *buf, size_t len, int binary);
/* The connection is gone; s is freed. */
void hub_conn_closed(struct hub *h, struct session *s);

/* Timers (net.c drives them) and the store's wake-up. */
void hub_tick(struct hub *h);
void hub_store_ready(struct hub *h);
/* Shutting down: every connection gets close 1001 once its queue drains. */
void hub_shutdown(struct hub *h);

/* Close s with code once its queue is written. */
void hub_close_session(struct hub *h, struct session *s, int code);

#endif
