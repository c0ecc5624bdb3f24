/* lreport.c -- /proc sampling of the hub, the acked-vote database check,
 * the printed table and the JSON file of chorus-load.
 *
 * Latencies are kept in microseconds and shown in milliseconds. The JSON
 * holds every counter of struct lstats_run under stable names, so bench.sh
 * and tests can read it with jq. */
#include "lreport.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read up to max blank-separated decimal fields of s into v; returns how
 * many were read (it stops at the first field that is not a number). */
static int read_fields(const char *s, unsigned long long *v, int max)
{
    int n = 0;
    while (n < max) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 10);
        if (end == s || errno)
            break;
        v[n++] = x;
        s = end;
    }
    return n;
}

int lreport_machine_cpu(double *busy_s, double *total_s)
{
    unsigned long long v[8] = { 0 };
    char line[512];
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    int ok = fgets(line, sizeof line, f) && !strncmp(line, "cpu ", 4) &&
             read_fields(line + 4, v, 8) >= 5;
    fclose(f);
    if (!ok)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    double idle = (double)(v[3] + v[4]);
    double all = 0;
    for (int i = 0; i < 8; i++)
        all += (double)v[i];
    *busy_s = (all - idle) / hz;
    *total_s = all / hz;
    return 0;
}

int lreport_proc_sample(int pid, double *cpu_s, long *rss_kb)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields after the command name, which may hold spaces: skip to ')',
     * then the state letter; utime and stime are the 11th and 12th numbers
     * after it (proc(5)) */
    char *p = strrchr(buf, ')');
    unsigned long long v[12];
    if (!p || strlen(p) < 4 || read_fields(p + 3, v, 12) != 12)
        return -1;
    *cpu_s = (double)(v[10] + v[11]) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    *rss_kb = 0;
    while (fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "VmRSS:", 6)) {
            *rss_kb = strtol(buf + 6, NULL, 10);
            break;
        }
    fclose(f);
    return 0;
}

