/* text.c -- the terminal summary printed when no output file is asked for.
 * Reads only the json_t it is given. */
#include "text.h"

#include <string.h>
#include <time.h>

static json_int_t ival(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static double pct(const json_t *v) { return json_is_number(v) ? json_number_value(v) * 100.0 : 0.0; }

static void when(char *buf, size_t n, json_int_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm)) snprintf(buf, n, "?");
}

static void seconds(FILE *f, const json_t *ms)
{
    if (json_is_integer(ms)) fprintf(f, "%.1f s", (double)json_integer_value(ms) / 1000.0);
    else fputs("-", f);
}

/* The moderation lines; a v1 database has no moderation record (null). */
static void text_moderation(FILE *f, const json_t *m)
{
    if (!json_is_object(m)) { fputs("moderation       not recorded (schema v1 database)\n", f); return; }
    const char *m0 = json_string_value(json_object_get(m, "mode_start"));
    const char *m1 = json_string_value(json_object_get(m, "mode_end"));
    fprintf(f, "moderation       mode %s", m0 ? m0 : "?");
    if (m1 && m0 && strcmp(m0, m1) != 0) fprintf(f, " -> %s", m1);
    json_int_t changes = ival(json_object_get(m, "actions"), "mode");
    if (changes) fprintf(f, " (%lld mode change%s)", (long long)changes, changes == 1 ? "" : "s");
    fprintf(f, "; %lld blocked, %lld held, %lld texts approved, %lld hidden; %lld devices banned (%lld ever)\n",
            (long long)ival(m, "blocked"), (long long)ival(m, "held"), (long long)ival(m, "approved_texts"),
            (long long)ival(m, "hidden_texts"), (long long)ival(m, "banned_devices"),
            (long long)ival(m, "devices_ever_banned"));
    const json_t *a = json_object_get(m, "approval");
    if (ival(a, "texts") > 0) {
        fputs("approval time    median ", f);
        seconds(f, json_object_get(a, "median_ms"));
        fputs(", p95 ", f);
        seconds(f, json_object_get(a, "p95_ms"));
        fprintf(f, " (%lld texts)\n", (long long)ival(a, "texts"));
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(m, "sessions"), i, s)
        fprintf(f, "crew session %-4lld %lld actions (%lld approve, %lld hide, %lld unhide, %lld ban, %lld unban, %lld mode)\n",
                (long long)ival(s, "session"), (long long)ival(s, "actions"), (long long)ival(s, "approve"),
                (long long)ival(s, "hide"), (long long)ival(s, "unhide"), (long long)ival(s, "ban"),
                (long long)ival(s, "unban"), (long long)ival(s, "mode"));
}

static void rate(FILE *f, const json_t *v)
{
    if (json_is_number(v)) fprintf(f, "%.1f", json_number_value(v));
    else fputs("-", f);
}

/* One line: the crowd's choices and what they did to the taps. */
static void text_cocreation(FILE *f, const json_t *co)
{
    const json_t *songs = json_object_get(co, "songs"), *lift = json_object_get(co, "lift");
    const json_t *ws = json_object_get(co, "winning_side");
    size_t nchosen = 0, nsongs = json_array_size(songs), i, played = json_array_size(json_object_get(co, "chosen"));
    json_t *s;
    json_array_foreach(songs, i, s) nchosen += json_is_integer(json_object_get(s, "poll"));
    if (!nsongs && !played) { fputs("co-creation      no crowd choice played, no song marked\n", f); return; }
    fprintf(f, "co-creation      %zu crowd choice%s played, %zu of %zu songs chosen; taps/min per phone ", played,
            played == 1 ? "" : "s", nchosen, nsongs);
    rate(f, json_object_get(co, "chosen_rate"));
    fputs(" chosen vs ", f);
    rate(f, json_object_get(co, "other_rate"));
    fputs(" other", f);
    if (json_is_number(lift)) fprintf(f, " (%.1fx)", json_number_value(lift));
    if (json_is_number(ws)) fprintf(f, "; %.1f%% of voters on the winning side", pct(ws));
    fputc('\n', f);
}

