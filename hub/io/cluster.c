/* cluster.c -- NATS for a cluster of hubs (see cluster.h).
 *
 * The one file that includes nats/adapters/libevent.h (it defines
 * non-static functions). Threads: cluster_setup runs before the loop on a
 * plain connection (blocking calls are fine there); at run time the
 * connection's sockets are served by the loop (the adapter), while libnats
 * runs message and connection callbacks on its own threads: those only
 * touch `mu`, the inbox and `up`, and wake the loop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>   /* first: the adapter's <event.h> finds hub/core/event.h on our path */
#include <event2/thread.h>
#include <nats/nats.h>
#include <nats/adapters/libevent.h>
#include "cluster.h"
#include "log.h"
#include "peers.h"

#define SETUP_TIMEOUT_MS 3000

/* What libnats's threads hand the loop. */
enum item_kind { IT_NONE, IT_PART, IT_CTL, IT_VOTE, IT_VOTE_ACK, IT_CTL_ACK };
struct item {
    enum item_kind kind;
    int ok, conflict, option;   /* acks; a vote's option */
    uint64_t seq;               /* IT_CTL: stream seq; IT_VOTE: the poll */
    int64_t device;             /* IT_VOTE */
    char from[160];             /* IT_CTL, acks: the Chorus-From header */
    uint32_t len;
    uint8_t *data;              /* IT_PART, IT_CTL (malloc'd) */
};

struct cluster {
    struct server *srv;
    natsConnection *nc;
    natsSubscription *sub, *ctl_sub, *vote_sub;
    jsCtx *js;
    struct net_waker *waker;
    char subj[96], ctl_subj[96], vote_prefix[96], kv_part[128], code[64];
    uint64_t ctl_from;          /* the first control seq this hub has not applied */
    pthread_t thread;           /* subscriber(): the streams' subscriptions */
    int thread_started;
    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t room;        /* the inbox has room again */
    struct item inbox[CLUSTER_INBOX];
    int head, count, stopping;
    int up, up_seen;            /* link: as libnats says, as the loop last passed on (-1 never) */
    int64_t inflight;           /* published to a stream, no answer yet (<= CLUSTER_INFLIGHT) */
    int64_t kept_ms;            /* when this hub's part was last kept in the bucket (loop thread) */
    uint64_t applied;           /* the control seq the loop applied last (the vote subscription waits for it) */
    int64_t sent, received, dropped, send_failed;
};

/* --- URLs -------------------------------------------------------------------- */

/* "nats://a,nats://b" -> the servers of o (libnats's SetURL does not split). */
static natsStatus set_servers(natsOptions *o, const char *url) {
    char buf[1024];
    const char *list[16];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", url);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t && n < 16; t = strtok_r(NULL, ", ", &save))
        list[n++] = t;
    if (n == 0) return NATS_INVALID_ARG;
    return natsOptions_SetServers(o, list, n);
}

/* --- setup (before the loop) ------------------------------------------------ */

static void hex(const uint8_t *b, size_t n, char *out) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) { out[2 * i] = d[b[i] >> 4]; out[2 * i + 1] = d[b[i] & 15]; }
    out[2 * n] = 0;
}

static int unhex(const char *s, size_t len, uint8_t *out, size_t n) {
    if (len != 2 * n) return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0) return -1;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
    }
    return 0;
}

/* <db>.hub: "hub=N\nsecret=HEX\n", mode 0600 (it holds the token secret). */
static int cache_read(const char *db, int *hub, uint8_t *secret) {
    char path[1024], line[256], sec[2 * AUTH_SECRET_LEN + 2] = "";
    snprintf(path, sizeof path, "%s.hub", db);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int h = -1;
    while (fgets(line, sizeof line, f)) {
        int64_t v;
        if (!strncmp(line, "hub=", 4) && util_ints(line + 4, '\n', &v, 1) == 1 && v >= 0 && v < PEERS_MAX) h = (int)v;
        else if (!strncmp(line, "secret=", 7)) snprintf(sec, sizeof sec, "%.*s", (int)strcspn(line + 7, "\r\n"), line + 7);
    }
    fclose(f);
    if (h < 0 || h >= PEERS_MAX) return -1;
    *hub = h;
    return secret ? unhex(sec, strlen(sec), secret, AUTH_SECRET_LEN) : 0;
}

