/* peers.c -- cluster parts and their merge (see peers.h).
 *
 * Wire form of a part: one msgpack array
 *   [1, hub, seq, started_ms, [conns x ROLE_COUNT], [section_conns],
 *    [totals], [rate], signals_total, [[key, text, count] x <= 10], where]
 * (1 is the format's version; `where` is left out when empty, and a part
 * without it, from a hub that predates it, is still a part). */
#include <msgpack.h>
#include <string.h>
#include <unistr.h>
#include "peers.h"
#include "proto.h"

#define PART_VERSION 1
#define PART_FIELDS  10     /* without `where` */
#define PART_MAX_BYTES 65536

static void pack_ints(msgpack_packer *pk, const int64_t *v, int n) {
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) msgpack_pack_int64(pk, v[i]);
}

struct msg *peers_encode(const struct peers_part *p) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    msgpack_pack_array(pk, p->where[0] ? PART_FIELDS + 1 : PART_FIELDS);
    msgpack_pack_int(pk, PART_VERSION);
    msgpack_pack_int(pk, p->hub);
    msgpack_pack_int64(pk, p->seq);
    msgpack_pack_int64(pk, p->started_ms);
    pack_ints(pk, p->conns, ROLE_COUNT);
    pack_ints(pk, p->section_conns, p->nsections);
    pack_ints(pk, p->totals, p->nkinds);
    pack_ints(pk, p->rate, p->nkinds);
    msgpack_pack_int64(pk, p->signals_total);
    msgpack_pack_array(pk, (size_t)p->nchants);
    for (int i = 0; i < p->nchants; i++) {
        msgpack_pack_array(pk, 3);
        proto_pack_str(pk, p->chants[i].key);
        proto_pack_str(pk, p->chants[i].text);
        msgpack_pack_int64(pk, p->chants[i].count);
    }
    if (p->where[0]) proto_pack_str(pk, p->where);
    return proto_enc_finish(&e);
}

/* A non-negative integer (or, with neg, any) into *out. 0 or -1. */
static int get_i(const msgpack_object *o, int neg, int64_t *out) {
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX) {
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (neg && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return -1;
}

static int get_ints(const msgpack_object *o, int n, int64_t *out) {
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != (uint32_t)n) return -1;
    for (int i = 0; i < n; i++)
        if (get_i(&o->via.array.ptr[i], 0, &out[i]) < 0) return -1;
    return 0;
}

static int get_str(const msgpack_object *o, char *out, size_t cap) {
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size >= cap) return -1;
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = 0;
    return memchr(out, 0, o->via.str.size) ? -1 : 0;
}

static int decode(const msgpack_object *root, int nkinds, int nsections, struct peers_part *p) {
    if (root->type != MSGPACK_OBJECT_ARRAY ||
        (root->via.array.size != PART_FIELDS && root->via.array.size != PART_FIELDS + 1))
        return -1;
    const msgpack_object *f = root->via.array.ptr;
    int64_t v, hub;
    if (get_i(&f[0], 0, &v) < 0 || v != PART_VERSION) return -1;
    if (get_i(&f[1], 0, &hub) < 0 || hub >= PEERS_MAX) return -1;
    p->hub = (int)hub;
    if (get_i(&f[2], 0, &p->seq) < 0 || get_i(&f[3], 0, &p->started_ms) < 0) return -1;
    if (get_ints(&f[4], ROLE_COUNT, p->conns) < 0) return -1;
    if (nsections < 1 || nsections > EVENT_MAX_SECTIONS + 1 || nkinds < 0 || nkinds > EVENT_MAX_REACTIONS) return -1;
    p->nsections = nsections;
    p->nkinds = nkinds;
    if (get_ints(&f[5], nsections, p->section_conns) < 0) return -1;
    if (get_ints(&f[6], nkinds, p->totals) < 0 || get_ints(&f[7], nkinds, p->rate) < 0) return -1;
    if (get_i(&f[8], 0, &p->signals_total) < 0) return -1;
    if (f[9].type != MSGPACK_OBJECT_ARRAY || f[9].via.array.size > PEERS_CHANTS) return -1;
    p->nchants = (int)f[9].via.array.size;
    for (int i = 0; i < p->nchants; i++) {
        const msgpack_object *c = &f[9].via.array.ptr[i];
        if (c->type != MSGPACK_OBJECT_ARRAY || c->via.array.size != 3) return -1;
        struct peers_chant *pc = &p->chants[i];
        if (get_str(&c->via.array.ptr[0], pc->key, sizeof pc->key) < 0 ||
            get_str(&c->via.array.ptr[1], pc->text, sizeof pc->text) < 0 ||
            get_i(&c->via.array.ptr[2], 0, &pc->count) < 0)
            return -1;
    }
    if (root->via.array.size > PART_FIELDS &&
        (get_str(&f[PART_FIELDS], p->where, sizeof p->where) < 0 || u8_check((const uint8_t *)p->where, strlen(p->where))))
        return -1;
    return 0;
}

int peers_decode(const uint8_t *buf, size_t len, int nkinds, int nsections, struct peers_part *out) {
    if (!buf || len == 0 || len > PART_MAX_BYTES) return -1;
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, 4096)) return -1;
    msgpack_object obj;
    size_t off = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (msgpack_unpack((const char *)buf, len, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS && off == len)
        rc = decode(&obj, nkinds, nsections, out);
    msgpack_zone_destroy(&zone);
    return rc;
}

int peers_take(struct peers *ps, const struct peers_part *p, int64_t now_ms) {
    if (p->hub == ps->self) return 0;
    struct peers_hub *h = &ps->hub[p->hub];
    /* The same run sends increasing seq; a new run (later start) starts over. */
    if (h->known && p->started_ms == h->part.started_ms && p->seq <= h->part.seq) return 0;
    if (h->known && p->started_ms < h->part.started_ms) return 0;
    h->known = 1;
    h->live = 1;
    h->seen_ms = now_ms;
    h->part = *p;
    return 1;
}

void peers_age(struct peers *ps, int64_t now_ms, int *known, int *live) {
    int k = 0, l = 0;
    for (int i = 0; i < PEERS_MAX; i++) {
        struct peers_hub *h = &ps->hub[i];
        if (!h->known) continue;
        if (now_ms - h->seen_ms >= PEERS_STALE_MS) h->live = 0;
        k++;
        l += h->live;
    }
    if (known) *known = k;
    if (live) *live = l;
}

void peers_sum(const struct peers *ps, struct peers_sum *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < PEERS_MAX; i++) {
        const struct peers_hub *h = &ps->hub[i];
        if (!h->known) continue;
        const struct peers_part *p = &h->part;
        for (int k = 0; k < p->nkinds; k++) out->totals[k] += p->totals[k];
        out->signals_total += p->signals_total;
        if (!h->live) continue;   /* gone: what its crowd did stays, its crowd does not */
        for (int r = 0; r < ROLE_COUNT; r++) out->conns[r] += p->conns[r];
        for (int s = 0; s < p->nsections; s++) out->section_conns[s] += p->section_conns[s];
        for (int k = 0; k < p->nkinds; k++) out->rate[k] += p->rate[k];
    }
}
