/* merge.c -- the databases of several hubs of one event, read as one.
 *
 * A cluster (issue 14) serves one event with several hub processes, each
 * writing its own SQLite file. merge_attach() ATTACHes the other hubs'
 * files to the report's connection and creates, for every table report.c
 * reads, a TEMP VIEW of the same name. Unqualified names find temp objects
 * before main's tables (and PRAGMA table_info finds the view, with the
 * table's columns), so report.c's queries run unchanged over the merge.
 * Attached files take the connection's open flags: on a read-only
 * connection (report_open()) they are read-only too, which is checked.
 * `tables[]` below is docs/analytics.md, "Several hubs (cluster)", in SQL;
 * change both together.
 *
 * Two shapes of view:
 *  - every row of every file (signals, sessions): a UNION ALL of the files,
 *    per-hub ids renumbered (id * MERGE_STRIDE + file). SQLite flattens it
 *    into the query that reads it: report.c's one scan of signals becomes
 *    one scan per file, and its join that fetches the vote and chant
 *    signals by device runs once per file through that file's
 *    signals_device index. No copy and no sort of signals.
 *  - one row per key (every other table): the files' rows, each with its
 *    file number (src_), in one UNION ALL partitioned by the key with window
 *    functions. The columns come from the first row of the key by the
 *    table's `first` order (the first file that holds the key, unless said
 *    otherwise); some columns are aggregates over all the key's rows (sums,
 *    min, max). Each query of such a view sorts that table's rows of all the
 *    files: small next to signals (seconds has one row per second per hub).
 *
 * Invariants: every attached file has main's event code, schema version and
 * columns (the views are built from main's columns); no file is attached
 * twice; the views and the attachments live on the caller's connection from
 * merge_attach() to merge_detach() and nowhere else. No global state. */
#include "merge.h"
#include "report.h"
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ALIAS_PREFIX "chorus_hub"   /* peer k is attached as chorus_hub<k> */
#define COLS_MAX 16                 /* columns of the widest merged table (10) */
#define RULES_MAX 5

/* A column whose value is computed over all its key's rows: `expr` is a
 * window expression over the rows of the file union `t` (w = the key). */
struct mrule { const char *col, *expr; };

struct mtable {
    const char *name;
    const char *key;       /* columns of t whose rows make one row; NULL: every row of every file */
    const char *first;     /* which row of a key gives the other columns (a window ORDER BY) */
    const char *renumber;  /* a per-hub counter column made unique: * MERGE_STRIDE + file */
    const char *extra;     /* more columns of each file's rows for the rules ('@' = that file's schema) */
    struct mrule rules[RULES_MAX];
};

#define FIRST_FILE "t.src_"

/* A device's changes of vote on a poll: normally its one row's `changes`.
 * A device that voted on two hubs has a row in each file, each counting
 * only the changes made on that hub; then they are counted again, exactly,
 * from the vote signals of every file (every accepted vote is one): the
 * number of consecutive signals, by (ts_ms, id), whose option differs. */
#define VOTE_CHANGES \
    "CASE WHEN count(*) OVER w = 1 THEN t.changes ELSE " \
    "(SELECT count(*) FROM (SELECT s.option != lag(s.option) OVER (ORDER BY s.ts_ms, s.id) AS changed " \
    "FROM signals s WHERE s.kind = 'vote' AND s.poll = t.poll AND s.device = t.device) WHERE changed) END"