static int cache_write(const char *db, int hub, const uint8_t *secret, char *err, size_t errlen) {
    char path[1024], tmp[1040], hx[2 * AUTH_SECRET_LEN + 1];
    snprintf(path, sizeof path, "%s.hub", db);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hex(secret, AUTH_SECRET_LEN, hx);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fprintf(f, "hub=%d\nsecret=%s\n", hub, hx) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The event's bucket: bound if it exists, else created (replicated on a
 * NATS cluster, one copy on a single server). */
static natsStatus bucket(jsCtx *js, const char *name, kvStore **kv) {
    natsStatus s = js_KeyValue(kv, js, name);
    if (s != NATS_NOT_FOUND) return s;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.StorageType = js_FileStorage;
    kc.Replicas = 3;
    s = js_CreateKeyValue(kv, js, &kc);
    const char *why = s == NATS_OK ? NULL : nats_GetLastError(NULL);
    if (s == NATS_OK || !why || !strstr(why, "not supported in non-clustered mode")) return s;
    kc.Replicas = 1;   /* a single server (a cluster missing a server keeps the error) */
    return js_CreateKeyValue(kv, js, &kc);
}

/* The event's two streams (file storage; replicated on a NATS cluster):
 * the crew's control messages in one order for every hub, and the votes,
 * the latest per device and poll (subject ...vote.<poll>.<device>). */
static natsStatus add_stream(jsCtx *js, const char *name, const char *subject, int64_t per_subject) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {subject};
    sc.Name = name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.MaxMsgsPerSubject = per_subject;
    sc.Replicas = 3;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(NULL, js, &sc, NULL, &jerr);
    /* One copy only on a single server: a cluster that can not place three
     * now (a server down) must not silently get an unreplicated event. */
    if (s == NATS_OK || jerr != JSStreamReplicasNotSupportedErr) return s;
    sc.Replicas = 1;
    return js_AddStream(NULL, js, &sc, NULL, &jerr);
}

static natsStatus streams(jsCtx *js, const char *code) {
    char name[96], subj[96];
    snprintf(name, sizeof name, "CHORUS_%s_CTL", code);
    snprintf(subj, sizeof subj, "chorus.%s.ctl", code);
    natsStatus s = add_stream(js, name, subj, 0);
    if (s != NATS_OK) return s;
    snprintf(name, sizeof name, "CHORUS_%s_VOTES", code);
    snprintf(subj, sizeof subj, "chorus.%s.vote.>", code);
    return add_stream(js, name, subj, 1);
}

void cluster_where(const char *db, char *out, size_t n) {
    char host[128] = "?";
    gethostname(host, sizeof host - 1);
    char *real = realpath(db, NULL);   /* the library sizes it (a fixed buffer must be PATH_MAX) */
    int len = snprintf(out, n, "%s:%s", host, real ? real : db);
    free(real);
    /* Too long to say whole: say nothing rather than a wrong path. */
    if (len < 0 || (size_t)len >= n) snprintf(out, n, "%s", "");
}

/* The revision of part.<n> in the bucket, 0 when there is none; its age
 * in *age_ms. */
static uint64_t part_rev(kvStore *kv, const char *key, int64_t *age_ms) {
    kvEntry *e = NULL;
    if (kvStore_Get(&e, kv, key) != NATS_OK) return 0;
    uint64_t rev = kvEntry_Revision(e);
    if (age_ms) *age_ms = (nats_NowInNanoSeconds() - kvEntry_Created(e)) / 1000000;
    kvEntry_Destroy(e);
    return rev;
}

/* Whether a hub holding id n runs now: its part is kept in the bucket once
 * a second (part.<n>), so a part older than CLUSTER_LIVE_MS, or one that
 * neither changes nor appears within that (a hub that just started has
 * none yet), is a hub that stopped or died. Waits up to CLUSTER_LIVE_MS
 * unless the part is old. */
static int running(kvStore *kv, int n) {
    char key[32];
    snprintf(key, sizeof key, "part.%d", n);
    int64_t age_ms = 0;
    uint64_t rev = part_rev(kv, key, &age_ms);
    if (rev && age_ms > CLUSTER_LIVE_MS) return 0;
    for (int waited = 0; waited < CLUSTER_LIVE_MS; waited += 250) {
        usleep(250 * 1000);
        uint64_t now = part_rev(kv, key, NULL);
        if (now && now != rev) return 1;
    }
    return 0;
}

