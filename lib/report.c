/* report.c -- computes the engagement figures of one event from its database.
 *
 * Role: read a Chorus database (lib/schema.h) and produce every figure of
 * docs/analytics.md as one jansson object. The definitions live in that
 * document; this file follows them to the letter, and tests/report asserts
 * them against databases whose truth is known.
 *
 * How it reads (costs for an event of S seconds, D devices, N signals):
 *  - the timeline, the peaks and the peak audience come from the per-second
 *    aggregates `seconds` and `second_reacts` (O(S)), never from signals;
 *  - polls and their results from `polls`, `poll_options`, `votes` (small);
 *  - retention from `sessions` (O(sessions));
 *  - everything per device (funnel, ladder, sections, segments) from ONE
 *    sequential pass over `signals` reading 5 columns (O(N), no sort of N);
 *    the few vote and chant signals are then fetched whole via the
 *    signals_device index, kept in memory and sorted.
 *
 * Sections: one rule for every per-section figure (docs/analytics.md, "No
 * section"): a signal counts in the section it was sent from, and a device
 * is "in" each section it sent a signal from (its `struct dsec` rows), or,
 * if it sent nothing, in its last known section. "No section" is the
 * section "" of a device that had not chosen one when it sent. Sessions'
 * own section (the one a connection started with) is never used: a phone
 * picks its section after connecting, on the same session.
 *  - moderation (schema v2) from `chant_mod` (at most 4,096 rows) and a few
 *    grouped scans of `mod_log` (one row per crew action or blocked chant).
 * All queries run inside one savepoint, so the figures are consistent with
 * each other even while a live hub keeps writing (WAL).
 *
 * Schemas: a v1 database (an archive the hub never migrated) has no
 * signals.chant_key, devices.banned, chant_mod or mod_log; a v1 or v2 one
 * has no polls.played_ms, polls.played_option or markers.poll (v3, "Play
 * it"). Each is looked up in the schema before use; without chant_key chants
 * group by their text, without the moderation tables `moderation` is null,
 * without the v3 columns no poll was played and no marker is linked (so
 * `cocreation` has no crowd choice). Nothing else differs.
 *
 * Co-creation (`cocreation`) reuses what is already loaded: songs are cut
 * from the markers, their taps and audience summed over the per-second rows
 * (O(S) in all, by binary search per song); the played polls are one small
 * query.
 *
 * Several hubs (cluster mode, docs/analytics.md "Several hubs (cluster)"):
 * report_build_opts() with peers attaches the other hubs' files and shadows
 * every table with a TEMP VIEW of their merge (lib/merge.c), so each query
 * here runs unchanged over the whole event, inside the same one savepoint.
 * With no peer nothing is attached and nothing differs.
 *
 * Ownership: everything allocated here lives in a `struct rb` and is freed by
 * rb_free() on every path; the caller only ever owns the returned json_t.
 * There is no global or static mutable state. */
#include "report.h"
#include "merge.h"
#include "schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEAKS_MAX        10
#define PEAK_GAP_S       30      /* two peaks are at least this far apart */
#define RETENTION_STEP_MS (5 * 60 * 1000)
#define TOP_CHANTS       10
#define TOP_SEGMENT_CHANTS 5

enum { LVL_WATCHED, LVL_REACTED, LVL_VOTED, LVL_CHANTED, LVL_ALL, LVL_N };
static const char *const level_names[LVL_N] = {"watched", "reacted", "voted", "chanted", "all"};
static const char *const mode_names[3] = {"auto", "approve", "off"};
/* mod_log actions in the order the report lists them. */
#define MOD_ACTIONS 7
static const char *const mod_actions[MOD_ACTIONS] = {"approve", "hide", "unhide", "ban", "unban", "mode", "blocked"};
#define CHANT_HIDDEN 2           /* chant_mod.flags bit (1 is approved) */
/* Marker kinds that cut songs (markers.kind; a 'note' cuts nothing). */
#define MARKER_SONG_START "song_start"
#define MARKER_SONG_END   "song_end"

struct second { int64_t sec, audience, taps, votes, chants; };
/* linked: markers.poll is set (schema v3): this song_start marker started
 * the crowd choice of poll `poll`. */
struct marker { int64_t id, ts_ms, poll; int linked; char *kind, *label; };
struct device {
    int64_t id, created_ms, first_ms, connected_ms;
    int64_t reacts, taps, votes, chants, sessions;
    int section;                 /* index into rb.sections */
};
/* Counters the signal scan touches at random: kept small (20 bytes) so the
 * whole table stays in cache; copied into struct device after the scan.
 * uint32_t holds any real device (40 taps/s for 24 h is 3.5 M). */
struct dcount { uint32_t reacts, votes, chants, taps, dsec; };   /* dsec: last row + 1 */
/* A device in a section: it sent from it (mask of SENT_*), or it sent
 * nothing and it is its last known section (mask 0). */
enum { SENT_REACT = 1, SENT_VOTE = 2, SENT_CHANT = 4 };
struct dsec { int32_t dev, section; unsigned mask; };
struct session { int64_t device, start_ms, end_ms; int section; int has_end; };
struct vrec { int64_t ts_ms, id, poll, device, option; };
/* A chant signal. key is its grouping key, coalesce(chant_key, text): it
 * points at s when chant_key is NULL (or absent, v1), else owns a copy. */
struct crec { int64_t ts_ms, device, id; int seg; int grp; int text; char *s, *key; };
/* A chant group (one grouping key). text is the spelling shown for it: the
 * most sent, ties the first sent; it points into a crec. */
struct cgroup {
    const char *key, *text;
    int64_t count, devices, first_ms, held;
    int64_t approved_ms;         /* first 'approve' of the key, -1 never */
    int hidden;                  /* chant_mod.flags & 2 */
    int rank;                    /* position in (text, key) byte order */
};
/* A string key with a value: chant_mod flags, or a key's first approval. */
struct keyed { char *key; int64_t v; };
/* A 'mode' action of mod_log: from ts_ms on, chants ran in `mode`. */
struct modechg { int64_t ts_ms; char *mode; };
struct section { char *name; int64_t taps; };

struct rb {
    sqlite3 *db;
    char *err;
    size_t errlen;
    unsigned flags;
    json_t *root;
    json_t *kinds;               /* array of reaction names, in display order */
    struct section *sections; size_t nsections, capsections;
    struct second *secs; size_t nsecs;
    int64_t *kind_taps;          /* nsecs x nkinds */
    size_t nkinds;
    struct marker *markers; size_t nmarkers;
    struct device *devs; size_t ndevs;
    int32_t *dev_index; int64_t dev_index_max;  /* id -> index, or NULL */
    struct session *sess; size_t nsess;
    struct dsec *dsecs; size_t ndsecs;       /* by (dev, section), unique */
    struct vrec *votes; size_t nvotes, capvotes;
    struct crec *chants; size_t nchants, capchants;
    struct cgroup *groups; size_t ngroups;   /* by first key byte order */
    /* Schema v2 and v3 features, each looked up (a v1 archive has none). */
    int64_t schema_version;
    int has_chant_key, has_banned, has_mod;
    int has_played;              /* v3: polls.played_ms and polls.played_option */
    int has_marker_poll;         /* v3: markers.poll */
    const char *mode_start;      /* the event file's moderation.mode (static) */
    struct keyed *mods; size_t nmods;        /* chant_mod flags, sorted by key */
    struct keyed *approvals; size_t napprovals;  /* first approval per key, sorted */
    struct modechg *modes; size_t nmodes;    /* 'mode' actions by (ts_ms, id) */
    int64_t *seg_taps;           /* nmarkers + 1 segments */
    int64_t tot_taps, tot_reacts, tot_votes, tot_chants, tot_signals;
    int64_t start_ms, end_ms;    /* event window (docs/analytics.md) */
    int64_t created_ms;          /* event.created_ms: the window when nothing happened */
};

/* ---- small helpers ---------------------------------------------------- */

static int fail(struct rb *r, int code, const char *fmt, ...)
{
    if (r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int sqlfail(struct rb *r, const char *what)
{
    return fail(r, REPORT_ESQL, "%s: %s", what, sqlite3_errmsg(r->db));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static char *dupstr(const unsigned char *s)
{
    const char *t = s ? (const char *)s : "";
    size_t n = strlen(t) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, t, n);
    return d;
}

/* json helpers: a NULL child makes the parent set fail, which we catch once
 * at the end through a failed allocation check on the root. */
static void jset(json_t *o, const char *k, json_t *v) { json_object_set_new(o, k, v); }
static void jpush(json_t *a, json_t *v) { json_array_append_new(a, v); }
/* A JSON string from database text. The hub stores only valid UTF-8, but a
 * damaged or foreign value must not drop a key: invalid bytes become '?'. */
static json_t *jstr(const char *s)
{
    if (!s) s = "";
    json_t *v = json_string(s);
    if (v) return v;
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c) return NULL;
    for (size_t i = 0; i <= n; i++) c[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    v = json_string(c);
    free(c);
    return v;
}
static json_t *jint(int64_t v) { return json_integer((json_int_t)v); }
static json_t *jshare(int64_t num, int64_t den)
{
    if (den <= 0) return json_null();
    return json_real(round((double)num / (double)den * 1e6) / 1e6);
}
static json_t *jratio(double v) { return json_real(round(v * 1e6) / 1e6); }

static int prepare(struct rb *r, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) return sqlfail(r, "prepare");
    return 0;
}

static int section_index(struct rb *r, const char *name)
{
    for (size_t i = 0; i < r->nsections; i++)
        if (strcmp(r->sections[i].name, name) == 0) return (int)i;
    if (grow((void **)&r->sections, &r->capsections, r->nsections + 1, sizeof *r->sections)) return -1;
    char *d = dupstr((const unsigned char *)name);
    if (!d) return -1;
    r->sections[r->nsections].name = d;
    r->sections[r->nsections].taps = 0;
    return (int)r->nsections++;
}

static int kind_index(struct rb *r, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(r->kinds, i, v)
        if (strcmp(json_string_value(v), name) == 0) return (int)i;
    if (json_array_append_new(r->kinds, jstr(name))) return -1;
    return (int)json_array_size(r->kinds) - 1;
}

static int64_t dev_lookup(const struct rb *r, int64_t id)
{
    if (r->dev_index) {
        if (id < 0 || id > r->dev_index_max) return -1;
        return r->dev_index[id];
    }
    size_t lo = 0, hi = r->ndevs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->devs[mid].id < id) lo = mid + 1; else hi = mid;
    }
    return (lo < r->ndevs && r->devs[lo].id == id) ? (int64_t)lo : -1;
}