static const struct mtable tables[] = {
    /* The same event in every file; each hub created its row when it first
     * started: the event was created when the first hub started. */
    {"event", "t.id", FIRST_FILE, NULL, NULL, {{"created_ms", "min(t.created_ms) OVER w"}}},
    /* Each hub's figures of its own crowd: the event's are their sums. */
    {"reactions", "t.name", FIRST_FILE, NULL, NULL, {{"total", "sum(t.total) OVER w"}}},
    {"seconds", "t.sec", FIRST_FILE, NULL, NULL,
     {{"audience", "sum(t.audience) OVER w"}, {"taps", "sum(t.taps) OVER w"},
      {"votes", "sum(t.votes) OVER w"}, {"chants", "sum(t.chants) OVER w"}}},
    {"second_reacts", "t.sec, t.reaction", FIRST_FILE, NULL, NULL, {{"taps", "sum(t.taps) OVER w"}}},
    /* A signal or a connection is in the file of the hub that took it. */
    {"signals", NULL, NULL, "id", NULL, {{NULL, NULL}}},
    {"sessions", NULL, NULL, "id", NULL, {{NULL, NULL}}},
    /* Ids are unique across hubs; a device that moved has a row in each hub
     * it used. Its last known section is the row of the file holding its
     * latest audience session; first seen on any hub; banned on any. */
    {"devices", "t.id", "t.last_ DESC NULLS LAST, t.src_", NULL,
     "(SELECT max(s.start_ms) FROM @.sessions s WHERE s.device = t.id AND s.role = 'audience') AS last_",
     {{"created_ms", "min(t.created_ms) OVER w"}, {"banned", "max(t.banned) OVER w"}}},
    /* Every hub applies the crew's poll messages: the same poll in each file,
     * except each hub's own audience at the opening (summed), and a close,
     * reveal or "Play it" one hub may have missed (closed wins). */
    {"polls", "t.id", FIRST_FILE, NULL, NULL,
     {{"closed_ms", "max(t.closed_ms) OVER w"}, {"audience_at_open", "sum(t.audience_at_open) OVER w"},
      {"revealed_ms", "min(t.revealed_ms) OVER w"}, {"played_ms", "max(t.played_ms) OVER w"},
      {"played_option", "first_value(t.played_option) OVER (PARTITION BY t.id ORDER BY t.played_ms DESC NULLS LAST, t.src_)"}}},
    {"poll_options", "t.poll, t.idx", FIRST_FILE, NULL, NULL, {{NULL, NULL}}},
    /* A device's vote is in the file of the hub it voted on: the latest row. */
    {"votes", "t.poll, t.device", "t.ts_ms DESC, t.src_", NULL, NULL, {{"changes", VOTE_CHANGES}}},
    /* The hub edits and deletes markers by ts_ms: that is a marker's identity. */
    {"markers", "t.ts_ms", FIRST_FILE, NULL, NULL, {{NULL, NULL}}},
    {"chant_mod", "t.key", "t.ts_ms DESC, t.src_", NULL, NULL, {{NULL, NULL}}},
    /* A crew action may be logged by every hub: rows alike in all but id and
     * session are one action, kept from the first file whose row names the
     * crew session (else the first file). */
    {"mod_log", "t.ts_ms, t.action, t.key, t.text, t.device, t.detail", "t.session = 0, t.src_", "id", NULL,
     {{NULL, NULL}}},
};
#define NTABLES (sizeof tables / sizeof tables[0])

struct ctx {
    sqlite3 *db;
    const char *const *peers;
    const char *const *names;
    char *err;
    size_t errlen;
};

static int fail(const struct ctx *c, int code, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void alias(char *buf, size_t n, size_t k)
{
    if (k == 0) snprintf(buf, n, "main");
    else snprintf(buf, n, ALIAS_PREFIX "%zu", k);
}

/* How messages name file k (0 = main). */
static const char *name_of(const struct ctx *c, size_t k)
{
    if (c->names && c->names[k]) return c->names[k];
    if (k) return c->peers[k - 1];
    const char *f = sqlite3_db_filename(c->db, "main");
    return f && *f ? f : "the first database";
}

/* The first column of a one-row query as a new string (sqlite3_free), NULL
 * for no row or NULL. *rc: 0, or the SQLite error code. */
static char *text_query(sqlite3 *db, const char *sql, const char *a, const char *b, int *rc)
{
    sqlite3_stmt *st;
    char *out = NULL;
    *rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (*rc != SQLITE_OK) return NULL;
    if (a) sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
        if (!out) *rc = SQLITE_NOMEM;
    } else if (step != SQLITE_ROW && step != SQLITE_DONE) *rc = sqlite3_errcode(db);
    sqlite3_finalize(st);
    return out;
}

