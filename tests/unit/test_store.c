/* Unit tests: store (schema, group commit, acks after commit, reload after
 * restart, exact reaction totals, failed commits, schema guards). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store.h"
#include "t.h"

static char dir[64], db[128], evpath[128];

static struct event_def *demo(void) {
    FILE *f = fopen(evpath, "w");
    fputs("{\"code\":\"T\",\"name\":\"Test\",\"reactions\":[\"heart\",\"fire\"],\"sections\":[\"A\",\"B\"],"
          "\"keys\":{\"crew\":\"c\",\"screen\":\"s\",\"performer\":\"p\"}}", f);
    fclose(f);
    char err[256];
    struct event_def *ev = event_def_load(evpath, err, sizeof err);
    if (!ev) fprintf(stderr, "%s\n", err);
    return ev;
}

static int64_t q1(const char *sql) {
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t v = -1;
    sqlite3_open(db, &h);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static size_t wait_results(struct store *s, struct rec_result *out, size_t want) {
    size_t n = 0;
    for (int i = 0; i < 500 && n < want; i++) {
        n += store_results(s, out + n, want - n);
        if (n < want) usleep(10000);
    }
    return n;
}

static void write_and_reload(void) {
    struct event_def *ev = demo();
    struct agg *a = agg_new(ev->nreactions, ev->nsections, 100);
    struct rec_boot boot;
    char err[256];
    struct store *s = store_open(db, ev, 8192, 0, &boot, err, sizeof err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_EQ(boot.max_device, 0);
    uint8_t secret[AUTH_SECRET_LEN];
    memcpy(secret, boot.secret, sizeof secret);
    rec_boot_clear(&boot);
    /* The secret is in the key file beside the database (0600), not in it. */
    char keyfile[160];
    struct stat kst;
    snprintf(keyfile, sizeof keyfile, "%s" STORE_KEY_SUFFIX, db);
    CHECK_EQ(stat(keyfile, &kst), 0);
    CHECK_EQ(kst.st_mode & 0777, 0600);
    CHECK_EQ(q1("SELECT count(*) FROM chorus_meta WHERE key = 'token_secret'"), 0);
    CHECK_EQ(store_start(s, NULL, NULL), 0);

    struct rec r;
    for (int d = 1; d <= 3; d++) {
        r = (struct rec){.type = REC_DEVICE, .a = d, .section = (int8_t)(d == 2 ? 1 : -1), .ts_ms = 1000};
        CHECK_EQ(store_push(s, &r), 0);
    }
    char **opts = calloc(2, sizeof *opts);
    opts[0] = strdup("yes"); opts[1] = strdup("no");
    r = (struct rec){.type = REC_POLL_OPEN, .want_ack = 1, .a = 1, .b = 3, .c = 2, .text = strdup("Encore?"),
                           .opts = opts, .ts_ms = 2000, .msg_id = 5};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_VOTE, .want_ack = 1, .a = 1, .b = 2, .c = 1, .d = -1, .ts_ms = 2100, .msg_id = 6, .slot = 9, .gen = 4};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_VOTE, .want_ack = 1, .a = 1, .b = 3, .c = 0, .d = -1, .ts_ms = 2200, .msg_id = 7};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_REACT, .b = 2, .kind = 1, .c = 30, .ts_ms = 2300};
    CHECK_EQ(store_push(s, &r), 0);
    /* A second record snapshots totals (30 fire) ... */
    struct rec_second *x = calloc(1, sizeof *x);
    x->s.sec = 2; x->s.taps = 30; x->s.kind_taps[1] = 30; x->totals[1] = 30; x->s.audience = 3;
    r = (struct rec){.type = REC_SECOND, .second = x};
    CHECK_EQ(store_push(s, &r), 0);
    /* ... and taps after it must be added back on reload. */
    r = (struct rec){.type = REC_REACT, .b = 3, .kind = 1, .c = 12, .ts_ms = 3100};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_REACT, .b = 3, .kind = 0, .c = 4, .ts_ms = 3100};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_CHANT, .b = 1, .text = strdup("go"), .ts_ms = 3200};
    CHECK_EQ(store_push(s, &r), 0);
    /* OSC gates: the last switch of each is what a restart finds. */
    r = (struct rec){.type = REC_OSC_GATE, .c = 0, .d = 1, .text = strdup("video")};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_OSC_GATE, .c = 0};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_OSC_GATE, .c = 1};
    CHECK_EQ(store_push(s, &r), 0);
    r = (struct rec){.type = REC_OSC_GATE, .c = 1, .text = strdup("lights")};
    CHECK_EQ(store_push(s, &r), 0);

    struct rec_result res[8];
    size_t n = wait_results(s, res, 3);
    CHECK_EQ(n, 3);
    CHECK_EQ(res[0].type, REC_POLL_OPEN);
    CHECK_EQ(res[1].ok, 1);
    CHECK_EQ(res[1].msg_id, 6);
    CHECK_EQ(res[1].slot, 9);
    CHECK_EQ(res[1].gen, 4);
    store_close(s);
    agg_free(a);

    CHECK_EQ(q1("SELECT count(*) FROM signals"), 6);
    CHECK_EQ(q1("SELECT total FROM reactions WHERE name = 'fire'"), 30);
    CHECK_EQ(q1("SELECT audience_at_open FROM polls WHERE id = 1"), 3);

    a = agg_new(ev->nreactions, ev->nsections, 100);
    s = store_open(db, ev, 8192, 0, &boot, err, sizeof err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(memcmp(secret, boot.secret, sizeof secret) == 0);  /* tokens survive restarts */
    CHECK_EQ(boot.max_device, 3);
    CHECK_EQ(boot.max_poll, 1);
    CHECK_EQ(boot.device_section[2], 1);
    CHECK_EQ(boot.device_section[1], -1);
    CHECK_EQ(boot.saved.nvotes, 2);
    CHECK_EQ(boot.has_osc_master, 1);
    CHECK_EQ(boot.osc_master, 1);
    CHECK_EQ(boot.nosc_gates, 2);
    if (boot.nosc_gates == 2) {   /* by name */
        CHECK_STR(boot.osc_gates[0].name, "lights");
        CHECK_EQ(boot.osc_gates[0].on, 1);
        CHECK_STR(boot.osc_gates[1].name, "video");
        CHECK_EQ(boot.osc_gates[1].on, 0);
        CHECK_EQ(boot.osc_gates[1].file, 1);   /* what the event file said then */
        CHECK_EQ(boot.osc_gates[0].file, 0);
    }
    CHECK_EQ(agg_load(a, &boot.saved), 0);
    CHECK_EQ(a->signals_total, 0);                          /* reloading is not voting */
    CHECK_EQ(a->totals[1], 42);
    CHECK_EQ(a->totals[0], 4);
    CHECK(a->poll != NULL);
    if (a->poll) {
        CHECK_EQ(a->poll->id, 1);
        CHECK_EQ(a->poll->nopts, 2);
        CHECK_STR(a->poll->options[1], "no");
        CHECK_EQ(a->poll->counts[0], 1);
        CHECK_EQ(a->poll->counts[1], 1);
        CHECK_EQ(agg_vote_of(a, 2), 1);
    }
    rec_boot_clear(&boot);
    store_close(s);
    agg_free(a);
    event_def_free(ev);
}