/* Index of the marker segment holding ts_ms: 0 = before the first marker,
 * i = from marker i-1 (inclusive) to marker i (exclusive). */
static int segment_of(const struct rb *r, int64_t ts_ms)
{
    size_t lo = 0, hi = r->nmarkers;   /* count markers with ts <= ts_ms */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->markers[mid].ts_ms <= ts_ms) lo = mid + 1; else hi = mid;
    }
    return (int)lo;
}

static json_t *marker_json(const struct marker *m)
{
    json_t *o = json_object();
    jset(o, "id", jint(m->id));
    jset(o, "ts_ms", jint(m->ts_ms));
    jset(o, "kind", jstr(m->kind));
    jset(o, "label", jstr(m->label));
    jset(o, "poll", m->linked ? jint(m->poll) : json_null());
    return o;
}

/* Marker a second falls under: the latest marker set before that second
 * ended (floor(ts_ms / 1000) <= sec), or NULL. */
static const struct marker *marker_at_sec(const struct rb *r, int64_t sec)
{
    int seg = segment_of(r, sec * 1000 + 999);
    return seg > 0 ? &r->markers[seg - 1] : NULL;
}

/* ---- loading ---------------------------------------------------------- */

static int load_event(struct rb *r)
{
    sqlite3_stmt *st;
    json_t *ev = json_object(), *cfg = NULL;
    int rc = prepare(r, &st, "SELECT code, name, config, created_ms FROM event WHERE id = 1");
    if (rc) { json_decref(ev); return rc; }
    jset(r->root, "event", ev);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        jset(ev, "code", jstr((const char *)sqlite3_column_text(st, 0)));
        jset(ev, "name", jstr((const char *)sqlite3_column_text(st, 1)));
        r->created_ms = sqlite3_column_int64(st, 3);
        jset(ev, "created_ms", jint(r->created_ms));
        const char *c = (const char *)sqlite3_column_text(st, 2);
        cfg = c ? json_loads(c, 0, NULL) : NULL;
    } else if (rc == SQLITE_DONE) {
        jset(ev, "code", jstr(""));
        jset(ev, "name", jstr(""));
        jset(ev, "created_ms", json_null());
    } else {
        sqlite3_finalize(st);
        return sqlfail(r, "event");
    }
    sqlite3_finalize(st);

    /* Reaction kinds and sections: the event file's order first, then any
     * other name the database holds (renamed between restarts). */
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cfg, "reactions"), i, v)
        if (json_is_string(v) && kind_index(r, json_string_value(v)) < 0) goto oom;
    json_array_foreach(json_object_get(cfg, "sections"), i, v)
        if (json_is_string(v) && section_index(r, json_string_value(v)) < 0) goto oom;
    json_t *songs = json_object_get(cfg, "songs");
    jset(ev, "songs", json_is_array(songs) ? json_incref(songs) : json_array());
    jset(ev, "schema_version", jint(r->schema_version));
    /* The mode chants ran in before the crew's first 'mode' action. */
    const char *mode = json_string_value(json_object_get(json_object_get(cfg, "moderation"), "mode"));
    r->mode_start = "auto";
    for (int m = 0; mode && m < 3; m++)
        if (strcmp(mode, mode_names[m]) == 0) r->mode_start = mode_names[m];
    json_decref(cfg);
    cfg = NULL;

    static const char *const more_kinds[] = {
        "SELECT name FROM reactions ORDER BY name",
        "SELECT DISTINCT reaction FROM second_reacts ORDER BY reaction",
    };
    for (int q = 0; q < 2; q++) {
        if ((rc = prepare(r, &st, more_kinds[q]))) return rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (kind_index(r, (const char *)sqlite3_column_text(st, 0)) < 0) { sqlite3_finalize(st); goto oom; }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return sqlfail(r, "reactions");
    }
    return 0;
oom:
    json_decref(cfg);
    return fail(r, REPORT_ENOMEM, "out of memory");
}

/* 1 if the query returns a row, 0 if not, < 0 on error. */
static int exists(struct rb *r, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st;
    int rc = prepare(r, &st, sql);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : sqlfail(r, "schema");
}

/* Which schema v2 and v3 features this database has (a v1 archive: none). */
static int detect_schema(struct rb *r)
{
    static const char *const col = "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2";
    static const char *const tab = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1";
    sqlite3_stmt *st;
    int rc = prepare(r, &st, "PRAGMA user_version");
    if (rc) return rc;
    r->schema_version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if ((rc = exists(r, col, "signals", "chant_key")) < 0) return rc;
    r->has_chant_key = rc;
    if ((rc = exists(r, col, "devices", "banned")) < 0) return rc;
    r->has_banned = rc;
    if ((rc = exists(r, tab, "chant_mod", NULL)) < 0) return rc;
    r->has_mod = rc;
    if ((rc = exists(r, tab, "mod_log", NULL)) < 0) return rc;
    r->has_mod &= rc;
    if ((rc = exists(r, col, "polls", "played_ms")) < 0) return rc;
    r->has_played = rc;
    if ((rc = exists(r, col, "polls", "played_option")) < 0) return rc;
    r->has_played &= rc;
    if ((rc = exists(r, col, "markers", "poll")) < 0) return rc;
    r->has_marker_poll = rc;
    return 0;
}

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Rows of (text, integer) into a keyed array sorted by key. */
static int load_keyed(struct rb *r, const char *sql, struct keyed **out, size_t *n)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = prepare(r, &st, sql);
    if (rc) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)out, &cap, *n + 1, sizeof **out)) break;
        struct keyed *k = &(*out)[*n];
        k->key = dupstr(sqlite3_column_text(st, 0));
        k->v = sqlite3_column_int64(st, 1);
        if (!k->key) break;
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "moderation");
    if (*n) qsort(*out, *n, sizeof **out, cmp_keyed);
    return 0;
}

static const struct keyed *keyed_find(const struct keyed *v, size_t n, const char *key)
{
    struct keyed k = {.key = (char *)key};
    return n ? bsearch(&k, v, n, sizeof *v, cmp_keyed) : NULL;
}

/* The moderation state the chant figures need: each text's flags, each
 * key's first approval, and the mode changes in order. */
static int load_moderation(struct rb *r)
{
    if (!r->has_mod) return 0;
    int rc = load_keyed(r, "SELECT key, flags FROM chant_mod", &r->mods, &r->nmods);
    if (!rc) rc = load_keyed(r, "SELECT key, MIN(ts_ms) FROM mod_log WHERE action = 'approve' AND key IS NOT NULL "
                                "GROUP BY key", &r->approvals, &r->napprovals);
    if (rc) return rc;
    sqlite3_stmt *st;
    size_t cap = 0;
    if ((rc = prepare(r, &st, "SELECT ts_ms, detail FROM mod_log WHERE action = 'mode' ORDER BY ts_ms, id"))) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&r->modes, &cap, r->nmodes + 1, sizeof *r->modes)) break;
        struct modechg *m = &r->modes[r->nmodes];
        m->ts_ms = sqlite3_column_int64(st, 0);
        m->mode = dupstr(sqlite3_column_text(st, 1));
        if (!m->mode) break;
        r->nmodes++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "mod_log");
    return 0;
}

/* The chant mode in force at ts_ms: set by the last 'mode' action at or
 * before it (ties: the later row), else the event file's. */
static const char *mode_at(const struct rb *r, int64_t ts_ms)
{
    size_t lo = 0, hi = r->nmodes;   /* count mode actions with ts <= ts_ms */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->modes[mid].ts_ms <= ts_ms) lo = mid + 1; else hi = mid;
    }
    return lo ? r->modes[lo - 1].mode : r->mode_start;
}

static int load_seconds(struct rb *r)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = prepare(r, &st, "SELECT sec, audience, taps, votes, chants FROM seconds ORDER BY sec");
    if (rc) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&r->secs, &cap, r->nsecs + 1, sizeof *r->secs)) { sqlite3_finalize(st); return fail(r, REPORT_ENOMEM, "out of memory"); }
        struct second *s = &r->secs[r->nsecs++];
        s->sec = sqlite3_column_int64(st, 0);
        s->audience = sqlite3_column_int64(st, 1);
        s->taps = sqlite3_column_int64(st, 2);
        s->votes = sqlite3_column_int64(st, 3);
        s->chants = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sqlfail(r, "seconds");

    r->nkinds = json_array_size(r->kinds);
    r->kind_taps = calloc(r->nsecs * r->nkinds + 1, sizeof *r->kind_taps);
    if (!r->kind_taps) return fail(r, REPORT_ENOMEM, "out of memory");
    if ((rc = prepare(r, &st, "SELECT sec, reaction, taps FROM second_reacts ORDER BY sec"))) return rc;
    size_t i = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sec = sqlite3_column_int64(st, 0);
        while (i < r->nsecs && r->secs[i].sec < sec) i++;
        if (i == r->nsecs || r->secs[i].sec != sec) continue;   /* no such second: not on the timeline */
        int k = kind_index(r, (const char *)sqlite3_column_text(st, 1));
        if (k < 0 || (size_t)k >= r->nkinds) continue;          /* all names were loaded before */
        r->kind_taps[i * r->nkinds + (size_t)k] += sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sqlfail(r, "second_reacts");
    return 0;
}

