/* Unit tests: the server layer (hub/server) driven through a fake I/O: no
 * network, no database, a clock the test moves. Each test plays what a
 * client would do (hello, vote, open a poll, stop reading...) and checks
 * what that client, or another, would then receive. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "proto.h"
#include "server.h"
#include "t.h"

/* --- the fake I/O ------------------------------------------------------- */

#define FAKE_RECS 512

struct fake {
    int64_t now, mono;
    struct rec recs[FAKE_RECS];     /* what the server persisted (strings freed) */
    int nrecs;
    int full;                       /* persist refuses everything */
    int kills, want_writes;
};

static int fake_persist(void *arg, struct rec *r) {
    struct fake *f = arg;
    free(r->text);
    free(r->key);
    if (r->opts) for (int i = 0; i < r->c; i++) free(r->opts[i]);
    free(r->opts);
    free(r->second);
    r->text = NULL; r->key = NULL; r->opts = NULL; r->second = NULL;
    if (f->full) return -1;
    if (f->nrecs < FAKE_RECS) f->recs[f->nrecs++] = *r;
    return 0;
}
static void fake_stats(void *arg, struct rec_stats *out) { (void)arg; memset(out, 0, sizeof *out); }
static void fake_want_write(void *arg, void *conn) { (void)conn; ((struct fake *)arg)->want_writes++; }
static void fake_kill(void *arg, void *conn) { (void)conn; ((struct fake *)arg)->kills++; }
static int64_t fake_now(void *arg) { return ((struct fake *)arg)->now; }
static int64_t fake_mono(void *arg) { return ((struct fake *)arg)->mono; }

static struct fake F;
static struct event_def *EV;
static char evpath[64];

static void write_event(void) {
    snprintf(evpath, sizeof evpath, "/tmp/chorus-test-server-%d.json", (int)getpid());
    FILE *f = fopen(evpath, "w");
    fputs("{\"code\": \"T1\", \"name\": \"Test\", \"reactions\": [\"heart\", \"fire\"], \"sections\": [\"A\", \"B\"],"
          " \"keys\": {\"crew\": \"ck\", \"screen\": \"sk\", \"performer\": \"pk\"}, \"songs\": [\"One\"],"
          " \"limits\": {\"joins_per_ip\": {\"rate\": 1, \"burst\": 3}}}", f);
    fclose(f);
    char err[256];
    EV = event_def_load(evpath, err, sizeof err);
    if (!EV) { fprintf(stderr, "event: %s\n", err); exit(1); }
}

/* A cluster hub (id 0) over the fake: what it would publish to NATS is kept
 * here, and the test plays the streams' answers by hand. */
static struct {
    uint8_t ctl[4096];
    size_t ctl_len;
    char ctl_from[160], vote_from[160];
    int votes_published;
    int64_t vote_device;
    int only_first;
} NATS;
static int fake_publish_ctl(void *arg, const uint8_t *frame, size_t len, const char *from) {
    (void)arg;
    if (len > sizeof NATS.ctl) return -1;
    memcpy(NATS.ctl, frame, len);
    NATS.ctl_len = len;
    snprintf(NATS.ctl_from, sizeof NATS.ctl_from, "%s", from);
    return 0;
}
static int fake_publish_vote(void *arg, int64_t poll, int64_t device, int option, int only_first, const char *from) {
    (void)arg, (void)poll, (void)option;
    NATS.votes_published++;
    NATS.vote_device = device;
    NATS.only_first = only_first;
    snprintf(NATS.vote_from, sizeof NATS.vote_from, "%s", from);
    return 0;
}
static void fake_publish_part(void *arg, struct msg *m) { (void)arg; msg_unref(m); }

/* A fresh server over the fake, as after a first start (empty database):
 * alone, or (cluster) as hub 0 of a cluster publishing into NATS above. */
static struct server *start_as(int cluster) {
    memset(&F, 0, sizeof F);
    memset(&NATS, 0, sizeof NATS);
    F.now = 1700000000000;
    F.mono = 5000;
    struct rec_boot boot;
    memset(&boot, 0, sizeof boot);
    struct server_io io = {.arg = &F, .want_write = fake_want_write, .kill = fake_kill, .persist = fake_persist,
                           .stats = fake_stats, .now_ms = fake_now, .mono_ms = fake_mono};
    if (cluster) {
        io.publish_part = fake_publish_part;
        io.publish_ctl = fake_publish_ctl;
        io.publish_vote = fake_publish_vote;
    }
    struct server_opts o = {.tick_ms = 100, .audience_hz = 1, .join_url = "http://t/e/T1", .cluster = cluster,
                            .hub_id = 0};
    char err[256];
    struct server *srv = server_new(&o, EV, &boot, &io, err, sizeof err);
    rec_boot_clear(&boot);
    if (!srv) { fprintf(stderr, "server_new: %s\n", err); exit(1); }
    return srv;
}
static struct server *start(void) { return start_as(0); }
static struct server *start_cluster(void) { return start_as(1); }

