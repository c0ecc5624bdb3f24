/* gen.c -- writes Chorus databases with a known history, for chorus-report's tests.
 *
 *   chorus-report-gen small OUT.db      scripted edge cases (truth: small.expect.mjs)
 *   chorus-report-gen quiet OUT.db      an event with no polls, chants or markers
 *   chorus-report-gen empty OUT.db      a hub that started and nobody came
 *   chorus-report-gen big OUT.db [--devices D] [--signals N] [--expect FILE]
 *   chorus-report-gen newer OUT.db      a valid database with user_version + 1
 *   chorus-report-gen mod OUT.db        schema v2 with chant moderation: four spellings of
 *                                       one chant, approve mode, hide, ban, the filter
 *                                       (truth: expect.mjs `mod`)
 *   chorus-report-gen v1 OUT.db         the same crowd in an un-migrated schema v1 archive
 *                                       (no chant_key, chant_mod, mod_log, devices.banned)
 *   chorus-report-gen cocreation OUT.db schema v3, "Play it": three songs, one started by a
 *                                       played poll, a played poll never started
 *                                       (truth: expect.mjs `cocreation`)
 *   chorus-report-gen cocreation-v2 OUT.db  the same crowd in a schema v2 file (no
 *                                       played_ms, played_option, markers.poll)
 *   chorus-report-gen cluster OUT.db [--hubs H]  one crowd as one hub records it (OUT.db,
 *                                       the truth) and as H = 2 or 3 hubs of a cluster do
 *                                       (OUT.hub1.db .. OUT.hubH.db)
 *
 * `big` builds a structured crowd directly (no hub), tallying while it writes
 * what the report must find; --expect writes those tallies as JSON. It is the
 * benchmark's database too (10M signals, 40k devices). The schema is the
 * hub's own (lib/schema.h); the per-second tables are filled exactly as the
 * hub defines them in docs/architecture.md. */
#include "schema.h"

#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1767225600000LL   /* 2026-01-01 00:00:00 UTC */

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "gen: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(const char *sql)
{
    char *e = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) { fprintf(stderr, "gen: %s\n%s\n", e, sql); exit(1); }
}

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql);
    return st;
}

/* Bind ints/strings by a tiny format: 'i' int64, 's' string, 'n' null. */
static void run(sqlite3_stmt *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_reset(st);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 'i') sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
        else if (fmt[i] == 's') sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
        else sqlite3_bind_null(st, i + 1);
    }
    va_end(ap);
    if (sqlite3_step(st) != SQLITE_DONE) die("insert");
}

/* The schema of the hub before chant moderation (user_version 1), frozen
 * here: the report must keep reading archives written by that hub. */
#define SCHEMA_V1_SQL \
"CREATE TABLE IF NOT EXISTS chorus_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS event(id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL,\n" \
"  name TEXT NOT NULL, config TEXT NOT NULL, created_ms INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS reactions(name TEXT PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0);\n" \
"CREATE TABLE IF NOT EXISTS devices(\n" \
"  id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '');\n" \
"CREATE TABLE IF NOT EXISTS sessions(\n" \
"  id INTEGER PRIMARY KEY, device INTEGER NOT NULL DEFAULT 0, role TEXT NOT NULL,\n" \
"  section TEXT NOT NULL DEFAULT '', start_ms INTEGER NOT NULL, end_ms INTEGER);\n" \
"CREATE INDEX IF NOT EXISTS sessions_device ON sessions(device);\n" \
"CREATE TABLE IF NOT EXISTS polls(\n" \
"  id INTEGER PRIMARY KEY, question TEXT NOT NULL, allow_change INTEGER NOT NULL,\n" \
"  opened_ms INTEGER NOT NULL, closed_ms INTEGER, audience_at_open INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS poll_options(\n" \
"  poll INTEGER NOT NULL REFERENCES polls(id), idx INTEGER NOT NULL, label TEXT NOT NULL,\n" \
"  PRIMARY KEY (poll, idx)) WITHOUT ROWID;\n" \
"CREATE TABLE IF NOT EXISTS votes(\n" \
"  poll INTEGER NOT NULL REFERENCES polls(id), device INTEGER NOT NULL,\n" \
"  option INTEGER NOT NULL, ts_ms INTEGER NOT NULL, changes INTEGER NOT NULL DEFAULT 0,\n" \
"  UNIQUE (poll, device));\n" \
"CREATE TABLE IF NOT EXISTS signals(\n" \
"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, device INTEGER NOT NULL,\n" \
"  section TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL CHECK (kind IN ('vote','react','chant')),\n" \
"  poll INTEGER, option INTEGER, reaction TEXT, n INTEGER, text TEXT);\n" \
"CREATE INDEX IF NOT EXISTS signals_ts ON signals(ts_ms);\n" \
"CREATE INDEX IF NOT EXISTS signals_device ON signals(device, kind);\n" \
"CREATE TABLE IF NOT EXISTS seconds(\n" \
"  sec INTEGER PRIMARY KEY, audience INTEGER NOT NULL, taps INTEGER NOT NULL,\n" \
"  votes INTEGER NOT NULL, chants INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS second_reacts(\n" \
"  sec INTEGER NOT NULL, reaction TEXT NOT NULL, taps INTEGER NOT NULL,\n" \
"  PRIMARY KEY (sec, reaction)) WITHOUT ROWID;\n" \
"CREATE TABLE IF NOT EXISTS markers(\n" \
"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL);\n"

static void open_db_schema(const char *path, const char *code, const char *name, const char *config,
                           const char *schema, int version)
{
    remove(path);
    char side[4096];
    snprintf(side, sizeof side, "%s-wal", path); remove(side);
    snprintf(side, sizeof side, "%s-shm", path); remove(side);
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open");
    exec("PRAGMA journal_mode=WAL");
    exec(schema);
    char v[64];
    snprintf(v, sizeof v, "PRAGMA user_version=%d", version);
    exec(v);
    exec("INSERT INTO chorus_meta VALUES ('token_secret', '00112233445566778899aabbccddeeff'), ('hub_started_ms', '1767225540000')");
    sqlite3_stmt *st = prep("INSERT INTO event(id, code, name, config, created_ms) VALUES (1, ?, ?, ?, ?)");
    run(st, "sssi", code, name, config, T0 - 60000);
    sqlite3_finalize(st);
}

static void open_db(const char *path, const char *code, const char *name, const char *config)
{
    open_db_schema(path, code, name, config, SCHEMA_SQL, SCHEMA_VERSION);
}

/* ---- scripted histories --------------------------------------------------- */

struct sess { long long device; const char *role, *section; long long start, end; /* end < 0: NULL */ };
struct sig { long long ts, device; const char *section, *kind; long long poll, option; const char *reaction; long long n; const char *text; };

/* Write sessions, signals and the per-second tables the hub would have kept
 * for seconds [first, last] except [gap_from, gap_to]. */