/* The integer of a one-row query into *out (0 without a row). Returns 0 or
 * the SQLite error code. */
static int int_query(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *st;
    *out = 0;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqlite3_errcode(db);
}

/* Columns of schema.table in order, comma-separated (sqlite3_free); NULL
 * when there is no such table. */
static char *columns(sqlite3 *db, const char *schema, const char *table, int *rc)
{
    return text_query(db, "SELECT group_concat(name, ',') FROM "
                          "(SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid)", table, schema, rc);
}

/* Append `s` with every '@' replaced by `schema`. */
static void append_schema(sqlite3_str *q, const char *s, const char *schema)
{
    for (const char *at; (at = strchr(s, '@')); s = at + 1) {
        sqlite3_str_append(q, s, (int)(at - s));
        sqlite3_str_appendall(q, schema);
    }
    sqlite3_str_appendall(q, s);
}

static const char *rule_of(const struct mtable *t, const char *col)
{
    for (int i = 0; i < RULES_MAX && t->rules[i].col; i++)
        if (strcmp(t->rules[i].col, col) == 0) return t->rules[i].expr;
    return NULL;
}

/* One file's rows of table t: SELECT [k AS src_,] columns [, extra] FROM schema.t. */
static void append_arm(sqlite3_str *q, const struct mtable *t, char *const *cols, int ncols, size_t k)
{
    char schema[32];
    alias(schema, sizeof schema, k);
    sqlite3_str_appendall(q, "SELECT ");
    if (t->key) sqlite3_str_appendf(q, "%d AS src_, ", (int)k);
    for (int i = 0; i < ncols; i++) {
        if (i) sqlite3_str_appendall(q, ", ");
        if (t->renumber && strcmp(cols[i], t->renumber) == 0)
            sqlite3_str_appendf(q, "t.\"%w\" * %d + %d AS \"%w\"", cols[i], MERGE_STRIDE, (int)k, cols[i]);
        else sqlite3_str_appendf(q, "t.\"%w\"", cols[i]);
    }
    if (t->key && t->extra) {
        sqlite3_str_appendall(q, ", ");
        append_schema(q, t->extra, schema);
    }
    sqlite3_str_appendf(q, " FROM %s.\"%w\" AS t", schema, t->name);
}

/* CREATE TEMP VIEW t AS <the merge of the nfiles files' t>, with main's
 * columns `collist` ("a,b,c"). Returns the statement (sqlite3_free), or
 * NULL out of memory or with more columns than any Chorus table has. */
static char *view_sql(const struct mtable *t, const char *collist, size_t nfiles)
{
    char buf[512], *cols[COLS_MAX];
    int ncols = 0;
    if (strlen(collist) >= sizeof buf) return NULL;
    snprintf(buf, sizeof buf, "%s", collist);
    for (char *save = NULL, *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (ncols == COLS_MAX) return NULL;
        cols[ncols++] = c;
    }
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendf(q, "CREATE TEMP VIEW \"%w\" AS ", t->name);
    if (!t->key) {
        for (size_t k = 0; k < nfiles; k++) {
            if (k) sqlite3_str_appendall(q, " UNION ALL ");
            append_arm(q, t, cols, ncols, k);
        }
        return sqlite3_str_finish(q);
    }
    sqlite3_str_appendall(q, "SELECT ");
    for (int i = 0; i < ncols; i++) sqlite3_str_appendf(q, "%s\"%w\"", i ? ", " : "", cols[i]);
    sqlite3_str_appendall(q, " FROM (SELECT ");
    for (int i = 0; i < ncols; i++) {
        const char *rule = rule_of(t, cols[i]);
        if (rule) sqlite3_str_appendf(q, "%s%s AS \"%w\"", i ? ", " : "", rule, cols[i]);
        else sqlite3_str_appendf(q, "%st.\"%w\"", i ? ", " : "", cols[i]);
    }
    sqlite3_str_appendf(q, ", rank() OVER (PARTITION BY %s ORDER BY %s) AS rank_ FROM (", t->key, t->first);
    for (size_t k = 0; k < nfiles; k++) {
        if (k) sqlite3_str_appendall(q, " UNION ALL ");
        append_arm(q, t, cols, ncols, k);
    }
    sqlite3_str_appendf(q, ") AS t WINDOW w AS (PARTITION BY %s)) WHERE rank_ = 1", t->key);
    return sqlite3_str_finish(q);
}