static int load_markers(struct rb *r)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = prepare(r, &st, r->has_marker_poll ? "SELECT id, ts_ms, kind, label, poll FROM markers ORDER BY ts_ms, id"
                                                : "SELECT id, ts_ms, kind, label, NULL FROM markers ORDER BY ts_ms, id");
    if (rc) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&r->markers, &cap, r->nmarkers + 1, sizeof *r->markers)) break;
        struct marker *m = &r->markers[r->nmarkers];
        m->id = sqlite3_column_int64(st, 0);
        m->ts_ms = sqlite3_column_int64(st, 1);
        m->linked = sqlite3_column_type(st, 4) != SQLITE_NULL;
        m->poll = sqlite3_column_int64(st, 4);
        m->kind = dupstr(sqlite3_column_text(st, 2));
        m->label = dupstr(sqlite3_column_text(st, 3));
        r->nmarkers++;
        if (!m->kind || !m->label) break;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "markers");
    r->seg_taps = calloc(r->nmarkers + 1, sizeof *r->seg_taps);
    return r->seg_taps ? 0 : fail(r, REPORT_ENOMEM, "out of memory");
}

static int load_devices(struct rb *r)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = prepare(r, &st, "SELECT id, created_ms, section FROM devices ORDER BY id");
    if (rc) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&r->devs, &cap, r->ndevs + 1, sizeof *r->devs)) break;
        struct device *d = &r->devs[r->ndevs];
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(st, 0);
        d->created_ms = sqlite3_column_int64(st, 1);
        d->first_ms = -1;
        const char *sec = (const char *)sqlite3_column_text(st, 2);
        d->section = section_index(r, sec ? sec : "");
        if (d->section < 0) break;
        r->ndevs++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "devices");

    /* Dense id -> index map when ids are compact (they count from 1). */
    int64_t maxid = r->ndevs ? r->devs[r->ndevs - 1].id : 0;
    if (r->ndevs && r->devs[0].id >= 0 && maxid <= (int64_t)r->ndevs * 4 + 1024) {
        r->dev_index = malloc(((size_t)maxid + 1) * sizeof *r->dev_index);
        if (!r->dev_index) return fail(r, REPORT_ENOMEM, "out of memory");
        for (int64_t i = 0; i <= maxid; i++) r->dev_index[i] = -1;
        for (size_t i = 0; i < r->ndevs; i++) r->dev_index[r->devs[i].id] = (int32_t)i;
        r->dev_index_max = maxid;
    }
    return 0;
}

static int load_sessions(struct rb *r)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = prepare(r, &st, "SELECT device, section, start_ms, end_ms FROM sessions "
                             "WHERE role = 'audience' ORDER BY start_ms, id");
    if (rc) return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&r->sess, &cap, r->nsess + 1, sizeof *r->sess)) break;
        struct session *s = &r->sess[r->nsess];
        s->device = sqlite3_column_int64(st, 0);
        const char *sec = (const char *)sqlite3_column_text(st, 1);
        s->section = section_index(r, sec ? sec : "");
        if (s->section < 0) break;
        s->start_ms = sqlite3_column_int64(st, 2);
        s->has_end = sqlite3_column_type(st, 3) != SQLITE_NULL;
        s->end_ms = sqlite3_column_int64(st, 3);
        r->nsess++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "sessions");
    return 0;
}

/* The event window: from the first audience join or first recorded second,
 * to the end of the last recorded second or the last session end/start. */
static void event_window(struct rb *r)
{
    int64_t start = INT64_MAX, end = INT64_MIN;
    if (r->nsecs) {
        start = r->secs[0].sec * 1000;
        end = (r->secs[r->nsecs - 1].sec + 1) * 1000;
    }
    for (size_t i = 0; i < r->nsess; i++) {
        const struct session *s = &r->sess[i];
        if (s->start_ms < start) start = s->start_ms;
        if (s->start_ms > end) end = s->start_ms;
        if (s->has_end && s->end_ms > end) end = s->end_ms;
    }
    if (start == INT64_MAX) start = end = r->created_ms;
    r->start_ms = start;
    r->end_ms = end;
    /* Sessions still open (live hub, or killed without restart) end there. */
    for (size_t i = 0; i < r->nsess; i++)
        if (!r->sess[i].has_end) r->sess[i].end_ms = end;
}

static int cmp_vrec(const void *a, const void *b)
{
    const struct vrec *x = a, *y = b;
    if (x->poll != y->poll) return x->poll < y->poll ? -1 : 1;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_dsec(const void *x, const void *y)
{
    const struct dsec *p = x, *q = y;
    if (p->dev != q->dev) return p->dev < q->dev ? -1 : 1;
    return (p->section > q->section) - (p->section < q->section);
}

/* Completes rb.dsecs after the scan: a device that sent nothing is in its
 * last known section (mask 0); rows sorted by (dev, section) and merged, so
 * each (device, section) is one row. Returns 0, or -1 out of memory. */
static int device_sections(struct rb *r, size_t cap)
{
    unsigned char *sent = calloc(r->ndevs + 1, 1);
    if (!sent) return -1;
    for (size_t i = 0; i < r->ndsecs; i++) sent[r->dsecs[i].dev] = 1;
    for (size_t i = 0; i < r->ndevs; i++) {
        if (sent[i]) continue;
        if (grow((void **)&r->dsecs, &cap, r->ndsecs + 1, sizeof *r->dsecs)) { free(sent); return -1; }
        r->dsecs[r->ndsecs++] = (struct dsec){.dev = (int32_t)i, .section = r->devs[i].section, .mask = 0};
    }
    free(sent);
    if (r->ndsecs) qsort(r->dsecs, r->ndsecs, sizeof *r->dsecs, cmp_dsec);
    size_t n = 0;
    for (size_t i = 0; i < r->ndsecs; i++) {
        if (n && r->dsecs[n - 1].dev == r->dsecs[i].dev && r->dsecs[n - 1].section == r->dsecs[i].section)
            r->dsecs[n - 1].mask |= r->dsecs[i].mask;
        else r->dsecs[n++] = r->dsecs[i];
    }
    r->ndsecs = n;
    return 0;
}

/* The one pass over signals. */
static int scan_signals(struct rb *r)
{
    sqlite3_stmt *st;
    struct dcount *cnt = calloc(r->ndevs + 1, sizeof *cnt);
    if (!cnt) return fail(r, REPORT_ENOMEM, "out of memory");
    /* Only the columns every row needs: each selected column costs a decode
     * per row, and nearly all rows are reactions. */
    int rc = prepare(r, &st, "SELECT ts_ms, device, section, kind, n FROM signals");
    if (rc) { free(cnt); return rc; }
    int last_si = -1;   /* signals come in runs of one section: cache it */
    int seg = 0;
    int64_t seg_lo = 0, seg_hi = -1;
    size_t capdsecs = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 3);
        int64_t di = dev_lookup(r, sqlite3_column_int64(st, 1));
        struct dcount *d = di >= 0 ? &cnt[di] : NULL;
        r->tot_signals++;
        if (!kind) continue;
        const unsigned char *sn = sqlite3_column_text(st, 2);
        const char *sname = sn ? (const char *)sn : "";
        if (last_si < 0 || strcmp(r->sections[last_si].name, sname) != 0) {
            last_si = section_index(r, sname);
            if (last_si < 0) break;
        }
        /* The device is in the section it sent from. A device sends in runs
         * from one section, so only a change of section adds a row (merged
         * after the scan). */
        unsigned bit = kind[0] == 'r' ? SENT_REACT : kind[0] == 'v' ? SENT_VOTE : kind[0] == 'c' ? SENT_CHANT : 0;
        if (d && bit) {
            if (!d->dsec || r->dsecs[d->dsec - 1].section != last_si) {
                if (grow((void **)&r->dsecs, &capdsecs, r->ndsecs + 1, sizeof *r->dsecs)) break;
                r->dsecs[r->ndsecs] = (struct dsec){.dev = (int32_t)di, .section = last_si, .mask = 0};
                d->dsec = (uint32_t)++r->ndsecs;
            }
            r->dsecs[d->dsec - 1].mask |= bit;
        }
        if (kind[0] == 'r') {
            int64_t ts = sqlite3_column_int64(st, 0);
            int64_t n = sqlite3_column_int64(st, 4);
            r->tot_reacts++;
            r->tot_taps += n;
            if (d) { d->reacts++; d->taps += (uint32_t)n; }
            /* signals come nearly in time order: try the last segment first */
            if (ts < seg_lo || ts >= seg_hi) {
                seg = segment_of(r, ts);
                seg_lo = seg > 0 ? r->markers[seg - 1].ts_ms : INT64_MIN;
                seg_hi = (size_t)seg < r->nmarkers ? r->markers[seg].ts_ms : INT64_MAX;
            }
            r->seg_taps[seg] += n;
            r->sections[last_si].taps += n;
        } else if (kind[0] == 'v') {
            r->tot_votes++;
            if (d) d->votes++;
        } else if (kind[0] == 'c') {
            r->tot_chants++;
            if (d) d->chants++;
        }
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < r->ndevs; i++) {
        r->devs[i].reacts = cnt[i].reacts;
        r->devs[i].votes = cnt[i].votes;
        r->devs[i].chants = cnt[i].chants;
        r->devs[i].taps = cnt[i].taps;
    }
    free(cnt);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "signals");
    if (device_sections(r, capdsecs)) return fail(r, REPORT_ENOMEM, "out of memory");

    /* Votes and chants are few: fetch their other columns through the
     * signals_device (device, kind) index, device by device. A signal whose
     * device is not in `devices` counts in the totals only. */
    if ((rc = prepare(r, &st, r->has_chant_key
                              ? "SELECT s.id, s.ts_ms, s.device, s.kind, s.poll, s.option, s.text, s.chant_key "
                                "FROM devices d CROSS JOIN signals s ON s.device = d.id AND s.kind IN ('vote', 'chant')"
                              : "SELECT s.id, s.ts_ms, s.device, s.kind, s.poll, s.option, s.text, NULL "
                                "FROM devices d CROSS JOIN signals s ON s.device = d.id AND s.kind IN ('vote', 'chant')")))
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 3);
        int64_t ts = sqlite3_column_int64(st, 1), dev = sqlite3_column_int64(st, 2);
        if (kind[0] == 'v') {
            if (grow((void **)&r->votes, &r->capvotes, r->nvotes + 1, sizeof *r->votes)) break;
            struct vrec *v = &r->votes[r->nvotes++];
            v->id = sqlite3_column_int64(st, 0);
            v->ts_ms = ts;
            v->device = dev;
            v->poll = sqlite3_column_int64(st, 4);
            v->option = sqlite3_column_int64(st, 5);
        } else {
            if (grow((void **)&r->chants, &r->capchants, r->nchants + 1, sizeof *r->chants)) break;
            struct crec *c = &r->chants[r->nchants];
            c->id = sqlite3_column_int64(st, 0);
            c->ts_ms = ts;
            c->device = dev;
            c->seg = segment_of(r, ts);
            c->grp = c->text = -1;
            c->s = dupstr(sqlite3_column_text(st, 6));
            if (!c->s) break;
            const unsigned char *key = sqlite3_column_text(st, 7);
            c->key = key ? dupstr(key) : c->s;
            if (!c->key) { free(c->s); break; }
            r->nchants++;
        }
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return fail(r, REPORT_ENOMEM, "out of memory");
    if (rc != SQLITE_DONE) return sqlfail(r, "votes and chants");
    if (r->nvotes) qsort(r->votes, r->nvotes, sizeof *r->votes, cmp_vrec);
    return 0;
}

