/* lcodec.c -- chorus.v1 client-side codec for chorus-load.
 *
 * Encoders pack msgpack into a fixed stack buffer (struct fixbuf: a write
 * past its end sets `over` instead of growing) and then wrap it in a masked
 * final binary WebSocket frame, because the load generator hands lws whole
 * pre-built frames (LWS_WRITE_RAW) so it can queue several per writeable
 * callback. The decoder reads only the fields chorus-load measures and
 * ignores the rest, as the protocol asks of clients. */
#include "lcodec.h"

#include <string.h>

struct fixbuf {
    uint8_t *p;
    size_t n, cap;
    int over;
};

static int fix_write(void *data, const char *buf, size_t len)
{
    struct fixbuf *f = data;
    if (f->over || len > f->cap - f->n) {
        f->over = 1;
        return -1;
    }
    memcpy(f->p + f->n, buf, len);
    f->n += len;
    return 0;
}

static void pk_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    pk_str(pk, k);
    pk_str(pk, v);
}

static void pk_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
    pk_str(pk, k);
    msgpack_pack_int64(pk, v);
}

int lcodec_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
                 uint32_t mask)
{
    size_t h = len < 126 ? 2 : (len <= 0xffff ? 4 : 10);
    uint8_t mk[4] = { (uint8_t)(mask >> 24), (uint8_t)(mask >> 16),
                      (uint8_t)(mask >> 8), (uint8_t)mask };
    if (h + 4 + len > cap)
        return -1;
    out[0] = 0x82;                      /* FIN + binary */
    if (len < 126) {
        out[1] = 0x80 | (uint8_t)len;
    } else if (len <= 0xffff) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    memcpy(out + h, mk, 4);
    for (size_t i = 0; i < len; i++)
        out[h + 4 + i] = payload[i] ^ mk[i & 3];
    return (int)(h + 4 + len);
}

/* Start packing into tmp; finish() frames it into out. */
#define ENC_BEGIN(nkeys)                                            \
    uint8_t tmp[LCODEC_MAX_FRAME];                                  \
    struct fixbuf fb = { tmp, 0, sizeof tmp, 0 };                   \
    msgpack_packer pk;                                              \
    msgpack_packer_init(&pk, &fb, fix_write);                       \
    msgpack_pack_map(&pk, (nkeys))

static int finish(struct fixbuf *fb, uint8_t *out, size_t cap, uint32_t mask)
{
    if (fb->over)
        return -1;
    return lcodec_frame(out, cap, fb->p, fb->n, mask);
}

int lcodec_hello(uint8_t *out, size_t cap, uint32_t mask, const char *role,
                 const char *event, const char *key, const char *token,
                 const char *section)
{
    size_t n = 3u + (key != NULL) + (token != NULL) + (section != NULL);
    ENC_BEGIN(n);
    pk_kv_str(&pk, "t", "hello");
    pk_kv_str(&pk, "role", role);
    pk_kv_str(&pk, "event", event);
    if (key)
        pk_kv_str(&pk, "key", key);
    if (token)
        pk_kv_str(&pk, "token", token);
    if (section)
        pk_kv_str(&pk, "section", section);
    return finish(&fb, out, cap, mask);
}

int lcodec_vote(uint8_t *out, size_t cap, uint32_t mask, int64_t id,
                int64_t poll, int option)
{
    ENC_BEGIN(4);
    pk_kv_str(&pk, "t", "vote");
    pk_kv_int(&pk, "id", id);
    pk_kv_int(&pk, "poll", poll);
    pk_kv_int(&pk, "option", option);
    return finish(&fb, out, cap, mask);
}

int lcodec_react(uint8_t *out, size_t cap, uint32_t mask, const char *kind, int n)
{
    ENC_BEGIN(3);
    pk_kv_str(&pk, "t", "react");
    pk_kv_str(&pk, "kind", kind);
    pk_kv_int(&pk, "n", n);
    return finish(&fb, out, cap, mask);
}

int lcodec_chant(uint8_t *out, size_t cap, uint32_t mask, int64_t id, const char *text)
{
    ENC_BEGIN(id >= 0 ? 3 : 2);
    pk_kv_str(&pk, "t", "chant");
    if (id >= 0)
        pk_kv_int(&pk, "id", id);
    pk_kv_str(&pk, "text", text);
    return finish(&fb, out, cap, mask);
}

int lcodec_poll_open(uint8_t *out, size_t cap, uint32_t mask, int64_t id,
                     const char *question, const char *const *options,
                     int noptions, int allow_change)
{
    ENC_BEGIN(5);
    pk_kv_str(&pk, "t", "poll.open");
    pk_kv_int(&pk, "id", id);
    pk_kv_str(&pk, "question", question);
    pk_str(&pk, "options");
    msgpack_pack_array(&pk, (size_t)noptions);
    for (int i = 0; i < noptions; i++)
        pk_str(&pk, options[i]);
    pk_str(&pk, "allow_change");
    if (allow_change)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    return finish(&fb, out, cap, mask);
}

int lcodec_poll_close(uint8_t *out, size_t cap, uint32_t mask, int64_t id, int64_t poll)
{
    ENC_BEGIN(3);
    pk_kv_str(&pk, "t", "poll.close");
    pk_kv_int(&pk, "id", id);
    pk_kv_int(&pk, "poll", poll);
    return finish(&fb, out, cap, mask);
}

