/* server_impl.h -- inside hub/server only: the server's state and the
 * helpers its two halves share (server.c: life cycle, output, tick, acks;
 * dispatch.c: one handler per client message). Not for other layers. */
#ifndef CHORUS_SERVER_IMPL_H
#define CHORUS_SERVER_IMPL_H

#include "anon.h"
#include "agg.h"
#include "auth.h"
#include "conns.h"
#include "dedup.h"
#include "devices.h"
#include "metrics.h"
#include "mod.h"
#include "oscmap.h"
#include "peers.h"
#include "proto.h"
#include "server.h"

struct server {
    struct server_io io;
    struct anon anon;           /* per address: connections not yet past hello */
    uint32_t max_anon;
    uint64_t refused_anon;      /* connections refused for it */
    const struct event_def *ev;
    struct agg *agg;
    struct mod *mod;            /* chant moderation: mode, approved and hidden texts */
    struct conns conns;
    struct devices dev;
    uint8_t secret[AUTH_SECRET_LEN];
    char join_url[256];
    int64_t start_mono;
    int64_t next_session, next_poll;
    struct session *dirty;      /* sessions with coalesced taps to store */
    struct msg *poll_msg;       /* the latest poll event, for phones */
    struct agg_poll *last_closed; /* the last closed poll (it can still be revealed) */
    struct rec_marker markers[REC_MARKERS_MAX]; /* the newest markers, oldest first */
    int nmarkers;
    struct rec_played played[REC_PLAYED_MAX];  /* confirmed results, newest first (chosen.c) */
    int nplayed;
    uint32_t poll_gen;          /* bumped with every poll event */
    int64_t seq;                /* snapshot sequence */
    int audience_every;         /* ticks between audience snapshots */
    int64_t last_sec;
    struct proto_dec dec;
    /* figures for the crew's health message */
    int64_t dropped_slow, signals_last, signals_rate, votes_last, votes_rate, conns_total;
    struct metrics_refusals refused;    /* refused messages by error code (dispatch.c reject), for /metrics */
    int stopping;
    struct dedup seen;          /* votes and chants delivered, by (device, cid): re-sends count once */
    /* OSC (oscctl.c): the gates the crew switches (from the event file at
     * start, not stored), the I/O side's last counters, the prepared poll
     * a desk opened (index + 1) and its poll id. */
    int osc_ready;
    uint8_t osc_on, osc_target_on[OSC_TARGETS_MAX];
    struct oscmap_stats osc_stats;
    int64_t osc_status_ms, osc_crew_seen, osc_prepared, osc_prepared_poll;
    /* A cluster (cluster.c): this hub's id, the other hubs' last parts and
     * their sum, the link to NATS. */
    int cluster, hub_id, nats_up;
    struct peers peers;
    struct peers_sum ext;
    int64_t part_seq, started_ms, parts_bad;
    char where[PEERS_WHERE_MAX];        /* this hub's database, "host:/path" */
    /* Applying a control message (cluster.c): its seq, the origin hub's
     * clock (server_now returns it meanwhile, so every hub makes the same
     * marker and poll times), and the session that stands in for a crew
     * member of another hub (never written to). */
    uint64_t ctl_seq, applying;
    int64_t ctl_now;
    struct session ghost;
};

/* dispatch.c: a crew message, as from s (cluster.c applies the control
 * stream's through it). */
void server_dispatch_crew(struct server *srv, struct session *s, const struct proto_msg *m);
/* cluster.c: 1 when this hub sends OSC: always for one hub; in a cluster,
 * the live hub with the lowest id (one desk, one stream of values, from the
 * merged view; when it goes silent the next one takes over within 3 s). */
int server_cluster_osc_sender(const struct server *srv);
/* cluster.c: 1 when m goes through the control stream (crew state that
 * every hub must share). */
int server_cluster_replicated(enum proto_type t);
/* cluster.c: send a crew message to the control stream (buf: its frame);
 * a vote to the vote stream. Each answers s itself (ack later, or error). */
void server_cluster_send_ctl(struct server *srv, struct session *s, const struct proto_msg *m, const uint8_t *buf,
                             size_t len);
