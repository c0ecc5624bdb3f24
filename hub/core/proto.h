/* proto.h -- chorus.v1 codec: msgpack bytes <-> message structs.
 *
 * Pure: no sockets, no clocks, no globals. proto_decode() takes one whole
 * client frame and either fills a struct proto_msg or says precisely what is
 * wrong with it (error code + message naming the field). The encoders build
 * refcounted struct msg buffers (util.h) with headroom for the frame header.
 * docs/protocol.md is the specification. */
#ifndef CHORUS_PROTO_H
#define CHORUS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "util.h"
#include "wire.h"

enum proto_type {
    PT_HELLO = 1, PT_VOTE, PT_REACT, PT_CHANT, PT_PING,
    PT_POLL_OPEN, PT_POLL_CLOSE, PT_MARKER, PT_MOD, PT_POLL_REVEAL, PT_SECTION,
    PT_POLL_REOPEN, PT_MARKER_EDIT, PT_MARKER_DELETE,
    PT_OSC_GATE, PT_POLL_PLAY
};

/* A string inside the decoded frame; NOT NUL-terminated, valid until the
 * next proto_decode() with the same decoder. p == NULL means absent. */
struct proto_str { const char *p; uint32_t n; };

struct proto_msg {
    enum proto_type type;
    int has_id;
    int64_t id;
    enum role role;                                      /* hello */
    struct proto_str event, token, key, section;         /* hello */
    int64_t poll, option;                                /* vote, poll.close, poll.reopen, poll.play */
    int has_option;                                      /* poll.play: option given (else the winner) */
    int64_t cid;                                         /* vote, chant: the phone's id, 0 absent */
    int64_t age;                                         /* vote, react, chant: ms since made (0 absent) */
    int64_t at;                                          /* marker.edit, marker.delete: the marker's ts */
    int has_label, has_kind;                             /* marker.edit: what changes */
    struct proto_str kind;                               /* react */
    enum marker_kind marker;                             /* marker (default note) */
    int64_t n;                                           /* react */
    struct proto_str text;                               /* chant, question, label */
    struct proto_str options[WIRE_MAX_OPTIONS];         /* poll.open */
    int noptions;
    int allow_change;
    enum poll_reveal reveal;                             /* poll.open (default live) */
    int64_t c;                                           /* ping */
    enum mod_action action;                              /* mod (text in text, device) */
    int64_t device;                                      /* mod ban/unban */
    enum mod_mode mode;                                  /* mod mode */
    int osc_on;                                          /* osc.gate: open (1) or closed */
    int64_t osc_target;                                  /* osc.gate: target index, -1 = master */
};

/* Error codes of the protocol (docs/protocol.md). */
#define E_BAD_FRAME     "bad_frame"
#define E_BAD_TYPE      "bad_type"
#define E_BAD_FIELD     "bad_field"
#define E_NOT_ALLOWED   "not_allowed"
#define E_BAD_KEY       "bad_key"
#define E_KEY_LOCKED    "key_locked"
#define E_UNKNOWN_EVENT "unknown_event"
#define E_UNKNOWN_POLL  "unknown_poll"
#define E_BAD_OPTION    "bad_option"
#define E_POLL_CLOSED   "poll_closed"
#define E_ALREADY_VOTED "already_voted"
#define E_TOO_LONG      "too_long"
#define E_RATE_LIMITED  "rate_limited"
#define E_STORE_FAILED  "store_failed"
#define E_BLOCKED       "blocked"
#define E_CHANTS_OFF    "chants_off"
#define E_BANNED        "banned"
#define E_UNKNOWN_DEVICE "unknown_device"
#define E_MOD_FULL      "mod_full"
#define E_UNKNOWN_MARKER "unknown_marker"

struct proto_error {
    const char *code;      /* one of E_* */
    char msg[120];
};

/* Decoder state: owns the msgpack zone reused between frames. */
struct proto_dec {
    msgpack_zone zone;
};

void proto_dec_init(struct proto_dec *d);
void proto_dec_free(struct proto_dec *d);

/* Decode one client frame. Returns 0 and fills *m, or -1 and fills *err
 * (m may be partly filled: when the frame carried a valid integer `id`,
 * m->has_id/m->id are set so the caller can ack it). Never reads beyond
 * len; tolerates any input. */
int proto_decode(struct proto_dec *d, const uint8_t *buf, size_t len,
                 struct proto_msg *m, struct proto_error *err);

/* Structural pre-check run by proto_decode: every container's declared size
 * fits in the bytes left and nesting is at most 8 deep, so a 5-byte frame can
 * not make the unpacker allocate gigabytes. Returns 0 when well-formed and
 * exactly len bytes long, -1 otherwise. Exposed for tests. */
int proto_prescan(const uint8_t *buf, size_t len);

/* --- encoding --------------------------------------------------------- */

/* An encoder: msgpack packer over a growing buffer that already holds
 * MSG_HEADROOM bytes. */
struct proto_enc {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

void proto_enc_begin(struct proto_enc *e);
/* Finish: returns a new struct msg (refs = 1) holding the payload, or NULL
 * on out-of-memory. The encoder is reset either way. */
struct msg *proto_enc_finish(struct proto_enc *e);
void proto_pack_str(msgpack_packer *pk, const char *s);
void proto_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void proto_pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
void proto_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v);

struct msg *proto_ack_ok(int64_t id);
/* The ack of a committed vote: {t:"ack", id, ok:true, poll, option, changed}. */
struct msg *proto_ack_vote(int64_t id, int64_t poll, int64_t option, int changed);
/* The ack of a committed poll.open: {t:"ack", id, ok:true, poll}. */
struct msg *proto_ack_poll(int64_t id, int64_t poll);
/* The ack of an accepted chant; held: waiting for the crew's approval. */
struct msg *proto_ack_chant(int64_t id, int held);
struct msg *proto_ack_err(int64_t id, const char *code, const char *msg);
struct msg *proto_error_msg(const char *code, const char *msg);
struct msg *proto_pong(int64_t c, int64_t now);

#endif
