/* store.c -- SQLite persistence (see store.h).
 *
 * Threads: store_open() runs on the main thread before the loop starts;
 * afterwards only the writer thread uses the connection. The queue is a
 * fixed ring guarded by `mu`; results go to a growable array guarded by the
 * same mutex (bounded by the ring: one result per queued record at most).
 *
 * Reaction totals survive restarts exactly: each SECOND record writes the
 * totals as of the moment it was queued together with the highest signal id
 * written so far; since the ring is FIFO, every signal at or below that id is
 * included in those totals and none above it. Start-up adds the signals
 * written after it. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "chant.h"
#include "log.h"
#include "schema.h"
#include "store.h"
#include "util.h"

#define RESERVE 4096        /* ring slots only non-droppable records (not REACT, CHANT) may use */
#define ROUND_MAX 32768     /* records per transaction at most */

enum {
    Q_DEVICE, Q_SESS_START, Q_SESS_END, Q_VOTE, Q_VOTE_SIG, Q_REACT, Q_CHANT, Q_POLL, Q_POLL_OPT,
    Q_POLL_CLOSE, Q_MARKER, Q_SECOND, Q_SECOND_REACT, Q_TOTAL, Q_TOTAL_ID, Q_MAX_SIGNAL,
    Q_MOD_LOG, Q_CHANT_MOD, Q_BAN, Q_MODE, Q_POLL_REVEAL, Q_POLL_REOPEN, Q_MARKER_EDIT, Q_MARKER_DELETE,
    Q_SECOND_LATE, Q_POLL_PLAY, Q_CTL, Q_GATE, Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_DEVICE] = "INSERT INTO devices(id, created_ms, section) VALUES(?1, ?2, ?3) "
                 "ON CONFLICT(id) DO UPDATE SET section = excluded.section",
    [Q_SESS_START] = "INSERT INTO sessions(id, device, role, section, start_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_SESS_END] = "UPDATE sessions SET end_ms = ?2 WHERE id = ?1",
    [Q_VOTE] = "INSERT INTO votes(poll, device, option, ts_ms) VALUES(?1, ?2, ?3, ?4) "
               "ON CONFLICT(poll, device) DO UPDATE SET changes = changes + (option != excluded.option), "
               "option = excluded.option, ts_ms = excluded.ts_ms",
    [Q_VOTE_SIG] = "INSERT INTO signals(ts_ms, device, section, kind, poll, option) VALUES(?1, ?2, ?3, 'vote', ?4, ?5)",
    [Q_REACT] = "INSERT INTO signals(ts_ms, device, section, kind, reaction, n) VALUES(?1, ?2, ?3, 'react', ?4, ?5)",
    [Q_CHANT] = "INSERT INTO signals(ts_ms, device, section, kind, text, chant_key) VALUES(?1, ?2, ?3, 'chant', ?4, ?5)",
    [Q_POLL] = "INSERT INTO polls(id, question, allow_change, opened_ms, audience_at_open, reveal, revealed_ms) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 = 'live' THEN ?4 END)",
    [Q_POLL_OPT] = "INSERT INTO poll_options(poll, idx, label) VALUES(?1, ?2, ?3)",
    [Q_POLL_CLOSE] = "UPDATE polls SET closed_ms = ?2, revealed_ms = coalesce(revealed_ms, "
                     "CASE WHEN reveal = 'on_close' THEN ?2 END) WHERE id = ?1 AND closed_ms IS NULL",
    [Q_POLL_REVEAL] = "UPDATE polls SET revealed_ms = ?2 WHERE id = ?1 AND revealed_ms IS NULL",
    [Q_MARKER] = "INSERT INTO markers(ts_ms, kind, label, poll) VALUES(?1, ?2, ?3, ?4)",
    [Q_POLL_REOPEN] = "UPDATE polls SET closed_ms = NULL, revealed_ms = CASE WHEN reveal = 'on_close' THEN NULL "
                      "ELSE revealed_ms END, played_ms = NULL, played_option = NULL WHERE id = ?1",
    [Q_CTL] = "INSERT INTO chorus_meta(key, value) VALUES('ctl_seq', ?1) "
              "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    /* osc_gate (the master) or osc_gate.<target name>: "<crew> <file>", each
     * 0 or 1: the crew's choice, and the event file's value when it was made */
    [Q_GATE] = "INSERT INTO chorus_meta(key, value) VALUES('osc_gate' || coalesce('.' || ?1, ''), ?2 || ' ' || ?3) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [Q_POLL_PLAY] = "UPDATE polls SET played_ms = ?2, played_option = ?3, revealed_ms = coalesce(revealed_ms, ?2) "
                    "WHERE id = ?1",
    [Q_MARKER_EDIT] = "UPDATE markers SET label = coalesce(?2, label), kind = coalesce(?3, kind), poll = ?4 "
                      "WHERE ts_ms = ?1",
    [Q_MARKER_DELETE] = "DELETE FROM markers WHERE ts_ms = ?1",
    /* Taps a phone made in an earlier second (its offline backlog): added to
     * that second, whose row the hub wrote when it ended (audience kept). */
    [Q_SECOND_LATE] = "INSERT INTO seconds(sec, audience, taps, votes, chants) VALUES(?1, 0, ?2, 0, 0) "
                      "ON CONFLICT(sec) DO UPDATE SET taps = taps + excluded.taps",
    [Q_SECOND] = "INSERT INTO seconds(sec, audience, taps, votes, chants) VALUES(?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT(sec) DO UPDATE SET audience = excluded.audience, taps = taps + excluded.taps, "
                 "votes = votes + excluded.votes, chants = chants + excluded.chants",
    [Q_SECOND_REACT] = "INSERT INTO second_reacts(sec, reaction, taps) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(sec, reaction) DO UPDATE SET taps = taps + excluded.taps",
    [Q_TOTAL] = "UPDATE reactions SET total = ?2 WHERE name = ?1",
    [Q_TOTAL_ID] = "INSERT INTO chorus_meta(key, value) VALUES('totals_signal_id', ?1) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [Q_MAX_SIGNAL] = "SELECT coalesce(max(id), 0) FROM signals",
    [Q_MOD_LOG] = "INSERT INTO mod_log(ts_ms, session, action, key, text, device, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_CHANT_MOD] = "INSERT INTO chant_mod(key, text, flags, ts_ms) VALUES(?1, ?2, ?3, ?4) "
                    "ON CONFLICT(key) DO UPDATE SET flags = excluded.flags, ts_ms = excluded.ts_ms",
    [Q_BAN] = "UPDATE devices SET banned = ?2 WHERE id = ?1",
    [Q_MODE] = "INSERT INTO chorus_meta(key, value) VALUES('chant_mode', ?1) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    const struct event_def *ev;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct rec *ring;
    int cap, head, count;       /* guarded by mu */
    int stop;                   /* guarded by mu */
    struct rec_result *res;   /* guarded by mu */
    size_t nres, capres;
    struct rec_stats st;      /* guarded by mu */
    void (*notify)(void *);
    void *notify_arg;
};