/* ---- figures ------------------------------------------------------------ */

static int level_of(const struct device *d)
{
    if (d->reacts && d->votes && d->chants) return LVL_ALL;
    if (d->chants) return LVL_CHANTED;
    if (d->votes) return LVL_VOTED;
    if (d->reacts) return LVL_REACTED;
    return LVL_WATCHED;
}

static json_t *section_name(const struct rb *r, int i) { return jstr(r->sections[i].name); }

/* Devices in section s (see "Sections" at the top): the same count in the
 * audience by section, the ladder and the loudest section. */
static int64_t section_devices(const struct rb *r, int s)
{
    int64_t n = 0;
    for (size_t i = 0; i < r->ndsecs; i++) n += r->dsecs[i].section == s;
    return n;
}

/* The ladder's rung of what a device sent from one section. */
static int level_of_mask(unsigned m)
{
    if (m == (SENT_REACT | SENT_VOTE | SENT_CHANT)) return LVL_ALL;
    if (m & SENT_CHANT) return LVL_CHANTED;
    if (m & SENT_VOTE) return LVL_VOTED;
    if (m & SENT_REACT) return LVL_REACTED;
    return LVL_WATCHED;
}

static int fig_event_reach(struct rb *r)
{
    json_t *ev = json_object_get(r->root, "event");
    jset(ev, "start_ms", jint(r->start_ms));
    jset(ev, "end_ms", jint(r->end_ms));
    jset(ev, "duration_s", jint((r->end_ms - r->start_ms) / 1000));
    jset(ev, "reactions", json_deep_copy(r->kinds));
    json_t *secs = json_array();
    for (size_t i = 0; i < r->nsections; i++) jpush(secs, section_name(r, (int)i));
    jset(ev, "sections", secs);

    /* sessions per device */
    for (size_t i = 0; i < r->nsess; i++) {
        int64_t di = dev_lookup(r, r->sess[i].device);
        if (di < 0) continue;
        struct device *d = &r->devs[di];
        d->sessions++;
        if (d->first_ms < 0 || r->sess[i].start_ms < d->first_ms) d->first_ms = r->sess[i].start_ms;
        if (r->sess[i].end_ms > r->sess[i].start_ms) d->connected_ms += r->sess[i].end_ms - r->sess[i].start_ms;
    }
    int64_t rejoined = 0, audience_sessions = 0;
    for (size_t i = 0; i < r->ndevs; i++) {
        audience_sessions += r->devs[i].sessions;
        if (r->devs[i].sessions > 1) rejoined++;
    }

    json_t *reach = json_object();
    jset(reach, "devices", jint((int64_t)r->ndevs));
    jset(reach, "sessions", jint(audience_sessions));
    jset(reach, "rejoined_devices", jint(rejoined));
    int64_t peak = 0, peak_sec = -1;
    for (size_t i = 0; i < r->nsecs; i++)
        if (r->secs[i].audience > peak) { peak = r->secs[i].audience; peak_sec = r->secs[i].sec; }
    jset(reach, "peak_audience", jint(peak));
    jset(reach, "peak_sec", peak_sec >= 0 ? jint(peak_sec) : json_null());
    json_t *per = json_array();
    for (size_t s = 0; s < r->nsections; s++) {
        int64_t n = section_devices(r, (int)s);
        json_t *o = json_object();
        jset(o, "section", section_name(r, (int)s));
        jset(o, "devices", jint(n));
        jset(o, "share", jshare(n, (int64_t)r->ndevs));
        jpush(per, o);
    }
    jset(reach, "sections", per);
    jset(r->root, "reach", reach);

    json_t *tot = json_object();
    jset(tot, "signals", jint(r->tot_signals));
    jset(tot, "react_signals", jint(r->tot_reacts));
    jset(tot, "taps", jint(r->tot_taps));
    jset(tot, "votes", jint(r->tot_votes));
    jset(tot, "chants", jint(r->tot_chants));
    json_t *bykind = json_object();
    for (size_t k = 0; k < r->nkinds; k++) {
        int64_t n = 0;
        for (size_t i = 0; i < r->nsecs; i++) n += r->kind_taps[i * r->nkinds + k];
        jset(bykind, json_string_value(json_array_get(r->kinds, k)), jint(n));
    }
    jset(tot, "taps_by_kind", bykind);
    jset(r->root, "totals", tot);
    return 0;
}

static int fig_funnel_ladder(struct rb *r)
{
    int64_t reacted = 0, voted = 0, chanted = 0;
    int64_t *lv = calloc((r->nsections + 1) * LVL_N, sizeof *lv);   /* row nsections = overall */
    if (!lv) return fail(r, REPORT_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->ndevs; i++) {
        const struct device *d = &r->devs[i];
        reacted += d->reacts > 0;
        voted += d->votes > 0;
        chanted += d->chants > 0;
        lv[r->nsections * LVL_N + (size_t)level_of(d)]++;
    }
    /* Per section: what each device in it sent from it. */
    for (size_t i = 0; i < r->ndsecs; i++)
        lv[(size_t)r->dsecs[i].section * LVL_N + (size_t)level_of_mask(r->dsecs[i].mask)]++;
    json_t *funnel = json_array();
    const char *stages[] = {"joined", "reacted", "voted", "chanted"};
    int64_t counts[] = {(int64_t)r->ndevs, reacted, voted, chanted};
    for (int i = 0; i < 4; i++) {
        json_t *o = json_object();
        jset(o, "stage", jstr(stages[i]));
        jset(o, "devices", jint(counts[i]));
        jset(o, "share", jshare(counts[i], (int64_t)r->ndevs));
        jpush(funnel, o);
    }
    jset(r->root, "funnel", funnel);

    json_t *ladder = json_object();
    json_t *names = json_array();
    for (int l = 0; l < LVL_N; l++) jpush(names, jstr(level_names[l]));
    jset(ladder, "levels", names);
    json_t *rows = json_array();
    for (size_t s = 0; s <= r->nsections; s++) {
        int64_t tot = 0;
        for (size_t l = 0; l < LVL_N; l++) tot += lv[s * LVL_N + l];
        json_t *o = json_object(), *c = json_array(), *sh = json_array();
        for (size_t l = 0; l < LVL_N; l++) {
            jpush(c, jint(lv[s * LVL_N + l]));
            jpush(sh, jshare(lv[s * LVL_N + l], tot));
        }
        if (s < r->nsections) jset(o, "section", section_name(r, (int)s));
        jset(o, "devices", jint(tot));
        jset(o, "counts", c);
        jset(o, "shares", sh);
        if (s == r->nsections) jset(ladder, "overall", o); else jpush(rows, o);
    }
    jset(ladder, "sections", rows);
    jset(r->root, "ladder", ladder);
    free(lv);
    return 0;
}

static int fig_timeline_peaks(struct rb *r)
{
    json_t *tl = json_object();
    json_t *a_sec = json_array(), *a_aud = json_array(), *a_taps = json_array(),
           *a_votes = json_array(), *a_chants = json_array(), *byk = json_object();
    for (size_t i = 0; i < r->nsecs; i++) {
        jpush(a_sec, jint(r->secs[i].sec));
        jpush(a_aud, jint(r->secs[i].audience));
        jpush(a_taps, jint(r->secs[i].taps));
        jpush(a_votes, jint(r->secs[i].votes));
        jpush(a_chants, jint(r->secs[i].chants));
    }
    for (size_t k = 0; k < r->nkinds; k++) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->nsecs; i++) jpush(a, jint(r->kind_taps[i * r->nkinds + k]));
        jset(byk, json_string_value(json_array_get(r->kinds, k)), a);
    }
    jset(tl, "sec", a_sec);
    jset(tl, "audience", a_aud);
    jset(tl, "taps", a_taps);
    jset(tl, "votes", a_votes);
    jset(tl, "chants", a_chants);
    jset(tl, "reactions", byk);
    jset(r->root, "timeline", tl);

    json_t *marks = json_array();
    for (size_t i = 0; i < r->nmarkers; i++) jpush(marks, marker_json(&r->markers[i]));
    jset(r->root, "markers", marks);

    /* Peaks: greedy by taps (ties: earlier second), PEAK_GAP_S apart. */
    size_t picked[PEAKS_MAX], npicked = 0;
    while (npicked < PEAKS_MAX) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < r->nsecs; i++) {
            if (r->secs[i].taps <= 0) continue;
            if (best != SIZE_MAX && r->secs[i].taps <= r->secs[best].taps) continue;
            int near = 0;
            for (size_t p = 0; p < npicked && !near; p++)
                near = llabs(r->secs[picked[p]].sec - r->secs[i].sec) < PEAK_GAP_S;
            if (!near) best = i;
        }
        if (best == SIZE_MAX) break;
        picked[npicked++] = best;
    }
    json_t *peaks = json_array();
    for (size_t p = 0; p < npicked; p++) {
        const struct second *s = &r->secs[picked[p]];
        json_t *o = json_object(), *byk2 = json_object();
        jset(o, "rank", jint((int64_t)p + 1));
        jset(o, "sec", jint(s->sec));
        jset(o, "taps", jint(s->taps));
        jset(o, "audience", jint(s->audience));
        jset(o, "taps_per_device", s->audience > 0 ? jratio((double)s->taps / (double)s->audience) : json_null());
        for (size_t k = 0; k < r->nkinds; k++)
            jset(byk2, json_string_value(json_array_get(r->kinds, k)), jint(r->kind_taps[picked[p] * r->nkinds + k]));
        jset(o, "reactions", byk2);
        const struct marker *m = marker_at_sec(r, s->sec);
        jset(o, "marker", m ? marker_json(m) : json_null());
        jpush(peaks, o);
    }
    jset(r->root, "peaks", peaks);
    return 0;
}

