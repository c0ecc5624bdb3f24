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

struct part { uint32_t len; uint8_t *data; };

struct cluster {
    struct server *srv;
    natsConnection *nc;
    natsSubscription *sub;
    struct net_waker *waker;
    char subj[96];
    pthread_mutex_t mu;         /* guards everything below */
    struct part inbox[CLUSTER_INBOX];
    int head, count;
    int up, up_seen;            /* link: as libnats says, as the loop last passed on (-1 never) */
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
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
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
        if (!strncmp(line, "hub=", 4)) h = atoi(line + 4);
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
    if (s == NATS_OK) return s;
    kc.Replicas = 1;   /* a single server: "replicas > 1 not supported in non-clustered mode" */
    return js_CreateKeyValue(kv, js, &kc);
}

/* What the hub writes into hub.<n>: which database holds that id. */
static void owner_of(const char *db, char *out, size_t n) {
    char host[128] = "?", real[900];
    gethostname(host, sizeof host - 1);
    if (!realpath(db, real)) snprintf(real, sizeof real, "%s", db);
    snprintf(out, n, "%s:%s", host, real);
}

/* Claim hub.<id> (or check that the cached id is this database's). */
static int claim(kvStore *kv, const char *db, int cached, int *hub, char *err, size_t errlen) {
    char me[1100], key[32];
    owner_of(db, me, sizeof me);
    for (int n = cached >= 0 ? cached : 0; n < PEERS_MAX; n++) {
        snprintf(key, sizeof key, "hub.%d", n);
        uint64_t rev = 0;
        if (kvStore_Create(&rev, kv, key, me, (int)strlen(me)) == NATS_OK) { *hub = n; return 0; }
        kvEntry *e = NULL;
        if (kvStore_Get(&e, kv, key) != NATS_OK) continue;
        int mine = kvEntry_ValueLen(e) == (int)strlen(me) && !memcmp(kvEntry_Value(e), me, strlen(me));
        char other[1100];
        snprintf(other, sizeof other, "%.*s", kvEntry_ValueLen(e), (const char *)kvEntry_Value(e));
        kvEntry_Destroy(e);
        if (mine) { *hub = n; return 0; }
        if (cached >= 0) {
            snprintf(err, errlen, "hub id %d (from %s.hub) belongs to %s in this cluster: each hub needs its own --db", n, db,
                     other);
            return -1;
        }
    }
    snprintf(err, errlen, "the cluster has no free hub id (at most %d hubs)", PEERS_MAX);
    return -1;
}

