/* main.c -- chorus-report: the command line around report.c.
 *
 *   chorus-report --db FILE [--db FILE ...] [--html FILE] [--json FILE] [--csv DIR]
 *   chorus-report --compare A.db B.db ... [--html FILE] [--json FILE]
 *
 * Several --db: the databases of the hubs that served one event together
 * (cluster mode), read as one event (report_build_opts() with peers;
 * docs/analytics.md, "Several hubs (cluster)").
 * With no output option a short text summary goes to stdout; "-" as a FILE
 * means stdout. Exit status: 0 done, 1 a database could not be read, the
 * --db files are not the hubs of one event, or an output could not be
 * written (one line on stderr says why), 2 bad usage. */
#include "report.h"
#include "csv.h"
#include "html.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_FLAGS (JSON_INDENT(1) | JSON_REAL_PRECISION(10) | JSON_ESCAPE_SLASH)

static void usage(FILE *f)
{
    fprintf(f, "usage: chorus-report --db FILE [--db FILE ...] [--html FILE] [--json FILE] [--csv DIR]\n"
               "       chorus-report --compare A.db B.db ... [--html FILE] [--json FILE]\n");
}

static void help(void)
{
    usage(stdout);
    printf("\n"
           "Engagement figures of one event, read from its hub database (read-only; a hub\n"
           "may be running on it). Every figure is defined in docs/analytics.md.\n"
           "\n"
           "  --db FILE      the event's database (schema v1, v2 or v3). Required unless --compare.\n"
           "                 Repeated: the databases of the hubs that served one event together\n"
           "                 (cluster mode), merged into one report of the whole event.\n"
           "  --json FILE    every figure as one JSON object (layout: docs/analytics.md).\n"
           "  --html FILE    one self-contained page (no network needed): headline\n"
           "                 cards, the timeline with markers and polls, funnel, ladder, every\n"
           "                 poll with its result, the crowd's choices (co-creation), chants,\n"
           "                 retention, sections, moderation.\n"
           "  --csv DIR      spreadsheets into DIR (created if missing); every *_ms time also as\n"
           "                 ISO 8601 UTC (*_utc):\n"
           "                   timeline.csv  one row per second: audience, taps (per reaction),\n"
           "                                 votes, chants, markers set in that second\n"
           "                   polls.csv     one row per poll option: times, voters, turnout,\n"
           "                                 votes, share, winner\n"
           "                   votes.csv     every vote: poll, device, option, time, changes\n"
           "                   devices.csv   every phone: section, engagement level, sessions,\n"
           "                                 connected time, taps, votes, chants\n"
           "                   chants.csv    every chant text: count, devices, first time,\n"
           "                                 hidden/held/approved\n"
           "                   mod_log.csv   the moderation audit trail (who did what, when)\n"
           "                   cocreation_songs.csv  one row per song: its marker, times, the\n"
           "                                 poll that chose it, taps, phone-minutes, rate\n"
           "  --compare A.db B.db ...\n"
           "                 the headline figures of several events side by side (text, or\n"
           "                 --html / --json).\n"
           "  -h, --help     this text.\n"
           "\n"
           "Default (no output option): a short text summary on stdout. \"-\" as FILE is stdout.\n"
           "Exit status: 0 done, 1 a database could not be read (or several --db are not the hubs\n"
           "of one event) or a file not written, 2 bad usage.\n");
}