static int fig_polls(struct rb *r)
{
    sqlite3_stmt *pq = NULL, *oq = NULL, *vq = NULL;
    int64_t *cur = NULL, *counts = NULL;
    int rc = 0;
    json_t *polls = json_array();
    jset(r->root, "polls", polls);
    if ((rc = prepare(r, &pq, "SELECT id, question, allow_change, opened_ms, closed_ms, audience_at_open "
                              "FROM polls ORDER BY id"))) goto out;
    if ((rc = prepare(r, &oq, "SELECT idx, label FROM poll_options WHERE poll = ? ORDER BY idx"))) goto out;
    if ((rc = prepare(r, &vq, "SELECT option, COUNT(*), SUM(changes > 0), SUM(changes) FROM votes "
                              "WHERE poll = ? GROUP BY option"))) goto out;
    cur = malloc((r->ndevs + 1) * sizeof *cur);
    if (!cur) { rc = fail(r, REPORT_ENOMEM, "out of memory"); goto out; }
    size_t vi = 0;   /* cursor into r->votes, sorted by poll */
    int step;
    while ((step = sqlite3_step(pq)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(pq, 0);
        int64_t at_open = sqlite3_column_int64(pq, 5);
        json_t *o = json_object(), *opts = json_array();
        jset(o, "id", jint(id));
        jset(o, "question", jstr((const char *)sqlite3_column_text(pq, 1)));
        jset(o, "allow_change", json_boolean(sqlite3_column_int(pq, 2)));
        jset(o, "opened_ms", jint(sqlite3_column_int64(pq, 3)));
        jset(o, "closed_ms", sqlite3_column_type(pq, 4) == SQLITE_NULL ? json_null() : jint(sqlite3_column_int64(pq, 4)));
        jset(o, "audience_at_open", jint(at_open));
        jpush(polls, o);

        size_t nopt = 0;
        sqlite3_reset(oq);
        sqlite3_bind_int64(oq, 1, id);
        while ((step = sqlite3_step(oq)) == SQLITE_ROW) {
            json_t *op = json_object();
            jset(op, "idx", jint(sqlite3_column_int64(oq, 0)));
            jset(op, "label", jstr((const char *)sqlite3_column_text(oq, 1)));
            jset(op, "votes", jint(0));
            jpush(opts, op);
            nopt++;
        }
        if (step != SQLITE_DONE) { rc = sqlfail(r, "poll_options"); json_decref(opts); goto out; }
        jset(o, "options", opts);

        int64_t voters = 0, changed = 0, changes = 0, best = -1;
        sqlite3_reset(vq);
        sqlite3_bind_int64(vq, 1, id);
        while ((step = sqlite3_step(vq)) == SQLITE_ROW) {
            int64_t opt = sqlite3_column_int64(vq, 0), n = sqlite3_column_int64(vq, 1);
            voters += n;
            changed += sqlite3_column_int64(vq, 2);
            changes += sqlite3_column_int64(vq, 3);
            if (opt >= 0 && (size_t)opt < nopt) json_object_set_new(json_array_get(opts, (size_t)opt), "votes", jint(n));
        }
        if (step != SQLITE_DONE) { rc = sqlfail(r, "votes"); goto out; }
        json_t *winner = json_array();
        for (size_t k = 0; k < nopt; k++) {
            json_t *op = json_array_get(opts, k);
            int64_t n = json_integer_value(json_object_get(op, "votes"));
            jset(op, "share", jshare(n, voters));
            if (n > best) best = n;
        }
        for (size_t k = 0; k < nopt && best > 0; k++)
            if (json_integer_value(json_object_get(json_array_get(opts, k), "votes")) == best) jpush(winner, jint((int64_t)k));
        jset(o, "winner", winner);
        jset(o, "voters", jint(voters));
        jset(o, "turnout", jshare(voters, at_open));
        /* The most phones connected at once while it was open (at least as
         * many as at its opening): what an organiser means by "the room". */
        int64_t peak = at_open, from = sqlite3_column_int64(pq, 3) / 1000;
        int64_t to = sqlite3_column_type(pq, 4) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(pq, 4) / 1000;
        for (size_t k = 0; k < r->nsecs; k++)
            if (r->secs[k].sec >= from && r->secs[k].sec <= to && r->secs[k].audience > peak) peak = r->secs[k].audience;
        jset(o, "peak_during", jint(peak));
        jset(o, "turnout_of_peak", jshare(voters, peak));
        jset(o, "changed_devices", jint(changed));
        jset(o, "changes", jint(changes));

        /* Tally over time: replay this poll's vote signals in (ts, id) order,
         * one snapshot at the end of every second in which a vote arrived. */
        free(counts);
        counts = calloc(nopt + 1, sizeof *counts);
        if (!counts) { rc = fail(r, REPORT_ENOMEM, "out of memory"); goto out; }
        while (vi < r->nvotes && r->votes[vi].poll < id) vi++;
        size_t v0 = vi;
        for (size_t i = v0; i < r->nvotes && r->votes[i].poll == id; i++) {
            int64_t di = dev_lookup(r, r->votes[i].device);
            if (di >= 0) cur[di] = -1;
        }
        cur[r->ndevs] = -1;   /* slot for devices missing from the devices table */
        json_t *t_sec = json_array(), *t_counts = json_array();
        int64_t nsig = 0;
        for (; vi < r->nvotes && r->votes[vi].poll == id; vi++) {
            const struct vrec *v = &r->votes[vi];
            nsig++;
            int64_t di = dev_lookup(r, v->device);
            int64_t *slot = &cur[di >= 0 ? (size_t)di : r->ndevs];
            if (v->option < 0 || (size_t)v->option >= nopt) continue;
            if (*slot >= 0) counts[*slot]--;
            counts[v->option]++;
            *slot = v->option;
            int64_t sec = v->ts_ms / 1000;
            int last = vi + 1 >= r->nvotes || r->votes[vi + 1].poll != id || r->votes[vi + 1].ts_ms / 1000 != sec;
            if (last) {
                json_t *row = json_array();
                for (size_t k = 0; k < nopt; k++) jpush(row, jint(counts[k]));
                jpush(t_sec, jint(sec));
                jpush(t_counts, row);
            }
        }
        json_t *tally = json_object();
        jset(tally, "sec", t_sec);
        jset(tally, "counts", t_counts);
        jset(o, "tally", tally);
        jset(o, "vote_signals", jint(nsig));
    }
    if (step != SQLITE_DONE) rc = sqlfail(r, "polls");
out:
    sqlite3_finalize(pq);
    sqlite3_finalize(oq);
    sqlite3_finalize(vq);
    free(cur);
    free(counts);
    return rc;
}

/* ---- co-creation ("Play it") -------------------------------------------- */

/* Taps per device-minute: taps / (audience seconds / 60), null when no
 * device was connected. */
static json_t *per_device_minute(int64_t taps, int64_t audience_s)
{
    return audience_s > 0 ? jratio((double)taps * 60.0 / (double)audience_s) : json_null();
}

/* Index of the first recorded second with sec * 1000 >= ms. */
static size_t first_sec_from(const struct rb *r, int64_t ms)
{
    size_t lo = 0, hi = r->nsecs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->secs[mid].sec * 1000 < ms) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static int is_kind(const struct marker *m, const char *kind) { return strcmp(m->kind, kind) == 0; }

/* The song_start marker linked to `poll` (the first by ts_ms, id), or NULL. */
static const struct marker *marker_of_poll(const struct rb *r, int64_t poll)
{
    for (size_t i = 0; i < r->nmarkers; i++)
        if (r->markers[i].linked && r->markers[i].poll == poll && is_kind(&r->markers[i], MARKER_SONG_START))
            return &r->markers[i];
    return NULL;
}

/* Songs (song_start markers) with their taps per device-minute, crowd-chosen
 * against the others, and one row per played poll (docs/analytics.md,
 * "Co-creation"). Without the v3 columns nothing was played or linked. */
static int fig_cocreation(struct rb *r)
{
    json_t *co = json_object(), *songs = json_array(), *chosen = json_array();
    jset(r->root, "cocreation", co);
    jset(co, "songs", songs);
    jset(co, "chosen", chosen);
    int64_t taps[2] = {0, 0}, aud[2] = {0, 0};   /* [0] other songs, [1] crowd-chosen */
    for (size_t i = 0; i < r->nmarkers; i++) {
        const struct marker *m = &r->markers[i];
        if (!is_kind(m, MARKER_SONG_START)) continue;
        int64_t end = r->end_ms;
        for (size_t j = i + 1; j < r->nmarkers; j++)
            if (is_kind(&r->markers[j], MARKER_SONG_START) || is_kind(&r->markers[j], MARKER_SONG_END)) {
                end = r->markers[j].ts_ms;
                break;
            }
        if (end < m->ts_ms) end = m->ts_ms;   /* set after the last recorded second: empty */
        int64_t t = 0, a = 0, n = 0;
        for (size_t k = first_sec_from(r, m->ts_ms); k < r->nsecs && r->secs[k].sec * 1000 < end; k++, n++) {
            t += r->secs[k].taps;
            a += r->secs[k].audience;
        }
        taps[m->linked] += t;
        aud[m->linked] += a;
        json_t *o = json_object();
        jset(o, "marker", jint(m->id));
        jset(o, "label", jstr(m->label));
        jset(o, "start_ms", jint(m->ts_ms));
        jset(o, "end_ms", jint(end));
        jset(o, "poll", m->linked ? jint(m->poll) : json_null());
        jset(o, "seconds", jint(n));
        jset(o, "taps", jint(t));
        jset(o, "device_minutes", jratio((double)a / 60.0));
        jset(o, "taps_per_device_minute", per_device_minute(t, a));
        jpush(songs, o);
    }
    jset(co, "chosen_rate", per_device_minute(taps[1], aud[1]));
    jset(co, "other_rate", per_device_minute(taps[0], aud[0]));
    /* From the unrounded rates: (taps1 / aud1) / (taps0 / aud0). */
    jset(co, "lift", aud[1] > 0 && aud[0] > 0 && taps[0] > 0
                     ? jratio(((double)taps[1] / (double)aud[1]) / ((double)taps[0] / (double)aud[0])) : json_null());

    int64_t won = 0, voters = 0;
    int rc = 0;
    if (r->has_played) {
        sqlite3_stmt *st;
        if ((rc = prepare(r, &st, "SELECT p.id, p.question, p.played_option, p.played_ms, "
                                  "(SELECT label FROM poll_options o WHERE o.poll = p.id AND o.idx = p.played_option), "
                                  "(SELECT count(*) FROM votes v WHERE v.poll = p.id AND v.option = p.played_option), "
                                  "(SELECT count(*) FROM votes v WHERE v.poll = p.id) "
                                  "FROM polls p WHERE p.played_ms IS NOT NULL ORDER BY p.id")))
            return rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0), v = sqlite3_column_int64(st, 5), n = sqlite3_column_int64(st, 6);
            int has_opt = sqlite3_column_type(st, 2) != SQLITE_NULL, has_label = sqlite3_column_type(st, 4) != SQLITE_NULL;
            json_t *o = json_object();
            jset(o, "poll", jint(id));
            jset(o, "question", jstr((const char *)sqlite3_column_text(st, 1)));
            jset(o, "option", has_opt ? jint(sqlite3_column_int64(st, 2)) : json_null());
            jset(o, "label", has_label ? jstr((const char *)sqlite3_column_text(st, 4)) : json_null());
            jset(o, "votes", jint(v));
            jset(o, "voters", jint(n));
            jset(o, "share", jshare(v, n));
            jset(o, "played_ms", jint(sqlite3_column_int64(st, 3)));
            const struct marker *m = marker_of_poll(r, id);
            json_t *mk = m ? json_object() : json_null();
            if (m) {
                jset(mk, "id", jint(m->id));
                jset(mk, "ts_ms", jint(m->ts_ms));
                jset(mk, "label", jstr(m->label));
            }
            jset(o, "marker", mk);
            jpush(chosen, o);
            won += v;
            voters += n;
        }
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : sqlfail(r, "played polls");
    }
    jset(co, "winning_side", jshare(won, voters));
    return rc;
}

