/* test_report.c -- report.c through its C API, as the hub will use it.
 *
 *   test_report SMALL.db NEWER.db [MOD.db V1.db [PLAY.db PLAY2.db [CL.db CL.hub1.db CL.hub2.db CL.hub3.db]]]
 * (databases from chorus-report-gen). Checks: the same figures from two
 * threads at once with a connection each, inside a transaction the caller
 * holds, with and without REPORT_DETAIL; the error codes; the headline;
 * with MOD.db and V1.db, a database with moderation and a v1 archive of the
 * same crowd (chant grouping, moderation, the audit trail); with PLAY.db and
 * PLAY2.db, co-creation in schema v3 and the same crowd in a v2 file; with
 * the `cluster` files, report_build_opts() merging three hubs' databases.
 * Prints "PASS name" / "FAIL name: why" per check; exit 1 on a failure. */
#include "report.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

#define CHECK(name, cond, ...)                                          \
    do {                                                                \
        if (cond) printf("PASS api: %s\n", name);                       \
        else { failed++; printf("FAIL api: %s: ", name); printf(__VA_ARGS__); printf("\n"); } \
    } while (0)

struct job { const char *path; char *dump; int rc; char err[256]; };

static char *build_dump(const char *path, unsigned flags, int *rc, char *err, size_t errlen)
{
    sqlite3 *db;
    json_t *rep = NULL;
    char *s = NULL;
    *rc = report_open(path, &db, err, errlen);
    if (*rc) return NULL;
    *rc = report_build(db, flags, &rep, err, errlen);
    if (!*rc) s = json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rep);
    sqlite3_close(db);
    return s;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    j->dump = build_dump(j->path, 0, &j->rc, j->err, sizeof j->err);
    return NULL;
}

