/* api.c -- live analytics (see api.h).
 *
 * State: `cache` (the last finished build, with its time and status) and
 * `running` (a worker exists). Both are guarded by `mu`; the worker only
 * fills `fresh` and flips `running` off, the loop thread adopts `fresh`
 * when asked. `hubs` (the cluster's hubs, set by the loop) and `gen` (bumped
 * when their files change) are guarded by `mu` too; a build remembers the
 * gen it read, and a cached build of an older gen is not served as fresh. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "merge.h"
#include "report.h"
#include "api.h"

struct api {
    char *db_path;
    int max_age_ms;
    void (*notify)(void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_t thread;
    int running, joinable;
    struct msg *cache, *fresh;
    int cache_status, fresh_status;
    int64_t cache_at, fresh_at;
    int64_t build_ms;           /* how long the last build took */
    struct api_hub hubs[PEERS_MAX];
    int nhubs;
    struct api_hub work[PEERS_MAX];   /* the worker's copy (one worker at a time) */
    unsigned gen, cache_gen, fresh_gen;
};

static struct msg *to_msg(const char *s) {
    size_t n = strlen(s);
    struct msg *m = malloc(sizeof *m + MSG_HEADROOM + n);
    if (!m) return NULL;
    m->refs = 1;
    m->len = (uint32_t)n;
    memcpy(m->data + MSG_HEADROOM, s, n);  // NOLINT(bugprone-not-null-terminated-result): msg is length-counted
    return m;
}

/* Why hub h's database can not be read from here, or NULL (then its path
 * is in *path). `where` comes from the network: only a regular file is
 * opened (never a FIFO or a device, which could hold the worker forever),
 * and never this hub's own file (a hub on another machine with the same
 * host name and path). */
static const char *unreadable(const struct api_hub *h, const char *host, const struct stat *own, const char **path) {
    const char *colon = strchr(h->where, ':');
    if (!h->where[0] || !colon || colon[1] != '/') return "unknown";
    if ((size_t)(colon - h->where) != strlen(host) || strncmp(h->where, host, strlen(host))) return "other_host";
    *path = colon + 1;
    int fd = open(*path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return "unreadable";
    struct stat st;
    const char *why = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ? "unreadable"
                      : own && st.st_dev == own->st_dev && st.st_ino == own->st_ino ? "same_file" : NULL;
    close(fd);
    return why;
}

static void push_missing(json_t *missing, const struct api_hub *h, const char *why, const char *detail) {
    json_t *m = json_pack("{s:i, s:s, s:b, s:s}", "hub", h->hub, "where", h->where, "live", h->live, "why", why);
    if (m && detail) json_object_set_new(m, "detail", json_string(detail));
    if (m) json_array_append_new(missing, m);
}

/* The report of this hub's file and the peers' on this machine (a cluster:
 * hubs[1..n-1]); event.hub_ids and event.missing say which hubs it covers. */
static int build(sqlite3 *db, const char *own_path, const struct api_hub *hubs, int n, json_t **rep, char *err,
                 size_t errlen) {
    if (n <= 1) return report_build(db, 0, rep, err, errlen);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    struct stat own;
    int have_own = stat(own_path, &own) == 0;
    const char *peers[PEERS_MAX];
    const struct api_hub *used[PEERS_MAX];
    size_t np = 0;
    json_t *missing = json_array(), *ids = json_array();
    /* A cluster has at most PEERS_MAX hubs: let SQLite attach them all when
     * its build allows (a default build stops at 10). */
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, PEERS_MAX);
    int room = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);
    for (int i = 1; i < n; i++) {
        const char *path = NULL, *why = unreadable(&hubs[i], host, have_own ? &own : NULL, &path);
        if (!why && (int)np >= room) why = "attach_limit";
        if (why) { push_missing(missing, &hubs[i], why, NULL); continue; }
        /* Each file checked alone first (same event, same schema, ...): a
         * file that does not merge leaves out that hub only. */
        if (merge_attach(db, &path, 1, NULL, err, errlen) != 0) { push_missing(missing, &hubs[i], "merge", err); continue; }
        merge_detach(db, 1);
        used[np] = &hubs[i];
        peers[np++] = path;
    }
    struct report_opts o = {.peers = peers, .npeers = np};
    int rc = report_build_opts(db, &o, rep, err, errlen);
    if (rc && np) {
        /* Files that merge one by one but not together (two hubs' files
         * that are one database): the hub's own figures must not go with
         * them. Report this hub alone, and say why the others are not in it. */
        for (size_t k = 0; k < np; k++) push_missing(missing, used[k], "merge", err);
        np = 0;
        rc = report_build(db, 0, rep, err, errlen);
    }
    json_t *ev = rc ? NULL : json_object_get(*rep, "event");
    if (ev && ids && missing) {
        json_array_append_new(ids, json_integer(hubs[0].hub));
        for (size_t k = 0; k < np; k++) json_array_append_new(ids, json_integer(used[k]->hub));
        json_object_set_new(ev, "this_hub", json_integer(hubs[0].hub));
        json_object_set_new(ev, "hub_ids", ids);
        json_object_set_new(ev, "missing", missing);
        return 0;
    }
    json_decref(ids);
    json_decref(missing);
    if (!rc) { snprintf(err, errlen, "out of memory"); json_decref(*rep); *rep = NULL; rc = -1; }
    return rc;
}