/* Chants by (key, spelling, ts_ms, id): the groups, then each group's
 * spellings, each spelling's run starting with its first send. */
static int cmp_chant_key(const void *a, const void *b)
{
    const struct crec *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (!c) c = strcmp(x->s, y->s);
    if (c) return c;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_chant_dev(const void *a, const void *b)
{
    const struct crec *x = a, *y = b;
    if (x->grp != y->grp) return x->grp - y->grp;
    return (x->device > y->device) - (x->device < y->device);
}

static int cmp_group_text(const void *a, const void *b)
{
    const struct cgroup *x = *(const struct cgroup *const *)a, *y = *(const struct cgroup *const *)b;
    int c = strcmp(x->text, y->text);
    return c ? c : strcmp(x->key, y->key);
}

static int sent_before(const struct crec *a, const struct crec *b)
{
    return a->ts_ms < b->ts_ms || (a->ts_ms == b->ts_ms && a->id < b->id);
}

/* Group the chants by key as the live screen does, pick each group's shown
 * spelling, count its devices, rank ids in (text, key) byte order, and the
 * moderation of each group: hidden, first approval, held sends. Sets
 * r->groups and every crec's grp and text (rank). */
static int group_chants(struct rb *r)
{
    if (r->nchants) qsort(r->chants, r->nchants, sizeof *r->chants, cmp_chant_key);
    r->groups = calloc(r->nchants + 1, sizeof *r->groups);
    struct cgroup **order = malloc((r->nchants + 1) * sizeof(struct cgroup *));
    if (!r->groups || !order) { free(order); return fail(r, REPORT_ENOMEM, "out of memory"); }
    size_t ng = 0, run_start = 0, best_start = 0;
    int64_t run = 0, best = 0;
    for (size_t i = 0; i < r->nchants; i++) {
        struct crec *c = &r->chants[i];
        int new_group = i == 0 || strcmp(c->key, r->chants[i - 1].key) != 0;
        if (new_group) {
            r->groups[ng] = (struct cgroup){.key = c->key, .text = c->s, .first_ms = c->ts_ms, .approved_ms = -1};
            ng++;
            best = 0;
        }
        struct cgroup *g = &r->groups[ng - 1];
        if (new_group || strcmp(c->s, r->chants[i - 1].s) != 0) { run = 0; run_start = i; }
        run++;
        /* The most sent spelling is shown; on a tie, the one sent first. */
        if (run > best || (run == best && sent_before(&r->chants[run_start], &r->chants[best_start]))) {
            best = run;
            best_start = run_start;
            g->text = r->chants[run_start].s;
        }
        if (c->ts_ms < g->first_ms) g->first_ms = c->ts_ms;
        g->count++;
        c->grp = (int)(ng - 1);
    }
    r->ngroups = ng;

    if (r->nchants) qsort(r->chants, r->nchants, sizeof *r->chants, cmp_chant_dev);
    for (size_t i = 0; i < r->nchants; i++)
        if (i == 0 || r->chants[i].grp != r->chants[i - 1].grp || r->chants[i].device != r->chants[i - 1].device)
            r->groups[r->chants[i].grp].devices++;

    for (size_t i = 0; i < ng; i++) order[i] = &r->groups[i];
    if (ng) qsort(order, ng, sizeof(struct cgroup *), cmp_group_text);
    for (size_t i = 0; i < ng; i++) order[i]->rank = (int)i;
    free(order);

    for (size_t i = 0; i < ng; i++) {
        struct cgroup *g = &r->groups[i];
        const struct keyed *m = keyed_find(r->mods, r->nmods, g->key);
        const struct keyed *a = keyed_find(r->approvals, r->napprovals, g->key);
        g->hidden = m && (m->v & CHANT_HIDDEN);
        if (a) g->approved_ms = a->v;
    }
    for (size_t i = 0; i < r->nchants; i++) {
        struct crec *c = &r->chants[i];
        struct cgroup *g = &r->groups[c->grp];
        c->text = g->rank;
        /* Held: sent in approve mode before its text was approved. */
        if (r->has_mod && strcmp(mode_at(r, c->ts_ms), "approve") == 0 &&
            !(g->approved_ms >= 0 && g->approved_ms <= c->ts_ms))
            g->held++;
    }
    return 0;
}

struct ccount { int text; int64_t count; };   /* text: the group's rank */

static int cmp_ccount(const void *a, const void *b)
{
    const struct ccount *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->text - y->text;   /* ranks follow byte order of the shown text */
}

static int cmp_chant_seg(const void *a, const void *b)
{
    const struct crec *x = a, *y = b;
    if (x->seg != y->seg) return x->seg - y->seg;
    return x->text - y->text;
}

static json_t *chant_row(const struct cgroup *g, int64_t count, int with_devices)
{
    json_t *o = json_object();
    jset(o, "text", jstr(g->text));
    jset(o, "count", jint(count));
    if (with_devices) jset(o, "devices", jint(g->devices));
    jset(o, "hidden", json_boolean(g->hidden));
    return o;
}

static int fig_chants(struct rb *r)
{
    int rc = group_chants(r);
    if (rc) return rc;
    size_t ng = r->ngroups;
    const struct cgroup **byrank = malloc((ng + 1) * sizeof(const struct cgroup *));
    struct ccount *ranked = malloc((ng + 1) * sizeof *ranked);
    struct ccount *segc = malloc((ng + 1) * sizeof *segc);
    if (!byrank || !ranked || !segc) { free(byrank); free(ranked); free(segc); return fail(r, REPORT_ENOMEM, "out of memory"); }
    for (size_t i = 0; i < ng; i++) {
        const struct cgroup *g = &r->groups[i];
        byrank[g->rank] = g;
        ranked[i] = (struct ccount){.text = g->rank, .count = g->count};
    }
    if (ng) qsort(ranked, ng, sizeof *ranked, cmp_ccount);

    json_t *ch = json_object(), *top = json_array();
    jset(ch, "total", jint((int64_t)r->nchants));
    jset(ch, "distinct", jint((int64_t)ng));
    for (size_t i = 0; i < ng && i < TOP_CHANTS; i++) jpush(top, chant_row(byrank[ranked[i].text], ranked[i].count, 1));
    jset(ch, "top", top);

    /* Per marker segment. */
    if (r->nchants) qsort(r->chants, r->nchants, sizeof *r->chants, cmp_chant_seg);
    json_t *segs = json_array();
    size_t ci = 0;
    for (size_t s = 0; s <= r->nmarkers; s++) {
        size_t n = 0;
        int64_t total = 0;
        for (; ci < r->nchants && r->chants[ci].seg == (int)s; ci++) {
            total++;
            if (n == 0 || segc[n - 1].text != r->chants[ci].text) segc[n++] = (struct ccount){.text = r->chants[ci].text};
            segc[n - 1].count++;
        }
        if (n) qsort(segc, n, sizeof *segc, cmp_ccount);
        json_t *o = json_object(), *st = json_array();
        jset(o, "marker", s ? marker_json(&r->markers[s - 1]) : json_null());
        jset(o, "start_ms", s ? jint(r->markers[s - 1].ts_ms) : jint(r->start_ms));
        jset(o, "end_ms", s < r->nmarkers ? jint(r->markers[s].ts_ms) : jint(r->end_ms));
        jset(o, "taps", jint(r->seg_taps[s]));
        jset(o, "chants", jint(total));
        for (size_t i = 0; i < n && i < TOP_SEGMENT_CHANTS; i++) jpush(st, chant_row(byrank[segc[i].text], segc[i].count, 0));
        jset(o, "top", st);
        jpush(segs, o);
    }
    jset(ch, "segments", segs);

    if (r->flags & REPORT_DETAIL) {
        json_t *all = json_array();
        for (size_t i = 0; i < ng; i++) {
            const struct cgroup *g = byrank[ranked[i].text];
            json_t *o = chant_row(g, g->count, 1);
            jset(o, "first_ms", jint(g->first_ms));
            jset(o, "held", r->has_mod ? jint(g->held) : json_null());
            jset(o, "approved_ms", g->approved_ms >= 0 ? jint(g->approved_ms) : json_null());
            jpush(all, o);
        }
        jset(ch, "all", all);
    }
    jset(r->root, "chants", ch);
    free(segc);
    free(ranked);
    free(byrank);
    return 0;
}

static int fig_retention_sections(struct rb *r)
{
    json_t *ret = json_object(), *marks = json_array();
    int64_t t0 = INT64_MAX;
    for (size_t i = 0; i < r->nsess; i++) if (r->sess[i].start_ms < t0) t0 = r->sess[i].start_ms;
    jset(ret, "interval_s", jint(RETENTION_STEP_MS / 1000));
    jset(ret, "start_ms", r->nsess ? jint(t0) : json_null());
    jset(ret, "marks", marks);
    jset(r->root, "retention", ret);
    int64_t *seen = calloc(r->ndevs + 1, sizeof *seen);       /* last mark number + 1 */
    int64_t *joined = calloc(r->ndevs + 1, sizeof *joined);
    if (!seen || !joined) { free(seen); free(joined); return fail(r, REPORT_ENOMEM, "out of memory"); }
    for (int64_t k = 0; r->nsess && t0 + k * RETENTION_STEP_MS <= r->end_ms; k++) {
        int64_t t = t0 + k * RETENTION_STEP_MS, conn = 0, join = 0;
        for (size_t i = 0; i < r->nsess; i++) {
            const struct session *s = &r->sess[i];
            if (s->start_ms > t) continue;
            int64_t di = dev_lookup(r, s->device);
            if (di < 0) continue;
            if (joined[di] != k + 1) { joined[di] = k + 1; join++; }
            if (s->end_ms > t && seen[di] != k + 1) { seen[di] = k + 1; conn++; }
        }
        json_t *o = json_object();
        jset(o, "minute", jint(k * 5));
        jset(o, "ts_ms", jint(t));
        jset(o, "connected", jint(conn));
        jset(o, "joined", jint(join));
        jset(o, "share", jshare(conn, join));
        jpush(marks, o);
    }
    free(seen);
    free(joined);

    /* Loudest section: taps sent from a section / devices in it. */
    json_t *ls = json_object(), *rows = json_array();
    int best = -1;
    double bestv = -1;
    for (size_t s = 0; s < r->nsections; s++) {
        int64_t ndev = section_devices(r, (int)s);
        json_t *o = json_object();
        jset(o, "section", section_name(r, (int)s));
        jset(o, "devices", jint(ndev));
        jset(o, "taps", jint(r->sections[s].taps));
        jset(o, "taps_per_device", ndev ? jratio((double)r->sections[s].taps / (double)ndev) : json_null());
        jpush(rows, o);
        if (r->sections[s].name[0] && ndev) {
            double v = (double)r->sections[s].taps / (double)ndev;
            if (v > bestv) { bestv = v; best = (int)s; }
        }
    }
    jset(ls, "sections", rows);
    jset(ls, "loudest", best >= 0 ? section_name(r, best) : json_null());
    jset(r->root, "sections", ls);
    return 0;
}

/* A one-value query's integer (0 without a row). 0 or a negative code. */
static int scalar(struct rb *r, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = prepare(r, &st, sql);
    if (rc) return rc;
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqlfail(r, "mod_log");
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the ceil(p/100 x n)-th smallest of sorted v[0..n), n >= 1. */
static int64_t pct_rank(const int64_t *v, size_t n, unsigned p)
{
    size_t k = (size_t)(((uint64_t)n * p + 99) / 100);
    return v[k ? k - 1 : 0];
}

/* Per crew session: how many actions of each kind, from mod_log. */
static int mod_sessions(struct rb *r, json_t *out)
{
    sqlite3_stmt *st;
    int rc = prepare(r, &st, "SELECT session, action, count(*), MIN(ts_ms), MAX(ts_ms) FROM mod_log "
                             "WHERE session != 0 GROUP BY session, action ORDER BY session, action");
    if (rc) return rc;
    json_t *cur = NULL;
    int64_t cur_session = 0, total = 0, first = 0, last = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 2);
        int64_t lo = sqlite3_column_int64(st, 3), hi = sqlite3_column_int64(st, 4);
        if (!cur || sid != cur_session) {
            if (cur) { jset(cur, "actions", jint(total)); jset(cur, "first_ms", jint(first)); jset(cur, "last_ms", jint(last)); }
            cur = json_object();
            jpush(out, cur);
            jset(cur, "session", jint(sid));
            for (int i = 0; i < MOD_ACTIONS - 1; i++) jset(cur, mod_actions[i], jint(0));   /* 'blocked' is the filter's */
            cur_session = sid;
            total = 0;
            first = lo;
            last = hi;
        }
        const char *a = (const char *)sqlite3_column_text(st, 1);
        jset(cur, a ? a : "", jint(n));
        total += n;
        if (lo < first) first = lo;
        if (hi > last) last = hi;
    }
    if (cur) { jset(cur, "actions", jint(total)); jset(cur, "first_ms", jint(first)); jset(cur, "last_ms", jint(last)); }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqlfail(r, "mod_log");
}

