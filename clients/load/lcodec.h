/* lcodec.h -- chorus.v1 codec for the load generator: client messages to
 * masked WebSocket frames, hub frames to a flat struct of the few fields
 * the load generator measures.
 *
 * Pure: no sockets, no clocks, no globals. docs/protocol.md is the
 * specification; this is a second, independent implementation of its
 * client side, so a hub bug does not hide behind a shared codec. */
#ifndef CHORUS_LCODEC_H
#define CHORUS_LCODEC_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

/* Largest client frame we build (header + payload); the hub takes 4096. */
#define LCODEC_MAX_FRAME 1024
#define LCODEC_MAX_OPTIONS 12

/* --- encoding: each returns the frame length written to out, or -1 when
 * it does not fit in cap (nothing useful is left in out then). The frame
 * is a final binary frame masked with `mask` (any value; 0 is legal). */
int lcodec_hello(uint8_t *out, size_t cap, uint32_t mask, const char *role,
                 const char *event, const char *key, const char *token,
                 const char *section);
int lcodec_vote(uint8_t *out, size_t cap, uint32_t mask, int64_t id,
                int64_t poll, int option);
int lcodec_react(uint8_t *out, size_t cap, uint32_t mask, const char *kind, int n);
int lcodec_chant(uint8_t *out, size_t cap, uint32_t mask, int64_t id, const char *text);
int lcodec_poll_open(uint8_t *out, size_t cap, uint32_t mask, int64_t id,
                     const char *question, const char *const *options,
                     int noptions, int allow_change);
int lcodec_poll_close(uint8_t *out, size_t cap, uint32_t mask, int64_t id, int64_t poll);

/* Wrap a payload in a masked client binary frame. Returns total length or
 * -1 when it does not fit. Exposed for tests. */
int lcodec_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
                 uint32_t mask);

/* --- decoding hub messages ------------------------------------------ */

enum lcodec_type {
    LM_OTHER = 0, LM_WELCOME, LM_ACK, LM_SNAP, LM_POLL, LM_HEALTH,
    LM_ERROR, LM_PONG, LM_MARKER
};

struct lcodec_msg {
    enum lcodec_type type;
    int64_t id;                 /* ack */
    int ok;                     /* ack */
    char code[24];              /* ack (not ok), error; "" otherwise */
    int64_t device;             /* welcome */
    char token[192];            /* welcome ("" when absent or too long) */
    /* welcome.poll / poll.poll / ack of a vote or poll.open */
    int64_t poll;               /* poll id, -1 when none */
    int poll_open;              /* poll message / welcome: is it open */
    int noptions;               /* options in the poll (0 when unknown) */
    int64_t voted;              /* welcome.poll.voted, -1 when absent */
    int64_t option;             /* ack of a vote, -1 when absent */
    int changed;
    /* snap */
    int64_t seq, now;
    int64_t kind_total;         /* snap.react[kind] (the probe), 0 when absent */
    int64_t audience;           /* snap.audience / health.conns.audience */
    /* health */
    double signals_per_s, votes_per_s;
    int64_t signals_total;      /* -1 when the hub does not send it */
    int64_t dropped_slow, store_queue, store_queue_max, store_dropped,
            store_failed, store_commits;
};

/* Decoder: owns the msgpack zone reused between frames. */
struct lcodec_dec {
    msgpack_zone zone;
};

void lcodec_dec_init(struct lcodec_dec *d);
void lcodec_dec_free(struct lcodec_dec *d);

/* Decode one whole hub message. `kind` names the reaction whose cumulative
 * total goes to m->kind_total (NULL: none). Returns 0 and fills *m (unknown
 * types give LM_OTHER), or -1 when the bytes are not one msgpack map with a
 * string `t`. Never reads beyond len. */
int lcodec_decode(struct lcodec_dec *d, const uint8_t *buf, size_t len,
                  const char *kind, struct lcodec_msg *m);

#endif