static void write_history(const struct sess *ss, int nss, const struct sig *sg, int nsg,
                          long long first, long long last, long long gap_from, long long gap_to)
{
    sqlite3_stmt *st = prep("INSERT INTO sessions(device, role, section, start_ms, end_ms) VALUES (?, ?, ?, ?, ?)");
    for (int i = 0; i < nss; i++) {
        if (ss[i].end < 0) run(st, "issin", ss[i].device, ss[i].role, ss[i].section, ss[i].start);
        else run(st, "issii", ss[i].device, ss[i].role, ss[i].section, ss[i].start, ss[i].end);
    }
    sqlite3_finalize(st);
    st = prep("INSERT INTO signals(ts_ms, device, section, kind, poll, option, reaction, n, text) VALUES (?,?,?,?,?,?,?,?,?)");
    for (int i = 0; i < nsg; i++) {
        const struct sig *s = &sg[i];
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, s->ts);
        sqlite3_bind_int64(st, 2, s->device);
        sqlite3_bind_text(st, 3, s->section, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, s->kind, -1, SQLITE_STATIC);
        if (s->kind[0] == 'v') { sqlite3_bind_int64(st, 5, s->poll); sqlite3_bind_int64(st, 6, s->option); }
        if (s->kind[0] == 'r') { sqlite3_bind_text(st, 7, s->reaction, -1, SQLITE_STATIC); sqlite3_bind_int64(st, 8, s->n); }
        if (s->kind[0] == 'c') sqlite3_bind_text(st, 9, s->text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) die("signal");
    }
    sqlite3_finalize(st);
    sqlite3_stmt *sec = prep("INSERT INTO seconds(sec, audience, taps, votes, chants) VALUES (?,?,?,?,?)");
    sqlite3_stmt *sr = prep("INSERT INTO second_reacts(sec, reaction, taps) VALUES (?,?,?) "
                            "ON CONFLICT(sec, reaction) DO UPDATE SET taps = taps + excluded.taps");
    sqlite3_stmt *tot = prep("INSERT INTO reactions(name, total) VALUES (?, ?) "
                             "ON CONFLICT(name) DO UPDATE SET total = total + excluded.total");
    for (long long s = first; s <= last; s++) {
        if (s >= gap_from && s <= gap_to) continue;
        long long end = s * 1000 + 999, aud = 0, taps = 0, votes = 0, chants = 0;
        for (int i = 0; i < nss; i++)
            if (!strcmp(ss[i].role, "audience") && ss[i].start <= end && (ss[i].end < 0 || ss[i].end > end)) aud++;
        for (int i = 0; i < nsg; i++) {
            if (sg[i].ts / 1000 != s) continue;
            if (sg[i].kind[0] == 'r') { taps += sg[i].n; run(sr, "isi", s, sg[i].reaction, sg[i].n); run(tot, "si", sg[i].reaction, sg[i].n); }
            else if (sg[i].kind[0] == 'v') votes++;
            else chants++;
        }
        run(sec, "iiiii", s, aud, taps, votes, chants);
    }
    sqlite3_finalize(sec);
    sqlite3_finalize(sr);
    sqlite3_finalize(tot);
}

static void gen_small(const char *path)
{
    open_db(path, "SMALL", "Small Test Night",
            "{\"code\":\"SMALL\",\"name\":\"Small Test Night\",\"reactions\":[\"heart\",\"fire\",\"clap\"],"
            "\"sections\":[\"A\",\"B\",\"C\"],\"songs\":[\"Song One\",\"Song Two\"]}");
    const long long T = T0, S = T0 / 1000;
    exec("BEGIN");
    exec("INSERT INTO reactions(name, total) VALUES ('heart', 0), ('fire', 0), ('clap', 0)");
    sqlite3_stmt *st = prep("INSERT INTO devices(id, created_ms, section) VALUES (?, ?, ?)");
    run(st, "iis", 1LL, T + 0, "B");        /* joined twice: A, then B */
    run(st, "iis", 2LL, T + 10000, "A");
    run(st, "iis", 3LL, T + 20000, "B");
    run(st, "iis", 4LL, T + 30000, "B");
    run(st, "iis", 5LL, T + 40000, "");     /* watched only, no section */
    sqlite3_finalize(st);
    const struct sess ss[] = {
        {0, "crew", "", T - 5000, T + 2400000},
        {0, "screen", "", T - 4000, -1},
        {1, "audience", "A", T + 0, T + 1200000},
        {2, "audience", "A", T + 10000, T + 2400000},
        {3, "audience", "B", T + 20000, T + 1250000},
        {4, "audience", "B", T + 30000, -1},          /* end NULL: hub killed */
        {5, "audience", "", T + 40000, T + 100000},
        {1, "audience", "B", T + 1500000, T + 2400000},
    };
    const struct sig sg[] = {
        {T + 61000, 1, "A", "react", 0, 0, "heart", 5, NULL},
        {T + 120200, 2, "A", "react", 0, 0, "clap", 7, NULL},
        {T + 120500, 1, "A", "react", 0, 0, "heart", 10, NULL},
        {T + 120700, 1, "A", "react", 0, 0, "fire", 3, NULL},
        {T + 125000, 2, "A", "react", 0, 0, "heart", 15, NULL},
        {T + 130000, 2, "A", "chant", 0, 0, NULL, 0, "LOUDER"},
        {T + 140000, 2, "A", "chant", 0, 0, NULL, 0, "LOUDER"},
        {T + 300000, 3, "B", "react", 0, 0, "fire", 20, NULL},
        {T + 1100000, 4, "B", "react", 0, 0, "heart", 2, NULL},
        {T + 1150000, 4, "B", "chant", 0, 0, NULL, 0, "we love you"},
        {T + 1160000, 4, "B", "chant", 0, 0, NULL, 0, "say \"hey\", ho"},
        {T + 1200000, 3, "B", "react", 0, 0, "heart", 4, NULL},
        {T + 1200500, 3, "B", "chant", 0, 0, NULL, 0, "LOUDER"},
        {T + 1310000, 2, "A", "vote", 1, 0, NULL, 0, NULL},
        {T + 1310400, 4, "B", "vote", 1, 1, NULL, 0, NULL},
        {T + 1320000, 2, "A", "vote", 1, 1, NULL, 0, NULL},
        {T + 1330500, 2, "A", "vote", 1, 2, NULL, 0, NULL},
        {T + 1340000, 2, "A", "vote", 1, 0, NULL, 0, NULL},   /* changed three times */
        {T + 1605000, 1, "B", "vote", 2, 0, NULL, 0, NULL},
        {T + 2100000, 4, "B", "chant", 0, 0, NULL, 0, "encore"},
    };
    write_history(ss, (int)(sizeof ss / sizeof *ss), sg, (int)(sizeof sg / sizeof *sg), S, S + 2399, S + 1800, S + 1859);
    exec("INSERT INTO polls(id, question, allow_change, opened_ms, closed_ms, audience_at_open) VALUES "
         "(1, 'Best song?', 1, 1767226900000, 1767227100000, 2), "
         "(2, 'Encore?', 0, 1767227200000, NULL, 3)");
    exec("INSERT INTO poll_options(poll, idx, label) VALUES (1, 0, 'Song One'), (1, 1, 'Song Two'), (1, 2, 'Both'), "
         "(2, 0, 'Yes'), (2, 1, 'No')");
    exec("INSERT INTO votes(poll, device, option, ts_ms, changes) VALUES (1, 2, 0, 1767226940000, 3), "
         "(1, 4, 1, 1767226910400, 0), (2, 1, 0, 1767227205000, 0)");
    exec("INSERT INTO markers(ts_ms, kind, label) VALUES "
         "(1767225660000, 'song_start', 'Song One'), (1767226200000, 'song_end', 'Song One'), "
         "(1767226500000, 'note', 'Technical break'), (1767226600000, 'song_start', 'Song Two'), "
         "(1767227600000, 'song_end', 'Song Two')");
    exec("COMMIT");
}

static void gen_quiet(const char *path)
{
    open_db(path, "QUIET", "Quiet Night", "{\"code\":\"QUIET\",\"name\":\"Quiet Night\",\"reactions\":[\"heart\",\"clap\"],\"sections\":[]}");
    const long long T = T0, S = T0 / 1000;
    exec("BEGIN");
    /* Sparse device ids (1, 2, 1000000): the report maps ids by search. */
    exec("INSERT INTO devices(id, created_ms, section) VALUES (1, 1767225600000, ''), (1000000, 1767225605000, ''), (2, 1767225610000, '')");
    const struct sess ss[] = {
        {1, "audience", "", T, T + 600000},
        {1000000, "audience", "", T + 5000, T + 300000},
        {2, "audience", "", T + 10000, T + 10500},
    };
    const struct sig sg[] = {
        {T + 20000, 1, "", "react", 0, 0, "clap", 4, NULL},
        {T + 20900, 1000000, "", "react", 0, 0, "heart", 6, NULL},
        {T + 200000, 1, "", "react", 0, 0, "heart", 1, NULL},
    };
    write_history(ss, 3, sg, 3, S, S + 599, -1, -1);
    exec("COMMIT");
}