static void rec_free(struct rec *r) {
    free(r->text);
    free(r->key);
    r->key = NULL;
    if (r->opts) {
        for (int i = 0; i < r->c; i++) free(r->opts[i]);
        free(r->opts);
    }
    free(r->second);
    r->text = NULL;
    r->opts = NULL;
    r->second = NULL;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Prepare sql. Returns the statement, or NULL with the reason in err. */
static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* The first column of sql's first row; dflt when there is none, NULL or the
 * statement fails (the callers' queries cannot fail on a Chorus schema). */
static int64_t int_query(sqlite3 *db, const char *sql, int64_t dflt) {
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return dflt;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The token secret from chorus_meta: 0 when read, 1 when absent or
 * malformed, -1 on error. */
static int read_secret(sqlite3 *db, uint8_t *secret, char *err, size_t errlen) {
    sqlite3_stmt *st = prepare(db, "SELECT value FROM chorus_meta WHERE key = 'token_secret'", err, errlen);
    if (!st) return -1;
    int rc = 1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 2 * AUTH_SECRET_LEN) {
        const char *hex = (const char *)sqlite3_column_text(st, 0);
        rc = 0;
        for (int i = 0; i < AUTH_SECRET_LEN; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) { rc = 1; break; }
            secret[i] = (uint8_t)(hi * 16 + lo);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The token secret's key file, STORE_KEY_SUFFIX after the database's path
 * (store.h). It holds the secret in hex and a newline, mode 0600. Returns
 * 0 read, 1 absent, -1 unreadable or malformed (err says which). */
static int read_key_file(const char *path, uint8_t *secret, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 1;
    if (fd < 0) { snprintf(err, errlen, "cannot read the key file %s: %s", path, strerror(errno)); return -1; }
    char buf[2 * AUTH_SECRET_LEN + 8];
    struct stat st;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        log_warn("the key file can be read by others; make it mode 0600", "key_file=%s mode=%03o", log_q(path),
                 (unsigned)(st.st_mode & 0777));
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    if (n == 2 * AUTH_SECRET_LEN)
        for (int i = 0; i < AUTH_SECRET_LEN; i++) {
            int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
            if (hi < 0 || lo < 0) { n = -1; break; }
            secret[i] = (uint8_t)(hi * 16 + lo);
        }
    if (n != 2 * AUTH_SECRET_LEN) {
        snprintf(err, errlen, "the key file %s does not hold a token secret (%d hex digits)", path, 2 * AUTH_SECRET_LEN);
        return -1;
    }
    return 0;
}

/* Create the key file (never over an existing one: O_EXCL), 0600, written
 * and synced before the secret leaves the database. Returns 0 or -1. */
static int write_key_file(const char *path, const uint8_t *secret, char *err, size_t errlen) {
    char hex[2 * AUTH_SECRET_LEN + 2];
    for (int i = 0; i < AUTH_SECRET_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", secret[i]);
    hex[2 * AUTH_SECRET_LEN] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) { snprintf(err, errlen, "cannot create the key file %s: %s", path, strerror(errno)); return -1; }
    int ok = write(fd, hex, 2 * AUTH_SECRET_LEN + 1) == 2 * AUTH_SECRET_LEN + 1 && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write the key file %s: %s", path, strerror(e));
        return -1;
    }
    /* The file's name must survive a power cut too. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return 0;
}

/* The token secret, kept in the key file beside the database so that a
 * copy of the database handed to analysts can not mint tokens. A database
 * from before the key file holds it in chorus_meta: it is written to the
 * key file, then deleted from the database, overwritten (secure_delete),
 * and the file rebuilt (VACUUM) and checkpointed so no page or WAL frame
 * keeps a copy. A new database gets a new secret. Returns 0 or -1. */
static int secret_setup(sqlite3 *db, const char *dbpath, uint8_t *secret, char *err, size_t errlen) {
    char path[PATH_MAX];
    uint8_t old[AUTH_SECRET_LEN];
    if (snprintf(path, sizeof path, "%s" STORE_KEY_SUFFIX, dbpath) >= (int)sizeof path) {
        snprintf(err, errlen, "database path too long");
        return -1;
    }
    if (exec(db, "BEGIN IMMEDIATE", err, errlen) < 0) return -1;
    int in_db = read_secret(db, old, err, errlen);
    int in_file = in_db < 0 ? -1 : read_key_file(path, secret, err, errlen);
    if (in_file < 0) goto fail;
    if (in_file == 0 && in_db == 0 && memcmp(old, secret, sizeof old) != 0) {
        snprintf(err, errlen, "the key file %s holds another token secret than this database: "
                 "it belongs to another database (move it away, then start again)", path);
        goto fail;
    }
    if (in_file > 0) {
        int64_t devices = int_query(db, "SELECT count(*) FROM devices", 0);
        if (in_db == 0) {
            memcpy(secret, old, sizeof old);
        } else if (auth_secret_new(secret) < 0) {
            snprintf(err, errlen, "no randomness for the token secret");
            goto fail;
        } else if (devices > 0) {
            log_warn("no token secret for this database: made a new one; phones that joined before come back as "
                     "new devices (copy the key file along with the database)", "key_file=%s devices=%lld",
                     log_q(path), (long long)devices);
        }
        if (write_key_file(path, secret, err, errlen) < 0) goto fail;
    }
    if (in_db == 0) {
        if (exec(db, "PRAGMA secure_delete = ON", err, errlen) < 0 ||
            exec(db, "DELETE FROM chorus_meta WHERE key = 'token_secret'", err, errlen) < 0)
            goto fail;
    }
    if (exec(db, "COMMIT", err, errlen) < 0) goto fail;
    if (in_db == 0) {
        int64_t t0 = util_mono_ms();
        if (exec(db, "VACUUM", err, errlen) < 0 || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen) < 0 ||
            exec(db, "PRAGMA secure_delete = OFF", err, errlen) < 0)
            return -1;
        log_info("token secret moved out of the database into its key file", "key_file=%s vacuum_ms=%lld",
                 log_q(path), (long long)(util_mono_ms() - t0));
    }
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
    return -1;
}

/* The event row: created on first start, name and config refreshed later;
 * a database of another event is refused. */
static int write_event(sqlite3 *db, const struct event_def *ev, int64_t now, char *err, size_t errlen) {
    sqlite3_stmt *st = prepare(db, "SELECT code FROM event WHERE id = 1", err, errlen);
    if (!st) return -1;
    int exists = sqlite3_step(st) == SQLITE_ROW;
    if (exists && strcmp((const char *)sqlite3_column_text(st, 0), ev->code) != 0) {
        snprintf(err, errlen, "database holds event '%s' but the event file is for '%s'",
                 (const char *)sqlite3_column_text(st, 0), ev->code);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    st = prepare(db, exists ? "UPDATE event SET name = ?1, config = ?2 WHERE id = 1"
                            : "INSERT INTO event(id, name, config, code, created_ms) VALUES(1, ?1, ?2, ?3, ?4)",
                 err, errlen);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, ev->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->config_json, -1, SQLITE_STATIC);
    if (!exists) {
        sqlite3_bind_text(st, 3, ev->code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { snprintf(err, errlen, "database: %s", sqlite3_errmsg(db)); return -1; }

    st = prepare(db, "INSERT OR IGNORE INTO reactions(name) VALUES(?1)", err, errlen);
    if (!st) return -1;
    for (int i = 0; i < ev->nreactions && rc == SQLITE_DONE; i++) {
        sqlite3_bind_text(st, 1, ev->reactions[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { snprintf(err, errlen, "database: %s", sqlite3_errmsg(db)); return -1; }
    return 0;
}

static int step(sqlite3_stmt *st);
static int step_done(sqlite3 *db, sqlite3_stmt *st, int rc, char *err, size_t errlen);

/* v1 -> v2: new columns, and every stored chant gets its grouping key so
 * old chants group like new ones. */
static int migrate_v2(sqlite3 *db, char *err, size_t errlen) {
    if (exec(db, SCHEMA_MIGRATE_V2, err, errlen) < 0) return -1;
    sqlite3_stmt *sel = prepare(db, "SELECT id, text FROM signals WHERE kind = 'chant' AND text IS NOT NULL", err, errlen);
    if (!sel) return -1;
    sqlite3_stmt *upd = prepare(db, "UPDATE signals SET chant_key = ?2 WHERE id = ?1", err, errlen);
    if (!upd) { sqlite3_finalize(sel); return -1; }
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(sel, 1);
        char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
        if (chant_normalize(text, strlen(text), disp, key) != 0) continue;   /* stays NULL: grouped by its text */
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_text(upd, 2, key, -1, SQLITE_STATIC);
        if (step(upd) < 0) { rc = SQLITE_ERROR; break; }
    }
    sqlite3_finalize(upd);
    return step_done(db, sel, rc, err, errlen);
}

/* Schema, event row. */
static int setup(struct store *s, const struct event_def *ev, int64_t now, char *err, size_t errlen) {
    sqlite3 *db = s->db;
    int64_t ver = int_query(db, "PRAGMA user_version", 0);
    int64_t tables = int_query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", 0);
    int64_t meta = int_query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'chorus_meta'", 0);
    if (ver > SCHEMA_VERSION) {
        snprintf(err, errlen, "database schema v%lld is newer than this hub (v%d)", (long long)ver, SCHEMA_VERSION);
        return -1;
    }
    if (tables > 0 && !meta) {
        snprintf(err, errlen, "database is not a Chorus database (it has other tables)");
        return -1;
    }
    if (exec(db, "PRAGMA journal_mode = WAL", err, errlen) < 0) return -1;
    if (exec(db, "PRAGMA synchronous = FULL", err, errlen) < 0) return -1;
    if (exec(db, "BEGIN IMMEDIATE", err, errlen) < 0) return -1;
    if (tables > 0 && ver < 2 && migrate_v2(db, err, errlen) < 0) goto fail;
    if (tables > 0 && ver < 3 && exec(db, SCHEMA_MIGRATE_V3, err, errlen) < 0) goto fail;
    if (exec(db, SCHEMA_SQL, err, errlen) < 0) goto fail;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (exec(db, sql, err, errlen) < 0) goto fail;
    if (write_event(db, ev, now, err, errlen) < 0) goto fail;
    /* Sessions left open by a killed hub end at the last second it recorded. */
    if (exec(db, "UPDATE sessions SET end_ms = max(start_ms, coalesce((SELECT max(sec) * 1000 + 999 FROM seconds), start_ms)) "
                 "WHERE end_ms IS NULL", err, errlen) < 0) goto fail;
    return exec(db, "COMMIT", err, errlen);
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, int rc, char *err, size_t errlen) {
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return 0;
    snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
    return -1;
}

static int reload_devices(sqlite3 *db, const struct event_def *ev, struct rec_boot *boot, char *err, size_t errlen) {
    boot->device_section = malloc((size_t)boot->max_device + 1);
    if (!boot->device_section) { snprintf(err, errlen, "out of memory"); return -1; }
    memset(boot->device_section, -1, (size_t)boot->max_device + 1);
    sqlite3_stmt *st = prepare(db, "SELECT id, section FROM devices", err, errlen);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *sec = (const char *)sqlite3_column_text(st, 1);
        if (id >= 0 && id <= boot->max_device)
            boot->device_section[id] = (int8_t)event_def_section(ev, sec, strlen(sec));
    }
    return step_done(db, st, rc, err, errlen);
}

static int reload_totals(sqlite3 *db, const struct event_def *ev, struct agg_saved *sv, char *err, size_t errlen) {
    int64_t through = int_query(db, "SELECT CAST(value AS INTEGER) FROM chorus_meta WHERE key = 'totals_signal_id'", 0);
    sqlite3_stmt *st = prepare(db, "SELECT r.name, r.total + coalesce((SELECT sum(n) FROM signals "
                                   "WHERE id > ?1 AND kind = 'react' AND reaction = r.name), 0) FROM reactions r",
                               err, errlen);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, through);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int k = event_def_reaction(ev, name, strlen(name));
        if (k >= 0) sv->totals[k] = sqlite3_column_int64(st, 1);
    }
    return step_done(db, st, rc, err, errlen);
}

/* The votes of one poll into sv: the poll `which` (an SQL expression) for
 * the count, id (0: the same expression) for the rows; options >= nopts are
 * skipped. */
static int reload_votes(sqlite3 *db, struct agg_saved *sv, const char *which, int64_t id, int nopts, char *err,
                        size_t errlen) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM votes WHERE poll = %s", which);
    int64_t n = int_query(db, sql, 0);
    sv->vote_device = malloc((size_t)(n > 0 ? n : 1) * sizeof *sv->vote_device);
    sv->vote_option = malloc((size_t)(n > 0 ? n : 1));
    if (!sv->vote_device || !sv->vote_option) { snprintf(err, errlen, "out of memory"); return -1; }
    snprintf(sql, sizeof sql, "SELECT device, option FROM votes WHERE poll = %s", id ? "?1" : which);
    sqlite3_stmt *st = prepare(db, sql, err, errlen);
    if (!st) return -1;
    if (id) sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (int64_t)sv->nvotes < n) {
        int opt = sqlite3_column_int(st, 1);
        if (opt < 0 || opt >= nopts) continue;
        sv->vote_device[sv->nvotes] = sqlite3_column_int64(st, 0);
        sv->vote_option[sv->nvotes++] = (uint8_t)opt;
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return step_done(db, st, rc, err, errlen);
}

/* The open poll (the newest one without closed_ms), its options and votes;
 * with no open poll, the votes of the last closed one (for a reopen). */
static int reload_poll(sqlite3 *db, struct agg_saved *sv, char *err, size_t errlen) {
    sqlite3_stmt *st = prepare(db, "SELECT id, question, allow_change, opened_ms, reveal, revealed_ms IS NOT NULL "
                                   "FROM polls WHERE closed_ms IS NULL ORDER BY id DESC LIMIT 1", err, errlen);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (step_done(db, st, rc, err, errlen) < 0) return -1;
        return reload_votes(db, sv, "(SELECT id FROM polls WHERE closed_ms IS NOT NULL ORDER BY closed_ms DESC, id DESC "
                                    "LIMIT 1)", 0, WIRE_MAX_OPTIONS, err, errlen);
    }
    struct agg_poll *p = sv->poll = calloc(1, sizeof *p);
    if (p) {
        p->id = sqlite3_column_int64(st, 0);
        p->question = strdup((const char *)sqlite3_column_text(st, 1));
        p->allow_change = sqlite3_column_int(st, 2);
        p->opened_ms = sqlite3_column_int64(st, 3);
        int rv = wire_reveal_parse((const char *)sqlite3_column_text(st, 4), (size_t)sqlite3_column_bytes(st, 4));
        p->reveal = rv >= 0 ? (enum poll_reveal)rv : REVEAL_LIVE;
        p->revealed = sqlite3_column_int(st, 5);
    }
    sqlite3_finalize(st);
    if (!p || !p->question) { snprintf(err, errlen, "out of memory"); return -1; }

    if (!(st = prepare(db, "SELECT idx, label FROM poll_options WHERE poll = ?1 ORDER BY idx", err, errlen))) return -1;
    sqlite3_bind_int64(st, 1, p->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->nopts < WIRE_MAX_OPTIONS) {
        if (!(p->options[p->nopts] = strdup((const char *)sqlite3_column_text(st, 1)))) { rc = SQLITE_NOMEM; break; }
        p->nopts++;
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;  /* more options than allowed: the rest are ignored */
    if (step_done(db, st, rc, err, errlen) < 0) return -1;
    if (p->nopts < 2) {
        snprintf(err, errlen, "database: the open poll %lld has %d options (damaged database?)", (long long)p->id, p->nopts);
        return -1;
    }

    return reload_votes(db, sv, "(SELECT max(id) FROM polls WHERE closed_ms IS NULL)", p->id, p->nopts, err, errlen);
}

/* Moderation: the crew's mode, approved and hidden texts, banned devices. */
static int reload_mod(sqlite3 *db, struct rec_boot *boot, char *err, size_t errlen) {
    sqlite3_stmt *st = prepare(db, "SELECT value FROM chorus_meta WHERE key = 'chant_mode'", err, errlen);
    if (!st) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int m = wire_mod_mode_parse((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        if (m >= 0) { boot->has_chant_mode = 1; boot->chant_mode = (enum mod_mode)m; }
    }
    sqlite3_finalize(st);
    int64_t n = int_query(db, "SELECT count(*) FROM chant_mod", 0);
    if (n > MOD_TEXTS_MAX) n = MOD_TEXTS_MAX;
    if (!(boot->mod = calloc((size_t)(n > 0 ? n : 1), sizeof *boot->mod))) { snprintf(err, errlen, "out of memory"); return -1; }
    if (!(st = prepare(db, "SELECT key, text, flags, ts_ms FROM chant_mod ORDER BY ts_ms", err, errlen))) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (int64_t)boot->nmod < n) {
        struct mod_text *x = &boot->mod[boot->nmod];
        x->key = strdup((const char *)sqlite3_column_text(st, 0));
        x->text = strdup((const char *)sqlite3_column_text(st, 1));
        x->flags = (uint8_t)sqlite3_column_int(st, 2);
        x->ts = sqlite3_column_int64(st, 3);
        boot->nmod++;
        if (!x->key || !x->text) { rc = SQLITE_NOMEM; break; }
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    if (step_done(db, st, rc, err, errlen) < 0) return -1;
    /* Banned: this hub's devices marked so, and (a cluster) any device whose
     * latest ban or unban in the moderation log is a ban: another hub's
     * device has no row here to mark. */
#define BANNED_SQL "SELECT id FROM devices WHERE banned != 0 UNION " \
                   "SELECT device FROM (SELECT device, action, max(id) FROM mod_log " \
                   "WHERE action IN ('ban', 'unban') AND device IS NOT NULL GROUP BY device) WHERE action = 'ban'"
    n = int_query(db, "SELECT count(*) FROM (" BANNED_SQL ")", 0);
    if (!(boot->banned = malloc((size_t)(n > 0 ? n : 1) * sizeof *boot->banned))) { snprintf(err, errlen, "out of memory"); return -1; }
    if (!(st = prepare(db, BANNED_SQL, err, errlen))) return -1;
#undef BANNED_SQL
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (int64_t)boot->nbanned < n)
        boot->banned[boot->nbanned++] = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return step_done(db, st, rc, err, errlen);
}

/* The newest confirmed results ("Play it"), newest first, with their votes
 * and the song_start marker that started each (chosen.c). */
static int reload_played(sqlite3 *db, struct rec_boot *boot, char *err, size_t errlen) {
    _Static_assert(REC_PLAYED_MAX == 4, "the query below keeps REC_PLAYED_MAX");
    sqlite3_stmt *st = prepare(db,
        "SELECT p.id, p.played_ms, p.played_option, p.question, coalesce(o.label, ''), "
        "(SELECT count(*) FROM votes v WHERE v.poll = p.id AND v.option = p.played_option), "
        "(SELECT count(*) FROM votes v WHERE v.poll = p.id), "
        "coalesce((SELECT max(m.ts_ms) FROM markers m WHERE m.poll = p.id), 0) "
        "FROM polls p LEFT JOIN poll_options o ON o.poll = p.id AND o.idx = p.played_option "
        "WHERE p.played_ms IS NOT NULL ORDER BY p.played_ms DESC, p.id DESC LIMIT 4", err, errlen);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && boot->nplayed < REC_PLAYED_MAX) {
        struct rec_played *pl = &boot->played[boot->nplayed++];
        pl->poll = sqlite3_column_int64(st, 0);
        pl->played_ms = sqlite3_column_int64(st, 1);
        pl->option = sqlite3_column_int(st, 2);
        snprintf(pl->question, sizeof pl->question, "%s", (const char *)sqlite3_column_text(st, 3));
        snprintf(pl->label, sizeof pl->label, "%s", (const char *)sqlite3_column_text(st, 4));
        pl->votes = sqlite3_column_int64(st, 5);
        pl->voters = sqlite3_column_int64(st, 6);
        pl->marker_ts = sqlite3_column_int64(st, 7);
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return step_done(db, st, rc, err, errlen);
}

/* The newest markers and the last closed poll with its final counts, so a
 * page that connects after a restart shows the same as one that stayed. */
static int reload_history(sqlite3 *db, struct rec_boot *boot, char *err, size_t errlen) {
    if (!(boot->markers = calloc(REC_MARKERS_MAX, sizeof *boot->markers))) { snprintf(err, errlen, "out of memory"); return -1; }
    sqlite3_stmt *st = prepare(db, "SELECT label, kind, ts_ms, coalesce(poll, 0) FROM (SELECT * FROM markers "
                                   "ORDER BY id DESC LIMIT 20) ORDER BY id", err, errlen);
    _Static_assert(REC_MARKERS_MAX == 20, "the query above keeps REC_MARKERS_MAX");
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && boot->nmarkers < REC_MARKERS_MAX) {
        struct rec_marker *m = &boot->markers[boot->nmarkers++];
        snprintf(m->label, sizeof m->label, "%s", (const char *)sqlite3_column_text(st, 0));
        int k = wire_marker_parse((const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
        m->kind = k >= 0 ? (enum marker_kind)k : MARKER_NOTE;
        m->ts = sqlite3_column_int64(st, 2);
        m->poll = sqlite3_column_int64(st, 3);
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    if (step_done(db, st, rc, err, errlen) < 0) return -1;

    if (reload_played(db, boot, err, errlen) < 0) return -1;
    if (!(st = prepare(db, "SELECT id, question, allow_change, opened_ms, closed_ms, reveal, revealed_ms IS NOT NULL, "
                           "coalesce(played_ms, 0), coalesce(played_option, 0) "
                           "FROM polls WHERE closed_ms IS NOT NULL ORDER BY closed_ms DESC, id DESC LIMIT 1", err, errlen)))
        return -1;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) return step_done(db, st, rc, err, errlen);
    struct agg_poll *p = boot->last_closed = calloc(1, sizeof *p);
    if (p) {
        p->id = sqlite3_column_int64(st, 0);
        p->question = strdup((const char *)sqlite3_column_text(st, 1));
        p->allow_change = sqlite3_column_int(st, 2);
        p->opened_ms = sqlite3_column_int64(st, 3);
        p->closed_ms = sqlite3_column_int64(st, 4);
        int rv = wire_reveal_parse((const char *)sqlite3_column_text(st, 5), (size_t)sqlite3_column_bytes(st, 5));
        p->reveal = rv >= 0 ? (enum poll_reveal)rv : REVEAL_LIVE;
        p->revealed = sqlite3_column_int(st, 6);
        p->played_ms = sqlite3_column_int64(st, 7);
        p->played_option = sqlite3_column_int(st, 8);
    }
    sqlite3_finalize(st);
    if (!p || !p->question) { snprintf(err, errlen, "out of memory"); return -1; }
    if (!(st = prepare(db, "SELECT o.label, (SELECT count(*) FROM votes v WHERE v.poll = o.poll AND v.option = o.idx) "
                           "FROM poll_options o WHERE o.poll = ?1 ORDER BY o.idx", err, errlen)))
        return -1;
    sqlite3_bind_int64(st, 1, p->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->nopts < WIRE_MAX_OPTIONS) {
        if (!(p->options[p->nopts] = strdup((const char *)sqlite3_column_text(st, 0)))) { rc = SQLITE_NOMEM; break; }
        p->counts[p->nopts] = sqlite3_column_int64(st, 1);
        p->voters += p->counts[p->nopts];
        p->nopts++;
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return step_done(db, st, rc, err, errlen);
}

/* The OSC gates the crew switched (Q_GATE's rows). */
static int reload_gates(sqlite3 *db, struct rec_boot *boot, char *err, size_t errlen) {
    sqlite3_stmt *st = prepare(db, "SELECT substr(key, 10), CAST(value AS INTEGER), CAST(substr(value, 3) AS INTEGER) "
                                   "FROM chorus_meta WHERE key = 'osc_gate' OR substr(key, 1, 9) = 'osc_gate.' ORDER BY key",
                               err, errlen);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int on = sqlite3_column_int(st, 1) != 0, file = sqlite3_column_int(st, 2) != 0;
        if (!name || !*name) { boot->has_osc_master = 1, boot->osc_master = on, boot->osc_master_file = file; continue; }
        struct rec_gate *g = realloc(boot->osc_gates, (boot->nosc_gates + 1) * sizeof *g);
        if (!g) { rc = SQLITE_NOMEM; break; }
        boot->osc_gates = g;
        if (!(g[boot->nosc_gates].name = strdup(name))) { rc = SQLITE_NOMEM; break; }
        g[boot->nosc_gates].file = file;
        g[boot->nosc_gates++].on = on;
    }
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return step_done(db, st, rc, err, errlen);
}

/* Reload what the server needs into boot. */
static int reload(struct store *s, const struct event_def *ev, struct rec_boot *boot, char *err, size_t errlen) {
    sqlite3 *db = s->db;
    boot->max_device = int_query(db, "SELECT max(id) FROM devices", 0);
    boot->max_session = int_query(db, "SELECT max(id) FROM sessions", 0);
    boot->max_poll = int_query(db, "SELECT max(id) FROM polls", 0);
    boot->ndevices = int_query(db, "SELECT count(*) FROM devices", 0);
    boot->ctl_seq = (uint64_t)int_query(db, "SELECT CAST(value AS INTEGER) FROM chorus_meta WHERE key = 'ctl_seq'", 0);
    if (reload_devices(db, ev, boot, err, errlen) < 0) return -1;
    if (reload_totals(db, ev, &boot->saved, err, errlen) < 0) return -1;
    if (reload_mod(db, boot, err, errlen) < 0) return -1;
    if (reload_history(db, boot, err, errlen) < 0) return -1;
    if (reload_gates(db, boot, err, errlen) < 0) return -1;
    return reload_poll(db, &boot->saved, err, errlen);
}

struct store *store_open(const char *path, const struct event_def *ev, int queue_max, int max_pages,
                         struct rec_boot *boot, char *err, size_t errlen) {
    memset(boot, 0, sizeof *boot);
    struct store *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, errlen, "out of memory"); return NULL; }
    s->ev = ev;
    s->cap = queue_max < 2 * RESERVE ? 2 * RESERVE : queue_max;
    s->ring = calloc((size_t)s->cap, sizeof *s->ring);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!s->ring) { snprintf(err, errlen, "out of memory"); goto fail; }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (int_query(s->db, "SELECT count(*) FROM sqlite_master", -1) < 0) {
        snprintf(err, errlen, "cannot open database %s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (setup(s, ev, util_now_ms(), err, errlen) < 0) goto fail;
    if (secret_setup(s->db, path, boot->secret, err, errlen) < 0) goto fail;
    if (reload(s, ev, boot, err, errlen) < 0) goto fail;
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    if (max_pages > 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", max_pages);
        if (exec(s->db, sql, err, errlen) < 0) goto fail;
    }
    s->st.queue_max = s->cap;
    return s;
fail:
    rec_boot_clear(boot);
    store_close(s);
    return NULL;
}

int store_push(struct store *s, struct rec *r) {
    assert(r->type >= REC_DEVICE && r->type <= REC_OSC_GATE);
    assert(r->type != REC_SECOND || r->second);
    int droppable = r->type == REC_REACT || r->type == REC_CHANT || (r->type == REC_MOD && !r->want_ack);
    pthread_mutex_lock(&s->mu);
    int limit = droppable ? s->cap - RESERVE : s->cap;
    if (s->count >= limit) {
        if (droppable) s->st.dropped++;
        pthread_mutex_unlock(&s->mu);
        rec_free(r);
        return -1;
    }
    s->ring[(s->head + s->count) % s->cap] = *r;
    s->count++;
    if (s->count == 1) pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void bind_section(struct store *s, sqlite3_stmt *st, int col, int section) {
    if (section >= 0 && section < s->ev->nsections)
        sqlite3_bind_text(st, col, s->ev->sections[section], -1, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, col, "", 0, SQLITE_STATIC);
}

static int step(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* A moderation record: its audit row, then its effect. */
static int write_mod(struct store *s, const struct rec *r) {
    sqlite3_stmt **q = s->q;
    enum mod_action a = (enum mod_action)r->kind;
    sqlite3_bind_int64(q[Q_MOD_LOG], 1, r->ts_ms);
    sqlite3_bind_int64(q[Q_MOD_LOG], 2, r->a);
    sqlite3_bind_text(q[Q_MOD_LOG], 3, wire_mod_action_name(a), -1, SQLITE_STATIC);
    if (r->key) sqlite3_bind_text(q[Q_MOD_LOG], 4, r->key, -1, SQLITE_STATIC);
    if (r->text) sqlite3_bind_text(q[Q_MOD_LOG], 5, r->text, -1, SQLITE_STATIC);
    if (r->b) sqlite3_bind_int64(q[Q_MOD_LOG], 6, r->b);
    if (a == MOD_SET_MODE) sqlite3_bind_text(q[Q_MOD_LOG], 7, wire_mod_mode_name((enum mod_mode)r->c), -1, SQLITE_STATIC);
    if (step(q[Q_MOD_LOG]) < 0) return -1;
    switch (a) {
    case MOD_APPROVE_TEXT: case MOD_HIDE: case MOD_UNHIDE:
        sqlite3_bind_text(q[Q_CHANT_MOD], 1, r->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[Q_CHANT_MOD], 2, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_int(q[Q_CHANT_MOD], 3, r->c);
        sqlite3_bind_int64(q[Q_CHANT_MOD], 4, r->ts_ms);
        return step(q[Q_CHANT_MOD]);
    case MOD_BAN: case MOD_UNBAN:
        sqlite3_bind_int64(q[Q_BAN], 1, r->b);
        sqlite3_bind_int(q[Q_BAN], 2, a == MOD_BAN);
        return step(q[Q_BAN]);
    case MOD_SET_MODE:
        sqlite3_bind_text(q[Q_MODE], 1, wire_mod_mode_name((enum mod_mode)r->c), -1, SQLITE_STATIC);
        return step(q[Q_MODE]);
    default:
        return 0;   /* MOD_BLOCKED: the audit row is all */
    }
}

/* Write one record inside the open transaction. Returns 0 or -1. */
static int write_rec(struct store *s, const struct rec *r) {
    sqlite3_stmt **q = s->q;
    switch (r->type) {
    case REC_DEVICE:
        sqlite3_bind_int64(q[Q_DEVICE], 1, r->a);
        sqlite3_bind_int64(q[Q_DEVICE], 2, r->ts_ms);
        bind_section(s, q[Q_DEVICE], 3, r->section);
        return step(q[Q_DEVICE]);
    case REC_SESSION_START:
        sqlite3_bind_int64(q[Q_SESS_START], 1, r->a);
        sqlite3_bind_int64(q[Q_SESS_START], 2, r->b);
        sqlite3_bind_text(q[Q_SESS_START], 3, wire_role_name((enum role)r->c), -1, SQLITE_STATIC);
        bind_section(s, q[Q_SESS_START], 4, r->section);
        sqlite3_bind_int64(q[Q_SESS_START], 5, r->ts_ms);
        return step(q[Q_SESS_START]);
    case REC_SESSION_END:
        sqlite3_bind_int64(q[Q_SESS_END], 1, r->a);
        sqlite3_bind_int64(q[Q_SESS_END], 2, r->ts_ms);
        return step(q[Q_SESS_END]);
    case REC_VOTE:
        if (r->kind == 1) return 0;   /* a re-send: the first one is written */
        sqlite3_bind_int64(q[Q_VOTE], 1, r->a);
        sqlite3_bind_int64(q[Q_VOTE], 2, r->b);
        sqlite3_bind_int(q[Q_VOTE], 3, r->c);
        sqlite3_bind_int64(q[Q_VOTE], 4, r->ts_ms);
        if (step(q[Q_VOTE]) < 0) return -1;
        sqlite3_bind_int64(q[Q_VOTE_SIG], 1, r->ts_ms);
        sqlite3_bind_int64(q[Q_VOTE_SIG], 2, r->b);
        bind_section(s, q[Q_VOTE_SIG], 3, r->section);
        sqlite3_bind_int64(q[Q_VOTE_SIG], 4, r->a);
        sqlite3_bind_int(q[Q_VOTE_SIG], 5, r->c);
        return step(q[Q_VOTE_SIG]);
    case REC_REACT:
        sqlite3_bind_int64(q[Q_REACT], 1, r->ts_ms);
        sqlite3_bind_int64(q[Q_REACT], 2, r->b);
        bind_section(s, q[Q_REACT], 3, r->section);
        sqlite3_bind_text(q[Q_REACT], 4, s->ev->reactions[r->kind], -1, SQLITE_STATIC);
        sqlite3_bind_int(q[Q_REACT], 5, r->c);
        if (step(q[Q_REACT]) < 0) return -1;
        if (!r->d) return 0;
        sqlite3_bind_int64(q[Q_SECOND_LATE], 1, r->ts_ms / 1000);
        sqlite3_bind_int(q[Q_SECOND_LATE], 2, r->c);
        if (step(q[Q_SECOND_LATE]) < 0) return -1;
        sqlite3_bind_int64(q[Q_SECOND_REACT], 1, r->ts_ms / 1000);
        sqlite3_bind_text(q[Q_SECOND_REACT], 2, s->ev->reactions[r->kind], -1, SQLITE_STATIC);
        sqlite3_bind_int(q[Q_SECOND_REACT], 3, r->c);
        return step(q[Q_SECOND_REACT]);
    case REC_CHANT:
        sqlite3_bind_int64(q[Q_CHANT], 1, r->ts_ms);
        sqlite3_bind_int64(q[Q_CHANT], 2, r->b);
        bind_section(s, q[Q_CHANT], 3, r->section);
        sqlite3_bind_text(q[Q_CHANT], 4, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[Q_CHANT], 5, r->key, -1, SQLITE_STATIC);
        return step(q[Q_CHANT]);
    case REC_MOD:
        return write_mod(s, r);
    case REC_POLL_REVEAL:
        sqlite3_bind_int64(q[Q_POLL_REVEAL], 1, r->a);
        sqlite3_bind_int64(q[Q_POLL_REVEAL], 2, r->ts_ms);
        return step(q[Q_POLL_REVEAL]);
    case REC_POLL_OPEN:
        sqlite3_bind_int64(q[Q_POLL], 1, r->a);
        sqlite3_bind_text(q[Q_POLL], 2, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_int(q[Q_POLL], 3, r->d);
        sqlite3_bind_int64(q[Q_POLL], 4, r->ts_ms);
        sqlite3_bind_int64(q[Q_POLL], 5, r->b);
        sqlite3_bind_text(q[Q_POLL], 6, wire_reveal_name((enum poll_reveal)r->kind), -1, SQLITE_STATIC);
        if (step(q[Q_POLL]) < 0) return -1;
        for (int i = 0; i < r->c; i++) {
            sqlite3_bind_int64(q[Q_POLL_OPT], 1, r->a);
            sqlite3_bind_int(q[Q_POLL_OPT], 2, i);
            sqlite3_bind_text(q[Q_POLL_OPT], 3, r->opts[i], -1, SQLITE_STATIC);
            if (step(q[Q_POLL_OPT]) < 0) return -1;
        }
        return 0;
    case REC_POLL_CLOSE:
        sqlite3_bind_int64(q[Q_POLL_CLOSE], 1, r->a);
        sqlite3_bind_int64(q[Q_POLL_CLOSE], 2, r->ts_ms);
        return step(q[Q_POLL_CLOSE]);
    case REC_POLL_REOPEN:
        sqlite3_bind_int64(q[Q_POLL_REOPEN], 1, r->a);
        return step(q[Q_POLL_REOPEN]);
    case REC_MARKER_EDIT:
        if (r->c) {
            sqlite3_bind_int64(q[Q_MARKER_DELETE], 1, r->a);
            return step(q[Q_MARKER_DELETE]);
        }
        sqlite3_bind_int64(q[Q_MARKER_EDIT], 1, r->a);
        if (r->text) sqlite3_bind_text(q[Q_MARKER_EDIT], 2, r->text, -1, SQLITE_STATIC);
        if (r->kind >= 0) sqlite3_bind_text(q[Q_MARKER_EDIT], 3, wire_marker_name((enum marker_kind)r->kind), -1, SQLITE_STATIC);
        if (r->b > 0) sqlite3_bind_int64(q[Q_MARKER_EDIT], 4, r->b);
        return step(q[Q_MARKER_EDIT]);
    case REC_CTL:
        sqlite3_bind_int64(q[Q_CTL], 1, r->a);
        return step(q[Q_CTL]);
    case REC_OSC_GATE:
        if (r->text) sqlite3_bind_text(q[Q_GATE], 1, r->text, -1, SQLITE_STATIC);
        else sqlite3_bind_null(q[Q_GATE], 1);
        sqlite3_bind_int(q[Q_GATE], 2, r->c ? 1 : 0);
        sqlite3_bind_int(q[Q_GATE], 3, r->d ? 1 : 0);
        return step(q[Q_GATE]);
    case REC_POLL_PLAY:
        sqlite3_bind_int64(q[Q_POLL_PLAY], 1, r->a);
        sqlite3_bind_int64(q[Q_POLL_PLAY], 2, r->ts_ms);
        sqlite3_bind_int(q[Q_POLL_PLAY], 3, r->c);
        return step(q[Q_POLL_PLAY]);
    case REC_MARKER:
        sqlite3_bind_int64(q[Q_MARKER], 1, r->ts_ms);
        sqlite3_bind_text(q[Q_MARKER], 2, wire_marker_name((enum marker_kind)r->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(q[Q_MARKER], 3, r->text, -1, SQLITE_STATIC);
        if (r->b > 0) sqlite3_bind_int64(q[Q_MARKER], 4, r->b);
        return step(q[Q_MARKER]);
    case REC_SECOND: {
        const struct agg_second *x = &r->second->s;
        sqlite3_bind_int64(q[Q_SECOND], 1, x->sec);
        sqlite3_bind_int64(q[Q_SECOND], 2, x->audience);
        sqlite3_bind_int64(q[Q_SECOND], 3, x->taps);
        sqlite3_bind_int64(q[Q_SECOND], 4, x->votes);
        sqlite3_bind_int64(q[Q_SECOND], 5, x->chants);
        if (step(q[Q_SECOND]) < 0) return -1;
        for (int k = 0; k < s->ev->nreactions; k++) {
            if (x->kind_taps[k]) {
                sqlite3_bind_int64(q[Q_SECOND_REACT], 1, x->sec);
                sqlite3_bind_text(q[Q_SECOND_REACT], 2, s->ev->reactions[k], -1, SQLITE_STATIC);
                sqlite3_bind_int64(q[Q_SECOND_REACT], 3, x->kind_taps[k]);
                if (step(q[Q_SECOND_REACT]) < 0) return -1;
            }
            sqlite3_bind_text(q[Q_TOTAL], 1, s->ev->reactions[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(q[Q_TOTAL], 2, r->second->totals[k]);
            if (step(q[Q_TOTAL]) < 0) return -1;
        }
        if (sqlite3_step(q[Q_MAX_SIGNAL]) != SQLITE_ROW) { sqlite3_reset(q[Q_MAX_SIGNAL]); return -1; }
        int64_t through = sqlite3_column_int64(q[Q_MAX_SIGNAL], 0);
        sqlite3_reset(q[Q_MAX_SIGNAL]);
        sqlite3_bind_int64(q[Q_TOTAL_ID], 1, through);
        return step(q[Q_TOTAL_ID]);
    }
    }
    return -1;
}

static int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *writer(void *arg) {
    struct store *s = arg;
    struct rec *batch = malloc(ROUND_MAX * sizeof *batch);
    if (!batch) abort();   /* 2 MB at start-up; nothing sensible to do without it */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->count == 0 && !s->stop) pthread_cond_wait(&s->cond, &s->mu);
        if (s->count == 0 && s->stop) { pthread_mutex_unlock(&s->mu); break; }
        int n = s->count < ROUND_MAX ? s->count : ROUND_MAX;
        for (int i = 0; i < n; i++) batch[i] = s->ring[(s->head + i) % s->cap];
        s->head = (s->head + n) % s->cap;
        s->count -= n;
        pthread_mutex_unlock(&s->mu);

        int64_t t0 = util_mono_ms(), u0 = mono_us();
        int ok = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
        for (int i = 0; ok && i < n; i++) ok = write_rec(s, &batch[i]) == 0;
        if (ok) ok = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
        if (!ok) {
            log_error("store commit failed", "records=%d error=%s", n, log_q(sqlite3_errmsg(s->db)));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
        int64_t t1 = util_mono_ms();

        int acks = 0;
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < n; i++) {
            struct rec *r = &batch[i];
            if (r->want_ack) {
                if (s->nres == s->capres) {
                    size_t nc = s->capres ? 2 * s->capres : 1024;
                    struct rec_result *nr = realloc(s->res, nc * sizeof *nr);
                    if (!nr) abort();  /* bounded by the ring size */
                    s->res = nr;
                    s->capres = nc;
                }
                s->res[s->nres++] = (struct rec_result){
                    .type = r->type, .ok = (uint8_t)ok, .c = r->c, .d = r->d, .a = r->a, .b = r->b,
                    .slot = r->slot, .gen = r->gen, .msg_id = r->msg_id};
                acks++;
            }
        }
        if (ok) { s->st.commits++; s->st.written += n; } else s->st.failed++;
        s->st.last_commit_us = (t1 - t0) * 1000;
        metrics_hist_add(&s->st.commit, (double)(mono_us() - u0) / 1e6);
        /* Under mu, so store_stop_notify can make sure no call is under way. */
        if (acks && s->notify) s->notify(s->notify_arg);
        pthread_mutex_unlock(&s->mu);
        for (int i = 0; i < n; i++) rec_free(&batch[i]);
    }
    free(batch);
    return NULL;
}

int store_start(struct store *s, void (*notify)(void *), void *arg) {
    s->notify = notify;   /* before the thread exists: no lock needed */
    s->notify_arg = arg;
    if (pthread_create(&s->thread, NULL, writer, s) != 0) return -1;
    s->started = 1;
    return 0;
}

void store_stop_notify(struct store *s) {
    pthread_mutex_lock(&s->mu);
    s->notify = NULL;
    pthread_mutex_unlock(&s->mu);
}

size_t store_results(struct store *s, struct rec_result *out, size_t max) {
    pthread_mutex_lock(&s->mu);
    size_t n = s->nres < max ? s->nres : max;
    if (n == 0) {   /* s->res may still be NULL: memcpy must not see it */
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    memcpy(out, s->res, n * sizeof *out);
    memmove(s->res, s->res + n, (s->nres - n) * sizeof *out);
    s->nres -= n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void store_stats(struct store *s, struct rec_stats *out) {
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    out->queued = s->count;
    pthread_mutex_unlock(&s->mu);
}

void store_close(struct store *s) {
    if (!s) return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    for (int i = 0; i < s->count; i++) rec_free(&s->ring[(s->head + i) % s->cap]);
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
    if (s->db) sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s->ring);
    free(s->res);
    free(s);
}