int lreport_db_check(const char *path, const struct lstats_vote *v, size_t n,
                     struct lreport_db *out)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    out->checked = 1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT option FROM votes WHERE poll = ?1 AND device = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(out->err, sizeof out->err, "%s: %s", path, db ? sqlite3_errmsg(db) : "open failed");
        sqlite3_finalize(st);
        sqlite3_close(db);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].option < 0)
            continue;                    /* never acked: nothing promised */
        out->votes++;
        sqlite3_bind_int64(st, 1, v[i].poll);
        sqlite3_bind_int64(st, 2, v[i].device);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int64_t opt = sqlite3_column_int64(st, 0);
            if (opt != v[i].option && !(opt >= 0 && opt < 16 && (v[i].later & (1u << opt))))
                out->wrong++;
        } else if (rc == SQLITE_DONE) {
            out->missing++;
        } else {
            snprintf(out->err, sizeof out->err, "%s: %s", path, sqlite3_errmsg(db));
            sqlite3_finalize(st);
            sqlite3_close(db);
            return -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

/* Signals per second by the hub's own cumulative counter (health
 * signals_total) over the measure phase; 0 when the hub does not send it. */
static double hub_counted(const struct lstats_run *r)
{
    double span = (double)(r->sig_last_ms - r->sig_first_ms) / 1000.0;
    return span > 0 ? (double)(r->sig_total_last - r->sig_total_first) / span : 0;
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

static void hist_line(FILE *f, const char *name, const struct lstats_hist *h)
{
    if (!h->n) {
        fprintf(f, "%-14s no samples\n", name);
        return;
    }
    fprintf(f, "%-14s n %-8llu p50 %7.1f ms  p95 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n",
            name, (unsigned long long)h->n, ms(lstats_hist_quantile(h, 0.5)),
            ms(lstats_hist_quantile(h, 0.95)), ms(lstats_hist_quantile(h, 0.99)),
            ms(h->max_us));
}

void lreport_table(FILE *f, const struct lopts *o, const struct lstats_run *r,
                   const struct lreport_hub *h, const struct lreport_db *db)
{
    double mt = r->measure_s > 0 ? r->measure_s : 1;
    fprintf(f, "chorus-load: %d devices + %d screens in %d process%s against ws://%s:%d%s, "
            "%.1f s of load\n", o->devices, o->screens, o->procs, o->procs > 1 ? "es" : "",
            o->host, o->port, o->path, r->measure_s);
    fprintf(f, "%-14s attempted %llu  established %llu  welcomed %llu  failed %llu  "
            "(%llu in %.1f s, %.0f/s)\n", "connections",
            (unsigned long long)r->attempted, (unsigned long long)r->established,
            (unsigned long long)r->welcomed, (unsigned long long)r->failed,
            (unsigned long long)r->connected, r->connect_s,
            r->connect_s > 0 ? (double)r->connected / r->connect_s : 0);
    hist_line(f, "connect>open", &r->connect);
    hist_line(f, "open>welcome", &r->hello);
    fprintf(f, "%-14s", "closed by hub");
    for (int i = 0; i < LSTATS_NCLOSE; i++)
        if (i < LSTATS_NCLOSE - 1)
            fprintf(f, " %d:%llu", lstats_close_codes[i], (unsigned long long)r->closed_by_hub[i]);
        else
            fprintf(f, " other:%llu", (unsigned long long)r->closed_by_hub[i]);
    fprintf(f, "  dropped %llu  hello refused %llu\n", (unsigned long long)r->dropped_unexpected,
            (unsigned long long)r->hello_rejected);
    fprintf(f, "%-14s react %llu (%llu taps, %.0f/s)  vote %llu  chant %llu  crew %llu"
            "  queue-full %llu\n", "signals sent",
            (unsigned long long)r->sent_react, (unsigned long long)r->sent_taps,
            (double)r->sent_react / mt, (unsigned long long)r->sent_vote,
            (unsigned long long)r->sent_chant, (unsigned long long)r->sent_crew,
            (unsigned long long)r->tx_overflow);
    fprintf(f, "%-14s ok %llu (votes %llu, unacked %llu)  rejected:", "acks",
            (unsigned long long)r->acked_ok, (unsigned long long)r->acked_vote_ok,
            (unsigned long long)r->votes_unacked);
    int any = 0;
    for (int i = 0; i < LSTATS_NCODES; i++)
        if (r->rejected[i]) {
            fprintf(f, " %s %llu", lstats_codes[i], (unsigned long long)r->rejected[i]);
            any = 1;
        }
    fprintf(f, "%s\n", any ? "" : " none");
    fprintf(f, "%-14s %.0f/s received (screens %.0f/s)\n", "snapshots",
            (double)r->snaps / mt, (double)r->screen_snaps / mt);
    hist_line(f, "vote ack", &r->vote_ack);
    hist_line(f, "signal>screen", &r->probe);
    if (r->snap_gap.n)
        hist_line(f, "screen gap", &r->snap_gap);
    if (r->probes_sent)
        fprintf(f, "%-14s %llu probes, %llu screen samples missing\n", "",
                (unsigned long long)r->probes_sent, (unsigned long long)r->probe_samples_missing);
    double counted = hub_counted(r);
    if (r->health_n)
        fprintf(f, "%-14s signals/s counted %.0f, avg %.0f max %.0f  votes/s max %.0f  dropped_slow %lld  "
                "store dropped %lld failed %lld queue_max %lld\n", "hub health", counted,
                r->sig_per_s_sum / (double)r->health_n, r->sig_per_s_max, r->votes_per_s_max,
                (long long)r->dropped_slow, (long long)r->store_dropped,
                (long long)r->store_failed, (long long)r->store_queue_max);
    if (h->pid) {
        if (h->ok) {
            long conns = (long)r->connected;
            fprintf(f, "%-14s rss %ld KiB idle, %ld connected, %ld max (%.0f B/conn)  "
                    "cpu %.0f%% avg, %.0f%% max 1 s, %.0f us/connect\n", "hub process",
                    h->rss_kb_base, h->rss_kb_connected, h->rss_kb_max,
                    conns ? (double)(h->rss_kb_connected - h->rss_kb_base) * 1024 / (double)conns : 0,
                    h->cpu_pct_measure, h->cpu_pct_max_1s,
                    conns ? h->cpu_s_connect * 1e6 / (double)conns : 0);
        } else {
            fprintf(f, "%-14s pid %d not readable\n", "hub process", h->pid);
        }
    }
    fprintf(f, "%-14s chorus-load used %.1f CPU s (all processes); machine %.0f%% busy during "
            "the load (100 = one core)\n", "load gen", h->load_cpu_s, h->machine_cpu_pct);
    if (r->storm_dropped)
        fprintf(f, "%-14s dropped %llu  back %llu  new device %llu  failed %llu  all back %s%.2f s"
                "  votes lost %llu\n", "storm",
                (unsigned long long)r->storm_dropped, (unsigned long long)r->storm_back,
                (unsigned long long)r->storm_new_device, (unsigned long long)r->storm_failed,
                r->storm_all_back_s < 0 ? "never " : "in ",
                r->storm_all_back_s < 0 ? 0 : r->storm_all_back_s,
                (unsigned long long)r->storm_vote_lost);
    if (r->flood_opened || r->flood_failed)
        fprintf(f, "%-14s opened %llu (most at once %llu)  closed by the hub %llu (%llu answered first)"
                "  connect failed %llu\n", "flood",
                (unsigned long long)r->flood_opened, (unsigned long long)r->flood_open_max,
                (unsigned long long)r->flood_closed, (unsigned long long)r->flood_answered,
                (unsigned long long)r->flood_failed);
    if (db->checked) {
        if (*db->err)
            fprintf(f, "%-14s %s\n", "db check", db->err);
        else
            fprintf(f, "%-14s %llu acked votes, %llu missing, %llu with another option\n",
                    "db check", (unsigned long long)db->votes,
                    (unsigned long long)db->missing, (unsigned long long)db->wrong);
    }
}

static json_t *hist_json(const struct lstats_hist *h)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}",
                     "n", (json_int_t)h->n,
                     "p50", ms(lstats_hist_quantile(h, 0.5)),
                     "p95", ms(lstats_hist_quantile(h, 0.95)),
                     "p99", ms(lstats_hist_quantile(h, 0.99)),
                     "max", ms(h->max_us),
                     "mean", h->n ? ms(h->sum_us) / (double)h->n : 0.0);
}