/* Claim hub.<id> (or check that the cached id is this database's). */
static int claim(kvStore *kv, const char *db, int cached, int *hub, char *err, size_t errlen) {
    char me[1100], key[32];
    cluster_where(db, me, sizeof me);
    for (int n = cached >= 0 ? cached : 0; n < PEERS_MAX; n++) {
        snprintf(key, sizeof key, "hub.%d", n);
        uint64_t rev = 0;
        natsStatus cs = kvStore_Create(&rev, kv, key, me, (int)strlen(me));
        if (cs == NATS_OK) { *hub = n; return 0; }
        char why[256];
        const char *last = nats_GetLastError(NULL);
        snprintf(why, sizeof why, "%s", last && *last ? last : natsStatus_GetText(cs));
        kvEntry *e = NULL;
        natsStatus gs = kvStore_Get(&e, kv, key);
        if (gs == NATS_NOT_FOUND) {
            /* Free, yet not taken: NATS refused to store (full, no leader). */
            snprintf(err, errlen, "cluster: NATS did not store this hub's id (hub.%d): %s (is its store full, or a"
                     " majority of its servers down?)", n, why);
            return -1;
        }
        if (gs != NATS_OK) continue;
        int mine = kvEntry_ValueLen(e) == (int)strlen(me) && !memcmp(kvEntry_Value(e), me, strlen(me));
        char other[1100];
        snprintf(other, sizeof other, "%.*s", kvEntry_ValueLen(e), (const char *)kvEntry_Value(e));
        kvEntry_Destroy(e);
        if (mine) {
            /* The same host and path: this database's own id (a restart),
             * unless a hub holding it runs right now. That is another
             * machine with the same host name and the same path, which must
             * not run as a second hub n (one id, two crowds). */
            if (running(kv, n)) {
                snprintf(err, errlen, "hub id %d is held by a running hub at %s: another machine with the same host name"
                         " and the same --db path? Give each hub its own host name or --db path", n, other);
                return -1;
            }
            *hub = n;
            return 0;
        }
        if (cached >= 0) {
            snprintf(err, errlen, "hub id %d (from %s.hub) belongs to %s in this cluster: each hub needs its own --db", n, db,
                     other);
            return -1;
        }
    }
    snprintf(err, errlen, "the cluster has no free hub id (at most %d hubs)", PEERS_MAX);
    return -1;
}

/* Every hub's part kept in the bucket (part.<hub>). */
static void read_kept(kvStore *kv, struct cluster_kept *kept) {
    kvKeysList list = {0};
    if (kvStore_Keys(&list, kv, NULL) != NATS_OK) return;
    for (int i = 0; i < list.Count && kept->n < PEERS_MAX; i++) {
        if (strncmp(list.Keys[i], "part.", 5)) continue;
        kvEntry *e = NULL;
        if (kvStore_Get(&e, kv, list.Keys[i]) != NATS_OK) continue;
        int n = kvEntry_ValueLen(e);
        uint8_t *d = n > 0 && n <= CLUSTER_PART_MAX ? malloc((size_t)n) : NULL;
        if (d) {
            memcpy(d, kvEntry_Value(e), (size_t)n);
            kept->data[kept->n] = d;
            kept->len[kept->n++] = (uint32_t)n;
        }
        kvEntry_Destroy(e);
    }
    kvKeysList_Destroy(&list);
}

void cluster_kept_free(struct cluster_kept *kept) {
    for (int i = 0; i < kept->n; i++) free(kept->data[i]);
    kept->n = 0;
}