/* Moderation in numbers (docs/analytics.md); null without the tables. */
static int fig_moderation(struct rb *r)
{
    if (!r->has_mod) { jset(r->root, "moderation", json_null()); return 0; }
    json_t *m = json_object(), *actions = json_object(), *sessions = json_array(), *appr = json_object();
    jset(r->root, "moderation", m);
    int64_t blocked_devices = 0, banned = 0, ever_banned = 0;
    int rc = scalar(r, "SELECT count(DISTINCT device) FROM mod_log WHERE action = 'blocked'", &blocked_devices);
    if (!rc) rc = scalar(r, "SELECT count(DISTINCT device) FROM mod_log WHERE action = 'ban'", &ever_banned);
    if (!rc && r->has_banned) rc = scalar(r, "SELECT count(*) FROM devices WHERE banned != 0", &banned);
    if (!rc) rc = mod_sessions(r, sessions);
    sqlite3_stmt *st = NULL;
    if (!rc) rc = prepare(r, &st, "SELECT action, count(*) FROM mod_log GROUP BY action ORDER BY action");
    if (rc) { json_decref(actions); json_decref(sessions); json_decref(appr); return rc; }
    for (int i = 0; i < MOD_ACTIONS; i++) jset(actions, mod_actions[i], jint(0));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        jset(actions, a ? a : "", jint(sqlite3_column_int64(st, 1)));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(actions); json_decref(sessions); json_decref(appr); return sqlfail(r, "mod_log"); }

    int64_t held = 0, held_texts = 0, hidden_chants = 0, approved = 0, hidden = 0;
    int64_t *delay = malloc((r->ngroups + 1) * sizeof *delay);
    size_t nd = 0;
    if (!delay) { json_decref(actions); json_decref(sessions); json_decref(appr); return fail(r, REPORT_ENOMEM, "out of memory"); }
    for (size_t i = 0; i < r->ngroups; i++) {
        const struct cgroup *g = &r->groups[i];
        held += g->held;
        held_texts += g->held > 0;
        if (g->hidden) hidden_chants += g->count;
        if (g->approved_ms >= 0 && g->first_ms < g->approved_ms) delay[nd++] = g->approved_ms - g->first_ms;
    }
    for (size_t i = 0; i < r->nmods; i++) {
        approved += (r->mods[i].v & 1) != 0;
        hidden += (r->mods[i].v & CHANT_HIDDEN) != 0;
    }
    if (nd) qsort(delay, nd, sizeof *delay, cmp_i64);
    jset(appr, "texts", jint((int64_t)nd));
    jset(appr, "median_ms", nd ? jint(pct_rank(delay, nd, 50)) : json_null());
    jset(appr, "p95_ms", nd ? jint(pct_rank(delay, nd, 95)) : json_null());
    free(delay);

    jset(m, "mode_start", jstr(r->mode_start));
    jset(m, "mode_end", jstr(r->nmodes ? r->modes[r->nmodes - 1].mode : r->mode_start));
    jset(m, "blocked", json_incref(json_object_get(actions, "blocked")));
    jset(m, "blocked_devices", jint(blocked_devices));
    jset(m, "held", jint(held));
    jset(m, "held_texts", jint(held_texts));
    jset(m, "approved_texts", jint(approved));
    jset(m, "hidden_texts", jint(hidden));
    jset(m, "hidden_chants", jint(hidden_chants));
    jset(m, "banned_devices", jint(banned));
    jset(m, "devices_ever_banned", jint(ever_banned));
    jset(m, "approval", appr);
    jset(m, "actions", actions);
    jset(m, "sessions", sessions);
    return 0;
}

/* The audit trail, every mod_log row by (ts_ms, id), columnar (CSV only). */
static int detail_mod_log(struct rb *r, json_t *det)
{
    if (!r->has_mod) return 0;
    sqlite3_stmt *st;
    int rc = prepare(r, &st, "SELECT id, ts_ms, session, action, key, text, device, detail FROM mod_log ORDER BY ts_ms, id");
    if (rc) return rc;
    static const char *const cols[] = {"id", "ts_ms", "session", "action", "key", "text", "device", "detail"};
    json_t *log = json_object(), *a[8];
    for (int c = 0; c < 8; c++) { a[c] = json_array(); jset(log, cols[c], a[c]); }
    jset(det, "mod_log", log);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        for (int c = 0; c < 8; c++) {
            int t = sqlite3_column_type(st, c);
            jpush(a[c], t == SQLITE_NULL ? json_null()
                      : t == SQLITE_INTEGER ? jint(sqlite3_column_int64(st, c))
                                            : jstr((const char *)sqlite3_column_text(st, c)));
        }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqlfail(r, "mod_log");
}