static void *worker(void *arg) {
    struct api *a = arg;
    int64_t t0 = util_mono_ms();
    char err[256] = "";
    sqlite3 *db = NULL;
    json_t *rep = NULL;
    int status = 500;
    char *text = NULL;
    struct api_hub *hubs = a->work;
    pthread_mutex_lock(&a->mu);
    int nhubs = a->nhubs;
    unsigned gen = a->gen;
    memcpy(hubs, a->hubs, sizeof a->hubs);
    pthread_mutex_unlock(&a->mu);
    if (report_open(a->db_path, &db, err, sizeof err) == 0 &&
        build(db, a->db_path, hubs, nhubs, &rep, err, sizeof err) == 0) {
        text = json_dumps(rep, JSON_COMPACT | JSON_REAL_PRECISION(10));
        status = 200;
    }
    if (db) sqlite3_close(db);
    json_decref(rep);
    if (!text) {
        json_t *e = json_pack("{s:s}", "error", err[0] ? err : "out of memory");
        text = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        status = 500;
    }
    struct msg *m = text ? to_msg(text) : NULL;
    free(text);
    pthread_mutex_lock(&a->mu);
    msg_unref(a->fresh);
    a->fresh = m;
    a->fresh_status = m ? status : 500;
    a->fresh_at = util_mono_ms();
    a->fresh_gen = gen;
    a->build_ms = a->fresh_at - t0;
    a->running = 0;
    pthread_mutex_unlock(&a->mu);
    if (a->notify) a->notify(a->arg);
    return NULL;
}

struct api *api_new(const char *db_path, int max_age_ms) {
    struct api *a = calloc(1, sizeof *a);
    if (!a || !(a->db_path = strdup(db_path))) { free(a); return NULL; }
    a->max_age_ms = max_age_ms;
    pthread_mutex_init(&a->mu, NULL);
    return a;
}

void api_set_notify(struct api *a, void (*notify)(void *), void *arg) {
    a->notify = notify;
    a->arg = arg;
}

void api_free(struct api *a) {
    if (!a) return;
    if (a->joinable) pthread_join(a->thread, NULL);
    msg_unref(a->cache);
    msg_unref(a->fresh);
    pthread_mutex_destroy(&a->mu);
    free(a->db_path);
    free(a);
}

void api_set_hubs(struct api *a, const struct api_hub *hubs, int n) {
    assert(n >= 0 && n <= PEERS_MAX);
    pthread_mutex_lock(&a->mu);
    int same = n == a->nhubs;
    for (int i = 0; same && i < n; i++)
        same = hubs[i].hub == a->hubs[i].hub && !strcmp(hubs[i].where, a->hubs[i].where);
    for (int i = 0; i < n; i++) a->hubs[i] = hubs[i];
    a->nhubs = n;
    if (!same) a->gen++;
    pthread_mutex_unlock(&a->mu);
}

int api_report(struct api *a, struct msg **out, int *status) {
    *out = NULL;
    pthread_mutex_lock(&a->mu);
    if (a->fresh) {
        msg_unref(a->cache);
        a->cache = a->fresh;
        a->cache_status = a->fresh_status;
        a->cache_at = a->fresh_at;
        a->cache_gen = a->fresh_gen;
        a->fresh = NULL;
    }
    int running = a->running, current = a->cache_gen == a->gen;
    /* A big event's report costs seconds of CPU: never spend more than a
     * quarter of a core on it, however often the dashboards ask. */
    int64_t max_age = a->build_ms * 3 > a->max_age_ms ? a->build_ms * 3 : a->max_age_ms;
    pthread_mutex_unlock(&a->mu);
    if (a->cache && current && (running || util_mono_ms() - a->cache_at <= max_age)) {
        /* Fresh enough, or a newer one is on its way: serve what we have. */
        msg_ref(a->cache);
        *out = a->cache;
        *status = a->cache_status;
        return API_READY;
    }
    if (!running) {
        if (a->joinable) pthread_join(a->thread, NULL);
        a->joinable = 0;
        pthread_mutex_lock(&a->mu);
        a->running = 1;
        pthread_mutex_unlock(&a->mu);
        if (pthread_create(&a->thread, NULL, worker, a) != 0) {
            a->running = 0;
            *out = to_msg("{\"error\":\"cannot start the report thread\"}");
            *status = 500;
            return *out ? API_READY : API_BUILDING;
        }
        a->joinable = 1;
    }
    return API_BUILDING;
}