/* --- client side: send a message, read the replies ----------------------- */

/* Send a map from alternating key/value specs: "s:text", "i:123", "b:1",
 * "a:x|y|z" (array of strings). */
static void send_kv(struct server *srv, struct session *s, int n, const char **kv) {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (size_t)n / 2);
    for (int i = 0; i < n; i++) {
        const char *v = kv[i];
        if (i % 2 == 0) { proto_pack_str(&pk, v); continue; }
        if (v[0] == 's') proto_pack_str(&pk, v + 2);
        else if (v[0] == 'i') msgpack_pack_int64(&pk, atoll(v + 2));
        else if (v[0] == 'b') { if (v[2] == '1') msgpack_pack_true(&pk); else msgpack_pack_false(&pk); }
        else if (v[0] == 'a') {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v + 2);
            int cnt = 1;
            for (char *c = buf; *c; c++) cnt += *c == '|';
            msgpack_pack_array(&pk, (size_t)cnt);
            char *save = NULL;
            for (char *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) proto_pack_str(&pk, tok);
        }
    }
    server_frame(srv, s, (const uint8_t *)sb.data, sb.size, 1);
    msgpack_sbuffer_destroy(&sb);
}
#define SEND(srv, s, ...) do { const char *kv_[] = {__VA_ARGS__}; \
    send_kv(srv, s, (int)(sizeof kv_ / sizeof kv_[0]), kv_); } while (0)

/* Unpacked strings point into the message: the last few read stay alive. */
static struct msg *kept[8];
static unsigned nkept;

static void release_kept(void) {
    for (unsigned i = 0; i < 8; i++) { msg_unref(kept[i]); kept[i] = NULL; }
}

/* The next message s would receive, unpacked into u (caller destroys u; its
 * strings stay valid for the next 7 reads). Returns 0, or -1 when nothing
 * is queued. */
static int next(struct server *srv, struct session *s, msgpack_unpacked *u) {
    msgpack_unpacked_init(u);   /* also on -1: callers may look at u->data (nil) */
    struct msg *m = server_pop(srv, s);
    if (!m) return -1;
    size_t off = 0;
    msgpack_unpack_next(u, (const char *)msg_payload(m), m->len, &off);
    msg_unref(kept[nkept % 8]);
    kept[nkept++ % 8] = m;
    return 0;
}

static const msgpack_object *get(const msgpack_object *o, const char *key) {
    if (!o || o->type != MSGPACK_OBJECT_MAP) return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) && !memcmp(k->via.str.ptr, key, k->via.str.size))
            return &o->via.map.ptr[i].val;
    }
    return NULL;
}

/* A field as text ("" when absent; numbers and booleans printed). */
static const char *str(const msgpack_object *o, const char *key) {
    static char buf[8][300];
    static int k;
    char *b = buf[k++ % 8];
    const msgpack_object *v = get(o, key);
    b[0] = 0;
    if (!v) return b;
    if (v->type == MSGPACK_OBJECT_STR) snprintf(b, 300, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) snprintf(b, 300, "%llu", (unsigned long long)v->via.u64);
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) snprintf(b, 300, "%lld", (long long)v->via.i64);
    else if (v->type == MSGPACK_OBJECT_BOOLEAN) snprintf(b, 300, "%s", v->via.boolean ? "true" : "false");
    else if (v->type == MSGPACK_OBJECT_NIL) snprintf(b, 300, "nil");
    return b;
}

/* Read s's queue until a message of type t; its text of field `key` (or
 * "t" itself), or "(none)" when no such message is queued. */
static const char *expect(struct server *srv, struct session *s, const char *t, const char *key) {
    static char out[300];
    msgpack_unpacked u;
    while (next(srv, s, &u) == 0) {
        if (!strcmp(str(&u.data, "t"), t)) {
            snprintf(out, sizeof out, "%s", str(&u.data, key ? key : "t"));
            msgpack_unpacked_destroy(&u);
            return out;
        }
        msgpack_unpacked_destroy(&u);
    }
    return "(none)";
}

/* Drop everything queued for s; returns how many messages that was. */
static int drain(struct server *srv, struct session *s) {
    int n = 0;
    struct msg *m;
    while ((m = server_pop(srv, s)) != NULL) { msg_unref(m); n++; }
    return n;
}