static int fig_detail(struct rb *r)
{
    if (!(r->flags & REPORT_DETAIL)) return 0;
    json_t *det = json_object(), *devs = json_object();
    const char *cols[] = {"id", "section", "created_ms", "first_ms", "sessions", "connected_s",
                          "reacts", "taps", "votes", "chants", "level"};
    json_t *arr[11];
    for (int c = 0; c < 11; c++) { arr[c] = json_array(); jset(devs, cols[c], arr[c]); }
    for (size_t i = 0; i < r->ndevs; i++) {
        const struct device *d = &r->devs[i];
        jpush(arr[0], jint(d->id));
        jpush(arr[1], section_name(r, d->section));
        jpush(arr[2], jint(d->created_ms));
        jpush(arr[3], d->first_ms >= 0 ? jint(d->first_ms) : json_null());
        jpush(arr[4], jint(d->sessions));
        jpush(arr[5], jint(d->connected_ms / 1000));
        jpush(arr[6], jint(d->reacts));
        jpush(arr[7], jint(d->taps));
        jpush(arr[8], jint(d->votes));
        jpush(arr[9], jint(d->chants));
        jpush(arr[10], jstr(level_names[level_of(d)]));
    }
    jset(det, "devices", devs);

    sqlite3_stmt *st;
    int rc = prepare(r, &st, "SELECT poll, device, option, ts_ms, changes FROM votes ORDER BY poll, device");
    if (rc) { json_decref(det); return rc; }
    json_t *votes = json_object();
    const char *vcols[] = {"poll", "device", "option", "ts_ms", "changes"};
    json_t *va[5];
    for (int c = 0; c < 5; c++) { va[c] = json_array(); jset(votes, vcols[c], va[c]); }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        for (int c = 0; c < 5; c++) jpush(va[c], jint(sqlite3_column_int64(st, c)));
    sqlite3_finalize(st);
    jset(det, "votes", votes);
    jset(r->root, "detail", det);
    if (rc != SQLITE_DONE) return sqlfail(r, "votes");
    return detail_mod_log(r, det);
}

static void rb_free(struct rb *r)
{
    json_decref(r->kinds);
    for (size_t i = 0; i < r->nsections; i++) free(r->sections[i].name);
    free(r->sections);
    free(r->secs);
    free(r->kind_taps);
    for (size_t i = 0; i < r->nmarkers; i++) { free(r->markers[i].kind); free(r->markers[i].label); }
    free(r->markers);
    free(r->devs);
    free(r->dev_index);
    free(r->sess);
    free(r->dsecs);
    free(r->votes);
    for (size_t i = 0; i < r->nchants; i++) {
        if (r->chants[i].key != r->chants[i].s) free(r->chants[i].key);
        free(r->chants[i].s);
    }
    free(r->chants);
    free(r->groups);
    for (size_t i = 0; i < r->nmods; i++) free(r->mods[i].key);
    free(r->mods);
    for (size_t i = 0; i < r->napprovals; i++) free(r->approvals[i].key);
    free(r->approvals);
    for (size_t i = 0; i < r->nmodes; i++) free(r->modes[i].mode);
    free(r->modes);
    free(r->seg_taps);
}

/* ---- public API ----------------------------------------------------------- */

int report_check(sqlite3 *db, char *err, size_t errlen)
{
    struct rb r = {.db = db, .err = err, .errlen = errlen};
    sqlite3_stmt *st;
    int rc = prepare(&r, &st, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chorus_meta'");
    if (rc) return rc == REPORT_ESQL && sqlite3_errcode(db) == SQLITE_NOTADB
                      ? fail(&r, REPORT_ENOTCHORUS, "not a Chorus database (not an SQLite file)") : rc;
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return fail(&r, REPORT_ENOTCHORUS, "not a Chorus database (no chorus_meta table)");
    if (rc != SQLITE_ROW) {
        if (sqlite3_errcode(db) == SQLITE_NOTADB) return fail(&r, REPORT_ENOTCHORUS, "not a Chorus database (not an SQLite file)");
        return sqlfail(&r, "sqlite_master");
    }
    if ((rc = prepare(&r, &st, "PRAGMA user_version"))) return rc;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (v < 0) return sqlfail(&r, "user_version");
    if (v > SCHEMA_VERSION)
        return fail(&r, REPORT_ENEWER, "database schema version %lld is newer than this report knows (%d)",
                    (long long)v, SCHEMA_VERSION);
    return 0;
}

int report_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3 *db = NULL;
    /* NOMUTEX: the connection is used by one thread; saves a lock per call. */
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (err && errlen) snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return REPORT_EIO;
    }
    sqlite3_busy_timeout(db, 5000);
    /* Read pages through mmap: the one big scan then costs no copy and far
     * fewer system calls (SQLite falls back to read() where it can't). */
    sqlite3_exec(db, "PRAGMA mmap_size = 4294967296", NULL, NULL, NULL);
    if ((rc = report_check(db, err, errlen)) != 0) { sqlite3_close(db); return rc; }
    *out = db;
    return 0;
}

/* event.hubs and event.sources: how many databases, named as the caller
 * named them, else db's file name and the peers' paths. */
static void event_sources(struct rb *r, const struct report_opts *o)
{
    json_t *ev = json_object_get(r->root, "event"), *src = json_array();
    for (size_t k = 0; k <= o->npeers; k++) {
        const char *name = o->names ? o->names[k] : k ? o->peers[k - 1] : NULL;
        if (!name) {
            const char *path = sqlite3_db_filename(r->db, "main"), *slash = path ? strrchr(path, '/') : NULL;
            name = slash ? slash + 1 : path ? path : "";
        }
        jpush(src, jstr(name));
    }
    jset(ev, "hubs", jint((int64_t)o->npeers + 1));
    jset(ev, "sources", src);
}

int report_build(sqlite3 *db, unsigned flags, json_t **out, char *err, size_t errlen)
{
    struct report_opts o = {.flags = flags};
    return report_build_opts(db, &o, out, err, errlen);
}

int report_build_opts(sqlite3 *db, const struct report_opts *opts, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int rc = report_check(db, err, errlen);
    if (rc) return rc;
    struct report_opts o = *opts;
    if (!o.peers) o.npeers = 0;
    struct rb r = {.db = db, .err = err, .errlen = errlen, .flags = o.flags};
    if (o.npeers && (rc = merge_attach(db, o.peers, o.npeers, o.names, err, errlen))) return rc;
    r.root = json_object();
    r.kinds = json_array();
    if (!r.root || !r.kinds) {
        json_decref(r.root);
        json_decref(r.kinds);
        if (o.npeers) merge_detach(db, o.npeers);
        return fail(&r, REPORT_ENOMEM, "out of memory");
    }
    if (sqlite3_exec(db, "SAVEPOINT chorus_report", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sqlfail(&r, "begin");
        json_decref(r.root);
        json_decref(r.kinds);
        if (o.npeers) merge_detach(db, o.npeers);
        return rc;
    }
    jset(r.root, "format", jint(REPORT_FORMAT));
    if (o.npeers) rc = merge_begin(db, o.npeers, err, errlen);
    if (!rc) rc = detect_schema(&r);
    if (!rc) rc = load_event(&r);
    if (!rc) rc = load_seconds(&r);
    if (!rc) rc = load_markers(&r);
    if (!rc) rc = load_devices(&r);
    if (!rc) rc = load_sessions(&r);
    if (!rc) rc = load_moderation(&r);
    if (!rc) event_window(&r);
    if (!rc) rc = scan_signals(&r);
    if (!rc) rc = fig_event_reach(&r);
    if (!rc) rc = fig_funnel_ladder(&r);
    if (!rc) rc = fig_timeline_peaks(&r);
    if (!rc) rc = fig_polls(&r);
    if (!rc) rc = fig_cocreation(&r);
    if (!rc) rc = fig_chants(&r);
    if (!rc) rc = fig_moderation(&r);
    if (!rc) rc = fig_retention_sections(&r);
    if (!rc) rc = fig_detail(&r);
    if (!rc) event_sources(&r, &o);
    sqlite3_exec(db, "RELEASE chorus_report", NULL, NULL, NULL);
    if (o.npeers) merge_detach(db, o.npeers);
    rb_free(&r);
    if (rc) { json_decref(r.root); return rc; }
    *out = r.root;
    return 0;
}

/* ---- headline ------------------------------------------------------------ */

static json_t *get(const json_t *o, const char *path)
{
    /* "a.b.0.c": object keys and array indexes */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = (json_t *)o;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10)) : json_object_get(cur, tok);
    return cur;
}

static json_t *copy(const json_t *o, const char *path)
{
    json_t *v = get(o, path);
    return v ? json_deep_copy(v) : json_null();
}

json_t *report_headline(const json_t *rep)
{
    json_t *h = json_object();
    if (!h) return NULL;
    jset(h, "code", copy(rep, "event.code"));
    jset(h, "name", copy(rep, "event.name"));
    jset(h, "start_ms", copy(rep, "event.start_ms"));
    jset(h, "duration_s", copy(rep, "event.duration_s"));
    jset(h, "devices", copy(rep, "reach.devices"));
    jset(h, "peak_audience", copy(rep, "reach.peak_audience"));
    jset(h, "reacted_share", copy(rep, "funnel.1.share"));
    jset(h, "voted_share", copy(rep, "funnel.2.share"));
    jset(h, "chanted_share", copy(rep, "funnel.3.share"));
    jset(h, "taps", copy(rep, "totals.taps"));
    jset(h, "votes", copy(rep, "totals.votes"));
    jset(h, "chants", copy(rep, "totals.chants"));
    int64_t devs = json_integer_value(get(rep, "reach.devices"));
    jset(h, "taps_per_device", jshare(json_integer_value(get(rep, "totals.taps")), devs));
    json_t *polls = get(rep, "polls");
    jset(h, "polls", jint((int64_t)json_array_size(polls)));
    double sum = 0;
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(polls, i, p)
        if (json_is_real(json_object_get(p, "turnout"))) { sum += json_real_value(json_object_get(p, "turnout")); n++; }
    jset(h, "mean_turnout", n ? jratio(sum / n) : json_null());
    jset(h, "loudest_section", copy(rep, "sections.loudest"));
    json_t *tc = get(rep, "chants.top.0.text");
    jset(h, "top_chant", tc ? json_deep_copy(tc) : json_null());
    jset(h, "top_chant_hidden", json_boolean(json_is_true(get(rep, "chants.top.0.hidden"))));
    return h;
}
