/* csv.c -- writes a built report as CSV files, one per table.
 *
 * Files (columns in docs/analytics.md): timeline.csv (one row per recorded
 * second), polls.csv (one row per poll option), votes.csv (one row per
 * device's current vote), devices.csv (one row per device, with its ladder
 * level and section), chants.csv (one row per chant group), mod_log.csv
 * (the moderation audit trail, one row per action or blocked chant; only a
 * header for a schema v1 database, which has no audit log),
 * cocreation_songs.csv (one row per song, from its song_start marker, with
 * the poll that chose it and its taps per device-minute).
 * Fields are quoted per RFC 4180 when they hold a comma, quote or newline.
 * Reads only the json_t it is given; owns nothing past a call. */
#include "csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A real as the JSON has it (rounded to 6 decimals there): up to 6
 * decimals, trailing zeros dropped, so 10.433333 keeps every digit. */
static void real(FILE *f, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.6f", v);
    if (n <= 0 || (size_t)n >= sizeof buf) { fprintf(f, "%.6g", v); return; }
    while (n > 1 && buf[n - 1] == '0') buf[--n] = 0;
    if (buf[n - 1] == '.') buf[--n] = 0;
    if (!strcmp(buf, "-0")) strcpy(buf, "0");
    fputs(buf, f);
}

static void value(FILE *f, const json_t *v)
{
    if (json_is_string(v)) field(f, json_string_value(v));
    else if (json_is_integer(v)) fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) real(f, json_real_value(v));
    else if (json_is_true(v)) fputs("1", f);
    else if (json_is_false(v)) fputs("0", f);
    /* null: empty field */
}

static void sep(FILE *f, int first) { if (!first) fputc(',', f); }

static FILE *open_in(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "chorus-report: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int done(FILE *f, const char *path)
{
    int bad = ferror(f) | (fclose(f) != 0);
    if (bad) fprintf(stderr, "chorus-report: error writing %s\n", path);
    return bad ? -1 : 0;
}

/* "2026-01-01T00:02:10.500Z" (ISO 8601, UTC, milliseconds). */
static void iso_time(FILE *f, json_int_t ms)
{
    json_int_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
        fprintf(f, "%s.%03lldZ", buf, (long long)(ms - sec * 1000));
}

/* Every *_ms column of a CSV is followed by the same time as ISO 8601 UTC
 * (*_utc): epoch milliseconds for programs, readable times for people. */
static int is_ms(const char *col)
{
    size_t n = strlen(col);
    return n > 3 && strcmp(col + n - 3, "_ms") == 0;
}

static void header(FILE *f, const char *col, int first)
{
    sep(f, first);
    fputs(col, f);
    if (is_ms(col)) fprintf(f, ",%.*s_utc", (int)(strlen(col) - 3), col);
}

/* v, and for a *_ms column its ISO twin (empty for null). */
static void cell(FILE *f, const char *col, const json_t *v, int first)
{
    sep(f, first);
    value(f, v);
    if (!is_ms(col)) return;
    fputc(',', f);
    if (json_is_integer(v)) iso_time(f, json_integer_value(v));
}

static int timeline(const char *dir, const json_t *rep)
{
    char path[4096];
    FILE *f = open_in(dir, "timeline.csv", path, sizeof path);
    if (!f) return -1;
    const json_t *tl = json_object_get(rep, "timeline");
    const json_t *kinds = json_object_get(json_object_get(rep, "event"), "reactions");
    const json_t *byk = json_object_get(tl, "reactions");
    const json_t *markers = json_object_get(rep, "markers");
    fputs("sec,time_utc,audience,taps,votes,chants", f);
    size_t k, i, m = 0;
    json_t *kn;
    json_array_foreach(kinds, k, kn) { fputs(",taps_", f); field(f, json_string_value(kn)); }
    fputs(",markers\n", f);
    const json_t *secs = json_object_get(tl, "sec");
    for (i = 0; i < json_array_size(secs); i++) {
        json_int_t sec = json_integer_value(json_array_get(secs, i));
        value(f, json_array_get(secs, i));
        fputc(',', f);
        iso_time(f, sec * 1000);
        const char *cols[] = {"audience", "taps", "votes", "chants"};
        for (int c = 0; c < 4; c++) { fputc(',', f); value(f, json_array_get(json_object_get(tl, cols[c]), i)); }
        json_array_foreach(kinds, k, kn) {
            fputc(',', f);
            value(f, json_array_get(json_object_get(byk, json_string_value(kn)), i));
        }
        /* Labels of the markers set during this second, joined with " | ". */
        char labels[2048] = "";
        size_t used = 0;
        while (m < json_array_size(markers)) {
            const json_t *mk = json_array_get(markers, m);
            json_int_t msec = json_integer_value(json_object_get(mk, "ts_ms")) / 1000;
            if (msec > sec) break;
            if (msec == sec) {
                int w = snprintf(labels + used, sizeof labels - used, "%s%s", used ? " | " : "",
                                 json_string_value(json_object_get(mk, "label")));
                if (w > 0) used += (size_t)w < sizeof labels - used ? (size_t)w : sizeof labels - used - 1;
            }
            m++;
        }
        fputc(',', f);
        field(f, labels);
        fputc('\n', f);
    }
    return done(f, path);
}

static int polls(const char *dir, const json_t *rep)
{
    char path[4096];
    FILE *f = open_in(dir, "polls.csv", path, sizeof path);
    if (!f) return -1;
    fputs("poll,question,allow_change,opened_ms,opened_utc,closed_ms,closed_utc,audience_at_open,voters,turnout,"
          "turnout_of_peak,peak_during,changed_devices,changes,option,label,votes,share,winner\n", f);
    size_t i, j;
    json_t *p, *o;
    json_array_foreach(json_object_get(rep, "polls"), i, p) {
        json_array_foreach(json_object_get(p, "options"), j, o) {
            const char *pc[] = {"id", "question", "allow_change", "opened_ms", "closed_ms", "audience_at_open",
                                "voters", "turnout", "turnout_of_peak", "peak_during", "changed_devices", "changes"};
            for (int c = 0; c < 12; c++) cell(f, pc[c], json_object_get(p, pc[c]), c == 0);
            const char *oc[] = {"idx", "label", "votes", "share"};
            for (int c = 0; c < 4; c++) { fputc(',', f); value(f, json_object_get(o, oc[c])); }
            int win = 0;
            size_t w;
            json_t *wv;
            json_array_foreach(json_object_get(p, "winner"), w, wv)
                win |= json_integer_value(wv) == (json_int_t)j;
            fprintf(f, ",%d\n", win);
        }
    }
    return done(f, path);
}

/* A columnar object {"col": [...], ...} as CSV with the given columns. */
static int columns(const char *dir, const char *name, const json_t *obj, const char *const *cols, int ncols)
{
    char path[4096];
    FILE *f = open_in(dir, name, path, sizeof path);
    if (!f) return -1;
    for (int c = 0; c < ncols; c++) header(f, cols[c], c == 0);
    fputc('\n', f);
    size_t n = json_array_size(json_object_get(obj, cols[0]));
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < ncols; c++) cell(f, cols[c], json_array_get(json_object_get(obj, cols[c]), i), c == 0);
        fputc('\n', f);
    }
    return done(f, path);
}

