/* html.c -- renders a report as one self-contained HTML page.
 *
 * The page is static HTML for every number (cards and tables are readable
 * with scripts off and print as text) plus canvases that page.js fills with
 * Chart.js charts. Three assets are compiled in by clients/report.mk from
 * build/report/assets.h: Chart.js's minified UMD build (node_modules), and
 * page.css / page.js from this directory. The report JSON is embedded in a
 * <script type="application/json"> with every '<' written as \u003c, so no
 * string in the data can close the element or change how it is parsed. All
 * text from the database is escaped.
 * Reads only the json_t it is given; writes only to the FILE. */
#include "html.h"
#include "assets.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}
static json_int_t ival(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* The one rule of every per-section table (docs/analytics.md, "No section"),
 * said in the same words wherever a table counts devices by section. */
#define SECTION_RULE(f) fputs("A phone counts in the section it had when it sent something (a tap, a vote, a chant), " \
    "and a phone that sent nothing in the section it had at the end; <i>no section</i> is a phone that had not " \
    "picked one yet. A phone that changed section counts in each, so the shares can add up to more than 100%.", f)

/* A marker kind in words: "song start", not song_start. */
static const char *marker_kind(const char *kind)
{
    if (!strcmp(kind, "song_start")) return "song start";
    if (!strcmp(kind, "song_end")) return "song end";
    if (!strcmp(kind, "note")) return "note";
    return NULL;
}

static void section_label(FILE *f, const char *s)
{
    if (*s) esc(f, s); else fputs("<i>no section</i>", f);
}

/* A share as "42.5%", or an en dash when undefined (null). */
static void pct(FILE *f, const json_t *v)
{
    if (json_is_number(v)) fprintf(f, "%.1f%%", json_number_value(v) * 100.0);
    else fputs("&ndash;", f);
}

static void num(FILE *f, json_int_t v)
{
    /* thin-space thousands separators: 1 234 567 */
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)(v < 0 ? -v : v));
    if (v < 0) fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) fputs("&#8201;", f);
        fputc(buf[i], f);
    }
}

/* Time since the start of the event, "+1:02:03" or "+12:03". */
static void elapsed(FILE *f, json_int_t ms, json_int_t start_ms)
{
    json_int_t s = (ms - start_ms) / 1000;
    const char *sign = s < 0 ? "-" : "+";
    if (s < 0) s = -s;
    if (s >= 3600) fprintf(f, "%s%lld:%02lld:%02lld", sign, (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
    else fprintf(f, "%s%lld:%02lld", sign, (long long)(s / 60), (long long)(s % 60));
}

static void utc(FILE *f, json_int_t ms, const char *fmt)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[64];
    if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, fmt, &tm)) fputs(buf, f);
}

static void marker_cell(FILE *f, const json_t *m, json_int_t start_ms)
{
    if (!json_is_object(m)) { fputs("<td class=muted>before the first marker</td>", f); return; }
    fprintf(f, "<td><span class=\"mk mk-%s\">", !strcmp(str(m, "kind"), "song_start") ? "start"
                                                : !strcmp(str(m, "kind"), "song_end") ? "end" : "note");
    esc(f, str(m, "label"));
    fputs("</span> <span class=muted>", f);
    elapsed(f, ival(m, "ts_ms"), start_ms);
    fputs("</span></td>", f);
}

static void head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
          "<meta name=viewport content=\"width=device-width, initial-scale=1\">\n<title>", f);
    esc(f, title);
    fputs("</title>\n<style>\n", f);
    fwrite(page_css, 1, page_css_len, f);
    fputs("</style>\n</head>\n<body>\n", f);
}

static void tail(FILE *f, const json_t *data)
{
    fputs("<footer>Made by chorus-report. Every figure is defined in docs/analytics.md of the Chorus "
          "sources; times are since the start of the event.</footer>\n"
          "<script id=report-data type=\"application/json\">", f);
    /* '<' only occurs inside JSON strings; as \u003c no chant or label can
     * open "<!--" or "<script" (which would change how the HTML parser
     * looks for the end of this element) nor close it. */
    char *js = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(10));
    for (const char *p = js; p && *p; p++) {
        if (*p == '<') fputs("\\u003c", f);
        else fputc(*p, f);
    }
    free(js);
    fputs("</script>\n<script>\n", f);
    fwrite(chart_umd_min_js, 1, chart_umd_min_js_len, f);
    fputs("\n</script>\n<script>\n", f);
    fwrite(page_js, 1, page_js_len, f);
    fputs("\n</script>\n</body>\n</html>\n", f);
}

/* A card's big number: 54 806 013 does not fit, "54.8 M" does. */
static void big(FILE *f, json_int_t v)
{
    if (v >= 10000000) fprintf(f, "%.1f&#8201;M", (double)v / 1e6);
    else num(f, v);
}

