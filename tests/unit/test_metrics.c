/* Unit tests: the /metrics text (metrics.c): the samples a scraper reads,
 * the histogram's cumulative buckets, label escaping, refusals by code,
 * and the exposition format's rules checked line by line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "proto.h"
#include "t.h"

static char buf[1 << 16];

/* 1 when text has a line exactly equal to line. */
static int has_line(const char *text, const char *line) {
    size_t l = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, line, l) && (p[l] == '\n' || p[l] == 0)) return 1;
    return 0;
}

static void fill(struct metrics_in *in) {
    static const char names[3][EVENT_NAME_MAX + 1] = {"heart", "fi\"re\\", "clap"};
    memset(in, 0, sizeof *in);
    in->conns[ROLE_AUDIENCE] = 1200;
    in->conns[ROLE_CREW] = 2;
    in->conns_pending = 7;
    in->signals_react = 50;
    in->signals_vote = 9;
    in->nreactions = 3;
    in->reaction_names = names;
    in->taps[1] = 12345;
    in->store_queued = 17;
    in->store_queue_max = 262144;
    in->ws_at_once = 1000;
    in->ws_partly = 3;
    in->ws_queued = 40;
    in->ws_batched = 900;
    in->ws_batches = 7;
    in->fds_open = 1234;
    in->fds_max = 20000;
    in->dropped_slow = 4;
    in->ticks_missed = 2;
}

static void samples_are_there(void) {
    struct metrics_in in;
    fill(&in);
    int n = metrics_render(&in, buf, sizeof buf);
    CHECK(n > 0);
    CHECK_EQ((int)strlen(buf), n);
    CHECK(has_line(buf, "chorus_connections{role=\"audience\"} 1200"));
    CHECK(has_line(buf, "chorus_connections{role=\"crew\"} 2"));
    CHECK(has_line(buf, "chorus_connections{role=\"screen\"} 0"));
    CHECK(has_line(buf, "chorus_connections_pending 7"));
    CHECK(has_line(buf, "chorus_signals_total{kind=\"react\"} 50"));
    CHECK(has_line(buf, "chorus_signals_total{kind=\"vote\"} 9"));
    CHECK(has_line(buf, "chorus_reaction_taps_total{reaction=\"fi\\\"re\\\\\"} 12345"));   /* escaped */
    CHECK(has_line(buf, "chorus_store_queue_depth 17"));
    CHECK(has_line(buf, "chorus_ws_messages_written_total{how=\"partly\"} 3"));
    CHECK(has_line(buf, "chorus_ws_messages_batched_total 900"));
    CHECK(has_line(buf, "chorus_ws_batches_total 7"));
    CHECK(has_line(buf, "chorus_fds_open 1234"));
    CHECK(has_line(buf, "chorus_fds_max 20000"));
    CHECK(has_line(buf, "chorus_dropped_total{reason=\"slow_client\"} 4"));
    CHECK(has_line(buf, "chorus_ticks_missed_total 2"));
    CHECK(has_line(buf, "# TYPE chorus_connections gauge"));
    CHECK(has_line(buf, "# TYPE chorus_signals_total counter"));
    CHECK(strstr(buf, "chorus_tls") == NULL);   /* plain HTTP: no TLS figures */
    in.tls = 1;
    in.tls_not_after = 1798761600;
    in.fds_open = -1;
    CHECK(metrics_render(&in, buf, sizeof buf) > 0);
    CHECK(has_line(buf, "chorus_tls_cert_not_after_seconds 1798761600"));
    CHECK(strstr(buf, "chorus_fds_open") == NULL);   /* unknown: left out, not 0 */
}