static int conn_ids[64];

static struct session *connect_ip(struct server *srv, int id, const char *ip) {
    return server_open(srv, &conn_ids[id], ip);
}

/* An audience phone that has said hello; its token in tok (if not NULL) as
 * a SEND value ("s:<token>"). */
static struct session *phone(struct server *srv, int id, char *tok, size_t toklen) {
    char ip[32];
    snprintf(ip, sizeof ip, "10.0.0.%d", id);
    struct session *s = connect_ip(srv, id, ip);
    SEND(srv, s, "t", "s:hello", "role", "s:audience", "section", "s:A");
    msgpack_unpacked u;
    while (next(srv, s, &u) == 0) {
        if (!strcmp(str(&u.data, "t"), "welcome") && tok) snprintf(tok, toklen, "s:%s", str(&u.data, "token"));
        msgpack_unpacked_destroy(&u);
    }
    return s;
}

static struct session *crew(struct server *srv, int id) {
    struct session *s = connect_ip(srv, id, "10.9.9.9");
    SEND(srv, s, "t", "s:hello", "role", "s:crew", "key", "s:ck");
    drain(srv, s);
    return s;
}

/* Commit everything persisted so far that wants an ack (as the store would). */
static void commit_all(struct server *srv, int ok) {
    struct rec_result res[FAKE_RECS];
    size_t n = 0;
    for (int i = 0; i < F.nrecs; i++) {
        struct rec *r = &F.recs[i];
        if (!r->want_ack) continue;
        res[n++] = (struct rec_result){.type = r->type, .ok = (uint8_t)ok, .c = r->c, .d = r->d, .a = r->a,
                                       .b = r->b, .slot = r->slot, .gen = r->gen, .msg_id = r->msg_id};
        r->want_ack = 0;
    }
    server_acks(srv, res, n);
}

static int count_recs(int type) {
    int n = 0;
    for (int i = 0; i < F.nrecs; i++) n += F.recs[i].type == type;
    return n;
}

/* --- tests --------------------------------------------------------------- */

static void hello_each_role(void) {
    struct server *srv = start();
    struct session *a = connect_ip(srv, 1, "10.0.0.1");
    SEND(srv, a, "t", "s:hello", "role", "s:audience", "section", "s:B");
    msgpack_unpacked u;
    CHECK_EQ(next(srv, a, &u), 0);
    CHECK_STR(str(&u.data, "t"), "welcome");
    CHECK_STR(str(&u.data, "device"), "1");
    CHECK_STR(str(&u.data, "role"), "audience");
    CHECK_STR(str(get(&u.data, "event"), "join_url"), "http://t/e/T1");
    CHECK(strncmp(str(&u.data, "token"), "1.", 2) == 0);
    CHECK_STR(str(get(&u.data, "event"), "code"), "T1");
    msgpack_unpacked_destroy(&u);
    CHECK_EQ(count_recs(REC_DEVICE), 1);
    CHECK_EQ(count_recs(REC_SESSION_START), 1);

    const char *roles[] = {"screen", "performer", "crew"}, *keys[] = {"s:sk", "s:pk", "s:ck"};
    for (int i = 0; i < 3; i++) {
        struct session *s = connect_ip(srv, 2 + i, "10.0.0.2");
        char role[32];
        snprintf(role, sizeof role, "s:%s", roles[i]);
        SEND(srv, s, "t", "s:hello", "id", "i:1", "role", role, "key", "s:wrong");
        CHECK_STR(expect(srv, s, "ack", "code"), "bad_key");
        SEND(srv, s, "t", "s:hello", "role", role);
        CHECK_STR(expect(srv, s, "error", "msg"), "this role needs its key");
        SEND(srv, s, "t", "s:hello", "role", role, "key", keys[i]);
        CHECK_STR(expect(srv, s, "welcome", "role"), roles[i]);
        CHECK(session_is_ready(s));
        SEND(srv, s, "t", "s:hello", "role", role, "key", keys[i]);
        CHECK_STR(expect(srv, s, "error", "code"), "not_allowed");   /* hello was already sent */
    }
    struct session *x = connect_ip(srv, 9, "10.0.0.9");
    SEND(srv, x, "t", "s:hello", "role", "s:admin");
    CHECK_STR(expect(srv, x, "error", "code"), "bad_field");
    SEND(srv, x, "t", "s:vote", "id", "i:3", "poll", "i:1", "option", "i:0");
    CHECK_STR(expect(srv, x, "ack", "msg"), "send hello first");
    server_frame(srv, x, (const uint8_t *)"hi", 2, 0);
    CHECK_STR(expect(srv, x, "error", "code"), "bad_frame");
    server_frame(srv, x, (const uint8_t *)"\xc1", 1, 1);
    CHECK_STR(expect(srv, x, "error", "code"), "bad_frame");
    CHECK_EQ(server_conns(srv), 5);
    server_free(srv);
}