static void failed_commit_acks_not_ok(void) {
    struct event_def *ev = demo();
    struct agg *a = agg_new(ev->nreactions, ev->nsections, 100);
    struct rec_boot boot;
    char err[256];
    unlink(db);
    struct store *s = store_open(db, ev, 8192, 20, &boot, err, sizeof err);
    CHECK(s != NULL);
    if (!s) return;
    rec_boot_clear(&boot);
    store_start(s, NULL, NULL);
    struct rec r;
    for (int i = 0; i < 3000; i++) {
        r = (struct rec){.type = REC_CHANT, .b = i, .text = strdup("a chant long enough to fill pages quickly"), .ts_ms = i};
        store_push(s, &r);
    }
    r = (struct rec){.type = REC_VOTE, .want_ack = 1, .a = 1, .b = 1, .c = 0, .d = -1, .msg_id = 1};
    store_push(s, &r);
    struct rec_result res[1];
    CHECK_EQ(wait_results(s, res, 1), 1);
    CHECK_EQ(res[0].ok, 0);
    struct rec_stats st;
    store_stats(s, &st);
    CHECK(st.failed >= 1);
    store_close(s);
    agg_free(a);
    event_def_free(ev);
}

static void refuses_foreign_databases(void) {
    struct event_def *ev = demo();
    struct agg *a = agg_new(ev->nreactions, ev->nsections, 100);
    struct rec_boot boot;
    char err[256];
    sqlite3 *h;
    unlink(db);
    sqlite3_open(db, &h);
    sqlite3_exec(h, "CREATE TABLE x(y)", NULL, NULL, NULL);
    sqlite3_close(h);
    CHECK(store_open(db, ev, 8192, 0, &boot, err, sizeof err) == NULL);
    CHECK(strstr(err, "not a Chorus database") != NULL);
    unlink(db);
    sqlite3_open(db, &h);
    sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL);
    sqlite3_close(h);
    CHECK(store_open(db, ev, 8192, 0, &boot, err, sizeof err) == NULL);
    CHECK(strstr(err, "newer") != NULL);
    agg_free(a);
    event_def_free(ev);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/chorus-unit-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(db, sizeof db, "%s/t.db", dir);
    snprintf(evpath, sizeof evpath, "%s/ev.json", dir);
    TEST(write_and_reload);
    TEST(failed_commit_acks_not_ok);
    TEST(refuses_foreign_databases);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return T_DONE();
}
