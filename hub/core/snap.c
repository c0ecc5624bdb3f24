/* snap.c -- snapshot encoding (see snap.h). */
#include <string.h>
#include "proto.h"
#include "snap.h"

/* The top 5 when other hubs count chants too: this hub's top 16 and every
 * live hub's top PEERS_CHANTS, summed by key; a text this hub's moderation
 * holds back stays out for the public. Ties: the earlier in this hub's
 * ranking, then by key. */
static int merge_chants(const struct snap_in *in, struct chant_entry *top, int crew, uint8_t need, uint8_t reject) {
    enum { N = 16 + PEERS_MAX * PEERS_CHANTS };
    static struct chant_entry all[N];   /* the loop thread only */
    int n = chant_top_select(in->agg->chants, all, 16, 0, 0);
    for (int h = 0; h < PEERS_MAX; h++) {
        const struct peers_hub *ph = &in->peers->hub[h];
        if (!ph->known || !ph->live) continue;
        for (int i = 0; i < ph->part.nchants; i++) {
            const struct peers_chant *c = &ph->part.chants[i];
            int j = 0;
            while (j < n && strcmp(all[j].key, c->key)) j++;
            if (j == n) {
                if (n == N) continue;
                all[n] = (struct chant_entry){.text = c->text, .key = c->key, .flags = mod_flags(in->mod, c->key)};
                n++;
            }
            all[j].count += c->count;
        }
    }
    int k = 0;
    for (int pick = 0; pick < 5; pick++) {
        int best = -1;
        for (int j = 0; j < n; j++) {
            if (all[j].count <= 0) continue;
            if (!crew && ((all[j].flags & need) != need || (all[j].flags & reject))) continue;
            if (best < 0 || all[j].count > all[best].count) best = j;
        }
        if (best < 0) break;
        top[k++] = all[best];
        all[best].count = -all[best].count;   /* taken */
    }
    return k;
}

static void pack_chants(msgpack_packer *pk, const struct snap_in *in, int crew) {
    struct chant_entry top[5];
    uint8_t need = 0, reject = 0;
    if (!crew) mod_public_view(in->mod, &need, &reject);
    int n = in->peers ? merge_chants(in, top, crew, need, reject)
                      : chant_top_select(in->agg->chants, top, 5, need, reject);
    proto_pack_str(pk, "chants");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_pack_array(pk, crew ? 3 : 2);
        proto_pack_str(pk, top[i].text);
        msgpack_pack_int64(pk, top[i].count);
        if (!crew) continue;
        int hidden = !!(top[i].flags & CHANT_HIDDEN);
        int pending = mod_mode(in->mod) == MOD_APPROVE && !(top[i].flags & CHANT_APPROVED) && !hidden;
        msgpack_pack_map(pk, 2 + (size_t)hidden + (size_t)pending);
        proto_pack_kv_str(pk, "key", top[i].key);
        proto_pack_kv_int(pk, "device", top[i].device);
        if (hidden) { proto_pack_str(pk, "hidden"); msgpack_pack_true(pk); }
        if (pending) { proto_pack_str(pk, "pending"); msgpack_pack_true(pk); }
    }
}

/* mod:{mode, pending:[{key, text, count, first, device}], hidden:[{key, text}], banned} */
static void pack_mod(msgpack_packer *pk, const struct snap_in *in) {
    proto_pack_str(pk, "mod");
    msgpack_pack_map(pk, 4);
    proto_pack_kv_str(pk, "mode", wire_mod_mode_name(mod_mode(in->mod)));
    struct chant_entry p[SNAP_PENDING_MAX];
    int n = mod_mode(in->mod) == MOD_APPROVE ? chant_pending(in->agg->chants, p, SNAP_PENDING_MAX) : 0;
    proto_pack_str(pk, "pending");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_pack_map(pk, 5);
        proto_pack_kv_str(pk, "key", p[i].key);
        proto_pack_kv_str(pk, "text", p[i].text);
        proto_pack_kv_int(pk, "count", p[i].count);
        proto_pack_kv_int(pk, "first", p[i].first_ms);
        proto_pack_kv_int(pk, "device", p[i].device);
    }
    const struct mod_text *h[SNAP_HIDDEN_MAX];
    n = mod_hidden(in->mod, h, SNAP_HIDDEN_MAX);
    proto_pack_str(pk, "hidden");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_pack_map(pk, 2);
        proto_pack_kv_str(pk, "key", h[i]->key);
        proto_pack_kv_str(pk, "text", h[i]->text);
    }
    proto_pack_kv_int(pk, "banned", in->banned);
}

struct msg *snap_encode(const struct snap_in *in, int crew) {
    const struct agg *a = in->agg;
    const struct event_def *ev = in->ev;
    int64_t seq = in->seq, now = in->now;
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    static const struct peers_sum none;
    const struct peers_sum *x = in->ext ? in->ext : &none;
    msgpack_pack_map(pk, (crew ? 12 : 11) + (size_t)(in->partial != 0));
    proto_pack_kv_str(pk, "t", "snap");
    proto_pack_kv_int(pk, "seq", seq);
    proto_pack_kv_int(pk, "now", now);
    proto_pack_kv_int(pk, "audience", a->conns[ROLE_AUDIENCE] + x->conns[ROLE_AUDIENCE]);
    if (in->partial) { proto_pack_str(pk, "partial"); msgpack_pack_true(pk); }

    proto_pack_str(pk, "sections");
    msgpack_pack_map(pk, (size_t)ev->nsections + 1);
    for (int i = 0; i < ev->nsections; i++) proto_pack_kv_int(pk, ev->sections[i], a->section_conns[i] + x->section_conns[i]);
    proto_pack_kv_int(pk, "", a->section_conns[ev->nsections] + x->section_conns[ev->nsections]);

    proto_pack_str(pk, "poll");
    if (a->poll) {
        /* Until revealed, everybody but the crew sees only that votes come in. */
        int hidden = !(a->poll->reveal == REVEAL_LIVE || a->poll->revealed), show = crew || !hidden;
        msgpack_pack_map(pk, 2 + (size_t)show + (size_t)hidden);
        proto_pack_kv_int(pk, "id", a->poll->id);
        if (show) {
            proto_pack_str(pk, "counts");
            msgpack_pack_array(pk, (size_t)a->poll->nopts);
            for (int i = 0; i < a->poll->nopts; i++) msgpack_pack_int64(pk, a->poll->counts[i]);
        }
        proto_pack_kv_int(pk, "voters", a->poll->voters);
        if (hidden) { proto_pack_str(pk, "hidden"); msgpack_pack_true(pk); }
    } else {
        msgpack_pack_nil(pk);
    }

    proto_pack_str(pk, "react");
    msgpack_pack_map(pk, (size_t)ev->nreactions);
    for (int i = 0; i < ev->nreactions; i++) proto_pack_kv_int(pk, ev->reactions[i], a->totals[i] + x->totals[i]);
    proto_pack_str(pk, "rate");
    msgpack_pack_map(pk, (size_t)ev->nreactions);
    for (int i = 0; i < ev->nreactions; i++) proto_pack_kv_int(pk, ev->reactions[i], a->rate[i] + x->rate[i]);

    proto_pack_kv_int(pk, "energy", a->energy);
    pack_chants(pk, in, crew);
    proto_pack_kv_str(pk, "chant_mode", wire_mod_mode_name(mod_mode(in->mod)));
    if (crew) pack_mod(pk, in);
    return proto_enc_finish(&e);
}
