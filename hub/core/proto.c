/* proto.c -- chorus.v1 codec (see proto.h).
 *
 * Decoding is two passes over one frame: proto_prescan() walks the raw bytes
 * and rejects anything whose declared sizes exceed the frame (or nests too
 * deep), then msgpack-c unpacks it into objects held by a reused zone, and
 * the per-type readers check every field's type and range. Strings in the
 * result point into the caller's frame buffer. */
#include <stdio.h>
#include <string.h>
#include <unistr.h>
#include "proto.h"

#define MAX_DEPTH 8

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int proto_prescan(const uint8_t *buf, size_t len) {
    uint64_t pending[MAX_DEPTH + 1];  /* objects still to read per level */
    int depth = 0;
    size_t i = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) { depth--; continue; }
        pending[depth]--;
        if (i >= len) return -1;
        uint8_t b = buf[i++];
        uint64_t skip = 0, children = 0;
        size_t left = len - i;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            skip = 0;
        } else if (b >= 0x80 && b <= 0x8f) {
            children = 2u * (b & 0x0f);
        } else if (b >= 0x90 && b <= 0x9f) {
            children = b & 0x0f;
        } else if (b >= 0xa0 && b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4: case 0xd9: if (left < 1) return -1; skip = 1 + buf[i]; break;
            case 0xc5: case 0xda: if (left < 2) return -1; skip = 2 + be16(buf + i); break;
            case 0xc6: case 0xdb: if (left < 4) return -1; skip = 4 + (uint64_t)be32(buf + i); break;
            case 0xc7: if (left < 1) return -1; skip = 2 + buf[i]; break;
            case 0xc8: if (left < 2) return -1; skip = 3 + be16(buf + i); break;
            case 0xc9: if (left < 4) return -1; skip = 5 + (uint64_t)be32(buf + i); break;
            case 0xca: case 0xce: case 0xd2: skip = 4; break;
            case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: if (left < 2) return -1; skip = 2; children = be16(buf + i); break;
            case 0xdd: if (left < 4) return -1; skip = 4; children = be32(buf + i); break;
            case 0xde: if (left < 2) return -1; skip = 2; children = 2ull * be16(buf + i); break;
            case 0xdf: if (left < 4) return -1; skip = 4; children = 2ull * be32(buf + i); break;
            default: return -1;  /* 0xc1: never used */
            }
        }
        if (skip > left) return -1;
        i += (size_t)skip;
        if (children) {
            /* Every child needs at least one byte. */
            if (children > len - i) return -1;
            if (depth == MAX_DEPTH) return -1;
            pending[++depth] = children;
        }
    }
    return i == len ? 0 : -1;
}

void proto_dec_init(struct proto_dec *d) {
    msgpack_zone_init(&d->zone, 2048);
}

void proto_dec_free(struct proto_dec *d) {
    msgpack_zone_destroy(&d->zone);
}

static const msgpack_object *field(const msgpack_object_map *m, const char *name) {
    size_t nl = strlen(name);
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == nl &&
            memcmp(k->via.str.ptr, name, nl) == 0)
            return &m->ptr[i].val;
    }
    return NULL;
}

static int fail(struct proto_error *err, const char *code, const char *fmt, const char *name) {
    err->code = code;
    snprintf(err->msg, sizeof err->msg, fmt, name);
    return -1;
}

/* Read an integer field. Returns 0, 1 when absent and optional, -1 on error. */
static int get_int(const msgpack_object_map *m, const char *name, int required,
                   int64_t lo, int64_t hi, int64_t *out, struct proto_error *err) {
    const msgpack_object *o = field(m, name);
    if (!o || o->type == MSGPACK_OBJECT_NIL) {
        if (!required) return 1;
        return fail(err, E_BAD_FIELD, "missing field '%s'", name);
    }
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX) return fail(err, E_BAD_FIELD, "field '%s' out of range", name);
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return fail(err, E_BAD_FIELD, "field '%s' must be an integer", name);
    }
    if (v < lo || v > hi) return fail(err, E_BAD_FIELD, "field '%s' out of range", name);
    *out = v;
    return 0;
}

/* Read a UTF-8 string field of at most maxlen bytes (longer: too_long_code).
 * Returns 0, 1 when absent and optional, -1 on error. */