static int bad_usage(const char *why, const char *arg)
{
    fprintf(stderr, "chorus-report: %s%s%s\n", why, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    return 2;
}

/* Open `path` for writing ("-" = stdout). NULL with a message on failure. */
static FILE *out_open(const char *path)
{
    if (strcmp(path, "-") == 0) return stdout;
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "chorus-report: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int out_close(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout) bad |= fclose(f) != 0; else bad |= fflush(f) != 0;
    if (bad) fprintf(stderr, "chorus-report: error writing %s\n", path);
    return bad ? -1 : 0;
}

static int write_json(const char *path, const json_t *v)
{
    FILE *f = out_open(path);
    if (!f) return -1;
    json_dumpf(v, f, JSON_FLAGS);
    fputc('\n', f);
    return out_close(f, path);
}

static int write_html(const char *path, const json_t *v, int compare)
{
    FILE *f = out_open(path);
    if (!f) return -1;
    int rc = compare ? html_compare(f, v) : html_report(f, v);
    if (out_close(f, path) || rc) {
        if (rc) fprintf(stderr, "chorus-report: error writing %s\n", path);
        return -1;
    }
    return 0;
}

/* 0 if `path` can be opened as a file (its stat in *stt), else -1 after
 * printing why. */
static int check_path(const char *path, struct stat *stt_out)
{
    struct stat stt;
    if (stat(path, &stt) != 0) {
        fprintf(stderr, "chorus-report: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(stt.st_mode)) {
        fprintf(stderr, "chorus-report: %s: is a directory\n", path);
        return -1;
    }
    *stt_out = stt;
    return 0;
}

/* Load the report of paths[0], merged with paths[1..n) (the other hubs of
 * its event); NULL after printing the reason. */
static json_t *load(const char *const *paths, size_t n, unsigned flags)
{
    char err[512] = "";
    sqlite3 *db;
    json_t *rep = NULL;
    struct stat *st = calloc(n, sizeof *st);
    if (!st) { fprintf(stderr, "chorus-report: out of memory\n"); return NULL; }
    for (size_t i = 0; i < n; i++) {
        if (check_path(paths[i], &st[i])) { free(st); return NULL; }
        /* One hub's file under two names (a link) would count twice; the
         * library sees through symbolic links only. */
        for (size_t j = 0; j < i; j++)
            if (st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino) {
                fprintf(stderr, "chorus-report: %s and %s are the same database: give each hub's file once\n",
                        paths[j], paths[i]);
                free(st);
                return NULL;
            }
    }
    free(st);
    if (report_open(paths[0], &db, err, sizeof err) != 0) {
        fprintf(stderr, "chorus-report: %s: %s\n", paths[0], err);
        return NULL;
    }
    struct report_opts o = {.flags = flags, .peers = paths + 1, .npeers = n - 1, .names = paths};
    if (report_build_opts(db, &o, &rep, err, sizeof err) != 0) {
        if (n > 1) fprintf(stderr, "chorus-report: %s\n", err);   /* a merge's reason names its file */
        else fprintf(stderr, "chorus-report: %s: %s\n", paths[0], err);
    }
    sqlite3_close(db);
    return rep;
}

/* The command line; dbs (owned by main()) has room for every --db path. */
static int run(int argc, char **argv, const char **dbs)
{
    const char *html = NULL, *json = NULL, *csv = NULL;
    const char **cmp = NULL;
    int ncmp = 0;
    size_t ndb = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { help(); return 0; }
        if (strcmp(a, "--db") == 0) slot = &dbs[ndb];
        else if (strcmp(a, "--html") == 0) slot = &html;
        else if (strcmp(a, "--json") == 0) slot = &json;
        else if (strcmp(a, "--csv") == 0) slot = &csv;
        else if (strcmp(a, "--compare") == 0) {
            if (cmp) return bad_usage("--compare given twice", NULL);
            cmp = (const char **)&argv[i + 1];
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) { i++; ncmp++; }
            if (ncmp < 1) return bad_usage("--compare needs at least one database", NULL);
            continue;
        } else return bad_usage("unknown argument", a);
        if (*slot) return bad_usage("option given twice", a);
        if (i + 1 >= argc || argv[i + 1][0] == '\0') return bad_usage("missing value for", a);
        *slot = argv[++i];
        if (slot == &dbs[ndb]) ndb++;
    }
    const char *db = ndb ? dbs[0] : NULL;
    if (!db && !cmp) return bad_usage("need --db FILE or --compare A.db B.db ...", NULL);
    if (db && cmp) return bad_usage("--db and --compare exclude each other", NULL);
    if (cmp && csv) return bad_usage("--csv works with --db only", NULL);
    int stdout_outputs = (html && !strcmp(html, "-")) + (json && !strcmp(json, "-"));
    if (stdout_outputs > 1) return bad_usage("only one output can go to stdout", NULL);

    int rc = 0;
    if (db) {
        json_t *rep = load(dbs, ndb, csv ? REPORT_DETAIL : 0);
        if (!rep) return 1;
        if (csv && csv_write(csv, rep) != 0) rc = 1;
        json_object_del(rep, "detail");   /* CSV only: too large for the JSON and HTML */
        if (json && write_json(json, rep)) rc = 1;
        if (html && write_html(html, rep, 0)) rc = 1;
        if (!html && !json && !csv) text_report(stdout, rep);
        json_decref(rep);
        return rc;
    }

    json_t *all = json_object(), *events = json_array();
    json_object_set_new(all, "format", json_integer(REPORT_FORMAT));
    json_object_set_new(all, "events", events);
    for (int i = 0; i < ncmp; i++) {
        json_t *rep = load(&cmp[i], 1, 0);
        if (!rep) { json_decref(all); return 1; }
        json_t *h = report_headline(rep);
        json_decref(rep);
        if (!h) { fprintf(stderr, "chorus-report: out of memory\n"); json_decref(all); return 1; }
        json_object_set_new(h, "db", json_string(cmp[i]));
        json_array_append_new(events, h);
    }
    if (json && write_json(json, all)) rc = 1;
    if (html && write_html(html, all, 1)) rc = 1;
    if (!html && !json) text_compare(stdout, all);
    json_decref(all);
    return rc;
}

int main(int argc, char **argv)
{
    const char **dbs = calloc((size_t)argc + 1, sizeof *dbs);
    if (!dbs) { fprintf(stderr, "chorus-report: out of memory\n"); return 1; }
    int rc = run(argc, argv, dbs);
    free(dbs);
    return rc;
}