int cluster_setup(const char *url, const char *code, const char *db_path, const uint8_t local[AUTH_SECRET_LEN],
                  int *hub_id, uint8_t secret[AUTH_SECRET_LEN], struct cluster_kept *kept, char *err, size_t errlen) {
    int cached = -1;
    uint8_t cached_secret[AUTH_SECRET_LEN];
    int have_cache = cache_read(db_path, &cached, cached_secret) == 0;
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    int rc = -1;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = set_servers(o, url);
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, SETUP_TIMEOUT_MS);
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(o, false);
    if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
    if (s != NATS_OK) {
        if (have_cache) {
            log_warn("NATS is not reachable: starting with the cached hub id and secret", "url=%s hub=%d status=%s",
                     log_q(url), cached, log_q(natsStatus_GetText(s)));
            *hub_id = cached;
            memcpy(secret, cached_secret, AUTH_SECRET_LEN);
            rc = 0;
        } else {
            snprintf(err, errlen, "cluster: cannot reach NATS at %s (%s)", url, natsStatus_GetText(s));
        }
        goto out;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    char name[64];
    snprintf(name, sizeof name, "chorus_%s", code);
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK || (s = bucket(js, name, &kv)) != NATS_OK) {
        snprintf(err, errlen, "cluster: JetStream key-value bucket %s: %s (is nats-server started with -js?)", name,
                 natsStatus_GetText(s));
        goto out;
    }
    if ((s = streams(js, code)) != NATS_OK) {
        snprintf(err, errlen, "cluster: JetStream streams of %s: %s", code, natsStatus_GetText(s));
        goto out;
    }
    if (claim(kv, db_path, cached, hub_id, err, errlen) < 0) goto out;
    /* A hub that was in this event before offers the event's secret it
     * kept (NATS's store may have been wiped), so its phones' tokens stay
     * valid; a new hub offers its own. */
    const uint8_t *offer = have_cache ? cached_secret : local;
    char hx[2 * AUTH_SECRET_LEN + 1];
    hex(offer, AUTH_SECRET_LEN, hx);
    uint64_t rev = 0;
    if (kvStore_Create(&rev, kv, "secret", hx, (int)strlen(hx)) == NATS_OK) {
        memcpy(secret, offer, AUTH_SECRET_LEN);   /* the first hub's secret is the event's */
    } else {
        kvEntry *e = NULL;
        if ((s = kvStore_Get(&e, kv, "secret")) != NATS_OK) {
            snprintf(err, errlen, "cluster: cannot read the event's token secret: %s", natsStatus_GetText(s));
            goto out;
        }
        int bad = unhex((const char *)kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), secret, AUTH_SECRET_LEN) < 0;
        kvEntry_Destroy(e);
        if (bad) { snprintf(err, errlen, "cluster: the event's token secret in NATS is malformed"); goto out; }
    }
    read_kept(kv, kept);
    rc = cache_write(db_path, *hub_id, secret, err, errlen);
out:
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    if (nc) { natsConnection_Close(nc); natsConnection_Destroy(nc); }
    natsOptions_Destroy(o);
    return rc;
}

/* --- run time (on the loop) ------------------------------------------------- */

static void push(struct cluster *c, const struct item *it) {
    pthread_mutex_lock(&c->mu);
    if (c->count == CLUSTER_INBOX) {
        /* Full. A part is dropped (its hub's next part repairs it); the
         * others wait, so a slow loop slows libnats's delivery threads
         * rather than losing a vote or a crew message. */
        if (it->kind == IT_PART) {
            c->dropped++;
            pthread_mutex_unlock(&c->mu);
            free(it->data);
            return;
        }
        while (c->count == CLUSTER_INBOX && !c->stopping) pthread_cond_wait(&c->room, &c->mu);
        if (c->stopping) {
            pthread_mutex_unlock(&c->mu);
            free(it->data);
            return;
        }
    }
    c->inbox[(c->head + c->count) % CLUSTER_INBOX] = *it;
    c->count++;
    c->received++;
    pthread_mutex_unlock(&c->mu);
    net_wake(c->waker);
}

static void set_up(struct cluster *c, int up) {
    pthread_mutex_lock(&c->mu);
    c->up = up;
    pthread_mutex_unlock(&c->mu);
    net_wake(c->waker);
}

static void on_connected(natsConnection *nc, void *arg) { (void)nc; set_up(arg, 1); }
static void on_disconnected(natsConnection *nc, void *arg) { (void)nc; set_up(arg, 0); }

/* What libnats finds wrong on its own threads: a stream reader that missed
 * its heartbeats (its NATS server died; libnats makes it again), or could not
 * be made again yet, or a subscription that fell behind. The operator reads
 * it here; the repair is libnats's. */