static int get_str(const msgpack_object_map *m, const char *name, int required, uint32_t maxlen,
                   const char *too_long_code, struct proto_str *out, struct proto_error *err) {
    const msgpack_object *o = field(m, name);
    out->p = NULL; out->n = 0;
    if (!o || o->type == MSGPACK_OBJECT_NIL) {
        if (!required) return 1;
        return fail(err, E_BAD_FIELD, "missing field '%s'", name);
    }
    if (o->type != MSGPACK_OBJECT_STR) return fail(err, E_BAD_FIELD, "field '%s' must be a string", name);
    if (o->via.str.size > maxlen) return fail(err, too_long_code, "field '%s' is too long", name);
    if (u8_check((const uint8_t *)o->via.str.ptr, o->via.str.size) != NULL)
        return fail(err, E_BAD_FIELD, "field '%s' is not valid UTF-8", name);
    out->p = o->via.str.ptr ? o->via.str.ptr : "";
    out->n = o->via.str.size;
    return 0;
}

static int str_is(const msgpack_object *o, const char *s) {
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

static const struct { const char *name; enum proto_type type; } types[] = {
    {"hello", PT_HELLO}, {"vote", PT_VOTE}, {"react", PT_REACT}, {"chant", PT_CHANT},
    {"ping", PT_PING}, {"poll.open", PT_POLL_OPEN}, {"poll.close", PT_POLL_CLOSE},
    {"marker", PT_MARKER}, {"mod", PT_MOD}, {"poll.reveal", PT_POLL_REVEAL}, {"section", PT_SECTION},
    {"poll.reopen", PT_POLL_REOPEN}, {"marker.edit", PT_MARKER_EDIT}, {"marker.delete", PT_MARKER_DELETE},
    {"osc.gate", PT_OSC_GATE}, {"poll.play", PT_POLL_PLAY},
};

#define MAX_ID ((int64_t)1 << 53)

/* The optional fields of a fan's signal: `cid` (the phone's own id for it,
 * kept across reconnects so a re-send is recognised) and `age` (how many ms
 * before sending the fan made it; the hub bounds it, see wire.h). */
static int get_signal_fields(const msgpack_object_map *mp, struct proto_msg *m, int with_cid, struct proto_error *err) {
    if (with_cid && get_int(mp, "cid", 0, 1, MAX_ID, &m->cid, err) < 0) return -1;
    return get_int(mp, "age", 0, INT64_MIN, INT64_MAX, &m->age, err) < 0 ? -1 : 0;
}

/* A marker's kind, when given. Returns 0 (set), 1 (absent), -1. */
static int get_marker_kind(const msgpack_object_map *mp, struct proto_msg *m, struct proto_error *err) {
    struct proto_str kind;
    int r = get_str(mp, "kind", 0, 16, E_BAD_FIELD, &kind, err);
    if (r != 0) return r;
    int k = wire_marker_parse(kind.p, kind.n);
    if (k < 0) return fail(err, E_BAD_FIELD, "field '%s' must be song_start, song_end or note", "kind");
    m->marker = (enum marker_kind)k;
    return 0;
}

/* {t:"mod", id, action, text | device | mode}. */
static int decode_mod(const msgpack_object_map *mp, struct proto_msg *m, struct proto_error *err) {
    if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
    struct proto_str s;
    if (get_str(mp, "action", 1, 16, E_BAD_FIELD, &s, err) < 0) return -1;
    int a = wire_parse(wire_mod_action_names(), MOD_BLOCKED, s.p, s.n);   /* crew actions only */
    if (a < 0) return fail(err, E_BAD_FIELD, "field '%s' must be approve, hide, unhide, ban, unban or mode", "action");
    m->action = (enum mod_action)a;
    switch (m->action) {
    case MOD_APPROVE_TEXT: case MOD_HIDE: case MOD_UNHIDE:
        if (get_str(mp, "text", 1, 256, E_TOO_LONG, &m->text, err) < 0) return -1;
        if (m->text.n == 0) return fail(err, E_BAD_FIELD, "field '%s' is empty", "text");
        return 0;
    case MOD_BAN: case MOD_UNBAN:
        return get_int(mp, "device", 1, 1, INT32_MAX, &m->device, err) < 0 ? -1 : 0;
    default: {
        if (get_str(mp, "mode", 1, 16, E_BAD_FIELD, &s, err) < 0) return -1;
        int mode = wire_mod_mode_parse(s.p, s.n);
        if (mode < 0) return fail(err, E_BAD_FIELD, "field '%s' must be auto, approve or off", "mode");
        m->mode = (enum mod_mode)mode;
        return 0;
    }
    }
}

static int decode_fields(const msgpack_object_map *mp, struct proto_msg *m, struct proto_error *err) {
    int r;
    switch (m->type) {
    case PT_HELLO: {
        struct proto_str role;
        if (get_str(mp, "role", 1, 16, E_BAD_FIELD, &role, err) < 0) return -1;
        r = wire_role_parse(role.p, role.n);
        if (r < 0) return fail(err, E_BAD_FIELD, "field '%s' must be audience, screen, performer or crew", "role");
        m->role = (enum role)r;
        if (get_str(mp, "event", 0, 64, E_BAD_FIELD, &m->event, err) < 0) return -1;
        if (get_str(mp, "token", 0, 128, E_BAD_FIELD, &m->token, err) < 0) return -1;
        if (get_str(mp, "key", 0, 256, E_BAD_FIELD, &m->key, err) < 0) return -1;
        if (get_str(mp, "section", 0, 64, E_BAD_FIELD, &m->section, err) < 0) return -1;
        return 0;
    }
    case PT_VOTE:
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        if (get_int(mp, "poll", 1, 0, INT32_MAX, &m->poll, err) < 0) return -1;
        if (get_int(mp, "option", 1, INT32_MIN, INT32_MAX, &m->option, err) < 0) return -1;
        return get_signal_fields(mp, m, 1, err);
    case PT_REACT:
        if (get_str(mp, "kind", 1, 32, E_BAD_FIELD, &m->kind, err) < 0) return -1;
        if (get_int(mp, "n", 1, 1, 50, &m->n, err) < 0) return -1;
        return get_signal_fields(mp, m, 0, err);
    case PT_CHANT:
        /* Raw text may carry whitespace that trimming removes: the limit in
         * characters is applied after normalization (chant.c); the frame
         * limit bounds it here. */
        if (get_str(mp, "text", 1, WIRE_MAX_FRAME, E_TOO_LONG, &m->text, err) < 0) return -1;
        return get_signal_fields(mp, m, 1, err);
    case PT_PING:
        return get_int(mp, "c", 1, INT64_MIN, INT64_MAX, &m->c, err) < 0 ? -1 : 0;
    case PT_POLL_OPEN: {
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        if (get_str(mp, "question", 1, WIRE_MAX_QUESTION, E_TOO_LONG, &m->text, err) < 0) return -1;
        if (m->text.n == 0) return fail(err, E_BAD_FIELD, "field '%s' is empty", "question");
        const msgpack_object *o = field(mp, "options");
        if (!o) return fail(err, E_BAD_FIELD, "missing field '%s'", "options");
        if (o->type != MSGPACK_OBJECT_ARRAY) return fail(err, E_BAD_FIELD, "field '%s' must be an array", "options");
        if (o->via.array.size < 2 || o->via.array.size > WIRE_MAX_OPTIONS)
            return fail(err, E_BAD_FIELD, "field '%s' needs 2 to 12 entries", "options");
        _Static_assert(WIRE_MAX_OPTIONS == 12, "the message above names the limit");
        m->noptions = (int)o->via.array.size;
        for (int i = 0; i < m->noptions; i++) {
            const msgpack_object *s = &o->via.array.ptr[i];
            if (s->type != MSGPACK_OBJECT_STR || s->via.str.size == 0)
                return fail(err, E_BAD_FIELD, "field '%s' must hold non-empty strings", "options");
            if (s->via.str.size > WIRE_MAX_TEXT) return fail(err, E_TOO_LONG, "an entry of '%s' is too long", "options");
            if (u8_check((const uint8_t *)s->via.str.ptr, s->via.str.size))
                return fail(err, E_BAD_FIELD, "field '%s' is not valid UTF-8", "options");
            m->options[i].p = s->via.str.ptr;
            m->options[i].n = s->via.str.size;
        }
        o = field(mp, "allow_change");
        if (o && o->type != MSGPACK_OBJECT_NIL) {
            if (o->type != MSGPACK_OBJECT_BOOLEAN) return fail(err, E_BAD_FIELD, "field '%s' must be a boolean", "allow_change");
            m->allow_change = o->via.boolean;
        }
        struct proto_str rv;
        r = get_str(mp, "reveal", 0, 16, E_BAD_FIELD, &rv, err);
        if (r < 0) return -1;
        m->reveal = REVEAL_LIVE;
        if (r == 0) {
            int x = wire_reveal_parse(rv.p, rv.n);
            if (x < 0) return fail(err, E_BAD_FIELD, "field '%s' must be live, on_close or manual", "reveal");
            m->reveal = (enum poll_reveal)x;
        }
        return 0;
    }
    case PT_POLL_CLOSE:
    case PT_POLL_REVEAL:
    case PT_POLL_REOPEN:
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        return get_int(mp, "poll", 1, 0, INT32_MAX, &m->poll, err) < 0 ? -1 : 0;
    case PT_POLL_PLAY:   /* {id, poll, option?}: no option = the winner */
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        if (get_int(mp, "poll", 1, 0, INT32_MAX, &m->poll, err) < 0) return -1;
        m->option = -1;
        if ((r = get_int(mp, "option", 0, 0, WIRE_MAX_OPTIONS - 1, &m->option, err)) < 0) return -1;
        m->has_option = r == 0;
        return 0;
    case PT_MARKER: {
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        if (get_str(mp, "label", 1, WIRE_MAX_TEXT, E_TOO_LONG, &m->text, err) < 0) return -1;
        if (m->text.n == 0) return fail(err, E_BAD_FIELD, "field '%s' is empty", "label");
        m->marker = MARKER_NOTE;
        return get_marker_kind(mp, m, err) < 0 ? -1 : 0;
    }
    case PT_MARKER_EDIT:
    case PT_MARKER_DELETE:
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        if (get_int(mp, "at", 1, 0, MAX_ID, &m->at, err) < 0) return -1;
        if (m->type == PT_MARKER_DELETE) return 0;
        if ((r = get_str(mp, "label", 0, WIRE_MAX_TEXT, E_TOO_LONG, &m->text, err)) < 0) return -1;
        if (r == 0 && m->text.n == 0) return fail(err, E_BAD_FIELD, "field '%s' is empty", "label");
        m->has_label = r == 0;
        if ((r = get_marker_kind(mp, m, err)) < 0) return -1;
        m->has_kind = r == 0;
        if (!m->has_label && !m->has_kind) return fail(err, E_BAD_FIELD, "missing field '%s'", "label");
        return 0;
    case PT_MOD:
        return decode_mod(mp, m, err);
    case PT_OSC_GATE: {   /* {id, on, target?}: no target = the master gate */
        if (!m->has_id) return fail(err, E_BAD_FIELD, "missing field '%s'", "id");
        const msgpack_object *o = field(mp, "on");
        if (!o || o->type != MSGPACK_OBJECT_BOOLEAN) return fail(err, E_BAD_FIELD, "field '%s' must be a boolean", "on");
        m->osc_on = o->via.boolean;
        m->osc_target = -1;
        return get_int(mp, "target", 0, 0, 63, &m->osc_target, err) < 0 ? -1 : 0;
    }
    case PT_SECTION:   /* "" leaves the section */
        return get_str(mp, "section", 1, 64, E_BAD_FIELD, &m->section, err) < 0 ? -1 : 0;
    }
    return fail(err, E_BAD_TYPE, "unknown type%s", "");
}

int proto_decode(struct proto_dec *d, const uint8_t *buf, size_t len,
                 struct proto_msg *m, struct proto_error *err) {
    memset(m, 0, sizeof *m);
    err->code = NULL;
    err->msg[0] = 0;
    if (len == 0 || len > WIRE_MAX_FRAME || proto_prescan(buf, len) < 0)
        return fail(err, E_BAD_FRAME, "frame is not one msgpack object%s", "");
    msgpack_zone_clear(&d->zone);
    msgpack_object obj;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack((const char *)buf, len, &off, &d->zone, &obj);
    if (r != MSGPACK_UNPACK_SUCCESS)
        return fail(err, E_BAD_FRAME, "frame is not one msgpack object%s", "");
    if (obj.type != MSGPACK_OBJECT_MAP) return fail(err, E_BAD_FRAME, "frame is not a msgpack map%s", "");
    const msgpack_object_map *mp = &obj.via.map;

    int64_t id;
    const msgpack_object *ido = field(mp, "id");
    if (ido && ido->type != MSGPACK_OBJECT_NIL) {
        if (get_int(mp, "id", 1, 0, MAX_ID, &id, err) < 0) return -1;
        m->has_id = 1;
        m->id = id;
    }
    const msgpack_object *t = field(mp, "t");
    if (!t || t->type != MSGPACK_OBJECT_STR) return fail(err, E_BAD_FRAME, "no string field '%s'", "t");
    m->type = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (str_is(t, types[i].name)) { m->type = types[i].type; break; }
    if (!m->type) {
        char name[24];
        size_t n = t->via.str.size < 20 ? t->via.str.size : 20;
        for (size_t i = 0; i < n; i++) {
            char c = t->via.str.ptr[i];
            name[i] = (c >= 0x20 && c < 0x7f && c != '\'') ? c : '?';
        }
        name[n] = 0;
        return fail(err, E_BAD_TYPE, "unknown message type '%s'", name);
    }
    return decode_fields(mp, m, err);
}

/* --- encoding --------------------------------------------------------- */

void proto_enc_begin(struct proto_enc *e) {
    static const char zeros[MSG_HEADROOM];
    msgpack_sbuffer_init(&e->sb);
    msgpack_sbuffer_write(&e->sb, zeros, MSG_HEADROOM);
    msgpack_packer_init(&e->pk, &e->sb, msgpack_sbuffer_write);
}

struct msg *proto_enc_finish(struct proto_enc *e) {
    struct msg *m = NULL;
    if (e->sb.data && e->sb.size >= MSG_HEADROOM) {
        m = malloc(sizeof *m + e->sb.size);
        if (m) {
            m->refs = 1;
            m->len = (uint32_t)(e->sb.size - MSG_HEADROOM);
            memcpy(m->data, e->sb.data, e->sb.size);
        }
    }
    msgpack_sbuffer_destroy(&e->sb);
    return m;
}

void proto_pack_strn(msgpack_packer *pk, const char *s, size_t n) {
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void proto_pack_str(msgpack_packer *pk, const char *s) { proto_pack_strn(pk, s, strlen(s)); }

void proto_pack_kv_str(msgpack_packer *pk, const char *k, const char *v) {
    proto_pack_str(pk, k);
    proto_pack_str(pk, v);
}

void proto_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v) {
    proto_pack_str(pk, k);
    msgpack_pack_int64(pk, v);
}

/* Every ack starts {t:"ack", id, ok, ...}; `extra` more pairs follow. */
static void ack_begin(struct proto_enc *e, int64_t id, int ok, size_t extra) {
    proto_enc_begin(e);
    msgpack_pack_map(&e->pk, 3 + extra);
    proto_pack_kv_str(&e->pk, "t", "ack");
    proto_pack_kv_int(&e->pk, "id", id);
    proto_pack_str(&e->pk, "ok");
    if (ok) msgpack_pack_true(&e->pk); else msgpack_pack_false(&e->pk);
}

struct msg *proto_ack_ok(int64_t id) {
    struct proto_enc e;
    ack_begin(&e, id, 1, 0);
    return proto_enc_finish(&e);
}

struct msg *proto_ack_vote(int64_t id, int64_t poll, int64_t option, int changed) {
    struct proto_enc e;
    ack_begin(&e, id, 1, 3);
    proto_pack_kv_int(&e.pk, "poll", poll);
    proto_pack_kv_int(&e.pk, "option", option);
    proto_pack_str(&e.pk, "changed");
    if (changed) msgpack_pack_true(&e.pk); else msgpack_pack_false(&e.pk);
    return proto_enc_finish(&e);
}

struct msg *proto_ack_poll(int64_t id, int64_t poll) {
    struct proto_enc e;
    ack_begin(&e, id, 1, 1);
    proto_pack_kv_int(&e.pk, "poll", poll);
    return proto_enc_finish(&e);
}

struct msg *proto_ack_chant(int64_t id, int held) {
    struct proto_enc e;
    ack_begin(&e, id, 1, held ? 1 : 0);
    if (held) {
        proto_pack_str(&e.pk, "held");
        msgpack_pack_true(&e.pk);
    }
    return proto_enc_finish(&e);
}

struct msg *proto_ack_err(int64_t id, const char *code, const char *msg) {
    struct proto_enc e;
    ack_begin(&e, id, 0, 2);
    proto_pack_kv_str(&e.pk, "code", code);
    proto_pack_kv_str(&e.pk, "msg", msg);
    return proto_enc_finish(&e);
}

struct msg *proto_error_msg(const char *code, const char *msg) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 3);
    proto_pack_kv_str(&e.pk, "t", "error");
    proto_pack_kv_str(&e.pk, "code", code);
    proto_pack_kv_str(&e.pk, "msg", msg);
    return proto_enc_finish(&e);
}

struct msg *proto_pong(int64_t c, int64_t now) {
    struct proto_enc e;
    proto_enc_begin(&e);
    msgpack_pack_map(&e.pk, 3);
    proto_pack_kv_str(&e.pk, "t", "pong");
    proto_pack_kv_int(&e.pk, "c", c);
    proto_pack_kv_int(&e.pk, "now", now);
    return proto_enc_finish(&e);
}