static void histogram_is_cumulative(void) {
    struct metrics_in in;
    fill(&in);
    metrics_hist_add(&in.commit, 0.0001);   /* <= 0.0005 */
    metrics_hist_add(&in.commit, 0.0005);   /* <= 0.0005 (bounds are inclusive) */
    metrics_hist_add(&in.commit, 0.003);    /* <= 0.005 */
    metrics_hist_add(&in.commit, 0.2);      /* <= 0.25 */
    metrics_hist_add(&in.commit, 9);        /* +Inf only */
    CHECK(metrics_render(&in, buf, sizeof buf) > 0);
    CHECK(has_line(buf, "# TYPE chorus_store_commit_seconds histogram"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"0.0005\"} 2"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"0.0025\"} 2"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"0.005\"} 3"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"0.25\"} 4"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"2.5\"} 4"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_bucket{le=\"+Inf\"} 5"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_count 5"));
    CHECK(has_line(buf, "chorus_store_commit_seconds_sum 9.203600"));
}

static void refusals_by_code(void) {
    struct metrics_in in;
    fill(&in);
    metrics_refusal_add(&in.refused, E_BAD_KEY);
    metrics_refusal_add(&in.refused, E_BAD_KEY);
    metrics_refusal_add(&in.refused, E_RATE_LIMITED);
    metrics_refusal_add(&in.refused, "something_new");
    metrics_refusal_add(&in.refused, NULL);
    CHECK(metrics_render(&in, buf, sizeof buf) > 0);
    CHECK(has_line(buf, "chorus_refused_total{reason=\"bad_key\"} 2"));
    CHECK(has_line(buf, "chorus_refused_total{reason=\"rate_limited\"} 1"));
    CHECK(has_line(buf, "chorus_refused_total{reason=\"other\"} 2"));
    CHECK(has_line(buf, "chorus_refused_total{reason=\"key_locked\"} 0"));
    CHECK_STR(metrics_refusal_name(METRICS_REFUSAL_KINDS - 1), "other");
}

/* The exposition format, line by line: comments are HELP or TYPE of a
 * name, every sample's family had its TYPE before, names are
 * [a-zA-Z_:][a-zA-Z0-9_:]*, the value parses as a number, the text ends
 * with a newline, and no family is declared twice. */
static void format_is_valid(void) {
    struct metrics_in in;
    fill(&in);
    in.tls = 1;
    metrics_hist_add(&in.commit, 0.01);
    CHECK(metrics_render(&in, buf, sizeof buf) > 0);
    CHECK(buf[strlen(buf) - 1] == '\n');
    char typed[64][64];
    int ntyped = 0, bad = 0, samples = 0;
    char *copy = strdup(buf), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char name[64];
        if (l[0] == '#') {
            char kind[8], type[16];
            if (sscanf(l, "# %7s %63s %15s", kind, name, type) != 3 || (strcmp(kind, "HELP") && strcmp(kind, "TYPE"))) bad++;
            if (!strcmp(kind, "TYPE")) {
                for (int i = 0; i < ntyped; i++) if (!strcmp(typed[i], name)) bad++;   /* declared twice */
                if (ntyped < 64) snprintf(typed[ntyped++], sizeof typed[0], "%s", name);
            }
            continue;
        }
        size_t nl = strcspn(l, "{ ");
        if (nl == 0 || nl >= sizeof name) { bad++; continue; }
        snprintf(name, sizeof name, "%.*s", (int)nl, l);
        for (size_t i = 0; i < nl; i++)
            if (!(isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == ':') || isdigit((unsigned char)name[0])) bad++;
        int known = 0;
        for (int i = 0; i < ntyped && !known; i++) {
            size_t tl = strlen(typed[i]);
            known = !strcmp(name, typed[i]) ||
                    (!strncmp(name, typed[i], tl) && (!strcmp(name + tl, "_bucket") || !strcmp(name + tl, "_sum") ||
                                                      !strcmp(name + tl, "_count")));
        }
        if (!known) { fprintf(stderr, "  sample before its TYPE: %s\n", l); bad++; }
        const char *v = strrchr(l, ' ');
        char *end;
        if (!v || (strtod(v + 1, &end), *end != 0)) { fprintf(stderr, "  bad value: %s\n", l); bad++; }
        samples++;
    }
    free(copy);
    CHECK_EQ(bad, 0);
    CHECK(samples > 50);
}

static void too_small_a_buffer_fails(void) {
    struct metrics_in in;
    fill(&in);
    int n = metrics_render(&in, buf, sizeof buf);
    CHECK(n > 0);
    CHECK_EQ(metrics_render(&in, buf, (size_t)n), -1);       /* no room for the NUL */
    CHECK_EQ(metrics_render(&in, buf, (size_t)n + 1), n);
    CHECK_EQ(metrics_render(&in, buf, 10), -1);
}

int main(void) {
    TEST(samples_are_there);
    TEST(histogram_is_cumulative);
    TEST(refusals_by_code);
    TEST(format_is_valid);
    TEST(too_small_a_buffer_fails);
    return T_DONE();
}