static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *arg) {
    (void)nc;
    struct cluster *c = arg;
    pthread_mutex_lock(&c->mu);
    const char *what = !sub ? "connection" : sub == c->vote_sub ? "vote stream reader"
                     : sub == c->ctl_sub ? "crew stream reader" : sub == c->sub ? "parts" : "subscription";
    int stopping = c->stopping;
    pthread_mutex_unlock(&c->mu);
    if (stopping) return;   /* closing: "Connection Closed" is no news */
    if (err == NATS_MISSED_HEARTBEAT)
        log_warn("cluster: a stream reader hears nothing from NATS (its server died, or the link); libnats makes it again",
                 "reader=%s", log_q(what));
    else {
        /* libnats sets its text (if any) as this thread's last error just
         * before the call; an older text of another status is not it. */
        natsStatus last = NATS_OK;
        const char *text = nats_GetLastError(&last);
        log_warn("cluster: NATS reported a problem on its own thread", "on=%s status=%s error=%s", log_q(what),
                 log_q(natsStatus_GetText(err)), log_q(text && last == err ? text : ""));
    }
}

static uint8_t *copy_data(natsMsg *msg, uint32_t *len) {
    int n = natsMsg_GetDataLength(msg);
    uint8_t *d = n >= 0 && n <= CLUSTER_PART_MAX ? malloc((size_t)n + 1) : NULL;
    if (d) {
        if (n) memcpy(d, natsMsg_GetData(msg), (size_t)n);
        d[n] = 0;
        *len = (uint32_t)n;
    }
    return d;
}

static void copy_from(natsMsg *msg, char *out, size_t n) {
    const char *v = NULL;
    out[0] = 0;
    if (natsMsgHeader_Get(msg, "Chorus-From", &v) == NATS_OK && v) snprintf(out, n, "%s", v);
}

/* A part from a hub (a libnats thread). */
static void on_part(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg) {
    (void)nc;
    (void)sub;
    struct item it = {.kind = IT_PART};
    it.data = copy_data(msg, &it.len);
    natsMsg_Destroy(msg);
    if (it.data) push(arg, &it);
}

/* A control message, in the stream's order (a libnats thread). */
static void on_ctl(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg) {
    (void)nc;
    (void)sub;
    struct item it = {.kind = IT_CTL};
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, msg) == NATS_OK) {
        it.seq = md->Sequence.Stream;
        jsMsgMetaData_Destroy(md);
    }
    copy_from(msg, it.from, sizeof it.from);
    it.data = copy_data(msg, &it.len);
    natsMsg_Destroy(msg);
    if (it.data && it.seq) push(arg, &it);
    else free(it.data);
}

/* A vote: subject chorus.<CODE>.vote.<poll>.<device>, data the option. */
static void on_vote(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg) {
    (void)nc;
    (void)sub;
    struct cluster *c = arg;
    const char *subj = natsMsg_GetSubject(msg);
    size_t pl = strlen(c->vote_prefix);
    int64_t pd[2], option = -1;
    int n = natsMsg_GetDataLength(msg);
    char data[8] = "";
    if (n > 0 && n < (int)sizeof data) memcpy(data, natsMsg_GetData(msg), (size_t)n);
    int ok = subj && !strncmp(subj, c->vote_prefix, pl) && util_ints(subj + pl, '.', pd, 2) == 2 &&
             util_ints(data, 0, &option, 1) == 1 && pd[0] > 0 && pd[1] > 0 && option >= 0 && option < 64;
    natsMsg_Destroy(msg);
    if (!ok) return;
    struct item it = {.kind = IT_VOTE, .seq = (uint64_t)pd[0], .device = pd[1], .option = (int)option};
    push(c, &it);
}