/* --- decoding -------------------------------------------------------- */

void lcodec_dec_init(struct lcodec_dec *d)
{
    msgpack_zone_init(&d->zone, 2048);
}

void lcodec_dec_free(struct lcodec_dec *d)
{
    if (d)
        msgpack_zone_destroy(&d->zone);
}

static int key_is(const msgpack_object *k, const char *s)
{
    size_t n = strlen(s);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

static const msgpack_object *map_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (key_is(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

static int64_t as_int(const msgpack_object *o, int64_t dflt)
{
    if (!o)
        return dflt;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64 > INT64_MAX ? INT64_MAX : (int64_t)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        return (int64_t)o->via.f64;
    return dflt;
}

static double as_num(const msgpack_object *o)
{
    if (!o)
        return 0;
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        return o->via.f64;
    return (double)as_int(o, 0);
}

static void copy_str(char *dst, size_t cap, const msgpack_object *o)
{
    dst[0] = 0;
    if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size < cap) {
        memcpy(dst, o->via.str.ptr, o->via.str.size);
        dst[o->via.str.size] = 0;
    }
}

/* poll object {id, options, open, voted?} as in welcome and `poll`. */
static void read_poll(const msgpack_object *p, struct lcodec_msg *m)
{
    if (!p || p->type != MSGPACK_OBJECT_MAP)
        return;
    m->poll = as_int(map_get(p, "id"), -1);
    const msgpack_object *o = map_get(p, "open");
    m->poll_open = o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
    o = map_get(p, "options");
    if (o && o->type == MSGPACK_OBJECT_ARRAY)
        m->noptions = (int)o->via.array.size;
    m->voted = as_int(map_get(p, "voted"), -1);
}

int lcodec_decode(struct lcodec_dec *d, const uint8_t *buf, size_t len,
                  const char *kind, struct lcodec_msg *m)
{
    msgpack_object root;
    size_t off = 0;
    int rc = -1;

    memset(m, 0, sizeof *m);
    m->poll = -1;
    m->voted = -1;
    m->option = -1;
    m->id = -1;
    if (msgpack_unpack((const char *)buf, len, &off, &d->zone, &root) !=
        MSGPACK_UNPACK_SUCCESS || off != len || root.type != MSGPACK_OBJECT_MAP)
        goto out;
    const msgpack_object *t = map_get(&root, "t");
    if (!t || t->type != MSGPACK_OBJECT_STR)
        goto out;
    rc = 0;
    if (key_is(t, "snap")) {
        m->type = LM_SNAP;
        m->seq = as_int(map_get(&root, "seq"), 0);
        m->now = as_int(map_get(&root, "now"), 0);
        m->audience = as_int(map_get(&root, "audience"), 0);
        if (kind)
            m->kind_total = as_int(map_get(map_get(&root, "react"), kind), 0);
    } else if (key_is(t, "ack")) {
        m->type = LM_ACK;
        m->id = as_int(map_get(&root, "id"), -1);
        const msgpack_object *ok = map_get(&root, "ok");
        m->ok = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
        if (!m->ok)
            copy_str(m->code, sizeof m->code, map_get(&root, "code"));
        m->poll = as_int(map_get(&root, "poll"), -1);
        m->option = as_int(map_get(&root, "option"), -1);
        const msgpack_object *ch = map_get(&root, "changed");
        m->changed = ch && ch->type == MSGPACK_OBJECT_BOOLEAN && ch->via.boolean;
    } else if (key_is(t, "welcome")) {
        m->type = LM_WELCOME;
        m->device = as_int(map_get(&root, "device"), 0);
        copy_str(m->token, sizeof m->token, map_get(&root, "token"));
        m->now = as_int(map_get(&root, "now"), 0);
        read_poll(map_get(&root, "poll"), m);
    } else if (key_is(t, "poll")) {
        m->type = LM_POLL;
        read_poll(map_get(&root, "poll"), m);
    } else if (key_is(t, "health")) {
        const msgpack_object *st = map_get(&root, "store");
        m->type = LM_HEALTH;
        m->now = as_int(map_get(&root, "now"), 0);
        m->audience = as_int(map_get(map_get(&root, "conns"), "audience"), 0);
        m->signals_per_s = as_num(map_get(&root, "signals_per_s"));
        m->votes_per_s = as_num(map_get(&root, "votes_per_s"));
        m->signals_total = as_int(map_get(&root, "signals_total"), -1);
        m->dropped_slow = as_int(map_get(&root, "dropped_slow"), 0);
        m->store_queue = as_int(map_get(st, "queue"), 0);
        m->store_queue_max = as_int(map_get(st, "queue_max"), 0);
        m->store_dropped = as_int(map_get(st, "dropped"), 0);
        m->store_failed = as_int(map_get(st, "failed"), 0);
        m->store_commits = as_int(map_get(st, "commits"), 0);
    } else if (key_is(t, "error")) {
        m->type = LM_ERROR;
        copy_str(m->code, sizeof m->code, map_get(&root, "code"));
    } else if (key_is(t, "pong")) {
        m->type = LM_PONG;
    } else if (key_is(t, "marker")) {
        m->type = LM_MARKER;
    }
out:
    msgpack_zone_clear(&d->zone);
    return rc;
}