static void returning_device_replaces_its_old_connection(void) {
    struct server *srv = start();
    char tok[128];
    struct session *a = phone(srv, 1, tok, sizeof tok);
    CHECK_EQ(a->device, 1);
    CHECK(strncmp(tok, "s:1.", 4) == 0);
    struct session *b = connect_ip(srv, 2, "10.0.0.1");
    SEND(srv, b, "t", "s:hello", "role", "s:audience", "token", tok);
    CHECK_STR(expect(srv, b, "welcome", "device"), "1");
    CHECK_EQ(count_recs(REC_DEVICE), 1);                /* same device, same section: no new row */
    CHECK_EQ(a->state, SS_DRAINING);
    CHECK_EQ(server_drained(srv, a), WIRE_CLOSE_REPLACED);
    server_closed(srv, a);                               /* the old one's close must not unlink b */
    struct session *c = connect_ip(srv, 3, "10.0.0.1");
    SEND(srv, c, "t", "s:hello", "role", "s:audience", "token", tok);
    CHECK_STR(expect(srv, c, "welcome", "device"), "1");
    CHECK_EQ(b->state, SS_DRAINING);                     /* b was still the device's connection */
    /* A token of another event, or forged, gets a new device. */
    struct session *d = connect_ip(srv, 4, "10.0.0.4");
    SEND(srv, d, "t", "s:hello", "role", "s:audience", "token", "s:1.00000000000000000000000000000000");
    CHECK_STR(expect(srv, d, "welcome", "device"), "2");
    server_free(srv);
}

static void new_devices_per_address_are_limited(void) {
    struct server *srv = start();
    int ok = 0;
    for (int i = 0; i < 5; i++) {
        struct session *s = connect_ip(srv, i, "10.1.1.1");
        SEND(srv, s, "t", "s:hello", "role", "s:audience");
        ok += session_is_ready(s);
        if (!session_is_ready(s)) CHECK_STR(expect(srv, s, "error", "code"), "rate_limited");
    }
    CHECK_EQ(ok, 3);                                     /* the event's burst of 3 */
    server_free(srv);
}

static void votes_are_acked_after_commit_and_change(void) {
    struct server *srv = start();
    struct session *c = crew(srv, 0);
    struct session *scr = connect_ip(srv, 1, "10.0.0.1");
    SEND(srv, scr, "t", "s:hello", "role", "s:screen", "key", "s:sk");
    drain(srv, scr);
    SEND(srv, c, "t", "s:poll.open", "id", "i:5", "question", "s:Encore?", "options", "a:Yes|No|Maybe",
         "allow_change", "b:1");
    CHECK_STR(expect(srv, scr, "poll", "t"), "poll");    /* screens hear of it at once */
    CHECK_STR(expect(srv, c, "ack", "t"), "(none)");     /* not before the commit */
    commit_all(srv, 1);
    CHECK_STR(expect(srv, c, "ack", "poll"), "1");

    char tok[128];
    struct session *p = phone(srv, 2, tok, sizeof tok);
    SEND(srv, p, "t", "s:vote", "id", "i:7", "poll", "i:1", "option", "i:2");
    CHECK_STR(expect(srv, p, "ack", "t"), "(none)");
    commit_all(srv, 1);
    msgpack_unpacked u;
    CHECK_EQ(next(srv, p, &u), 0);
    CHECK_STR(str(&u.data, "t"), "ack");
    CHECK_STR(str(&u.data, "id"), "7");
    CHECK_STR(str(&u.data, "ok"), "true");
    CHECK_STR(str(&u.data, "option"), "2");
    CHECK_STR(str(&u.data, "changed"), "false");
    msgpack_unpacked_destroy(&u);
    SEND(srv, p, "t", "s:vote", "id", "i:8", "poll", "i:1", "option", "i:0");
    commit_all(srv, 1);
    CHECK_STR(expect(srv, p, "ack", "changed"), "true");
    SEND(srv, p, "t", "s:vote", "id", "i:9", "poll", "i:1", "option", "i:3");
    CHECK_STR(expect(srv, p, "ack", "code"), "bad_option");
    SEND(srv, p, "t", "s:vote", "id", "i:10", "poll", "i:2", "option", "i:0");
    CHECK_STR(expect(srv, p, "ack", "code"), "unknown_poll");
    SEND(srv, p, "t", "s:poll.close", "id", "i:11", "poll", "i:1");
    CHECK_STR(expect(srv, p, "ack", "code"), "not_allowed");   /* phones do not close polls */

    /* A reconnecting phone is told what it voted. */
    struct session *p2 = connect_ip(srv, 3, "10.0.0.2");
    SEND(srv, p2, "t", "s:hello", "role", "s:audience", "token", tok);
    CHECK_EQ(next(srv, p2, &u), 0);
    CHECK_STR(str(get(&u.data, "poll"), "voted"), "0");
    msgpack_unpacked_destroy(&u);
    server_free(srv);
}