static void gen_empty(const char *path)
{
    open_db(path, "EMPTY", "Empty Night", "{\"code\":\"EMPTY\",\"name\":\"Empty Night\",\"reactions\":[\"heart\"],\"sections\":[\"A\"]}");
}

/* mod (v2) and v1: the same crowd. Crew sessions 1 and 2 moderate; device 3
 * is banned at the end, device 5 was banned twice and let back; "encore" is
 * sent in four spellings the live screen counts as one text, "olé" has no
 * grouping key (a row the hub's migration could not normalize). The v2 file
 * adds what the hub writes: each chant's key, chant_mod, mod_log,
 * devices.banned. Truth in expect.mjs (`mod`, `v1`). */
static void gen_moderated(const char *path, int v2)
{
    if (v2)
        open_db(path, "MOD", "Moderated Night",
                "{\"code\":\"MOD\",\"name\":\"Moderated Night\",\"reactions\":[\"heart\"],\"sections\":[\"A\",\"B\"],"
                "\"moderation\":{\"mode\":\"auto\"}}");
    else
        open_db_schema(path, "OLD", "Archive Night",
                       "{\"code\":\"OLD\",\"name\":\"Archive Night\",\"reactions\":[\"heart\"],\"sections\":[\"A\",\"B\"]}",
                       SCHEMA_V1_SQL, 1);
    const long long T = T0, S = T0 / 1000;
    exec("BEGIN");
    exec("INSERT INTO reactions(name, total) VALUES ('heart', 0)");
    exec("INSERT INTO devices(id, created_ms, section) VALUES (1, 1767225600000, 'A'), (2, 1767225601000, 'A'), "
         "(3, 1767225602000, 'B'), (4, 1767225603000, 'B'), (5, 1767225604000, '')");
    const struct sess ss[] = {
        {0, "crew", "", T - 5000, T + 300000},        /* session 1 */
        {0, "crew", "", T - 4000, T + 300000},        /* session 2 */
        {1, "audience", "A", T + 0, T + 300000},
        {2, "audience", "A", T + 1000, T + 300000},
        {3, "audience", "B", T + 2000, T + 160000},   /* closed by its ban */
        {4, "audience", "B", T + 3000, T + 300000},
        {5, "audience", "", T + 4000, T + 120000},    /* banned, let back, banned, let back */
        {5, "audience", "", T + 155000, T + 170000},
    };
    const struct sig sg[] = {
        {T + 5000, 1, "A", "react", 0, 0, "heart", 3, NULL},
        {T + 10000, 1, "A", "chant", 0, 0, NULL, 0, "Encore"},
        {T + 20000, 2, "A", "chant", 0, 0, NULL, 0, "encore"},
        {T + 40000, 3, "B", "chant", 0, 0, NULL, 0, "ENCORE"},
        {T + 50000, 1, "A", "chant", 0, 0, NULL, 0, "\xef\xbc\xa5\xef\xbc\xae\xef\xbc\xa3\xef\xbc\xaf\xef\xbc\xb2\xef\xbc\xa5"},
        {T + 70000, 4, "B", "chant", 0, 0, NULL, 0, "go team"},
        {T + 70000, 2, "A", "chant", 0, 0, NULL, 0, "GO TEAM"},
        {T + 80000, 4, "B", "chant", 0, 0, NULL, 0, "LOUDER"},
        {T + 90000, 5, "", "chant", 0, 0, NULL, 0, "Go Team"},        /* the millisecond of its approval */
        {T + 110000, 3, "B", "chant", 0, 0, NULL, 0, "louder"},
        {T + 210000, 2, "A", "chant", 0, 0, NULL, 0, "ol\xc3\xa9"},
        {T + 220000, 1, "A", "chant", 0, 0, NULL, 0, "louder"},
    };
    write_history(ss, (int)(sizeof ss / sizeof *ss), sg, (int)(sizeof sg / sizeof *sg), S, S + 299, -1, -1);
    exec("INSERT INTO markers(ts_ms, kind, label) VALUES (1767225700000, 'song_start', 'Finale')");
    if (v2) {
        exec("UPDATE signals SET chant_key = 'encore' WHERE text IN ('Encore', 'encore', 'ENCORE', "
             "'\xef\xbc\xa5\xef\xbc\xae\xef\xbc\xa3\xef\xbc\xaf\xef\xbc\xb2\xef\xbc\xa5');"
             "UPDATE signals SET chant_key = 'go team' WHERE text IN ('go team', 'GO TEAM', 'Go Team');"
             "UPDATE signals SET chant_key = 'louder' WHERE text IN ('LOUDER', 'louder');"
             "UPDATE devices SET banned = 1 WHERE id = 3;"
             "INSERT INTO chorus_meta(key, value) VALUES ('chant_mode', 'auto');");
        exec("INSERT INTO mod_log(ts_ms, session, action, key, text, device, detail) VALUES "
             "(1767225630000, 1, 'mode', NULL, NULL, NULL, 'approve'),"
             "(1767225660000, 1, 'approve', 'encore', 'Encore', NULL, NULL),"
             "(1767225690000, 2, 'approve', 'go team', 'go team', NULL, NULL),"
             "(1767225700000, 2, 'hide', 'louder', 'LOUDER', NULL, NULL),"
             "(1767225715000, 0, 'blocked', 'f.u.c.k', 'f.u.c.k', 5, NULL),"
             "(1767225716000, 0, 'blocked', 'sh1t', 'sh1t', 5, NULL),"
             "(1767225717000, 0, 'blocked', 'fuuuck', 'fuuuck', 3, NULL),"
             "(1767225720000, 1, 'ban', NULL, NULL, 5, NULL),"
             "(1767225750000, 1, 'unban', NULL, NULL, 5, NULL),"
             "(1767225760000, 2, 'ban', NULL, NULL, 3, NULL),"
             "(1767225770000, 1, 'ban', NULL, NULL, 5, NULL),"
             "(1767225780000, 2, 'unban', NULL, NULL, 5, NULL),"
             "(1767225800000, 2, 'mode', NULL, NULL, NULL, 'auto'),"
             "(1767225830000, 2, 'hide', 'go team', 'go team', NULL, NULL),"
             "(1767225835000, 1, 'hide', 'boo', 'boo', NULL, NULL),"
             "(1767225836000, 1, 'unhide', 'boo', 'boo', NULL, NULL),"
             "(1767225837000, 1, 'hide', 'meh', 'meh', NULL, NULL),"
             "(1767225840000, 1, 'approve', 'louder', 'LOUDER', NULL, NULL)");
        /* chant_mod as the hub leaves it: flags and time of the last change;
         * approving a text also unhides it (louder). */
        exec("INSERT INTO chant_mod(key, text, flags, ts_ms) VALUES ('encore', 'Encore', 1, 1767225660000), "
             "('go team', 'go team', 3, 1767225830000), ('louder', 'LOUDER', 1, 1767225840000), "
             "('boo', 'boo', 0, 1767225836000), ('meh', 'meh', 2, 1767225837000)");
    }
    exec("COMMIT");
}

/* cocreation (schema v3) and cocreation-v2: "Play it". Three songs: Warm Up
 * (+60 s to its song_end at +120 s), Neon Skies (+180.5 s, linked to poll 1,
 * which the crew played; cut by the next song_start), Slow Song (+300 s to the
 * end; a note inside it cuts nothing). Poll 1 played its winner, poll 2 (a
 * tie) was played and never started, poll 3 was not played. Taps just
 * outside the songs (the second of a song_end, the second a song starts in
 * before its start) count in no song. The v2 file is the same crowd without
 * the v3 columns (dropped, user_version 2). Truth in expect.mjs (`cocreation`). */