/* The outcome of a control message or a vote this hub published. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg) {
    (void)js;
    struct cluster *c = arg;
    const char *subj = natsMsg_GetSubject(msg);
    if (!pa && pae && pae->ErrCode != JSStreamWrongLastSequenceErr)
        /* Why NATS did not store it (full, no leader, no answer): the crew
         * only sees store_failed, the operator reads the reason here. */
        log_warn("NATS did not store a message of the event (votes and crew changes get store_failed)",
                 "what=%s status=%s code=%d error=%s",
                 log_q(subj && !strncmp(subj, "$KV.", 4) ? "kept part" : subj && !strcmp(subj, c->ctl_subj) ? "crew change" : "vote"),
                 log_q(natsStatus_GetText(pae->Err)), (int)pae->ErrCode, log_q(pae->ErrText ? pae->ErrText : ""));
    if (subj && !strncmp(subj, "$KV.", 4)) {   /* this hub's part kept in the bucket: nobody waits for it */
        natsMsg_Destroy(msg);
        pthread_mutex_lock(&c->mu);
        c->inflight--;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    struct item it = {.kind = subj && !strcmp(subj, c->ctl_subj) ? IT_CTL_ACK : IT_VOTE_ACK};
    it.ok = pa != NULL;
    it.conflict = !pa && pae && pae->ErrCode == JSStreamWrongLastSequenceErr;
    copy_from(msg, it.from, sizeof it.from);
    natsMsg_Destroy(msg);
    pthread_mutex_lock(&c->mu);
    c->inflight--;
    pthread_mutex_unlock(&c->mu);
    if (it.kind == IT_CTL_ACK && it.ok) return;   /* acked when this hub applies it */
    push(c, &it);
}

/* The loop: pass what came on to the server, in order. */
static void drain(void *arg) {
    struct cluster *c = arg;
    for (int n = 0; n < 4 * CLUSTER_INBOX; n++) {   /* bounded per wake-up: the loop has other work */
        pthread_mutex_lock(&c->mu);
        int up = c->up, changed = up != c->up_seen;
        c->up_seen = up;
        struct item it = {.kind = IT_NONE};
        if (c->count) {
            it = c->inbox[c->head];
            c->head = (c->head + 1) % CLUSTER_INBOX;
            c->count--;
            pthread_cond_signal(&c->room);
        }
        pthread_mutex_unlock(&c->mu);
        if (changed) server_cluster_link(c->srv, up);
        switch (it.kind) {
        case IT_NONE: return;
        case IT_PART: server_cluster_part(c->srv, it.data, it.len); break;
        case IT_CTL:
            server_cluster_ctl(c->srv, it.seq, it.from, it.data, it.len);
            pthread_mutex_lock(&c->mu);
            c->applied = it.seq;
            pthread_mutex_unlock(&c->mu);
            break;
        case IT_VOTE: server_cluster_vote(c->srv, (int64_t)it.seq, it.device, it.option); break;
        case IT_VOTE_ACK: server_cluster_vote_acked(c->srv, it.from, it.ok, it.conflict); break;
        case IT_CTL_ACK: server_cluster_ctl_failed(c->srv, it.from); break;
        }
        free(it.data);
    }
    net_wake(c->waker);   /* more waiting: after the loop's other work */
}

/* The stream subscriptions are blocking calls (they create consumers):
 * made from this thread once the loop runs, retried until NATS answers. */
static void *subscriber(void *arg) {
    struct cluster *c = arg;
    char subj[128];
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stopping;
        pthread_mutex_unlock(&c->mu);
        if (stop) break;
        natsStatus s = NATS_OK;
        jsErrCode jerr = 0;
        if (!c->ctl_sub) {
            jsSubOptions so;
            jsSubOptions_Init(&so);
            so.Ordered = true;
            so.Config.Heartbeat = (int64_t)CLUSTER_READER_HB_MS * 1000000;
            if (c->ctl_from > 1) {
                so.Config.DeliverPolicy = js_DeliverByStartSequence;
                so.Config.OptStartSeq = c->ctl_from;
            }
            natsSubscription *sub = NULL;
            s = js_Subscribe(&sub, c->js, c->ctl_subj, on_ctl, c, NULL, &so, &jerr);
            pthread_mutex_lock(&c->mu);
            c->ctl_sub = sub;
            pthread_mutex_unlock(&c->mu);
        }
        if (s == NATS_OK && !c->vote_sub) {
            /* Votes once the polls they are for are open here: the control
             * messages in the stream now are applied first (a restart's
             * catch-up), then the votes stream replays every latest vote. */
            char name[96];
            snprintf(name, sizeof name, "CHORUS_%s_CTL", c->code);
            jsStreamInfo *si = NULL;
            uint64_t last = 0;
            if (js_GetStreamInfo(&si, c->js, name, NULL, &jerr) == NATS_OK) last = si->State.LastSeq;
            jsStreamInfo_Destroy(si);
            for (int waited = 0; waited < 30000; waited += 20) {
                pthread_mutex_lock(&c->mu);
                int ready = c->applied >= last || c->stopping;
                pthread_mutex_unlock(&c->mu);
                if (ready) break;
                usleep(20 * 1000);
            }
            jsSubOptions so;
            jsSubOptions_Init(&so);
            so.Ordered = true;
            so.Config.Heartbeat = (int64_t)CLUSTER_READER_HB_MS * 1000000;
            so.Config.DeliverPolicy = js_DeliverLastPerSubject;   /* every device's latest vote, then live */
            snprintf(subj, sizeof subj, "%s>", c->vote_prefix);
            natsSubscription *sub = NULL;
            s = js_Subscribe(&sub, c->js, subj, on_vote, c, NULL, &so, &jerr);
            pthread_mutex_lock(&c->mu);
            c->vote_sub = sub;
            pthread_mutex_unlock(&c->mu);
        }
        if (s == NATS_OK) break;
        log_warn("cluster: the streams are not reachable yet; retrying", "status=%s jerr=%d",
                 log_q(natsStatus_GetText(s)), (int)jerr);
        sleep(1);
    }
    nats_ReleaseThreadMemory();
    return NULL;
}