static void card(FILE *f, const char *label, const char *cls)
{
    fprintf(f, "<div class=\"card%s%s\"><div class=label>%s</div><div class=value>", cls ? " " : "", cls ? cls : "", label);
}

static void cards(FILE *f, const json_t *rep)
{
    const json_t *ev = json_object_get(rep, "event"), *reach = json_object_get(rep, "reach");
    const json_t *funnel = json_object_get(rep, "funnel"), *tot = json_object_get(rep, "totals");
    json_int_t start = ival(ev, "start_ms");
    fputs("<section class=cards>\n", f);
    card(f, "Devices joined", "big");
    big(f, ival(reach, "devices"));
    fprintf(f, "</div><div class=sub>%lld rejoined at least once</div></div>\n", (long long)ival(reach, "rejoined_devices"));
    card(f, "Peak audience", "big");
    num(f, ival(reach, "peak_audience"));
    fputs("</div><div class=sub>", f);
    if (json_is_integer(json_object_get(reach, "peak_sec"))) {
        fputs("connected at once, at ", f);
        elapsed(f, ival(reach, "peak_sec") * 1000, start);
    }
    fputs("</div></div>\n", f);
    const char *lab[] = {NULL, "Reacted", "Voted", "Chanted"};
    for (int i = 1; i < 4; i++) {
        const json_t *st = json_array_get(funnel, (size_t)i);
        card(f, lab[i], NULL);
        pct(f, json_object_get(st, "share"));
        fputs("</div><div class=sub>", f);
        num(f, ival(st, "devices"));
        fputs(" devices</div></div>\n", f);
    }
    card(f, "Taps", NULL);
    big(f, ival(tot, "taps"));
    fputs("</div><div class=sub>", f);
    num(f, ival(tot, "votes"));
    fputs(" votes, ", f);
    num(f, ival(tot, "chants"));
    fputs(" chants</div></div>\n", f);
    const json_t *loud = json_object_get(json_object_get(rep, "sections"), "loudest");
    card(f, "Loudest section", NULL);
    if (json_is_string(loud)) esc(f, json_string_value(loud)); else fputs("&ndash;", f);
    fputs("</div><div class=sub>most taps per device</div></div>\n", f);
    const json_t *top = json_array_get(json_object_get(json_object_get(rep, "chants"), "top"), 0);
    card(f, "Top chant", "wide");
    if (top) {
        fputs("&ldquo;", f);
        esc(f, str(top, "text"));
        fputs("&rdquo;</div><div class=sub>", f);
        num(f, ival(top, "count"));
        fputs(" times", f);
        if (json_is_true(json_object_get(top, "hidden"))) fputs(" &middot; hidden by the crew", f);
        fputs("</div></div>\n", f);
    } else fputs("&ndash;</div><div class=sub>no chants</div></div>\n", f);
    fputs("</section>\n", f);
}