static void gen_cocreation(const char *path, int v3)
{
    open_db(path, v3 ? "PLAY" : "PLAY2", "Play It Night",
            "{\"code\":\"PLAY\",\"name\":\"Play It Night\",\"reactions\":[\"heart\",\"fire\"],\"sections\":[]}");
    const long long T = T0, S = T0 / 1000;
    exec("BEGIN");
    exec("INSERT INTO reactions(name, total) VALUES ('heart', 0), ('fire', 0)");
    exec("INSERT INTO devices(id, created_ms, section) VALUES (1, 1767225600000, ''), (2, 1767225600000, ''), "
         "(3, 1767225600000, ''), (4, 1767225600000, ''), (5, 1767225800000, ''), (6, 1767225850000, '')");
    const struct sess ss[] = {
        {0, "crew", "", T - 5000, T + 600000},
        {1, "audience", "", T, T + 600000},
        {2, "audience", "", T, T + 600000},
        {3, "audience", "", T, T + 600000},
        {4, "audience", "", T, T + 600000},
        {5, "audience", "", T + 200000, T + 400000},  /* counted at the end of seconds 200..399 */
        {6, "audience", "", T + 250000, T + 600000},  /* 250..599 */
    };
    const struct sig sg[] = {
        {T + 61000, 1, "", "react", 0, 0, "heart", 12, NULL},     /* Warm Up */
        {T + 119999, 2, "", "react", 0, 0, "fire", 8, NULL},      /* Warm Up, its last second */
        {T + 120000, 2, "", "react", 0, 0, "fire", 5, NULL},      /* the song_end's second: no song */
        {T + 131000, 1, "", "vote", 1, 0, NULL, 0, NULL},
        {T + 132000, 2, "", "vote", 1, 0, NULL, 0, NULL},
        {T + 133000, 3, "", "vote", 1, 1, NULL, 0, NULL},
        {T + 134000, 4, "", "vote", 1, 0, NULL, 0, NULL},
        {T + 180400, 1, "", "react", 0, 0, "heart", 7, NULL},     /* second 180, before +180.5 s: no song */
        {T + 181000, 1, "", "react", 0, 0, "heart", 40, NULL},    /* Neon Skies */
        {T + 250000, 6, "", "react", 0, 0, "fire", 35, NULL},
        {T + 299999, 5, "", "react", 0, 0, "heart", 25, NULL},
        {T + 300000, 3, "", "react", 0, 0, "heart", 30, NULL},    /* Slow Song */
        {T + 401000, 1, "", "vote", 2, 0, NULL, 0, NULL},
        {T + 402000, 2, "", "vote", 2, 1, NULL, 0, NULL},
        {T + 403000, 3, "", "vote", 2, 0, NULL, 0, NULL},
        {T + 404000, 6, "", "vote", 2, 1, NULL, 0, NULL},
        {T + 500000, 4, "", "react", 0, 0, "fire", 42, NULL},
        {T + 501000, 1, "", "vote", 3, 0, NULL, 0, NULL},
        {T + 502000, 2, "", "vote", 3, 0, NULL, 0, NULL},
    };
    write_history(ss, (int)(sizeof ss / sizeof *ss), sg, (int)(sizeof sg / sizeof *sg), S, S + 599, -1, -1);
    exec("INSERT INTO polls(id, question, allow_change, opened_ms, closed_ms, audience_at_open, played_ms, played_option) VALUES "
         "(1, 'What next?', 0, 1767225730000, 1767225770000, 4, 1767225775000, 0), "
         "(2, 'Last song?', 0, 1767226000000, 1767226050000, 5, 1767226060000, 1), "
         "(3, 'Lights on?', 0, 1767226100000, 1767226120000, 5, NULL, NULL)");
    exec("INSERT INTO poll_options(poll, idx, label) VALUES (1, 0, 'Neon Skies'), (1, 1, 'Slow Song'), "
         "(2, 0, 'Thunder'), (2, 1, 'Rain'), (3, 0, 'Yes'), (3, 1, 'No')");
    exec("INSERT INTO votes(poll, device, option, ts_ms, changes) VALUES "
         "(1, 1, 0, 1767225731000, 0), (1, 2, 0, 1767225732000, 0), (1, 3, 1, 1767225733000, 0), (1, 4, 0, 1767225734000, 0), "
         "(2, 1, 0, 1767226001000, 0), (2, 2, 1, 1767226002000, 0), (2, 3, 0, 1767226003000, 0), (2, 6, 1, 1767226004000, 0), "
         "(3, 1, 0, 1767226101000, 0), (3, 2, 0, 1767226102000, 0)");
    exec("INSERT INTO markers(id, ts_ms, kind, label, poll) VALUES "
         "(1, 1767225660000, 'song_start', 'Warm Up', NULL), (2, 1767225720000, 'song_end', 'Warm Up', NULL), "
         "(3, 1767225750000, 'note', 'Talk', NULL), (4, 1767225780500, 'song_start', 'Neon Skies', 1), "
         "(5, 1767225900000, 'song_start', 'Slow Song', NULL), (6, 1767225960000, 'note', 'Lights', NULL)");
    exec("COMMIT");
    if (!v3) {
        exec("ALTER TABLE polls DROP COLUMN played_ms; ALTER TABLE polls DROP COLUMN played_option; "
             "ALTER TABLE markers DROP COLUMN poll; PRAGMA user_version = 2");
    }
}

/* ---- cluster: one crowd, as one hub writes it and as 2 or 3 hubs do ------ */

/* cluster OUT.db [--hubs H]: the same crowd written twice. OUT.db is the
 * event as ONE hub would have recorded it (the truth); OUT.hub1.db ..
 * OUT.hubH.db are the files of H hubs (2 or 3; default 3) that served it
 * together, each writing what the cluster hub writes (docs/analytics.md,
 * "Several hubs (cluster)"): its own devices (ids n * 64 + hub, unique
 * across hubs), sessions and signals with its own counters, its own
 * per-second rows (audience = its phones), its reaction totals, and every
 * crew-driven row (polls with its own audience at the opening, options,
 * markers, chant_mod) duplicated. Hub 3 starts 5 minutes late (its seconds
 * and event row too). With --hubs 2, hub 3's phones are on hub 2 (their ids
 * keep their residue: one crowd). The edge cases:
 *  - device 4 (id 257) moves from hub 1 to hub 2 and changes section A -> C
 *    there (a devices row in each file); it voted 0 on poll 1 on hub 1, then
 *    1 and back to 0 on hub 2: 2 changes in truth, 0 and 1 in the files;
 *  - two hubs' taps in one second, of one kind (seconds and second_reacts sum);
 *  - the last hub was cut off from the crew around +700 s: it missed poll
 *    2's close and "Play it" (NULL there) and the 'hide' of "louder" (its
 *    chant_mod row is the earlier approval, its mod_log has no 'hide');
 *  - mod_log: crew actions logged by every hub, one (mode auto) that the
 *    last hub logged without the crew's session (0), a 'mode' change only
 *    hub 1 logged, 'blocked' rows only in the blocking hub's file;
 *  - a device banned on the one hub that has its row. */
#define CL_MAX_HUBS 3
struct cl_dev { int n, home; const char *section; long long created; int banned; };
struct cl_row { int n, hub; const char *section; long long created; };   /* a hub's own devices row */
struct cl_sess { int hub, n; const char *role, *section; long long start, end; };
struct cl_sig { int hub, n; long long ts; const char *section, *kind; long long poll, option; const char *reaction; long long taps; const char *text; };
struct cl_mod { int hub, session; long long ts; const char *action, *key, *text, *detail; int n; };
enum { CL_EVERY = 0, CL_MISSED = -1 };   /* cl_mod.hub: logged by every hub; by all but the last */