void server_cluster_send_vote(struct server *srv, struct session *s, const struct proto_msg *m,
                              const struct agg_poll *p, int64_t at);

/* cluster.c: before the tick's snapshot: age the other hubs, sum them into
 * srv->ext (and agg's ext_*), send this hub's part. No-op for one hub. */
void server_cluster_tick(struct server *srv);
/* 1 when the merged view lacks a hub's figures (NATS down, a hub silent). */
int server_cluster_partial(const struct server *srv);

/* Clocks (the io's, or the system's). now32 is ms since start, for buckets. */
int64_t server_now(const struct server *srv);
int64_t server_mono(const struct server *srv);
uint32_t server_now32(const struct server *srv);

/* Queue m (consumed; NULL is ignored) on s. A full queue kills s. */
void server_send(struct server *srv, struct session *s, struct msg *m);
/* Close s with code once its queue is written. */
void server_close(struct server *srv, struct session *s, int code);
/* Queue r for the store (timestamped now if it has no time). 0 or -1. */
int server_persist(struct server *srv, struct rec *r);
/* m (consumed) to every screen, performer and crew connection. */
void server_broadcast_watchers(struct server *srv, struct msg *m);
/* A poll opened, closed or was revealed: watchers at once (the crew with
 * its counts), phones with their next snapshot. */
void server_broadcast_poll(struct server *srv, const struct agg_poll *p, int open);
/* --- chosen.c: markers and the crowd's choice ---------------------------- */

/* Set a marker from the crew or a desk: r holds who to ack (or zeros);
 * the marker is stored, linked to the played poll whose option it names
 * (a song_start), kept (the newest REC_MARKERS_MAX) and sent to every
 * watcher. 0, or -1 when it could not be stored. */
int server_set_marker(struct server *srv, struct rec *r, const char *label, size_t n, enum marker_kind kind);
/* The poll marker k is linked to after a correction (del: deleted; label
 * NULL and kind -1: kept), 0 for none. Nothing changes until
 * server_marker_relink(k, that poll) once the change is stored. */
int64_t server_marker_link(struct server *srv, const struct rec_marker *k, int del, const char *label, size_t n,
                           int kind);
void server_marker_relink(struct server *srv, struct rec_marker *k, int64_t poll);
/* The newest song_start marker unless a song_end followed it, or NULL;
 * its label; the crowd's choice it plays (or NULL). */
const struct rec_marker *server_playing(const struct server *srv);
const char *server_now_playing(const struct server *srv);
const struct rec_played *server_chosen_playing(const struct server *srv);
/* p (closed, played_ms and played_option set) was confirmed: it becomes the
 * newest played result. */
void server_keep_played(struct server *srv, const struct agg_poll *p);
/* 1 when poll's chosen song has started (a marker is linked to it). */
int server_played_started(struct server *srv, int64_t poll);
/* Forget poll's confirmed result (it was reopened). */
void server_unplay(struct server *srv, int64_t poll);

/* p was just closed: it becomes the last closed poll (the server owns it). */
void server_keep_closed(struct server *srv, struct agg_poll *p);
/* Store s's coalesced taps (one REACT row per kind). */
void server_flush_taps(struct server *srv, struct session *s);

/* The crew opens (on) or closes an OSC gate: target -1 is the master gate.
 * by: the crew member's session, for the log. Every crew member gets the
 * new status. Returns 0, SERVER_OSC_UNKNOWN (no such target, or no OSC). */
int server_osc_set_gate(struct server *srv, int target, int on, int64_t by);
/* At start: the gates as the crew left them (boot), over the event file's. */
void server_osc_restore(struct server *srv, const struct rec_boot *boot);

/* The time for a new marker: now, or 1 ms after the last marker. A
 * marker's ts names it (marker.edit / marker.delete, the store's rows):
 * never two in the same ms, whoever sets them (crew, OSC desk). */
int64_t server_marker_ts(struct server *srv);

/* s has had its hello answered: it no longer counts as anonymous. */
void server_joined(struct server *srv, struct session *s);

#endif