static void timeline(FILE *f, const json_t *rep)
{
    json_int_t start = ival(json_object_get(rep, "event"), "start_ms");
    fputs("<section><h2>Timeline</h2>\n<p class=note>Taps per second by reaction, stacked, with the connected "
          "audience (right axis). Dashed lines are markers: green a song start, grey a song end, blue a note; "
          "dotted purple lines a poll opening and closing; "
          "numbered dots are the peak moments listed below.</p>\n"
          "<div class=\"chart tall\"><canvas id=ch-timeline></canvas></div>\n", f);
    fputs("<h3>Peak moments</h3>\n", f);
    const json_t *peaks = json_object_get(rep, "peaks");
    if (!json_array_size(peaks)) fputs("<p class=muted>No reactions were recorded.</p>\n", f);
    else {
        fputs("<table><thead><tr><th>#</th><th>when</th><th class=n>taps in that second</th><th class=n>audience</th>"
              "<th class=n>taps per device</th><th>during</th></tr></thead><tbody>\n", f);
        size_t i;
        json_t *p;
        json_array_foreach(peaks, i, p) {
            fprintf(f, "<tr><td>%lld</td><td>", (long long)ival(p, "rank"));
            elapsed(f, ival(p, "sec") * 1000, start);
            fputs("</td><td class=n>", f);
            num(f, ival(p, "taps"));
            fputs("</td><td class=n>", f);
            num(f, ival(p, "audience"));
            fputs("</td><td class=n>", f);
            const json_t *tpd = json_object_get(p, "taps_per_device");
            if (json_is_number(tpd)) fprintf(f, "%.2f", json_number_value(tpd)); else fputs("&ndash;", f);
            fputs("</td>", f);
            marker_cell(f, json_object_get(p, "marker"), start);
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
    const json_t *markers = json_object_get(rep, "markers");
    if (json_array_size(markers)) {
        fputs("<h3>Markers</h3>\n<table class=compact><thead><tr><th>when</th><th>kind</th><th>label</th></tr></thead><tbody>\n", f);
        size_t i;
        json_t *m;
        json_array_foreach(markers, i, m) {
            fputs("<tr><td>", f);
            elapsed(f, ival(m, "ts_ms"), start);
            fputs("</td><td>", f);
            const char *kw = marker_kind(str(m, "kind"));
            if (kw) fputs(kw, f);
            else for (const char *k = str(m, "kind"); *k; k++) {   /* an unknown kind: its words */
                char c[2] = {*k == '_' ? ' ' : *k, 0};
                esc(f, c);
            }
            fputs("</td><td>", f);
            esc(f, str(m, "label"));
            if (json_is_integer(json_object_get(m, "poll")))   /* schema v3: started a crowd choice */
                fprintf(f, " <span class=tag-chosen>crowd&rsquo;s choice, poll %lld</span>", (long long)ival(m, "poll"));
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
    fputs("</section>\n", f);
}

static void participation(FILE *f, const json_t *rep)
{
    fputs("<section><h2>Participation</h2>\n<div class=two>\n<div><h3>Funnel</h3>"
          "<div class=chart><canvas id=ch-funnel></canvas></div>\n"
          "<table class=compact><thead><tr><th>stage</th><th class=n>devices</th><th class=n>share of joined</th></tr></thead><tbody>\n", f);
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(rep, "funnel"), i, st) {
        fputs("<tr><td>", f);
        esc(f, str(st, "stage"));
        fputs("</td><td class=n>", f);
        num(f, ival(st, "devices"));
        fputs("</td><td class=n>", f);
        pct(f, json_object_get(st, "share"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n<div><h3>Engagement ladder</h3><div class=chart><canvas id=ch-ladder></canvas></div>\n", f);
    const json_t *ladder = json_object_get(rep, "ladder"), *levels = json_object_get(ladder, "levels");
    fputs("<table class=compact><thead><tr><th>section</th>", f);
    json_t *lv;
    json_array_foreach(levels, i, lv) {
        fputs("<th class=n>", f);
        esc(f, json_string_value(lv));
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    const json_t *rows[64];
    size_t nrows = 0;
    rows[nrows++] = json_object_get(ladder, "overall");
    json_t *row;
    json_array_foreach(json_object_get(ladder, "sections"), i, row)
        if (nrows < 64 && ival(row, "devices") > 0) rows[nrows++] = row;
    for (size_t r = 0; r < nrows; r++) {
        fputs(r ? "<tr><td>" : "<tr class=total><td>", f);
        if (r) section_label(f, str(rows[r], "section")); else fputs("everyone", f);
        fputs("</td>", f);
        for (size_t l = 0; l < json_array_size(levels); l++) {
            fputs("<td class=n>", f);
            pct(f, json_array_get(json_object_get(rows[r], "shares"), l));
            fputs(" <span class=muted>(", f);
            num(f, json_integer_value(json_array_get(json_object_get(rows[r], "counts"), l)));
            fputs(")</span></td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=note>Each device on one rung: <b>all</b> reacted, voted and chanted; "
          "<b>chanted</b> chanted (not all three); <b>voted</b> voted, did not chant; <b>reacted</b> only "
          "reacted; <b>watched</b> sent nothing. In a section's row, a phone's rung is what it sent from that "
          "section (the rule is under <i>Audience by section</i>).</p></div>\n</div>\n", f);

    fputs("<h3>Audience by section</h3>\n<p class=note>", f);
    SECTION_RULE(f);
    fputs("</p>\n<table class=compact><thead><tr><th>section</th><th class=n>devices</th>"
          "<th class=n>share of joined</th></tr></thead><tbody>\n", f);
    json_array_foreach(json_object_get(json_object_get(rep, "reach"), "sections"), i, row) {
        fputs("<tr><td>", f);
        section_label(f, str(row, "section"));
        fputs("</td><td class=n>", f);
        num(f, ival(row, "devices"));
        fputs("</td><td class=n>", f);
        pct(f, json_object_get(row, "share"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n</section>\n", f);
}

static void polls(FILE *f, const json_t *rep)
{
    json_int_t start = ival(json_object_get(rep, "event"), "start_ms");
    const json_t *ps = json_object_get(rep, "polls");
    fputs("<section><h2>Polls</h2>\n", f);
    if (!json_array_size(ps)) fputs("<p class=muted>No poll was opened during this event.</p>\n", f);
    size_t i, j;
    json_t *p, *o;
    json_array_foreach(ps, i, p) {
        fprintf(f, "<div class=poll><h3>Poll %lld: ", (long long)ival(p, "id"));
        esc(f, str(p, "question"));
        /* a div, not a p: the <details> inside would end a <p> and push the rest
         * of the sentence onto a line of its own */
        fputs("</h3>\n<div class=note>Opened at ", f);
        elapsed(f, ival(p, "opened_ms"), start);
        if (json_is_integer(json_object_get(p, "closed_ms"))) {
            fputs(", closed at ", f);
            elapsed(f, ival(p, "closed_ms"), start);
        } else fputs(", still open", f);
        /* Turnout against the room at its fullest while the poll was open: a
         * phone that joined after the opening and voted is in both figures,
         * so this reads as a share (details one click away). */
        fputs(". <b>", f);
        num(f, ival(p, "voters"));
        fputs("</b> phones voted, <b>", f);
        pct(f, json_object_get(p, "turnout_of_peak"));
        fputs("</b> of the <b>", f);
        num(f, ival(p, "peak_during"));
        fputs("</b> connected at the busiest moment of the poll"
              "<details class=def><summary>how is this counted?</summary>Voters are the phones whose vote counted "
              "(one per phone). The room is the most phones connected at the same time while the poll was open "
              "(never fewer than at its opening, ", f);
        num(f, ival(p, "audience_at_open"));
        fputs("). Phones that came and went during the poll can make it more than 100%.</details>. ", f);
        if (json_is_true(json_object_get(p, "allow_change"))) {
            num(f, ival(p, "changed_devices"));
            fputs(" devices changed their vote (", f);
            num(f, ival(p, "changes"));
            fputs(" changes).", f);
        } else fputs("Votes could not be changed.", f);
        fputs("</div>\n<div class=two><div><table class=compact><thead><tr><th>option</th><th class=n>votes</th>"
              "<th class=n>share</th></tr></thead><tbody>\n", f);
        const json_t *winner = json_object_get(p, "winner");
        json_array_foreach(json_object_get(p, "options"), j, o) {
            int win = 0;
            size_t w;
            json_t *wv;
            json_array_foreach(winner, w, wv) win |= json_integer_value(wv) == (json_int_t)j;
            fputs(win ? "<tr class=win><td>" : "<tr><td>", f);
            esc(f, str(o, "label"));
            fputs(win ? " &#9733;</td><td class=n>" : "</td><td class=n>", f);
            num(f, ival(o, "votes"));
            fputs("</td><td class=n>", f);
            pct(f, json_object_get(o, "share"));
            fputs("</td></tr>\n", f);
        }
        fprintf(f, "</tbody></table><div class=\"chart short\"><canvas id=ch-poll-%zu></canvas></div></div>\n"
                   "<div><div class=chart><canvas id=ch-tally-%zu></canvas></div>"
                   "<p class=note>How the tally moved: votes per option after each second in which a vote arrived.</p>"
                   "</div></div></div>\n", i, i);
    }
    fputs("</section>\n", f);
}

/* A rate per device-minute as "4.1", or an en dash when undefined (null). */
static void rate(FILE *f, const json_t *v)
{
    if (json_is_number(v)) fprintf(f, "%.1f", json_number_value(v));
    else fputs("&ndash;", f);
}

/* "the song" / "the 5 songs", "the other song" / "the other 5 songs". */
static void songs_words(FILE *f, const char *other, size_t n)
{
    if (n == 1) fprintf(f, "the %ssong", other);
    else fprintf(f, "the %s%zu songs", other, n);
}

/* The lift in words (docs/analytics.md, "Co-creation"): taps per phone and
 * minute during the songs the crowd chose against the other songs. */
static void cocreation_words(FILE *f, const json_t *co, size_t nchosen, size_t nother)
{
    const json_t *lift = json_object_get(co, "lift"), *ws = json_object_get(co, "winning_side");
    /* a div, not a p: the <details> inside would end a <p> (as in the polls) */
    fputs("<div class=\"note lift\">", f);
    if (nchosen) {
        fputs("During ", f);
        songs_words(f, "", nchosen);
        fputs(" the crowd chose, each phone tapped <b>", f);
        rate(f, json_object_get(co, "chosen_rate"));
        fputs("</b> times a minute", f);
        if (nother) {
            fputs("; during ", f);
            songs_words(f, "other ", nother);
            fputs(" <b>", f);
            rate(f, json_object_get(co, "other_rate"));
            fputs("</b>", f);
            if (json_is_number(lift)) fprintf(f, ": <b>%.1f&times;</b> as much", json_number_value(lift));
            fputs(". ", f);
        } else fputs("; there was no other song to compare with. ", f);
    } else if (nother) {
        fputs("No song was started from a crowd choice. During ", f);
        songs_words(f, "", nother);
        fputs(", each phone tapped <b>", f);
        rate(f, json_object_get(co, "other_rate"));
        fputs("</b> times a minute. ", f);
    } else fputs("No song was marked. ", f);
    /* whole percent, half up: 0.625 is 63% (printf would round it to even) */
    if (json_is_number(ws)) fprintf(f, "<b>%lld%%</b> of voters were on the winning side.", (long long)(json_number_value(ws) * 100.0 + 0.5));
    fputs("<details class=def><summary>how is this counted?</summary>A song runs from its <i>song start</i> marker to the "
          "next song start or song end (or the end of the event); the crowd chose it when the crew started it from a "
          "poll result confirmed with &ldquo;Play it&rdquo;. Taps a minute per phone are the taps of the songs' seconds "
          "divided by the phones connected in those seconds, in minutes. The winning side is the voters of the played "
          "polls who voted for the option the crew played.</details></div>\n", f);
}

static void cocreation(FILE *f, const json_t *rep)
{
    json_int_t start = ival(json_object_get(rep, "event"), "start_ms");
    json_int_t version = ival(json_object_get(rep, "event"), "schema_version");
    const json_t *co = json_object_get(rep, "cocreation");
    const json_t *songs = json_object_get(co, "songs"), *chosen = json_object_get(co, "chosen");
    size_t nchosen = 0, i;
    json_t *s, *c;
    json_array_foreach(songs, i, s) nchosen += json_is_integer(json_object_get(s, "poll"));
    fputs("<section><h2>Co-creation</h2>\n", f);
    if (version < 3)
        fprintf(f, "<p class=muted>No crowd choice recorded: this database is of schema v%lld, from before "
                   "&ldquo;Play it&rdquo;.</p>\n", (long long)version);
    cocreation_words(f, co, nchosen, json_array_size(songs) - nchosen);
    if (version >= 3) {
        fputs("<h3>Crowd choices</h3>\n", f);
        if (!json_array_size(chosen)) fputs("<p class=muted>The crew confirmed no poll result with &ldquo;Play it&rdquo;.</p>\n", f);
        else {
            fputs("<table class=compact><thead><tr><th>poll</th><th>chosen</th><th class=n>votes</th><th class=n>share</th>"
                  "<th>confirmed</th><th>song</th></tr></thead><tbody>\n", f);
            json_array_foreach(chosen, i, c) {
                const json_t *m = json_object_get(c, "marker");
                fprintf(f, "<tr><td>%lld. ", (long long)ival(c, "poll"));
                esc(f, str(c, "question"));
                fputs("</td><td>", f);
                if (json_is_string(json_object_get(c, "label"))) esc(f, str(c, "label")); else fputs("&ndash;", f);
                fputs("</td><td class=n>", f);
                num(f, ival(c, "votes"));
                fputs(" <span class=muted>of ", f);
                num(f, ival(c, "voters"));
                fputs("</span></td><td class=n>", f);
                pct(f, json_object_get(c, "share"));
                fputs("</td><td>", f);
                elapsed(f, ival(c, "played_ms"), start);
                fputs("</td>", f);
                if (json_is_object(m)) {
                    fputs("<td><span class=\"mk mk-start\">", f);
                    esc(f, str(m, "label"));
                    fputs("</span> <span class=muted>", f);
                    elapsed(f, ival(m, "ts_ms"), start);
                    fputs("</span></td>", f);
                } else fputs("<td class=muted>not played</td>", f);
                fputs("</tr>\n", f);
            }
            fputs("</tbody></table>\n", f);
        }
    }
    if (json_array_size(songs)) {
        fputs("<h3>Songs</h3>\n<table class=compact><thead><tr><th>song</th><th>from</th><th class=n>taps</th><th class=n>phone-minutes</th>"
              "<th class=n>taps a minute per phone</th></tr></thead><tbody>\n", f);
        json_array_foreach(songs, i, s) {
            int ch = json_is_integer(json_object_get(s, "poll"));
            fputs(ch ? "<tr class=win><td>" : "<tr><td>", f);
            esc(f, str(s, "label"));
            if (ch) fputs(" <span class=tag-chosen>crowd&rsquo;s choice</span>", f);
            fputs("</td><td>", f);
            elapsed(f, ival(s, "start_ms"), start);
            fputs("</td><td class=n>", f);
            num(f, ival(s, "taps"));
            fprintf(f, "</td><td class=n>%.1f</td><td class=n>", json_number_value(json_object_get(s, "device_minutes")));
            rate(f, json_object_get(s, "taps_per_device_minute"));
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>\n<div class=\"chart short\"><canvas id=ch-cocreation></canvas></div>\n", f);
    }
    fputs("</section>\n", f);
}

/* The mark of a text the crew hid (it stays in the figures). */
static void hidden_tag(FILE *f, const json_t *chant)
{
    if (json_is_true(json_object_get(chant, "hidden"))) fputs(" <span class=tag-hidden>hidden</span>", f);
}

static void chant_table(FILE *f, const json_t *list, int devices)
{
    fprintf(f, "<table class=compact><thead><tr><th>chant</th><th class=n>times</th>%s</tr></thead><tbody>\n",
            devices ? "<th class=n>devices</th>" : "");
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        fputs("<tr><td>", f);
        esc(f, str(c, "text"));
        hidden_tag(f, c);
        fputs("</td><td class=n>", f);
        num(f, ival(c, "count"));
        if (devices) {
            fputs("</td><td class=n>", f);
            num(f, ival(c, "devices"));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void chants(FILE *f, const json_t *rep)
{
    json_int_t start = ival(json_object_get(rep, "event"), "start_ms");
    const json_t *ch = json_object_get(rep, "chants");
    fputs("<section><h2>Chants</h2>\n", f);
    if (!ival(ch, "total")) { fputs("<p class=muted>Nobody chanted.</p></section>\n", f); return; }
    fputs("<p class=note>", f);
    num(f, ival(ch, "total"));
    fputs(ival(ch, "total") == 1 ? " chant, " : " chants, ", f);
    num(f, ival(ch, "distinct"));
    fputs(ival(ch, "distinct") == 1 ? " text" : " different texts", f);
    fputs(" (spellings the live screen counts together are one text). Texts the crew hid "
          "stay in the figures, marked <span class=tag-hidden>hidden</span>.</p>\n"
          "<div class=two><div><h3>Top chants</h3>\n", f);
    chant_table(f, json_object_get(ch, "top"), 1);
    fputs("</div><div><h3>By marker segment</h3>\n<table class=compact><thead><tr><th>segment</th><th class=n>taps</th>"
          "<th class=n>chants</th><th>top</th></tr></thead><tbody>\n", f);
    size_t i, j;
    json_t *s, *c;
    json_array_foreach(json_object_get(ch, "segments"), i, s) {
        fputs("<tr>", f);
        marker_cell(f, json_object_get(s, "marker"), start);
        fputs("<td class=n>", f);
        num(f, ival(s, "taps"));
        fputs("</td><td class=n>", f);
        num(f, ival(s, "chants"));
        fputs("</td><td>", f);
        json_array_foreach(json_object_get(s, "top"), j, c) {
            if (j) fputs(", ", f);
            fputs("&ldquo;", f);
            esc(f, str(c, "text"));
            fprintf(f, "&rdquo;&nbsp;&times;%lld", (long long)ival(c, "count"));
            hidden_tag(f, c);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div></div>\n</section>\n", f);
}

/* A duration in ms as "1:05" (minutes:seconds) or "12.5 s"; dash for null. */
static void duration(FILE *f, const json_t *ms)
{
    if (!json_is_integer(ms)) { fputs("&ndash;", f); return; }
    json_int_t v = json_integer_value(ms);
    if (v < 60000) fprintf(f, "%.1f&nbsp;s", (double)v / 1000.0);
    else fprintf(f, "%lld:%02lld&nbsp;min", (long long)(v / 60000), (long long)(v / 1000 % 60));
}

static void mod_row(FILE *f, const char *label, json_int_t n, const char *sub)
{
    fprintf(f, "<tr><td>%s</td><td class=n>", label);
    num(f, n);
    fprintf(f, "</td><td class=muted>%s</td></tr>\n", sub ? sub : "");
}

static void moderation(FILE *f, const json_t *rep)
{
    json_int_t start = ival(json_object_get(rep, "event"), "start_ms");
    const json_t *m = json_object_get(rep, "moderation");
    fputs("<section><h2>Moderation</h2>\n", f);
    if (!json_is_object(m)) {
        fputs("<p class=muted>Not recorded: this database is of schema v1, from before chant moderation.</p></section>\n", f);
        return;
    }
    const json_t *act = json_object_get(m, "actions"), *appr = json_object_get(m, "approval");
    fputs("<p class=note>Chant mode <b>", f);
    esc(f, str(m, "mode_start"));
    fputs("</b> at the start, <b>", f);
    esc(f, str(m, "mode_end"));
    fputs("</b> at the end (", f);
    num(f, ival(act, "mode"));
    fputs(" changes by the crew). Blocked chants never reached the figures above; held and hidden ones "
          "are counted in them.</p>\n<div class=two><div><table class=compact><tbody>\n", f);
    char sub[128];
    snprintf(sub, sizeof sub, "from %lld devices", (long long)ival(m, "blocked_devices"));
    mod_row(f, "chants blocked by the filter", ival(m, "blocked"), sub);
    snprintf(sub, sizeof sub, "of %lld texts, sent in approve mode before approval", (long long)ival(m, "held_texts"));
    mod_row(f, "chants held for approval", ival(m, "held"), sub);
    mod_row(f, "texts approved", ival(m, "approved_texts"), NULL);
    snprintf(sub, sizeof sub, "at the end; %lld chants of them", (long long)ival(m, "hidden_chants"));
    mod_row(f, "texts hidden", ival(m, "hidden_texts"), sub);
    snprintf(sub, sizeof sub, "at the end; %lld ever banned", (long long)ival(m, "devices_ever_banned"));
    mod_row(f, "devices banned", ival(m, "banned_devices"), sub);
    fputs("<tr><td>first send to approval</td><td class=n>", f);
    duration(f, json_object_get(appr, "median_ms"));
    fputs("</td><td class=muted>median; p95 ", f);
    duration(f, json_object_get(appr, "p95_ms"));
    fprintf(f, ", over %lld texts</td></tr>\n</tbody></table></div>\n<div><h3>Crew actions</h3>\n",
            (long long)ival(appr, "texts"));
    const json_t *sessions = json_object_get(m, "sessions");
    if (!json_array_size(sessions)) fputs("<p class=muted>The crew took no moderation action.</p>\n", f);
    else {
        static const char *const cols[] = {"approve", "hide", "unhide", "ban", "unban", "mode", "actions"};
        fputs("<table class=compact><thead><tr><th>crew session</th>", f);
        for (int c = 0; c < 7; c++) fprintf(f, "<th class=n>%s</th>", cols[c]);
        fputs("<th>from</th><th>to</th></tr></thead><tbody>\n", f);
        size_t i;
        json_t *x;
        json_array_foreach(sessions, i, x) {
            fprintf(f, "<tr><td>%lld</td>", (long long)ival(x, "session"));
            for (int c = 0; c < 7; c++) {
                fputs(c == 6 ? "<td class=n><b>" : "<td class=n>", f);
                num(f, ival(x, cols[c]));
                fputs(c == 6 ? "</b></td>" : "</td>", f);
            }
            fputs("<td>", f);
            elapsed(f, ival(x, "first_ms"), start);
            fputs("</td><td>", f);
            elapsed(f, ival(x, "last_ms"), start);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
    fputs("<p class=note>Every action is in the audit trail (<code>--csv</code>: mod_log.csv).</p></div></div>\n</section>\n", f);
}

static void retention_sections(FILE *f, const json_t *rep)
{
    fputs("<section><h2>Retention</h2>\n<p class=note>Devices still connected at each 5-minute mark after the "
          "first device joined, against the devices that had joined by then.</p>\n"
          "<div class=chart><canvas id=ch-retention></canvas></div>\n"
          "<table class=compact><thead><tr><th>mark</th><th class=n>connected</th><th class=n>joined so far</th>"
          "<th class=n>still connected</th></tr></thead><tbody>\n", f);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(json_object_get(rep, "retention"), "marks"), i, m) {
        fprintf(f, "<tr><td>+%lld min</td><td class=n>", (long long)ival(m, "minute"));
        num(f, ival(m, "connected"));
        fputs("</td><td class=n>", f);
        num(f, ival(m, "joined"));
        fputs("</td><td class=n>", f);
        pct(f, json_object_get(m, "share"));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n</section>\n", f);

    const json_t *secs = json_object_get(rep, "sections");
    fputs("<section><h2>Loudest section</h2>\n<p class=note>Taps sent from each section divided by the devices in it "
          "(the same devices as in the audience by section above). ", f);
    SECTION_RULE(f);
    fputs("</p>\n<div class=two><div class=chart><canvas id=ch-sections></canvas></div>\n"
          "<table class=compact><thead><tr><th>section</th><th class=n>devices</th><th class=n>taps</th>"
          "<th class=n>taps per device</th></tr></thead><tbody>\n", f);
    const char *loud = json_string_value(json_object_get(secs, "loudest"));
    json_t *s;
    json_array_foreach(json_object_get(secs, "sections"), i, s) {
        if (!ival(s, "devices") && !ival(s, "taps")) continue;
        int is_loud = loud && !strcmp(loud, str(s, "section"));
        fputs(is_loud ? "<tr class=win><td>" : "<tr><td>", f);
        section_label(f, str(s, "section"));
        if (is_loud) fputs(" &#9733;", f);
        fputs("</td><td class=n>", f);
        num(f, ival(s, "devices"));
        fputs("</td><td class=n>", f);
        num(f, ival(s, "taps"));
        const json_t *v = json_object_get(s, "taps_per_device");
        if (json_is_number(v)) fprintf(f, "</td><td class=n>%.2f", json_number_value(v));
        else fputs("</td><td class=n>&ndash;", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n</section>\n", f);
}

int html_report(FILE *f, const json_t *rep)
{
    const json_t *ev = json_object_get(rep, "event");
    char title[512];
    snprintf(title, sizeof title, "%s \xe2\x80\x94 audience report", str(ev, "name"));
    head(f, title);
    fputs("<header><h1>", f);
    esc(f, str(ev, "name"));
    fputs("</h1><p class=meta>Event <b>", f);
    esc(f, str(ev, "code"));
    fputs("</b> &middot; ", f);
    utc(f, ival(ev, "start_ms"), "%A %e %B %Y, %H:%M UTC");
    fprintf(f, " &middot; %lld minutes &middot; audience participation report", (long long)ival(ev, "duration_s") / 60);
    if (ival(ev, "hubs") > 1)   /* cluster mode */
        fprintf(f, " &middot; merged from the databases of <b>%lld</b> hubs", (long long)ival(ev, "hubs"));
    fputs("</p></header>\n", f);
    cards(f, rep);
    timeline(f, rep);
    participation(f, rep);
    polls(f, rep);
    cocreation(f, rep);
    chants(f, rep);
    moderation(f, rep);
    retention_sections(f, rep);
    json_t *data = json_object();
    json_object_set_new(data, "kind", json_string("report"));
    json_object_set(data, "report", (json_t *)rep);
    tail(f, data);
    json_decref(data);
    return ferror(f) ? -1 : 0;
}

/* One figure of the comparison table: a row with one cell per event. */
enum cmp_kind { CMP_INT, CMP_SHARE, CMP_TEXT, CMP_MINUTES, CMP_DATE, CMP_RATIO, CMP_CHANT };

static void cmp_row(FILE *f, const json_t *events, const char *label, const char *key, enum cmp_kind kind)
{
    size_t i;
    json_t *e;
    fprintf(f, "<tr><th>%s</th>", label);
    json_array_foreach(events, i, e) {
        const json_t *v = json_object_get(e, key);
        fputs(kind == CMP_TEXT || kind == CMP_CHANT ? "<td>" : "<td class=n>", f);
        if (kind == CMP_INT) num(f, json_integer_value(v));
        else if (kind == CMP_SHARE) pct(f, v);
        else if (kind == CMP_MINUTES) fprintf(f, "%lld", (long long)json_integer_value(v) / 60);
        else if (kind == CMP_DATE) utc(f, json_integer_value(v), "%Y-%m-%d");
        else if (kind == CMP_RATIO && json_is_number(v)) fprintf(f, "%.1f", json_number_value(v));
        else if ((kind == CMP_TEXT || kind == CMP_CHANT) && json_is_string(v) && *json_string_value(v)) {
            esc(f, json_string_value(v));
            if (kind == CMP_CHANT && json_is_true(json_object_get(e, "top_chant_hidden")))
                fputs(" <span class=tag-hidden>hidden</span>", f);
        }
        else fputs("&ndash;", f);
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

int html_compare(FILE *f, const json_t *cmp)
{
    const json_t *events = json_object_get(cmp, "events");
    head(f, "Chorus tour comparison");
    fprintf(f, "<header><h1>Tour comparison</h1><p class=meta>%zu events side by side</p></header>\n", json_array_size(events));
    fputs("<section><h2>Headline figures</h2>\n<div class=scroll><table class=cmp><thead><tr><th></th>", f);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        fputs("<th class=n><b>", f);
        esc(f, str(e, "name"));
        fputs("</b><br>", f);
        esc(f, str(e, "code"));
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    cmp_row(f, events, "date (UTC)", "start_ms", CMP_DATE);
    cmp_row(f, events, "minutes", "duration_s", CMP_MINUTES);
    cmp_row(f, events, "devices joined", "devices", CMP_INT);
    cmp_row(f, events, "peak audience", "peak_audience", CMP_INT);
    cmp_row(f, events, "reacted", "reacted_share", CMP_SHARE);
    cmp_row(f, events, "voted", "voted_share", CMP_SHARE);
    cmp_row(f, events, "chanted", "chanted_share", CMP_SHARE);
    cmp_row(f, events, "taps", "taps", CMP_INT);
    cmp_row(f, events, "taps per device", "taps_per_device", CMP_RATIO);
    cmp_row(f, events, "votes", "votes", CMP_INT);
    cmp_row(f, events, "chants", "chants", CMP_INT);
    cmp_row(f, events, "polls", "polls", CMP_INT);
    cmp_row(f, events, "mean turnout", "mean_turnout", CMP_SHARE);
    cmp_row(f, events, "loudest section", "loudest_section", CMP_TEXT);
    cmp_row(f, events, "top chant", "top_chant", CMP_CHANT);
    fputs("</tbody></table></div></section>\n<section><h2>Audience</h2><div class=\"chart\"><canvas id=ch-cmp-reach></canvas></div></section>\n"
          "<section><h2>Participation</h2><div class=\"chart\"><canvas id=ch-cmp-shares></canvas></div></section>\n", f);
    json_t *data = json_object();
    json_object_set_new(data, "kind", json_string("compare"));
    json_object_set(data, "compare", (json_t *)cmp);
    tail(f, data);
    json_decref(data);
    return ferror(f) ? -1 : 0;
}