#define CT(ms) (T0 + (ms))
/* The truth: one row per device, as one hub leaves it. */
static const struct cl_dev CL_DEVS[] = {
    {1, 1, "A", CT(0), 0}, {2, 1, "B", CT(1000), 0}, {3, 1, "", CT(2000), 0}, {4, 1, "C", CT(3000), 0},
    {5, 2, "B", CT(5000), 0}, {6, 2, "C", CT(6000), 0}, {7, 2, "A", CT(7000), 1},
    {8, 3, "C", CT(310000), 0}, {9, 3, "B", CT(320000), 0},
};
/* What each hub's devices table holds. */
static const struct cl_row CL_ROWS[] = {
    {1, 1, "A", CT(0)}, {2, 1, "B", CT(1000)}, {3, 1, "", CT(2000)}, {4, 1, "A", CT(3000)},
    {5, 2, "B", CT(5000)}, {6, 2, "C", CT(6000)}, {7, 2, "A", CT(7000)}, {4, 2, "C", CT(301000)},
    {8, 3, "C", CT(310000)}, {9, 3, "B", CT(320000)},
};
static const struct cl_sess CL_SESS[] = {
    {1, 0, "crew", "", CT(-5000), CT(900000)},        /* session 1 in truth and on hub 1 */
    {1, 0, "crew", "", CT(-4000), CT(900000)},        /* session 2 */
    {2, 0, "screen", "", CT(-3000), -1},
    {1, 1, "audience", "A", CT(0), CT(900000)},
    {1, 2, "audience", "B", CT(1000), CT(400000)},
    {1, 3, "audience", "", CT(2000), CT(200000)},     /* watches only */
    {1, 4, "audience", "A", CT(3000), CT(300000)},
    {2, 5, "audience", "B", CT(5000), -1},            /* never closed */
    {2, 6, "audience", "C", CT(6000), CT(700000)},
    {2, 7, "audience", "A", CT(7000), CT(450000)},    /* closed by its ban */
    {2, 4, "audience", "A", CT(301000), CT(900000)},  /* moved to hub 2 */
    {3, 8, "audience", "C", CT(310000), CT(900000)},
    {3, 9, "audience", "", CT(320000), CT(900000)},
    {1, 2, "audience", "B", CT(500000), CT(900000)},  /* rejoined */
};
static const struct cl_sig CL_SIGS[] = {
    {1, 1, CT(61000), "A", "react", 0, 0, "heart", 5, NULL},
    {2, 5, CT(61500), "B", "react", 0, 0, "fire", 7, NULL},      /* same second, other hub */
    {1, 1, CT(110000), "A", "vote", 1, 0, NULL, 0, NULL},
    {1, 2, CT(120000), "B", "react", 0, 0, "heart", 3, NULL},
    {2, 6, CT(120400), "C", "react", 0, 0, "heart", 10, NULL},
    {1, 4, CT(120500), "A", "vote", 1, 0, NULL, 0, NULL},
    {2, 7, CT(130000), "A", "react", 0, 0, "fire", 4, NULL},
    {2, 5, CT(130500), "B", "vote", 1, 1, NULL, 0, NULL},
    {2, 5, CT(140000), "B", "vote", 1, 2, NULL, 0, NULL},         /* changed on its own hub */
    {1, 4, CT(150000), "A", "react", 0, 0, "heart", 6, NULL},
    {1, 1, CT(200000), "A", "chant", 0, 0, NULL, 0, "Encore"},
    {2, 5, CT(210000), "B", "chant", 0, 0, NULL, 0, "encore"},
    {1, 4, CT(230000), "A", "chant", 0, 0, NULL, 0, "Encore"},
    {2, 6, CT(300500), "C", "chant", 0, 0, NULL, 0, "LOUDER"},
    {2, 4, CT(305000), "C", "react", 0, 0, "heart", 8, NULL},     /* after its move */
    {3, 8, CT(330000), "C", "react", 0, 0, "fire", 12, NULL},
    {3, 8, CT(330500), "C", "vote", 1, 2, NULL, 0, NULL},
    {3, 9, CT(340000), "", "vote", 1, 0, NULL, 0, NULL},
    {3, 9, CT(350000), "", "react", 0, 0, "clap", 2, NULL},       /* before picking a section */
    {2, 4, CT(350500), "C", "vote", 1, 1, NULL, 0, NULL},         /* changed on another hub */
    {2, 4, CT(380000), "C", "vote", 1, 0, NULL, 0, NULL},         /* and back */
    {3, 9, CT(420000), "B", "react", 0, 0, "clap", 9, NULL},
    {3, 8, CT(560000), "C", "chant", 0, 0, NULL, 0, "louder"},    /* held (approve mode) */
    {3, 9, CT(600500), "B", "chant", 0, 0, NULL, 0, "ol\xc3\xa9"},
    {1, 1, CT(610000), "A", "vote", 2, 0, NULL, 0, NULL},
    {2, 6, CT(620000), "C", "vote", 2, 0, NULL, 0, NULL},
    {3, 8, CT(630000), "C", "vote", 2, 1, NULL, 0, NULL},
    {3, 9, CT(640000), "B", "vote", 2, 0, NULL, 0, NULL},
    {2, 4, CT(645000), "C", "vote", 2, 1, NULL, 0, NULL},
    {1, 1, CT(650000), "A", "chant", 0, 0, NULL, 0, "encore"},
    {2, 6, CT(690000), "C", "react", 0, 0, "clap", 5, NULL},
    {1, 1, CT(725000), "A", "react", 0, 0, "heart", 20, NULL},    /* the crowd's song */
    {2, 5, CT(725300), "B", "react", 0, 0, "fire", 15, NULL},
    {3, 8, CT(726000), "C", "react", 0, 0, "heart", 11, NULL},
    {1, 2, CT(760000), "B", "react", 0, 0, "fire", 30, NULL},
    {1, 2, CT(810000), "B", "vote", 3, 1, NULL, 0, NULL},
    {2, 4, CT(815000), "C", "vote", 3, 0, NULL, 0, NULL},
    {2, 4, CT(820000), "C", "chant", 0, 0, NULL, 0, "Encore"},
};
static const struct cl_mod CL_MODS[] = {
    {CL_EVERY, 1, CT(250000), "approve", "encore", "Encore", NULL, 0},
    {CL_EVERY, 1, CT(450000), "ban", NULL, NULL, NULL, 7},
    {2, 0, CT(460000), "blocked", "f.u.c.k", "f.u.c.k", NULL, 6},
    {1, 1, CT(500000), "mode", NULL, NULL, "approve", 0},          /* only hub 1 logged it */
    {3, 0, CT(520000), "blocked", "sh1t", "sh1t", NULL, 9},
    {CL_EVERY, 2, CT(600000), "approve", "louder", "LOUDER", NULL, 0},
    {CL_MISSED, 2, CT(700000), "hide", "louder", "LOUDER", NULL, 0},
    {CL_EVERY, 2, CT(800000), "mode", NULL, NULL, "auto", 0},      /* the last hub: session 0 */
};
#define CL_N(a) ((int)(sizeof(a) / sizeof *(a)))

static int cl_nhubs = 3;
/* The hub a hub of the 3-hub script is in this run (hub 3 folds into 2). */
static int cl_hub(int h) { return h > cl_nhubs ? cl_nhubs : h; }
static long long cl_id(int n)
{
    for (int i = 0; i < CL_N(CL_DEVS); i++)
        if (CL_DEVS[i].n == n) return (long long)n * 64 + cl_hub(CL_DEVS[i].home);
    return 0;
}