static json_int_t ival(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* Schema v2 with moderation, and the same crowd in a v1 archive. */
static void check_schemas(const char *moddb, const char *v1db)
{
    char err[256];
    sqlite3 *db;
    json_t *rep = NULL;
    int rc = report_open(moddb, &db, err, sizeof err);
    if (!rc) {
        rc = report_build(db, REPORT_DETAIL, &rep, err, sizeof err);
        sqlite3_close(db);
    }
    const json_t *ch = json_object_get(rep, "chants"), *top = json_array_get(json_object_get(ch, "top"), 0);
    const json_t *mod = json_object_get(rep, "moderation");
    const json_t *log = json_object_get(json_object_get(rep, "detail"), "mod_log");
    CHECK("v2: four spellings are one chant of 4", rc == 0 && ival(ch, "distinct") == 4 && ival(top, "count") == 4 &&
          !strcmp(json_string_value(json_object_get(top, "text")), "Encore"), "rc %d (%s)", rc, err);
    CHECK("v2: moderation figures", ival(mod, "held") == 6 && ival(mod, "blocked") == 3 && ival(mod, "banned_devices") == 1 &&
          ival(json_object_get(mod, "approval"), "median_ms") == 50000, "moderation %s", mod ? "differs" : "missing");
    CHECK("v2: REPORT_DETAIL has the audit trail", json_array_size(json_object_get(log, "action")) == 18 &&
          !strcmp(json_string_value(json_array_get(json_object_get(log, "action"), 4)), "blocked"), "mod_log %s", log ? "differs" : "missing");
    json_decref(rep);
    rep = NULL;

    rc = report_open(v1db, &db, err, sizeof err);
    CHECK("v1: an un-migrated archive opens", rc == 0, "rc %d: %s", rc, err);
    if (rc) return;
    rc = report_build(db, REPORT_DETAIL, &rep, err, sizeof err);
    sqlite3_close(db);
    ch = json_object_get(rep, "chants");
    CHECK("v1: builds, chants by exact text, moderation null, no audit trail", rc == 0 && ival(ch, "distinct") == 10 &&
          ival(ch, "total") == 11 && json_is_null(json_object_get(rep, "moderation")) &&
          !json_object_get(json_object_get(rep, "detail"), "mod_log") &&
          ival(json_object_get(rep, "event"), "schema_version") == 1, "rc %d (%s)", rc, err);
    json_decref(rep);
}

/* Co-creation: played polls and the song they started (v3); the same crowd
 * in a v2 file has neither, and the v2 file is not changed by reading it. */
static void check_cocreation(const char *v3db, const char *v2db)
{
    const char *paths[2] = {v3db, v2db};
    for (int v = 0; v < 2; v++) {
        char err[256];
        sqlite3 *db;
        json_t *rep = NULL;
        int rc = report_open(paths[v], &db, err, sizeof err);
        if (!rc) {
            rc = report_build(db, 0, &rep, err, sizeof err);
            sqlite3_close(db);
        }
        const json_t *co = json_object_get(rep, "cocreation"), *songs = json_object_get(co, "songs");
        const json_t *chosen = json_object_get(co, "chosen");
        if (v == 0)
            CHECK("v3: cocreation (one song chosen by a played poll, a played poll not started)", rc == 0 &&
                  json_array_size(songs) == 3 && ival(json_array_get(songs, 1), "poll") == 1 && json_array_size(chosen) == 2 &&
                  ival(json_object_get(json_array_get(chosen, 0), "marker"), "id") == 4 &&
                  json_is_null(json_object_get(json_array_get(chosen, 1), "marker")) &&
                  json_real_value(json_object_get(co, "lift")) == 3.194888 &&
                  json_real_value(json_object_get(co, "winning_side")) == 0.625,
                  "rc %d (%s)", rc, err);
        else
            CHECK("v2: cocreation without the v3 columns: songs, none chosen, nothing played", rc == 0 &&
                  ival(json_object_get(rep, "event"), "schema_version") == 2 && json_array_size(songs) == 3 &&
                  json_is_null(json_object_get(json_array_get(songs, 1), "poll")) && json_array_size(chosen) == 0 &&
                  json_is_null(json_object_get(co, "chosen_rate")) && json_is_null(json_object_get(co, "lift")) &&
                  json_is_null(json_object_get(co, "winning_side")),
                  "rc %d (%s)", rc, err);
        json_decref(rep);
    }
}

/* The connection holds nothing of a merge: no file attached, no temp view. */
static int left_clean(sqlite3 *db)
{
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp')) + "
                               "(SELECT count(*) FROM temp.sqlite_master)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n == 0 && sqlite3_get_autocommit(db);
}

/* A dump of a report without event.hubs and event.sources: its figures.
 * Nor mod_log's row ids (detail, printed nowhere): a per-hub counter, which
 * a merge renumbers (docs/analytics.md, "Several hubs"). */
static char *figures_dump(json_t *rep)
{
    json_t *ev = json_object_get(rep, "event");
    json_object_del(ev, "hubs");
    json_object_del(ev, "sources");
    json_object_del(json_object_get(json_object_get(rep, "detail"), "mod_log"), "id");
    return json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Cluster mode through the API: three hubs' files (CL.hub1..3.db) read as
 * one equal the same crowd in one file (CL.db, the truth); the connection is
 * left as it was after a merge and after a refused one; what is refused. */
static void check_cluster(const char *truth, const char *const hubs[3], const char *other)
{
    char err[512], *want = NULL, *got = NULL, *alone = NULL, *again = NULL;
    sqlite3 *db;
    json_t *rep = NULL;
    int rc = report_open(truth, &db, err, sizeof err);
    if (!rc) {
        rc = report_build(db, REPORT_DETAIL, &rep, err, sizeof err);
        sqlite3_close(db);
    }
    if (!rc) want = figures_dump(rep);
    json_decref(rep);
    rep = NULL;
    if (!want) { CHECK("cluster: the one-hub truth builds", 0, "rc %d: %s", rc, err); return; }

    rc = report_open(hubs[0], &db, err, sizeof err);
    if (!rc) {
        rc = report_build(db, 0, &rep, err, sizeof err);
        if (!rc) alone = figures_dump(rep);
        json_decref(rep);
        rep = NULL;
    }
    if (rc) { CHECK("cluster: hub 1 alone builds", 0, "rc %d: %s", rc, err); free(want); return; }

    const char *names[3] = {"one", "two", "three"};
    struct report_opts o = {.flags = REPORT_DETAIL, .peers = hubs + 1, .npeers = 2, .names = names};
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    const json_t *ev = json_object_get(rep, "event"), *src = json_object_get(ev, "sources");
    CHECK("cluster: event.hubs and event.sources (the names given)", rc == 0 && ival(ev, "hubs") == 3 &&
          json_array_size(src) == 3 && !strcmp(json_string_value(json_array_get(src, 2)), "three"), "rc %d: %s", rc, err);
    if (!rc) got = figures_dump(rep);
    CHECK("cluster: three hubs' files = the one-hub truth (every figure and the detail)", got && !strcmp(got, want),
          "the merged report differs");
    json_decref(rep);
    rep = NULL;
    CHECK("cluster: the connection is left as it was (nothing attached, no view)", left_clean(db), "something left");
    rc = report_build(db, 0, &rep, err, sizeof err);
    if (!rc) again = figures_dump(rep);
    CHECK("cluster: the same connection then reports hub 1 alone, as before", again && !strcmp(again, alone), "rc %d: %s", rc, err);
    json_decref(rep);
    rep = NULL;

    o = (struct report_opts){.peers = hubs + 1, .npeers = 2};
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    src = json_object_get(json_object_get(rep, "event"), "sources");
    const char *s0 = json_string_value(json_array_get(src, 0)), *slash = strrchr(hubs[0], '/');
    CHECK("cluster: without names, sources are the first file's name and the peers' paths", rc == 0 && s0 &&
          !strcmp(s0, slash ? slash + 1 : hubs[0]) && !strcmp(json_string_value(json_array_get(src, 1)), hubs[1]),
          "rc %d: %s", rc, err);
    json_decref(rep);
    rep = (json_t *)1;

    const char *peers[2] = {hubs[1], other};
    o = (struct report_opts){.peers = peers, .npeers = 2};
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    CHECK("cluster: a file of another event: REPORT_EMERGE naming it, *out NULL, connection clean", rc == REPORT_EMERGE &&
          rep == NULL && strstr(err, other) && strstr(err, "holds event") && left_clean(db), "rc %d: %s", rc, err);

    const char *twice[2] = {hubs[1], hubs[0]};
    o = (struct report_opts){.peers = twice, .npeers = 2};
    rep = (json_t *)1;
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    CHECK("cluster: the first file again among the peers: REPORT_EMERGE, connection clean", rc == REPORT_EMERGE &&
          rep == NULL && strstr(err, "same database") && left_clean(db), "rc %d: %s", rc, err);

    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    o = (struct report_opts){.peers = hubs + 1, .npeers = 2};
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    CHECK("cluster: inside the caller's transaction: refused (files attach outside one), transaction kept",
          rc == REPORT_EIO && strstr(err, "transaction") && !sqlite3_get_autocommit(db), "rc %d: %s", rc, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);

    /* A writable connection would attach the peers writable: refused. */
    sqlite3_open_v2(hubs[0], &db, SQLITE_OPEN_READWRITE, NULL);
    rc = report_build_opts(db, &o, &rep, err, sizeof err);
    CHECK("cluster: on a read-write connection: refused", rc == REPORT_EIO && strstr(err, "read-only") && left_clean(db),
          "rc %d: %s", rc, err);
    sqlite3_close(db);
    free(want);
    free(got);
    free(alone);
    free(again);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5 && argc != 7 && argc != 11) {
        fprintf(stderr, "usage: test_report SMALL.db NEWER.db [MOD.db V1.db [PLAY.db PLAY2.db [CL.db CL.hub1.db CL.hub2.db CL.hub3.db]]]\n");
        return 2;
    }
    const char *small = argv[1], *newer = argv[2];
    char err[256];
    int rc;

    char *ref = build_dump(small, 0, &rc, err, sizeof err);
    CHECK("report_build on a generated database", rc == 0 && ref, "rc %d: %s", rc, err);
    if (!ref) return 1;

    /* Two threads, one connection each, at the same time: same result. */
    struct job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].path = small;
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    int same = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        same &= jobs[i].rc == 0 && jobs[i].dump && strcmp(jobs[i].dump, ref) == 0;
        free(jobs[i].dump);
    }
    CHECK("four threads at once give the same figures", same, "a thread's report differs or failed");

    /* Inside a transaction the caller holds; the transaction survives. */
    sqlite3 *db;
    json_t *rep = NULL;
    rc = report_open(small, &db, err, sizeof err);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    rc = rc ? rc : report_build(db, 0, &rep, err, sizeof err);
    char *in_tx = rep ? json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK("inside the caller's transaction", rc == 0 && in_tx && !strcmp(in_tx, ref) && !sqlite3_get_autocommit(db),
          "rc %d (%s), autocommit %d", rc, err, sqlite3_get_autocommit(db));
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    free(in_tx);
    json_decref(rep);
    rep = NULL;

    /* REPORT_DETAIL adds per-device rows and every vote. */
    rc = report_build(db, REPORT_DETAIL, &rep, err, sizeof err);
    const json_t *det = json_object_get(rep, "detail");
    CHECK("REPORT_DETAIL: devices and votes", rc == 0 &&
          json_array_size(json_object_get(json_object_get(det, "devices"), "level")) == 5 &&
          json_array_size(json_object_get(json_object_get(det, "votes"), "poll")) == 3 &&
          json_array_size(json_object_get(json_object_get(rep, "chants"), "all")) == 4,
          "rc %d, detail %s", rc, det ? "present" : "missing");
    json_t *h = report_headline(rep);
    CHECK("report_headline", h && json_integer_value(json_object_get(h, "devices")) == 5 &&
          !strcmp(json_string_value(json_object_get(h, "top_chant")), "LOUDER") &&
          !strcmp(json_string_value(json_object_get(h, "loudest_section")), "A"),
          "headline %s", h ? json_dumps(h, JSON_COMPACT) : "NULL");
    json_decref(h);
    json_decref(rep);
    sqlite3_close(db);
    rep = NULL;
    free(ref);

    /* Error codes, *out left NULL. */
    db = (sqlite3 *)1;
    rc = report_open("/nonexistent/dir/x.db", &db, err, sizeof err);
    CHECK("missing file: REPORT_EIO", rc == REPORT_EIO && db == NULL && strstr(err, "cannot open"), "rc %d: %s", rc, err);
    rc = report_open(newer, &db, err, sizeof err);
    CHECK("newer schema: REPORT_ENEWER", rc == REPORT_ENEWER && db == NULL && strstr(err, "newer"), "rc %d: %s", rc, err);
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    rep = (json_t *)1;
    rc = report_build(db, 0, &rep, err, sizeof err);
    CHECK("not a Chorus database: REPORT_ENOTCHORUS", rc == REPORT_ENOTCHORUS && rep == NULL && strstr(err, "chorus_meta"),
          "rc %d: %s", rc, err);
    /* chorus_meta but the tables missing: a clean SQL error, no crash. */
    sqlite3_exec(db, "CREATE TABLE chorus_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)", NULL, NULL, NULL);
    rc = report_build(db, 0, &rep, err, sizeof err);
    CHECK("damaged schema: REPORT_ESQL", rc == REPORT_ESQL && rep == NULL && strstr(err, "no such table"), "rc %d: %s", rc, err);
    sqlite3_close(db);

    if (argc >= 5) check_schemas(argv[3], argv[4]);
    if (argc >= 7) check_cocreation(argv[5], argv[6]);
    if (argc == 11) check_cluster(argv[7], (const char *const *)&argv[8], small);

    printf("test_report: %s\n", failed ? "some checks failed" : "all checks passed");
    return failed ? 1 : 0;
}