int cluster_setup(const char *url, const char *code, const char *db_path, const uint8_t local[AUTH_SECRET_LEN],
                  int *hub_id, uint8_t secret[AUTH_SECRET_LEN], char *err, size_t errlen) {
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
    if (claim(kv, db_path, cached, hub_id, err, errlen) < 0) goto out;
    char hx[2 * AUTH_SECRET_LEN + 1];
    hex(local, AUTH_SECRET_LEN, hx);
    uint64_t rev = 0;
    if (kvStore_Create(&rev, kv, "secret", hx, (int)strlen(hx)) == NATS_OK) {
        memcpy(secret, local, AUTH_SECRET_LEN);   /* the first hub's secret is the event's */
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
    rc = cache_write(db_path, *hub_id, secret, err, errlen);
out:
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    if (nc) { natsConnection_Close(nc); natsConnection_Destroy(nc); }
    natsOptions_Destroy(o);
    return rc;
}

/* --- run time (on the loop) ------------------------------------------------- */

static void set_up(struct cluster *c, int up) {
    pthread_mutex_lock(&c->mu);
    c->up = up;
    pthread_mutex_unlock(&c->mu);
    net_wake(c->waker);
}

static void on_connected(natsConnection *nc, void *arg) { (void)nc; set_up(arg, 1); }
static void on_disconnected(natsConnection *nc, void *arg) { (void)nc; set_up(arg, 0); }

/* A part from a hub (a libnats thread): copied into the inbox. */
static void on_part(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg) {
    (void)nc;
    (void)sub;
    struct cluster *c = arg;
    int len = natsMsg_GetDataLength(msg);
    uint8_t *copy = len > 0 && len <= CLUSTER_PART_MAX ? malloc((size_t)len) : NULL;
    if (copy) memcpy(copy, natsMsg_GetData(msg), (size_t)len);
    natsMsg_Destroy(msg);
    if (!copy) return;
    pthread_mutex_lock(&c->mu);
    if (c->count == CLUSTER_INBOX) {   /* full: the oldest goes (its hub's next part repairs it) */
        free(c->inbox[c->head].data);
        c->head = (c->head + 1) % CLUSTER_INBOX;
        c->count--;
        c->dropped++;
    }
    c->inbox[(c->head + c->count) % CLUSTER_INBOX] = (struct part){.len = (uint32_t)len, .data = copy};
    c->count++;
    c->received++;
    pthread_mutex_unlock(&c->mu);
    net_wake(c->waker);
}

/* The loop: pass the link state and the parts on to the server. */
static void drain(void *arg) {
    struct cluster *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int up = c->up, changed = up != c->up_seen;
        c->up_seen = up;
        struct part p = {0};
        if (c->count) {
            p = c->inbox[c->head];
            c->head = (c->head + 1) % CLUSTER_INBOX;
            c->count--;
        }
        pthread_mutex_unlock(&c->mu);
        if (changed) server_cluster_link(c->srv, up);
        if (!p.data) return;
        server_cluster_part(c->srv, p.data, p.len);
        free(p.data);
    }
}

struct cluster *cluster_new(struct net *net, struct server *srv, const char *url, const char *code, int hub_id,
                            char *err, size_t errlen) {
    struct cluster *c = calloc(1, sizeof *c);
    if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
    c->srv = srv;
    c->up_seen = -1;
    pthread_mutex_init(&c->mu, NULL);
    snprintf(c->subj, sizeof c->subj, "chorus.%s.part", code);
    char name[32];
    snprintf(name, sizeof name, "chorus-hub-%d", hub_id);
    natsOptions *o = NULL;
    natsStatus s = (c->waker = net_waker_new(net, drain, c)) ? natsOptions_Create(&o) : NATS_NO_MEMORY;
    if (s == NATS_OK) s = set_servers(o, url);
    if (s == NATS_OK) s = natsOptions_SetName(o, name);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);        /* forever */
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 250);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, c);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, on_disconnected, c);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, on_connected, c);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(o, (void *)net_base(net), natsLibevent_Attach, natsLibevent_Read,
                                     natsLibevent_Write, natsLibevent_Detach);
    if (s == NATS_OK) {
        s = natsConnection_Connect(&c->nc, o);
        if (s == NATS_OK) set_up(c, 1);                 /* connected at once: no callback comes */
        else if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK, set_up(c, 0);
    }
    if (s == NATS_OK) s = natsConnection_Subscribe(&c->sub, c->nc, c->subj, on_part, c);
    natsOptions_Destroy(o);
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
        natsConnection_Publish(c->nc, c->subj, msg_payload(m), (int)m->len) == NATS_OK)
        c->sent++;
    else
        c->send_failed++;
    msg_unref(m);
}

void cluster_stats(struct cluster *c, struct cluster_stats *out) {
    pthread_mutex_lock(&c->mu);
    *out = (struct cluster_stats){.sent = c->sent, .received = c->received, .dropped = c->dropped,
                                  .send_failed = c->send_failed, .up = c->up};
    pthread_mutex_unlock(&c->mu);
}

void cluster_free(struct cluster *c) {
    if (!c) return;
    if (c->sub) natsSubscription_Destroy(c->sub);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    for (int i = 0; i < c->count; i++) free(c->inbox[(c->head + i) % CLUSTER_INBOX].data);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