struct cluster *cluster_new(struct net *net, struct server *srv, const char *url, const char *code, int hub_id,
                            char *err, size_t errlen) {
    struct cluster *c = calloc(1, sizeof *c);
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    c->srv = srv;
    c->up_seen = -1;
    c->ctl_from = server_cluster_ctl_seq(srv) + 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->room, NULL);
    snprintf(c->subj, sizeof c->subj, "chorus.%s.part", code);
    snprintf(c->ctl_subj, sizeof c->ctl_subj, "chorus.%s.ctl", code);
    snprintf(c->vote_prefix, sizeof c->vote_prefix, "chorus.%s.vote.", code);
    snprintf(c->kv_part, sizeof c->kv_part, "$KV.chorus_%s.part.%d", code, hub_id);
    snprintf(c->code, sizeof c->code, "%s", code);
    c->applied = c->ctl_from - 1;
    char name[32];
    snprintf(name, sizeof name, "chorus-hub-%d", hub_id);
    natsOptions *o = NULL;
    natsStatus s = (c->waker = net_waker_new(net, drain, c)) ? natsOptions_Create(&o) : NATS_NO_MEMORY;
    if (s == NATS_OK) s = set_servers(o, url);
    if (s == NATS_OK) s = natsOptions_SetName(o, name);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);        /* forever */
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 250);
    /* A silent cut (a cable, a firewall) is noticed within ~6 s, not minutes. */
    if (s == NATS_OK) s = natsOptions_SetPingInterval(o, 2000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(o, 2);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, c);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, on_disconnected, c);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, on_connected, c);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(o, on_async_error, c);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(o, (void *)net_base(net), natsLibevent_Attach, natsLibevent_Read,
                                     natsLibevent_Write, natsLibevent_Detach);
    if (s == NATS_OK) {
        s = natsConnection_Connect(&c->nc, o);
        if (s == NATS_OK) set_up(c, 1);                 /* connected at once: no callback comes */
        else if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK, set_up(c, 0);
    }
    if (s == NATS_OK) s = natsConnection_Subscribe(&c->sub, c->nc, c->subj, on_part, c);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 2000;                                    /* a vote waits at most this for the stream */
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = c;
    if (s == NATS_OK) s = natsConnection_JetStream(&c->js, c->nc, &jo);
    natsOptions_Destroy(o);
    if (s == NATS_OK) {
        if (pthread_create(&c->thread, NULL, subscriber, c) != 0) s = NATS_SYS_ERROR;
        else c->thread_started = 1;
    }
    if (s != NATS_OK) {
        snprintf(err, errlen, "cluster: NATS at %s: %s", url, natsStatus_GetText(s));
        cluster_free(c);
        return NULL;
    }
    return c;
}