/* One file: hub = 0 is the truth (everything, as one hub), else that hub's part. */
static void cl_write(const char *path, int hub)
{
    int mine_all = hub == 0, late = hub == 3;
    open_db(path, "CLUS", "Cluster Night",
            "{\"code\":\"CLUS\",\"name\":\"Cluster Night\",\"reactions\":[\"heart\",\"fire\",\"clap\"],"
            "\"sections\":[\"A\",\"B\",\"C\"],\"moderation\":{\"mode\":\"auto\"}}");
    exec("BEGIN");
    if (hub >= 2) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE event SET created_ms = %lld", late ? CT(299000) : CT(-59000));
        exec(sql);
    }
    exec("INSERT INTO reactions(name, total) VALUES ('heart', 0), ('fire', 0), ('clap', 0)");
    sqlite3_stmt *st = prep("INSERT INTO devices(id, created_ms, section, banned) VALUES (?, ?, ?, ?)");
    if (mine_all)
        for (int i = 0; i < CL_N(CL_DEVS); i++)
            run(st, "iisi", cl_id(CL_DEVS[i].n), CL_DEVS[i].created, CL_DEVS[i].section, (long long)CL_DEVS[i].banned);
    else {
        /* A hub's rows; two script hubs folded into one keep the earlier row. */
        for (int i = 0; i < CL_N(CL_ROWS); i++) {
            const struct cl_row *d = &CL_ROWS[i];
            int banned = 0;
            for (int j = 0; j < CL_N(CL_DEVS); j++) if (CL_DEVS[j].n == d->n) banned = CL_DEVS[j].banned;
            if (cl_hub(d->hub) != hub) continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, cl_id(d->n));
            sqlite3_bind_int64(st, 2, d->created);
            sqlite3_bind_text(st, 3, d->section, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, banned);
            int rc = sqlite3_step(st);
            if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT) die("device");
        }
    }
    sqlite3_finalize(st);

    struct sess ss[CL_N(CL_SESS)];
    struct sig sg[CL_N(CL_SIGS)];
    int nss = 0, nsg = 0;
    for (int i = 0; i < CL_N(CL_SESS); i++) {
        const struct cl_sess *c = &CL_SESS[i];
        if (mine_all || cl_hub(c->hub) == hub)
            ss[nss++] = (struct sess){c->n ? cl_id(c->n) : 0, c->role, c->section, c->start, c->end};
    }
    for (int i = 0; i < CL_N(CL_SIGS); i++) {
        const struct cl_sig *c = &CL_SIGS[i];
        if (mine_all || cl_hub(c->hub) == hub)
            sg[nsg++] = (struct sig){c->ts, cl_id(c->n), c->section, c->kind, c->poll, c->option, c->reaction, c->taps, c->text};
    }
    const long long S = T0 / 1000;
    write_history(ss, nss, sg, nsg, late ? S + 300 : S, S + 899, -1, -1);
    exec("UPDATE signals SET chant_key = lower(text) WHERE kind = 'chant'");

    /* votes: what the hub's upsert leaves, from this file's vote signals:
     * the latest option and its time, and the changes made on this hub. */
    sqlite3_stmt *vq = prep("INSERT INTO votes(poll, device, option, ts_ms) VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT(poll, device) DO UPDATE SET changes = changes + (option != excluded.option), "
                            "option = excluded.option, ts_ms = excluded.ts_ms");
    for (int i = 0; i < nsg; i++)
        if (sg[i].kind[0] == 'v') run(vq, "iiii", sg[i].poll, sg[i].device, sg[i].option, sg[i].ts);
    sqlite3_finalize(vq);

    /* Polls: each hub's own audience at the opening; the last hub of the
     * cluster missed poll 2's close and "Play it". */
    static const struct { long long id; const char *q; int change; long long open, close, played, option; } polls[] = {
        {1, "Best song?", 1, CT(100000), CT(400000), -1, -1},
        {2, "Encore song?", 0, CT(600000), CT(700000), CT(710000), 0},
        {3, "Lights on?", 0, CT(800000), -1, -1, -1},
    };
    sqlite3_stmt *pq = prep("INSERT INTO polls(id, question, allow_change, opened_ms, closed_ms, audience_at_open, "
                            "reveal, revealed_ms, played_ms, played_option) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'live', ?4, ?7, ?8)");
    for (int p = 0; p < 3; p++) {
        int missed = hub == cl_nhubs && polls[p].id == 2;
        long long at_open = 0;
        for (int i = 0; i < nss; i++)
            at_open += !strcmp(ss[i].role, "audience") && ss[i].start <= polls[p].open &&
                       (ss[i].end < 0 || ss[i].end > polls[p].open);
        sqlite3_reset(pq);
        sqlite3_clear_bindings(pq);
        sqlite3_bind_int64(pq, 1, polls[p].id);
        sqlite3_bind_text(pq, 2, polls[p].q, -1, SQLITE_STATIC);
        sqlite3_bind_int(pq, 3, polls[p].change);
        sqlite3_bind_int64(pq, 4, polls[p].open);
        if (polls[p].close >= 0 && !missed) sqlite3_bind_int64(pq, 5, polls[p].close);
        sqlite3_bind_int64(pq, 6, at_open);
        if (polls[p].played >= 0 && !missed) { sqlite3_bind_int64(pq, 7, polls[p].played); sqlite3_bind_int64(pq, 8, polls[p].option); }
        if (sqlite3_step(pq) != SQLITE_DONE) die("poll");
    }
    sqlite3_finalize(pq);
    exec("INSERT INTO poll_options(poll, idx, label) VALUES (1, 0, 'Neon'), (1, 1, 'Rain'), (1, 2, 'Storm'), "
         "(2, 0, 'Thunder'), (2, 1, 'Calm'), (3, 0, 'Yes'), (3, 1, 'No')");
    exec("INSERT INTO markers(id, ts_ms, kind, label, poll) VALUES (1, 1767225660000, 'song_start', 'Opener', NULL), "
         "(2, 1767225880000, 'song_end', 'Opener', NULL), (3, 1767226320000, 'song_start', 'Thunder', 2), "
         "(4, 1767226450000, 'note', 'Thanks', NULL)");
    exec("INSERT INTO chant_mod(key, text, flags, ts_ms) VALUES ('encore', 'Encore', 1, 1767225850000)");
    exec(hub == cl_nhubs ? "INSERT INTO chant_mod(key, text, flags, ts_ms) VALUES ('louder', 'LOUDER', 1, 1767226200000)"
                         : "INSERT INTO chant_mod(key, text, flags, ts_ms) VALUES ('louder', 'LOUDER', 3, 1767226300000)");
    sqlite3_stmt *mq = prep("INSERT INTO mod_log(ts_ms, session, action, key, text, device, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (int i = 0; i < CL_N(CL_MODS); i++) {
        const struct cl_mod *m = &CL_MODS[i];
        if (!mine_all && m->hub == CL_MISSED && hub == cl_nhubs) continue;
        if (!mine_all && m->hub > 0 && cl_hub(m->hub) != hub) continue;
        int session = m->session;
        if (!mine_all && hub == cl_nhubs && !strcmp(m->action, "mode") && !strcmp(m->detail, "auto")) session = 0;   /* relayed, unnamed */
        sqlite3_reset(mq);
        sqlite3_clear_bindings(mq);
        sqlite3_bind_int64(mq, 1, m->ts);
        sqlite3_bind_int(mq, 2, session);
        sqlite3_bind_text(mq, 3, m->action, -1, SQLITE_STATIC);
        if (m->key) sqlite3_bind_text(mq, 4, m->key, -1, SQLITE_STATIC);
        if (m->text) sqlite3_bind_text(mq, 5, m->text, -1, SQLITE_STATIC);
        if (m->n) sqlite3_bind_int64(mq, 6, cl_id(m->n));
        if (m->detail) sqlite3_bind_text(mq, 7, m->detail, -1, SQLITE_STATIC);
        if (sqlite3_step(mq) != SQLITE_DONE) die("mod_log");
    }
    sqlite3_finalize(mq);
    exec("COMMIT");
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    db = NULL;
}