void text_report(FILE *f, const json_t *rep)
{
    const json_t *ev = json_object_get(rep, "event"), *reach = json_object_get(rep, "reach");
    const json_t *tot = json_object_get(rep, "totals"), *funnel = json_object_get(rep, "funnel");
    char start[64];
    when(start, sizeof start, ival(ev, "start_ms"));
    fprintf(f, "%s (%s), %s, %lld min\n", json_string_value(json_object_get(ev, "name")),
            json_string_value(json_object_get(ev, "code")), start, (long long)ival(ev, "duration_s") / 60);
    if (ival(ev, "hubs") > 1) {   /* cluster mode: say whose databases were merged */
        size_t k;
        json_t *src;
        fprintf(f, "hubs             %lld databases merged:", (long long)ival(ev, "hubs"));
        json_array_foreach(json_object_get(ev, "sources"), k, src) fprintf(f, "%s %s", k ? "," : "", json_string_value(src));
        fputc('\n', f);
    }
    fprintf(f, "devices joined   %lld (%lld rejoined), peak audience %lld\n", (long long)ival(reach, "devices"),
            (long long)ival(reach, "rejoined_devices"), (long long)ival(reach, "peak_audience"));
    size_t i;
    json_t *st;
    json_array_foreach(funnel, i, st)
        fprintf(f, "%-16s %lld (%.1f%%)\n", json_string_value(json_object_get(st, "stage")),
                (long long)ival(st, "devices"), pct(json_object_get(st, "share")));
    fprintf(f, "taps %lld, votes %lld, chants %lld\n", (long long)ival(tot, "taps"), (long long)ival(tot, "votes"),
            (long long)ival(tot, "chants"));
    json_t *p;
    json_array_foreach(json_object_get(rep, "polls"), i, p)
        fprintf(f, "poll %lld: %s -- %lld phones voted, %.1f%% of the %lld connected at the poll's busiest moment\n",
                (long long)ival(p, "id"), json_string_value(json_object_get(p, "question")), (long long)ival(p, "voters"),
                pct(json_object_get(p, "turnout_of_peak")), (long long)ival(p, "peak_during"));
    text_cocreation(f, json_object_get(rep, "cocreation"));
    const json_t *loud = json_object_get(json_object_get(rep, "sections"), "loudest");
    if (json_is_string(loud)) fprintf(f, "loudest section  %s\n", json_string_value(loud));
    const json_t *top = json_array_get(json_object_get(json_object_get(rep, "chants"), "top"), 0);
    if (top) fprintf(f, "top chant        \"%s\" x%lld%s\n", json_string_value(json_object_get(top, "text")),
                     (long long)ival(top, "count"), json_is_true(json_object_get(top, "hidden")) ? " (hidden)" : "");
    text_moderation(f, json_object_get(rep, "moderation"));
}

void text_compare(FILE *f, const json_t *cmp)
{
    size_t i;
    json_t *e;
    fprintf(f, "%-24s %8s %6s %7s %7s %7s %10s %6s %s\n", "event", "devices", "peak", "react%", "vote%",
            "chant%", "taps", "polls", "loudest");
    json_array_foreach(json_object_get(cmp, "events"), i, e) {
        const json_t *l = json_object_get(e, "loudest_section");
        fprintf(f, "%-24.24s %8lld %6lld %7.1f %7.1f %7.1f %10lld %6lld %s\n",
                json_string_value(json_object_get(e, "name")), (long long)ival(e, "devices"),
                (long long)ival(e, "peak_audience"), pct(json_object_get(e, "reacted_share")),
                pct(json_object_get(e, "voted_share")), pct(json_object_get(e, "chanted_share")),
                (long long)ival(e, "taps"), (long long)ival(e, "polls"), json_is_string(l) ? json_string_value(l) : "-");
    }
}