#define I(x) ((json_int_t)(x))

int lreport_json(const char *path, const struct lopts *o, const struct lstats_run *r,
                 const struct lreport_hub *h, const struct lreport_db *db, int exit_code,
                 const char *verdict)
{
    double mt = r->measure_s > 0 ? r->measure_s : 1;
    json_t *rej = json_object(), *closed = json_object();
    for (int i = 0; i < LSTATS_NCODES; i++)
        json_object_set_new(rej, lstats_codes[i], json_integer(I(r->rejected[i])));
    for (int i = 0; i < LSTATS_NCLOSE; i++) {
        char k[16];
        if (i < LSTATS_NCLOSE - 1)
            snprintf(k, sizeof k, "%d", lstats_close_codes[i]);
        else
            strcpy(k, "other");
        json_object_set_new(closed, k, json_integer(I(r->closed_by_hub[i])));
    }
    json_t *root = json_pack(
        "{s:{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:i, s:b, s:f, s:f, s:f, s:f, s:i, s:s},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:f, s:f, s:I},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:o},"
        " s:{s:I, s:I, s:f, s:f},"
        " s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I}, s:f}",
        "config", "devices", o->devices, "screens", o->screens, "procs", o->procs,
        "connect_rate", o->connect_rate, "duration_s", o->duration,
        "react_rate", o->react_rate, "chant_rate", o->chant_rate, "polls", o->polls,
        "allow_change", o->allow_change, "vote_share", o->vote_share,
        "vote_within_s", o->vote_within, "probe_rate", o->probe_rate,
        "storm_at_s", o->storm_at, "src_addrs", o->nsrc, "probe_kind", o->probe_kind,
        "conns", "attempted", I(r->attempted), "established", I(r->established),
        "welcomed", I(r->welcomed), "failed", I(r->failed),
        "hello_refused", I(r->hello_rejected), "closed_by_hub", closed,
        "dropped", I(r->dropped_unexpected), "connect_s", r->connect_s,
        "connects_per_s", r->connect_s > 0 ? (double)r->connected / r->connect_s : 0.0,
        "connected", I(r->connected),
        "signals", "sent_react", I(r->sent_react), "sent_taps", I(r->sent_taps),
        "sent_vote", I(r->sent_vote), "sent_chant", I(r->sent_chant),
        "sent_crew", I(r->sent_crew), "react_per_s", (double)r->sent_react / mt,
        "acked_ok", I(r->acked_ok), "acked_vote_ok", I(r->acked_vote_ok),
        "votes_unacked", I(r->votes_unacked), "queue_full", I(r->tx_overflow),
        "rejected", rej,
        "snaps", "received", I(r->snaps), "screen", I(r->screen_snaps),
        "per_s", (double)r->snaps / mt, "screen_per_s", (double)r->screen_snaps / mt,
        "vote_ack_ms", hist_json(&r->vote_ack),
        "signal_to_screen_ms", hist_json(&r->probe),
        "screen_snap_gap_ms", hist_json(&r->snap_gap),
        "connect_to_open_ms", hist_json(&r->connect),
        "open_to_welcome_ms", hist_json(&r->hello),
        "probes", "sent", I(r->probes_sent), "screen_samples_missing", I(r->probe_samples_missing),
        "measure_s", r->measure_s);
    if (!root)
        return -1;
    if (r->health_n)
        json_object_set_new(root, "health", json_pack(
            "{s:I, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}",
            "samples", I(r->health_n), "signals_per_s_counted", hub_counted(r),
            "signals_per_s_avg", r->sig_per_s_sum / (double)r->health_n,
            "signals_per_s_max", r->sig_per_s_max, "votes_per_s_max", r->votes_per_s_max,
            "dropped_slow", I(r->dropped_slow), "store_dropped", I(r->store_dropped),
            "store_failed", I(r->store_failed), "store_queue_max", I(r->store_queue_max)));
    if (h->pid && h->ok)
        json_object_set_new(root, "hub", json_pack(
            "{s:i, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}",
            "pid", h->pid, "rss_kb_idle", I(h->rss_kb_base),
            "rss_kb_connected", I(h->rss_kb_connected), "rss_kb_max", I(h->rss_kb_max),
            "rss_kb_end", I(h->rss_kb_end),
            "rss_bytes_per_conn", r->connected ?
                (double)(h->rss_kb_connected - h->rss_kb_base) * 1024 / (double)r->connected : 0.0,
            "cpu_pct_avg", h->cpu_pct_measure, "cpu_pct_max_1s", h->cpu_pct_max_1s,
            "cpu_s", h->cpu_s_measure,
            "cpu_us_per_connect", r->connected ? h->cpu_s_connect * 1e6 / (double)r->connected : 0.0));
    if (r->storm_dropped)
        json_object_set_new(root, "storm", json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:f}",
            "dropped", I(r->storm_dropped), "back", I(r->storm_back),
            "new_device", I(r->storm_new_device), "failed", I(r->storm_failed),
            "votes_lost", I(r->storm_vote_lost), "all_back_s", r->storm_all_back_s));
    if (r->flood_opened || r->flood_failed)
        json_object_set_new(root, "flood", json_pack(
            "{s:I, s:I, s:I, s:I, s:I}", "opened", I(r->flood_opened), "open_max", I(r->flood_open_max),
            "closed_by_hub", I(r->flood_closed), "answered", I(r->flood_answered),
            "connect_failed", I(r->flood_failed)));
    if (db->checked)
        json_object_set_new(root, "db_check", json_pack(
            "{s:I, s:I, s:I, s:s}", "votes", I(db->votes), "missing", I(db->missing),
            "wrong", I(db->wrong), "error", db->err));
    json_object_set_new(root, "load_cpu_s", json_real(h->load_cpu_s));
    json_object_set_new(root, "machine_cpu_pct", json_real(h->machine_cpu_pct));
    json_object_set_new(root, "exit", json_pack("{s:i, s:s}", "code", exit_code,
                                                "verdict", verdict));
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    return rc ? -1 : 0;
}