static void gen_cluster(const char *path, int nhubs)
{
    cl_nhubs = nhubs;
    cl_write(path, 0);
    size_t n = strlen(path);
    int base = n > 3 && !strcmp(path + n - 3, ".db") ? (int)n - 3 : (int)n;
    for (int h = 1; h <= nhubs; h++) {
        char hp[4096];
        snprintf(hp, sizeof hp, "%.*s.hub%d.db", base, path, h);
        cl_write(hp, h);
    }
}

/* ---- big structured crowd ------------------------------------------------- */

static const char *const KINDS[] = {"heart", "fire", "clap", "rock", "laugh"};
static const char *const SECTIONS[] = {"A", "B", "C", ""};
static const char *const CHANTS[] = {"LOUDER", "one more song", "we love you", "encore", "olé olé",
                                     "hands up", "sing it", "again", "bravo", "yes"};
#define DUR_S 10800          /* three hours */
#define NPOLLS 6
#define POLL_OPTS 3

struct big_dev { int64_t start1, end1, start2, end2, reacts, votes, chants; };

static void gen_big(const char *path, long long ndev, long long nsig, const char *expect)
{
    open_db(path, "BIG", "Big Arena Night",
            "{\"code\":\"BIG\",\"name\":\"Big Arena Night\",\"reactions\":[\"heart\",\"fire\",\"clap\",\"rock\",\"laugh\"],"
            "\"sections\":[\"A\",\"B\",\"C\"]}");
    exec("DROP INDEX signals_ts");
    exec("DROP INDEX signals_device");
    exec("PRAGMA synchronous=OFF");
    const long long T = T0, S = T0 / 1000;
    struct big_dev *dv = calloc((size_t)ndev + 1, sizeof *dv);
    int64_t *sec_taps = calloc(DUR_S, sizeof *sec_taps), *sec_votes = calloc(DUR_S, sizeof *sec_votes);
    int64_t *sec_chants = calloc(DUR_S, sizeof *sec_chants), *sec_kind = calloc(DUR_S * 5, sizeof *sec_kind);
    int64_t *aud_delta = calloc(DUR_S + 1, sizeof *aud_delta);
    int8_t *cur = malloc((size_t)(ndev + 1) * NPOLLS);
    int32_t *chg = calloc((size_t)(ndev + 1) * NPOLLS, sizeof *chg);
    int64_t *vts = calloc((size_t)(ndev + 1) * NPOLLS, sizeof *vts);
    if (!dv || !sec_taps || !sec_votes || !sec_chants || !sec_kind || !aud_delta || !cur || !chg || !vts) die("oom");
    memset(cur, -1, (size_t)(ndev + 1) * NPOLLS);
    int64_t sec_section_taps[4] = {0}, chant_count[10] = {0}, tot_taps = 0, nreact = 0, nvote = 0, nchant = 0;

    exec("BEGIN");
    sqlite3_stmt *st = prep("INSERT INTO devices(id, created_ms, section) VALUES (?, ?, ?)");
    sqlite3_stmt *ss = prep("INSERT INTO sessions(device, role, section, start_ms, end_ms) VALUES (?, 'audience', ?, ?, ?)");
    for (long long i = 1; i <= ndev; i++) {
        struct big_dev *d = &dv[i];
        d->start1 = T + (i % 600) * 1000;               /* everyone joins in the first 10 minutes */
        d->end1 = i % 10 == 0 ? T + 3600000 + i % 1000 : T + DUR_S * 1000LL;
        d->start2 = d->end2 = -1;
        if (i % 50 == 0) { d->start2 = T + 7200000 + i % 1000; d->end2 = T + DUR_S * 1000LL; }
        run(st, "iis", i, d->start1, SECTIONS[i % 4]);
        run(ss, "isii", i, SECTIONS[i % 4], d->start1, d->end1);
        if (d->start2 >= 0) run(ss, "isii", i, SECTIONS[i % 4], d->start2, d->end2);
        /* audience at end of second s: start <= s*1000+999 < end */
        aud_delta[(d->start1 - T) / 1000]++;
        if ((d->end1 - T) / 1000 < DUR_S) aud_delta[(d->end1 - T) / 1000]--;  /* end in second e: gone at its end when e*1000+999 >= end */
        if (d->start2 >= 0) aud_delta[(d->start2 - T) / 1000]++;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(ss);

    sqlite3_stmt *sg = prep("INSERT INTO signals(ts_ms, device, section, kind, poll, option, reaction, n, text) VALUES (?,?,?,?,?,?,?,?,?)");
    /* Poll p (1-based) is open for 5 minutes from T + (p*25 + 5) minutes. */
    for (long long j = 0; j < nsig; j++) {
        long long ts = T + 600000 + (j * (DUR_S * 1000LL - 600000)) / nsig;
        /* Device by a mixed hash of j; every tenth device only watches, only
         * a quarter of them chant and two thirds vote: a spread ladder. */
        uint64_t x = (uint64_t)j * 0x9E3779B97F4A7C15ULL;
        x ^= x >> 31; x *= 0xBF58476D1CE4E5B9ULL; x ^= x >> 27;
        long long dev = 1 + (long long)(x % (uint64_t)ndev);
        if (dev % 10 == 9) dev--;
        long long sec = (ts - T) / 1000, m = (long long)((x >> 40) % 100);
        const char *section = SECTIONS[dev % 4];
        int poll = 0;
        for (int p = 1; p <= NPOLLS; p++) {
            long long open = T + (p * 25 + 5) * 60000LL;
            if (ts >= open && ts < open + 300000) poll = p;
        }
        /* A 20-second burst at minute 100 makes one unmistakable peak. */
        int burst = sec >= 6000 && sec < 6020;
        sqlite3_reset(sg);
        sqlite3_clear_bindings(sg);
        sqlite3_bind_int64(sg, 1, ts);
        sqlite3_bind_int64(sg, 2, dev);
        sqlite3_bind_text(sg, 3, section, -1, SQLITE_STATIC);
        if (m < 2 && !burst && dev % 4 == 0) {
            int c = (int)sqrt((double)((j / 100 * 2654435761ULL) % 100));   /* skewed towards high indexes */
            sqlite3_bind_text(sg, 4, "chant", -1, SQLITE_STATIC);
            sqlite3_bind_text(sg, 9, CHANTS[c], -1, SQLITE_STATIC);
            chant_count[c]++; nchant++; dv[dev].chants++; sec_chants[sec]++;
        } else if (m < 12 && poll && !burst && dev % 3 != 0) {
            long long opt = (dev + j / 100) % POLL_OPTS;
            size_t k = (size_t)dev * NPOLLS + (size_t)(poll - 1);
            sqlite3_bind_text(sg, 4, "vote", -1, SQLITE_STATIC);
            sqlite3_bind_int64(sg, 5, poll);
            sqlite3_bind_int64(sg, 6, opt);
            if (cur[k] >= 0 && cur[k] != opt) chg[k]++;
            if (cur[k] != opt) { cur[k] = (int8_t)opt; vts[k] = ts; }
            else { sqlite3_reset(sg); continue; }   /* the hub does not store a same-option revote */
            nvote++; dv[dev].votes++; sec_votes[sec]++;
        } else {
            int k = (int)((j * 13) % 5);
            long long n = burst ? 50 : 1 + j % 10;
            sqlite3_bind_text(sg, 4, "react", -1, SQLITE_STATIC);
            sqlite3_bind_text(sg, 7, KINDS[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(sg, 8, n);
            nreact++; tot_taps += n; dv[dev].reacts++; sec_taps[sec] += n; sec_kind[sec * 5 + k] += n;
            sec_section_taps[dev % 4] += n;
        }
        if (sqlite3_step(sg) != SQLITE_DONE) die("signal");
    }
    sqlite3_finalize(sg);

    sqlite3_stmt *sq = prep("INSERT INTO seconds(sec, audience, taps, votes, chants) VALUES (?,?,?,?,?)");
    sqlite3_stmt *sr = prep("INSERT INTO second_reacts(sec, reaction, taps) VALUES (?,?,?)");
    int64_t aud = 0, peak = 0, peak_sec = 0, best = -1, best_sec = 0;
    for (long long s = 0; s < DUR_S; s++) {
        aud += aud_delta[s];
        if (aud > peak) { peak = aud; peak_sec = S + s; }
        if (sec_taps[s] > best) { best = sec_taps[s]; best_sec = S + s; }
        run(sq, "iiiii", S + s, aud, sec_taps[s], sec_votes[s], sec_chants[s]);
        for (int k = 0; k < 5; k++) if (sec_kind[s * 5 + k]) run(sr, "isi", S + s, KINDS[k], sec_kind[s * 5 + k]);
    }
    sqlite3_finalize(sq);
    sqlite3_finalize(sr);

    sqlite3_stmt *pq = prep("INSERT INTO polls(id, question, allow_change, opened_ms, closed_ms, audience_at_open) VALUES (?,?,1,?,?,?)");
    sqlite3_stmt *oq = prep("INSERT INTO poll_options(poll, idx, label) VALUES (?,?,?)");
    sqlite3_stmt *vq = prep("INSERT INTO votes(poll, device, option, ts_ms, changes) VALUES (?,?,?,?,?)");
    int64_t voters[NPOLLS] = {0}, changed[NPOLLS] = {0}, result[NPOLLS][POLL_OPTS] = {{0}};
    for (int p = 1; p <= NPOLLS; p++) {
        long long open = T + (p * 25 + 5) * 60000LL;
        char q[64];
        snprintf(q, sizeof q, "Question %d?", p);
        run(pq, "isiii", (long long)p, q, open, open + 300000, (long long)(ndev - ndev / 10));
        for (int o = 0; o < POLL_OPTS; o++) { char l[16]; snprintf(l, sizeof l, "Option %c", 'A' + o); run(oq, "iis", (long long)p, (long long)o, l); }
        for (long long i = 1; i <= ndev; i++) {
            size_t k = (size_t)i * NPOLLS + (size_t)(p - 1);
            if (cur[k] < 0) continue;
            run(vq, "iiiii", (long long)p, i, (long long)cur[k], (long long)vts[k], (long long)chg[k]);
            voters[p - 1]++; changed[p - 1] += chg[k] > 0; result[p - 1][cur[k]]++;
        }
    }
    sqlite3_finalize(pq); sqlite3_finalize(oq); sqlite3_finalize(vq);
    sqlite3_stmt *mk = prep("INSERT INTO markers(ts_ms, kind, label) VALUES (?,?,?)");
    for (int s = 0; s < 10; s++) {
        char l[32];
        snprintf(l, sizeof l, "Song %d", s + 1);
        run(mk, "iss", T + (s * 18 + 10) * 60000LL, "song_start", l);
        run(mk, "iss", T + (s * 18 + 14) * 60000LL, "song_end", l);
    }
    sqlite3_finalize(mk);
    sqlite3_stmt *rt = prep("INSERT INTO reactions(name, total) VALUES (?, ?)");
    for (int k = 0; k < 5; k++) {
        int64_t n = 0;
        for (long long s = 0; s < DUR_S; s++) n += sec_kind[s * 5 + k];
        run(rt, "si", KINDS[k], n);
    }
    sqlite3_finalize(rt);
    exec("COMMIT");
    exec(SCHEMA_SQL);   /* recreates the indexes, as the hub has them */

    if (expect) {
        FILE *f = fopen(expect, "w");
        if (!f) die("expect");
        int64_t lv[5] = {0}, fr = 0, fv = 0, fc = 0, rejoined = 0;
        for (long long i = 1; i <= ndev; i++) {
            const struct big_dev *d = &dv[i];
            fr += d->reacts > 0; fv += d->votes > 0; fc += d->chants > 0;
            rejoined += d->start2 >= 0;
            int l = d->reacts && d->votes && d->chants ? 4 : d->chants ? 3 : d->votes ? 2 : d->reacts ? 1 : 0;
            lv[l]++;
        }
        int top = 0;
        for (int c = 1; c < 10; c++) if (chant_count[c] > chant_count[top]) top = c;
        fprintf(f, "{\"devices\":%lld,\"rejoined\":%lld,\"sessions\":%lld,\"peak_audience\":%lld,\"peak_sec\":%lld,"
                   "\"funnel\":[%lld,%lld,%lld,%lld],\"ladder\":[%lld,%lld,%lld,%lld,%lld],"
                   "\"taps\":%lld,\"react_signals\":%lld,\"votes\":%lld,\"chants\":%lld,\"timeline_len\":%d,"
                   "\"top_peak_sec\":%lld,\"top_peak_taps\":%lld,\"top_chant\":\"%s\",\"top_chant_count\":%lld,"
                   "\"section_taps\":{\"A\":%lld,\"B\":%lld,\"C\":%lld,\"\":%lld},\"polls\":[",
                ndev, (long long)rejoined, ndev + rejoined, (long long)peak, (long long)peak_sec,
                ndev, (long long)fr, (long long)fv, (long long)fc,
                (long long)lv[0], (long long)lv[1], (long long)lv[2], (long long)lv[3], (long long)lv[4],
                (long long)tot_taps, (long long)nreact, (long long)nvote, (long long)nchant, DUR_S,
                (long long)best_sec, (long long)best, CHANTS[top], (long long)chant_count[top],
                (long long)sec_section_taps[0], (long long)sec_section_taps[1], (long long)sec_section_taps[2],
                (long long)sec_section_taps[3]);
        for (int p = 0; p < NPOLLS; p++)
            fprintf(f, "%s{\"voters\":%lld,\"changed\":%lld,\"counts\":[%lld,%lld,%lld]}", p ? "," : "",
                    (long long)voters[p], (long long)changed[p], (long long)result[p][0], (long long)result[p][1],
                    (long long)result[p][2]);
        fprintf(f, "]}\n");
        fclose(f);
    }
    free(dv); free(sec_taps); free(sec_votes); free(sec_chants); free(sec_kind); free(aud_delta); free(cur); free(chg); free(vts);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s small|quiet|empty|newer|mod|v1|cocreation|cocreation-v2|cluster|big OUT.db [--devices D] [--signals N] [--expect FILE] [--hubs H]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1], *out = argv[2], *expect = NULL;
    long long ndev = 40000, nsig = 10000000, nhubs = 3;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--devices")) ndev = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--signals")) nsig = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--expect")) expect = argv[i + 1];
        else if (!strcmp(argv[i], "--hubs")) nhubs = atoll(argv[i + 1]);
        else { fprintf(stderr, "gen: unknown option %s\n", argv[i]); return 2; }
    }
    if (!strcmp(mode, "small")) gen_small(out);
    else if (!strcmp(mode, "quiet")) gen_quiet(out);
    else if (!strcmp(mode, "empty")) gen_empty(out);
    else if (!strcmp(mode, "mod")) gen_moderated(out, 1);
    else if (!strcmp(mode, "v1")) gen_moderated(out, 0);
    else if (!strcmp(mode, "cocreation")) gen_cocreation(out, 1);
    else if (!strcmp(mode, "cocreation-v2")) gen_cocreation(out, 0);
    else if (!strcmp(mode, "cluster")) {
        if (nhubs < 2 || nhubs > CL_MAX_HUBS) { fprintf(stderr, "gen: --hubs must be 2 or 3\n"); return 2; }
        gen_cluster(out, (int)nhubs);
    }
    else if (!strcmp(mode, "newer")) {
        gen_empty(out);
        char v[64];
        snprintf(v, sizeof v, "PRAGMA user_version=%d", SCHEMA_VERSION + 1);
        exec(v);
    } else if (!strcmp(mode, "big")) {
        if (ndev < 1 || nsig < 1) { fprintf(stderr, "gen: --devices and --signals must be positive\n"); return 2; }
        gen_big(out, ndev, nsig, expect);
    } else { fprintf(stderr, "gen: unknown mode %s\n", mode); return 2; }
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    return 0;
}