static void poll_without_change_and_close(void) {
    struct server *srv = start();
    struct session *c = crew(srv, 0);
    SEND(srv, c, "t", "s:poll.open", "id", "i:1", "question", "s:Next?", "options", "a:A|B");
    commit_all(srv, 1);
    drain(srv, c);
    struct session *p = phone(srv, 1, NULL, 0);
    struct session *q = phone(srv, 2, NULL, 0);
    SEND(srv, p, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:1");
    SEND(srv, q, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:1");
    SEND(srv, p, "t", "s:vote", "id", "i:2", "poll", "i:1", "option", "i:0");
    CHECK_STR(expect(srv, p, "ack", "code"), "already_voted");
    commit_all(srv, 1);
    drain(srv, p);
    SEND(srv, c, "t", "s:poll.close", "id", "i:2", "poll", "i:1");
    msgpack_unpacked u;
    CHECK_EQ(next(srv, c, &u), 0);                       /* the closed poll with its final counts */
    CHECK_STR(str(&u.data, "t"), "poll");
    const msgpack_object *poll = get(&u.data, "poll");
    CHECK_STR(str(poll, "open"), "false");
    CHECK_STR(str(poll, "voters"), "2");
    const msgpack_object *counts = get(poll, "counts");
    CHECK(counts && counts->type == MSGPACK_OBJECT_ARRAY && counts->via.array.size == 2);
    if (counts && counts->via.array.size == 2) CHECK_EQ(counts->via.array.ptr[1].via.u64, 2);
    msgpack_unpacked_destroy(&u);
    commit_all(srv, 1);
    CHECK_STR(expect(srv, c, "ack", "ok"), "true");
    SEND(srv, p, "t", "s:vote", "id", "i:3", "poll", "i:1", "option", "i:0");
    CHECK_STR(expect(srv, p, "ack", "code"), "poll_closed");
    SEND(srv, c, "t", "s:poll.close", "id", "i:3", "poll", "i:1");
    CHECK_STR(expect(srv, c, "ack", "code"), "poll_closed");
    /* Bad polls are refused with the field named. */
    SEND(srv, c, "t", "s:poll.open", "id", "i:4", "question", "s:  ", "options", "a:A|B");
    CHECK_STR(expect(srv, c, "ack", "msg"), "field 'question' is blank");
    SEND(srv, c, "t", "s:poll.open", "id", "i:5", "question", "s:Q", "options", "a:A|A");
    CHECK_STR(expect(srv, c, "ack", "msg"), "field 'options' has the same entry twice");
    /* Phones get the poll event with their next snapshot, not at once. */
    CHECK_STR(expect(srv, p, "poll", "t"), "(none)");
    for (int i = 0; i < 10; i++) { F.mono += 100; F.now += 100; server_tick(srv); }
    CHECK_STR(expect(srv, p, "poll", "t"), "poll");
    server_free(srv);
}

static void failed_commit_takes_the_vote_back(void) {
    struct server *srv = start();
    struct session *c = crew(srv, 0);
    SEND(srv, c, "t", "s:poll.open", "id", "i:1", "question", "s:Q", "options", "a:A|B");
    commit_all(srv, 1);
    struct session *p = phone(srv, 1, NULL, 0);
    SEND(srv, p, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:0");
    commit_all(srv, 0);
    CHECK_STR(expect(srv, p, "ack", "code"), "store_failed");
    F.full = 1;                                          /* the store queue is full */
    SEND(srv, p, "t", "s:vote", "id", "i:2", "poll", "i:1", "option", "i:1");
    CHECK_STR(expect(srv, p, "ack", "code"), "store_failed");
    F.full = 0;
    drain(srv, c);
    SEND(srv, c, "t", "s:poll.close", "id", "i:2", "poll", "i:1");
    drain(srv, p);
    msgpack_unpacked u;
    CHECK_EQ(next(srv, c, &u), 0);
    const msgpack_object *poll = get(&u.data, "poll");
    CHECK_STR(str(poll, "voters"), "0");                 /* neither vote counts */
    msgpack_unpacked_destroy(&u);
    server_free(srv);
}

static void late_ack_never_reaches_a_reused_slot(void) {
    struct server *srv = start();
    struct session *c = crew(srv, 0);
    SEND(srv, c, "t", "s:poll.open", "id", "i:1", "question", "s:Q", "options", "a:A|B");
    commit_all(srv, 1);
    struct session *p = phone(srv, 1, NULL, 0);
    uint32_t slot = p->slot, gen = p->gen;
    SEND(srv, p, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:0");
    server_closed(srv, p);                               /* gone before its commit */
    struct session *n = phone(srv, 2, NULL, 0);
    CHECK_EQ(n->slot, slot);                             /* the slot is reused ... */
    CHECK(n->gen != gen);                                /* ... by a new generation */
    commit_all(srv, 1);
    CHECK_EQ(drain(srv, n), 0);                          /* the old vote's ack is not its */
    server_free(srv);
}

static void slow_client_is_dropped(void) {
    struct server *srv = start();
    struct session *p = connect_ip(srv, 1, "10.0.0.1");
    SEND(srv, p, "t", "s:hello", "role", "s:screen", "key", "s:sk");
    struct session *c0 = crew(srv, 5);
    /* A screen that never reads: its control queue (a watcher's, larger
     * than a phone's) fills with markers and it is killed. The crew sends
     * within its crew_msgs limit (10/s): the clock moves 100 ms a marker. */
    for (int i = 0; i < SESSION_OUTQ_WATCHER_MAX + 5; i++) {
        F.mono += 100; F.now += 100;
        SEND(srv, c0, "t", "s:marker", "id", "i:1", "label", "s:Song");
        drain(srv, c0);                                  /* the crew reads its copy */
    }
    CHECK_EQ(c0->state, SS_READY);
    CHECK_EQ(F.kills, 1);
    CHECK_EQ(p->state, SS_DEAD);
    CHECK(server_pop(srv, p) == NULL);                   /* nothing more is written */
    CHECK_EQ(server_has_output(srv, p), 0);
    server_closed(srv, p);
    server_closed(srv, c0);

    /* A client that reads nothing for 10 s is killed by the tick; one that
     * drains stays. */
    struct session *slow = phone(srv, 2, NULL, 0), *fine = phone(srv, 3, NULL, 0);
    struct session *c = crew(srv, 4);
    SEND(srv, slow, "t", "s:ping", "c", "i:1");
    for (int i = 0; i < 120; i++) {
        F.mono += 100; F.now += 100;
        server_tick(srv);
        drain(srv, fine);
        server_drained(srv, fine);
        drain(srv, c);
        server_drained(srv, c);
    }
    CHECK_EQ(slow->state, SS_DEAD);
    CHECK_EQ(fine->state, SS_READY);
    CHECK_EQ(F.kills, 2);
    F.mono += 1000; F.now += 1000;
    server_tick(srv);
    CHECK_STR(expect(srv, c, "health", "dropped_slow"), "1");
    server_free(srv);
}

static void no_hello_is_closed_and_errors_are_budgeted(void) {
    struct server *srv = start();
    struct session *s = connect_ip(srv, 1, "10.0.0.1");
    struct session *t = connect_ip(srv, 2, "10.0.0.2");
    F.mono += SESSION_HELLO_MS + 1000;
    F.now += SESSION_HELLO_MS + 1000;
    server_tick(srv);
    F.now += 1000;
    F.mono += 1000;
    server_tick(srv);
    CHECK_EQ(server_drained(srv, s), WIRE_CLOSE_POLICY);
    for (int i = 0; i < SESSION_ERR_MAX; i++) server_frame(srv, t, (const uint8_t *)"x", 1, 0);
    CHECK_EQ(t->state, SS_DRAINING);
    CHECK_EQ(server_drained(srv, t), WIRE_CLOSE_POLICY);
    /* Shutting down: every connection closes with 1001, new ones are refused. */
    struct server *srv2 = start();
    struct session *p = phone(srv2, 1, NULL, 0);
    server_shutdown(srv2);
    CHECK_EQ(server_drained(srv2, p), WIRE_CLOSE_GOING_AWAY);
    CHECK(connect_ip(srv2, 2, "10.0.0.2") == NULL);
    server_free(srv2);
    server_free(srv);
}

static void reactions_are_coalesced_per_tick(void) {
    struct server *srv = start();
    struct session *p = phone(srv, 1, NULL, 0);
    for (int i = 0; i < 10; i++) SEND(srv, p, "t", "s:react", "kind", "s:fire", "n", "i:3");
    SEND(srv, p, "t", "s:react", "kind", "s:heart", "n", "i:1");
    SEND(srv, p, "t", "s:react", "id", "i:4", "kind", "s:nope", "n", "i:1");
    CHECK_STR(expect(srv, p, "ack", "code"), "bad_field");
    CHECK_EQ(count_recs(REC_REACT), 0);
    F.mono += 100; F.now += 100;
    server_tick(srv);
    CHECK_EQ(count_recs(REC_REACT), 2);                  /* one row per kind */
    int fire = 0;
    for (int i = 0; i < F.nrecs; i++)
        if (F.recs[i].type == REC_REACT && F.recs[i].kind == 1) fire = F.recs[i].c;
    CHECK_EQ(fire, 30);
    SEND(srv, p, "t", "s:react", "kind", "s:fire", "n", "i:2");
    server_closed(srv, p);                               /* taps pending at close are stored */
    CHECK_EQ(count_recs(REC_REACT), 3);
    CHECK_EQ(count_recs(REC_SESSION_END), 1);
    server_free(srv);
}

static void moderation_in_the_server(void) {
    struct server *srv = start();
    struct session *c = crew(srv, 0);
    struct session *scr = connect_ip(srv, 1, "10.0.0.1");
    SEND(srv, scr, "t", "s:hello", "role", "s:screen", "key", "s:sk");
    drain(srv, scr);
    struct session *p = phone(srv, 2, NULL, 0);
    SEND(srv, p, "t", "s:chant", "id", "i:1", "text", "s:f u c k");
    CHECK_STR(expect(srv, p, "ack", "code"), "blocked");
    CHECK_EQ(count_recs(REC_MOD), 1);                    /* the audit row */
    CHECK_EQ(count_recs(REC_CHANT), 0);
    SEND(srv, c, "t", "s:mod", "id", "i:2", "action", "s:mode", "mode", "s:approve");
    commit_all(srv, 1);
    CHECK_STR(expect(srv, c, "ack", "ok"), "true");
    SEND(srv, p, "t", "s:chant", "id", "i:3", "text", "s:Encore");
    CHECK_STR(expect(srv, p, "ack", "held"), "true");
    F.mono += 100; F.now += 100;
    server_tick(srv);
    msgpack_unpacked u;
    CHECK_EQ(next(srv, scr, &u), 0);                     /* the screen's snapshot: nothing shown */
    const msgpack_object *ch = get(&u.data, "chants");
    CHECK(ch && ch->type == MSGPACK_OBJECT_ARRAY && ch->via.array.size == 0);
    CHECK_STR(str(&u.data, "chant_mode"), "approve");
    msgpack_unpacked_destroy(&u);
    SEND(srv, c, "t", "s:mod", "id", "i:4", "action", "s:approve", "text", "s:ENCORE");
    F.mono += 100; F.now += 100;
    server_tick(srv);
    CHECK_EQ(next(srv, scr, &u), 0);
    ch = get(&u.data, "chants");
    CHECK(ch && ch->type == MSGPACK_OBJECT_ARRAY && ch->via.array.size == 1);
    msgpack_unpacked_destroy(&u);
    /* Ban: the phone is closed with 4003, and its token is refused. */
    SEND(srv, c, "t", "s:mod", "id", "i:5", "action", "s:ban", "device", "i:1");
    CHECK_EQ(server_drained(srv, p), WIRE_CLOSE_BANNED);
    SEND(srv, c, "t", "s:mod", "id", "i:6", "action", "s:ban", "device", "i:77");
    CHECK_STR(expect(srv, c, "ack", "code"), "unknown_device");
    SEND(srv, c, "t", "s:mod", "id", "i:7", "action", "s:mode", "mode", "s:off");
    struct session *q = phone(srv, 3, NULL, 0);
    SEND(srv, q, "t", "s:chant", "id", "i:8", "text", "s:hi");
    CHECK_STR(expect(srv, q, "ack", "code"), "chants_off");
    server_free(srv);
}

/* A poll without changes, in a cluster, while this hub's reader of the vote
 * stream lags (as after a NATS server died): a phone's own vote, re-sent
 * after its ack, is acked again at once, not refused; another hub's phone
 * whose vote the stream has but the tally has not yet is told to retry,
 * not "already voted"; once the tally knows, the same vote is a re-send
 * and another choice is refused. Nothing is counted twice. */
static void cluster_resend_while_the_tally_lags(void) {
    struct server *srv = start_cluster();
    struct session *c = crew(srv, 0);
    SEND(srv, c, "t", "s:poll.open", "id", "i:1", "question", "s:Next?", "options", "a:A|B");
    CHECK(NATS.ctl_len > 0);
    server_cluster_ctl(srv, 1, NATS.ctl_from, NATS.ctl, NATS.ctl_len);   /* the control stream applies it */
    commit_all(srv, 1);
    drain(srv, c);
    struct session *p = phone(srv, 1, NULL, 0);
    SEND(srv, p, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:1", "cid", "i:77");
    CHECK_EQ(NATS.votes_published, 1);
    CHECK_EQ(NATS.only_first, 1);
    server_cluster_vote_acked(srv, NATS.vote_from, 1, 0);   /* the stream took it */
    commit_all(srv, 1);
    CHECK_STR(expect(srv, p, "ack", "ok"), "true");
    int64_t pdev = NATS.vote_device;
    /* The ack was lost on the way: the phone sends the same vote again,
     * before the stream's echo reached this hub's tally. */
    SEND(srv, p, "t", "s:vote", "id", "i:2", "poll", "i:1", "option", "i:1", "cid", "i:77");
    CHECK_STR(expect(srv, p, "ack", "ok"), "true");
    CHECK_EQ(NATS.votes_published, 1);                       /* known here: not published again */
    /* Another choice is refused here, without asking the stream. */
    SEND(srv, p, "t", "s:vote", "id", "i:3", "poll", "i:1", "option", "i:0", "cid", "i:78");
    CHECK_STR(expect(srv, p, "ack", "code"), "already_voted");

    /* A phone that voted on another hub, which went down: the stream has its
     * vote (conflict), this hub's tally not yet. */
    struct session *q = phone(srv, 2, NULL, 0);
    SEND(srv, q, "t", "s:vote", "id", "i:1", "poll", "i:1", "option", "i:0", "cid", "i:90");
    CHECK_EQ(NATS.votes_published, 2);
    int64_t qdev = NATS.vote_device;
    server_cluster_vote_acked(srv, NATS.vote_from, 0, 1);
    CHECK_STR(expect(srv, q, "ack", "code"), "store_failed");   /* retry: not known here yet */
    /* The echoes arrive: q's vote (from the other hub) and p's own. */
    server_cluster_vote(srv, 1, qdev, 0);
    server_cluster_vote(srv, 1, pdev, 1);
    SEND(srv, q, "t", "s:vote", "id", "i:2", "poll", "i:1", "option", "i:0", "cid", "i:90");
    CHECK_STR(expect(srv, q, "ack", "ok"), "true");           /* the same vote: a re-send, known here now */
    CHECK_EQ(NATS.votes_published, 2);
    SEND(srv, q, "t", "s:vote", "id", "i:3", "poll", "i:1", "option", "i:1", "cid", "i:91");
    CHECK_STR(expect(srv, q, "ack", "code"), "already_voted");
    /* Counted once each: A 1, B 1. */
    SEND(srv, c, "t", "s:poll.close", "id", "i:2", "poll", "i:1");
    server_cluster_ctl(srv, 2, NATS.ctl_from, NATS.ctl, NATS.ctl_len);
    msgpack_unpacked u;
    int found = 0;
    while (!found && next(srv, c, &u) == 0) {
        const msgpack_object *poll = get(&u.data, "poll");
        if (!strcmp(str(&u.data, "t"), "poll") && !strcmp(str(poll, "open"), "false")) {
            found = 1;
            CHECK_STR(str(poll, "voters"), "2");
            const msgpack_object *counts = get(poll, "counts");
            CHECK(counts && counts->type == MSGPACK_OBJECT_ARRAY && counts->via.array.size == 2);
            if (counts && counts->via.array.size == 2) {
                CHECK_EQ(counts->via.array.ptr[0].via.u64, 1);
                CHECK_EQ(counts->via.array.ptr[1].via.u64, 1);
            }
        }
        msgpack_unpacked_destroy(&u);
    }
    CHECK(found);
    server_free(srv);
}

int main(void) {
    write_event();
    TEST(hello_each_role);
    TEST(returning_device_replaces_its_old_connection);
    TEST(new_devices_per_address_are_limited);
    TEST(votes_are_acked_after_commit_and_change);
    TEST(poll_without_change_and_close);
    TEST(failed_commit_takes_the_vote_back);
    TEST(late_ack_never_reaches_a_reused_slot);
    TEST(slow_client_is_dropped);
    TEST(no_hello_is_closed_and_errors_are_budgeted);
    TEST(reactions_are_coalesced_per_tick);
    TEST(moderation_in_the_server);
    TEST(cluster_resend_while_the_tally_lags);
    release_kept();
    event_def_free(EV);
    unlink(evpath);
    return T_DONE();
}