void cluster_publish_part(void *arg, struct msg *m) {
    struct cluster *c = arg;
    /* Only while connected: a part parked for a reconnection is stale. */
    if (natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED &&
        natsConnection_Publish(c->nc, c->subj, msg_payload(m), (int)m->len) == NATS_OK) {
        c->sent++;
        /* Once a second it is also kept in the event's bucket (part.<hub>):
         * a hub that starts after this one died still adds its totals. */
        int64_t now = util_mono_ms();
        if (now - c->kept_ms >= 1000) {
            c->kept_ms = now;
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MaxWait = CLUSTER_ACK_WAIT_MS;
            pthread_mutex_lock(&c->mu);
            int room = c->inflight < CLUSTER_INFLIGHT;
            if (room) c->inflight++;
            pthread_mutex_unlock(&c->mu);
            if (room && js_PublishAsync(c->js, c->kv_part, msg_payload(m), (int)m->len, &po) != NATS_OK) {
                pthread_mutex_lock(&c->mu);
                c->inflight--;
                pthread_mutex_unlock(&c->mu);
            }
        }
    } else {
        c->send_failed++;
    }
    msg_unref(m);
}

/* Publish to a stream without waiting (the ack comes to on_ack). Only while
 * connected: otherwise the sender hears at once that it must retry. */
static int publish(struct cluster *c, const char *subj, const void *data, int len, const char *from, int only_first) {
    if (natsConnection_Status(c->nc) != NATS_CONN_STATUS_CONNECTED) {
        c->send_failed++;
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    int full = c->inflight >= CLUSTER_INFLIGHT;
    if (!full) c->inflight++;
    pthread_mutex_unlock(&c->mu);
    if (full) {   /* the streams are this far behind: the sender retries later */
        c->send_failed++;
        return -1;
    }
    natsMsg *msg = NULL;
    if (natsMsg_Create(&msg, subj, NULL, data, len) != NATS_OK) return -1;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectNoMessage = only_first != 0;
    po.MaxWait = CLUSTER_ACK_WAIT_MS;   /* no answer by then: on_ack says so (a timeout), the sender retries */
    if (natsMsgHeader_Set(msg, "Chorus-From", from) != NATS_OK || js_PublishMsgAsync(c->js, &msg, &po) != NATS_OK) {
        natsMsg_Destroy(msg);   /* NULL when the library took it */
        pthread_mutex_lock(&c->mu);
        c->inflight--;
        pthread_mutex_unlock(&c->mu);
        c->send_failed++;
        return -1;
    }
    c->sent++;
    return 0;
}

int cluster_publish_ctl(void *arg, const uint8_t *frame, size_t len, const char *from) {
    struct cluster *c = arg;
    return publish(c, c->ctl_subj, frame, (int)len, from, 0);
}

int cluster_publish_vote(void *arg, int64_t poll, int64_t device, int option, int only_first, const char *from) {
    struct cluster *c = arg;
    char subj[160], data[8];
    snprintf(subj, sizeof subj, "%s%lld.%lld", c->vote_prefix, (long long)poll, (long long)device);
    snprintf(data, sizeof data, "%d", option);
    return publish(c, subj, data, (int)strlen(data), from, only_first);
}

void cluster_stats(struct cluster *c, struct cluster_stats *out) {
    pthread_mutex_lock(&c->mu);
    *out = (struct cluster_stats){.sent = c->sent, .received = c->received, .dropped = c->dropped,
                                  .send_failed = c->send_failed, .up = c->up};
    pthread_mutex_unlock(&c->mu);
}

void cluster_free(struct cluster *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_broadcast(&c->room);
    pthread_mutex_unlock(&c->mu);
    if (c->thread_started) pthread_join(c->thread, NULL);
    if (c->ctl_sub) natsSubscription_Destroy(c->ctl_sub);
    if (c->vote_sub) natsSubscription_Destroy(c->vote_sub);
    if (c->sub) natsSubscription_Destroy(c->sub);
    if (c->nc) natsConnection_Close(c->nc);   /* callbacks end here (a waiting push is released by `stopping`) */
    jsCtx_Destroy(c->js);
    if (c->nc) natsConnection_Destroy(c->nc);
    /* libnats's own threads may still call back with c (its callback thread
     * posting a disconnect or an error, a consumer being made again that
     * just failed): wait for them to end before c goes. The process uses
     * NATS only here, and this is its exit. */
    if (c->nc && nats_CloseAndWait(2000) != NATS_OK)
        log_warn("cluster: libnats's threads did not end within 2 s", "-");
    net_waker_off(c->waker);   /* no drain() after this */
    for (int i = 0; i < c->count; i++) free(c->inbox[(c->head + i) % CLUSTER_INBOX].data);
    pthread_cond_destroy(&c->room);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
