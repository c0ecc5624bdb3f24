/* snap.c -- snapshot encoding (see snap.h). */
#include "proto.h"
#include "snap.h"

struct msg *snap_encode(const struct agg *a, const struct event_def *ev, int64_t seq, int64_t now) {
    struct proto_enc e;
    msgpack_packer *pk = &e.pk;
    proto_enc_begin(&e);
    msgpack_pack_map(pk, 10);
    proto_pack_kv_str(pk, "t", "snap");
    proto_pack_kv_int(pk, "seq", seq);
    proto_pack_kv_int(pk, "now", now);
    proto_pack_kv_int(pk, "audience", a->conns[ROLE_AUDIENCE]);

    proto_pack_str(pk, "sections");
    msgpack_pack_map(pk, (size_t)ev->nsections + 1);
    for (int i = 0; i < ev->nsections; i++) proto_pack_kv_int(pk, ev->sections[i], a->section_conns[i]);
    proto_pack_kv_int(pk, "", a->section_conns[ev->nsections]);

    proto_pack_str(pk, "poll");
    if (a->poll) {
        msgpack_pack_map(pk, 3);
        proto_pack_kv_int(pk, "id", a->poll->id);
        proto_pack_str(pk, "counts");
        msgpack_pack_array(pk, (size_t)a->poll->nopts);
        for (int i = 0; i < a->poll->nopts; i++) msgpack_pack_int64(pk, a->poll->counts[i]);
        proto_pack_kv_int(pk, "voters", a->poll->voters);
    } else {
        msgpack_pack_nil(pk);
    }

    proto_pack_str(pk, "react");
    msgpack_pack_map(pk, (size_t)ev->nreactions);
    for (int i = 0; i < ev->nreactions; i++) proto_pack_kv_int(pk, ev->reactions[i], a->totals[i]);
    proto_pack_str(pk, "rate");
    msgpack_pack_map(pk, (size_t)ev->nreactions);
    for (int i = 0; i < ev->nreactions; i++) proto_pack_kv_int(pk, ev->reactions[i], a->rate[i]);

    proto_pack_kv_int(pk, "energy", a->energy);

    struct chant_entry top[5];
    int n = chant_top_get(a->chants, top, 5);
    proto_pack_str(pk, "chants");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_pack_array(pk, 2);
        proto_pack_str(pk, top[i].text);
        msgpack_pack_int64(pk, top[i].count);
    }
    return proto_enc_finish(&e);
}