/* Check peer k (attached) against main: a Chorus database of the same
 * schema version, event and columns. 0 or a negative code with the reason. */
static int check_peer(const struct ctx *c, size_t k)
{
    char schema[32], sql[160];
    int rc;
    alias(schema, sizeof schema, k);
    const char *name = name_of(c, k), *first = name_of(c, 0);

    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND name = 'chorus_meta'", schema);
    char *meta = text_query(c->db, sql, NULL, NULL, &rc);
    int is_chorus = meta != NULL;
    sqlite3_free(meta);
    if (rc == SQLITE_NOTADB) return fail(c, REPORT_ENOTCHORUS, "%s: not a Chorus database (not an SQLite file)", name);
    if (rc) return fail(c, REPORT_EIO, "%s: %s", name, sqlite3_errstr(rc));
    if (!is_chorus) return fail(c, REPORT_ENOTCHORUS, "%s: not a Chorus database (no chorus_meta table)", name);

    long long version, version0;
    snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
    rc = int_query(c->db, sql, &version);
    if (!rc) rc = int_query(c->db, "PRAGMA main.user_version", &version0);
    if (rc) return fail(c, REPORT_ESQL, "%s: user_version: %s", name, sqlite3_errstr(rc));
    if (version > SCHEMA_VERSION)
        return fail(c, REPORT_ENEWER, "%s: database schema version %lld is newer than this report knows (%d)",
                    name, version, SCHEMA_VERSION);
    if (version != version0)
        return fail(c, REPORT_EMERGE, "%s is of schema version %lld and %s of %lld: the hubs of one event run one "
                    "version (start each hub once to migrate its file)", name, version, first, version0);

    snprintf(sql, sizeof sql, "SELECT code FROM %s.event WHERE id = 1", schema);
    char *code = text_query(c->db, sql, NULL, NULL, &rc);
    char *code0 = rc ? NULL : text_query(c->db, "SELECT code FROM main.event WHERE id = 1", NULL, NULL, &rc);
    int same = (!code && !code0) || (code && code0 && strcmp(code, code0) == 0);
    if (!rc && !same)
        rc = fail(c, REPORT_EMERGE, "%s holds event %s and %s event %s: only the databases of one event's hubs merge",
                  name, code ? code : "(none)", first, code0 ? code0 : "(none)");
    else if (rc) rc = fail(c, REPORT_ESQL, "%s: event: %s", name, sqlite3_errstr(rc));
    sqlite3_free(code);
    sqlite3_free(code0);
    if (rc) return rc;

    for (size_t i = 0; i < NTABLES; i++) {
        char *cols0 = columns(c->db, "main", tables[i].name, &rc);
        char *cols = rc ? NULL : columns(c->db, schema, tables[i].name, &rc);
        same = (!cols && !cols0) || (cols && cols0 && strcmp(cols, cols0) == 0);
        sqlite3_free(cols);
        sqlite3_free(cols0);
        if (rc) return fail(c, REPORT_ESQL, "%s: table_info: %s", name, sqlite3_errstr(rc));
        if (!same)
            return fail(c, REPORT_EMERGE, "%s: table %s has other columns than in %s (a damaged file, or a hub of "
                        "another version)", name, tables[i].name, first);
    }
    return 0;
}