static int chants(const char *dir, const json_t *rep)
{
    char path[4096];
    FILE *f = open_in(dir, "chants.csv", path, sizeof path);
    if (!f) return -1;
    fputs("rank,text,count,devices,first_ms,first_utc,hidden,held,approved_ms,approved_utc\n", f);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(rep, "chants"), "all"), i, c) {
        fprintf(f, "%zu,", i + 1);
        value(f, json_object_get(c, "text"));
        const char *cc[] = {"count", "devices", "first_ms", "hidden", "held", "approved_ms"};
        for (int k = 0; k < 6; k++) cell(f, cc[k], json_object_get(c, cc[k]), 0);
        fputc('\n', f);
    }
    return done(f, path);
}

static int mod_log(const char *dir, const json_t *rep)
{
    char path[4096];
    FILE *f = open_in(dir, "mod_log.csv", path, sizeof path);
    if (!f) return -1;
    static const char *const cols[] = {"ts_ms", "session", "action", "text", "device", "detail"};
    for (int c = 0; c < 6; c++) header(f, cols[c], c == 0);
    fputc('\n', f);
    const json_t *log = json_object_get(json_object_get(rep, "detail"), "mod_log");
    for (size_t i = 0; i < json_array_size(json_object_get(log, "ts_ms")); i++) {
        for (int c = 0; c < 6; c++) cell(f, cols[c], json_array_get(json_object_get(log, cols[c]), i), c == 0);
        fputc('\n', f);
    }
    return done(f, path);
}

static int cocreation_songs(const char *dir, const json_t *rep)
{
    static const char *const cols[] = {"marker", "label", "start_ms", "end_ms", "poll", "seconds", "taps",
                                       "device_minutes", "taps_per_device_minute"};
    enum { NCOLS = sizeof cols / sizeof *cols };
    char path[4096];
    FILE *f = open_in(dir, "cocreation_songs.csv", path, sizeof path);
    if (!f) return -1;
    for (int c = 0; c < NCOLS; c++) header(f, cols[c], c == 0);
    fputc('\n', f);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(json_object_get(rep, "cocreation"), "songs"), i, s) {
        for (int c = 0; c < NCOLS; c++) cell(f, cols[c], json_object_get(s, cols[c]), c == 0);
        fputc('\n', f);
    }
    return done(f, path);
}

int csv_write(const char *dir, const json_t *rep)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "chorus-report: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "chorus-report: %s is not a directory\n", dir);
        return -1;
    }
    const json_t *det = json_object_get(rep, "detail");
    static const char *const dcols[] = {"id", "section", "level", "created_ms", "first_ms", "sessions",
                                        "connected_s", "reacts", "taps", "votes", "chants"};
    static const char *const vcols[] = {"poll", "device", "option", "ts_ms", "changes"};
    int rc = 0;
    rc |= timeline(dir, rep);
    rc |= polls(dir, rep);
    rc |= columns(dir, "votes.csv", json_object_get(det, "votes"), vcols, 5);
    rc |= columns(dir, "devices.csv", json_object_get(det, "devices"), dcols, 11);
    rc |= chants(dir, rep);
    rc |= mod_log(dir, rep);
    rc |= cocreation_songs(dir, rep);
    return rc ? -1 : 0;
}
