/* api.c -- live analytics (see api.h).
 *
 * State: `cache` (the last finished build, with its time and status) and
 * `running` (a worker exists). Both are guarded by `mu`; the worker only
 * fills `fresh` and flips `running` off, the loop thread adopts `fresh`
 * when asked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
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

static void *worker(void *arg) {
    struct api *a = arg;
    int64_t t0 = util_mono_ms();
    char err[256] = "";
    sqlite3 *db = NULL;
    json_t *rep = NULL;
    int status = 500;
    char *text = NULL;
    if (report_open(a->db_path, &db, err, sizeof err) == 0 && report_build(db, 0, &rep, err, sizeof err) == 0) {
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

int api_report(struct api *a, struct msg **out, int *status) {
    *out = NULL;
    pthread_mutex_lock(&a->mu);
    if (a->fresh) {
        msg_unref(a->cache);
        a->cache = a->fresh;
        a->cache_status = a->fresh_status;
        a->cache_at = a->fresh_at;
        a->fresh = NULL;
    }
    int running = a->running;
    /* A big event's report costs seconds of CPU: never spend more than a
     * quarter of a core on it, however often the dashboards ask. */
    int64_t max_age = a->build_ms * 3 > a->max_age_ms ? a->build_ms * 3 : a->max_age_ms;
    pthread_mutex_unlock(&a->mu);
    if (a->cache && (running || util_mono_ms() - a->cache_at <= max_age)) {
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