static int create_views(const struct ctx *c, size_t nfiles)
{
    int rc;
    for (size_t i = 0; i < NTABLES; i++) {
        char *cols = columns(c->db, "main", tables[i].name, &rc);
        if (rc) return fail(c, REPORT_ESQL, "table_info: %s", sqlite3_errstr(rc));
        if (!cols) continue;   /* not in this schema version (v1: chant_mod, mod_log) */
        char *sql = view_sql(&tables[i], cols, nfiles);
        sqlite3_free(cols);
        if (!sql) return fail(c, REPORT_ENOMEM, "merged view %s: out of memory (or not a Chorus table)", tables[i].name);
        rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK) return fail(c, REPORT_ESQL, "merged view %s: %s", tables[i].name, sqlite3_errmsg(c->db));
    }
    return 0;
}

/* Files already attached to db by its owner (besides main and temp). */
static int attached_count(sqlite3 *db)
{
    long long n;
    int_query(db, "SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp')", &n);
    return (int)n;
}

int merge_attach(sqlite3 *db, const char *const *peers, size_t npeers, const char *const *names,
                 char *err, size_t errlen)
{
    struct ctx c = {.db = db, .peers = peers, .names = names, .err = err, .errlen = errlen};
    int room = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1) - attached_count(db);
    if (room < 0) room = 0;
    if (npeers > (size_t)room)
        return fail(&c, REPORT_EMERGE, "too many databases: %zu, at most %d (SQLite attaches %d besides the first)",
                    npeers + 1, room + 1, room);
    if (sqlite3_db_readonly(db, "main") != 1)
        return fail(&c, REPORT_EIO, "merging needs a read-only connection (report_open)");
    if (!sqlite3_get_autocommit(db))
        return fail(&c, REPORT_EIO, "merging needs a connection outside any transaction (to attach the files)");
    size_t done = 0;
    int rc = 0;
    for (size_t k = 1; k <= npeers && !rc; k++) {
        char schema[32], sql[64];
        sqlite3_stmt *st;
        alias(schema, sizeof schema, k);
        snprintf(sql, sizeof sql, "ATTACH ?1 AS %s", schema);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = fail(&c, REPORT_ESQL, "attach: %s", sqlite3_errmsg(db));
            break;
        }
        sqlite3_bind_text(st, 1, peers[k - 1], -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) {
            rc = sqlite3_errcode(db) == SQLITE_NOTADB
                 ? fail(&c, REPORT_ENOTCHORUS, "%s: not a Chorus database (not an SQLite file)", name_of(&c, k))
                 : fail(&c, REPORT_EIO, "cannot open %s: %s", name_of(&c, k), sqlite3_errmsg(db));
            break;
        }
        done = k;
        if (sqlite3_db_readonly(db, schema) != 1) {
            rc = fail(&c, REPORT_EIO, "%s: not attached read-only", name_of(&c, k));
            break;
        }
        const char *file = sqlite3_db_filename(db, schema);
        for (size_t j = 0; j < k && !rc; j++) {
            char other[32];
            alias(other, sizeof other, j);
            const char *f = sqlite3_db_filename(db, other);
            if (file && f && *file && strcmp(file, f) == 0)
                rc = fail(&c, REPORT_EMERGE, "%s and %s are the same database: give each hub's file once",
                          name_of(&c, j), name_of(&c, k));
        }
        if (!rc) rc = check_peer(&c, k);
    }
    if (!rc) rc = create_views(&c, npeers + 1);
    if (rc) merge_detach(db, done);
    return rc;
}

int merge_begin(sqlite3 *db, size_t npeers, char *err, size_t errlen)
{
    struct ctx c = {.db = db, .err = err, .errlen = errlen};
    for (size_t k = 1; k <= npeers; k++) {
        char schema[32], sql[96];
        alias(schema, sizeof schema, k);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master", schema);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return fail(&c, REPORT_ESQL, "begin %s: %s", schema, sqlite3_errmsg(db));
    }
    return 0;
}

void merge_detach(sqlite3 *db, size_t npeers)
{
    for (size_t i = 0; i < NTABLES; i++) {
        char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS temp.\"%w\"", tables[i].name);
        if (sql) sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
    }
    for (size_t k = npeers; k >= 1; k--) {
        char sql[64];
        snprintf(sql, sizeof sql, "DETACH " ALIAS_PREFIX "%zu", k);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
}
