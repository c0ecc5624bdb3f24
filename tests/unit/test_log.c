/* Unit tests: the logfmt log and its rate limit per call site (log.c),
 * with a fake clock and a sink that keeps the lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "t.h"

static char out[1 << 16];
static size_t outlen;
static int lines;
static int64_t clock_ms = 1767225600000;   /* 2026-01-01T00:00:00Z */

static void sink(void *arg, const char *line, size_t len) {
    (void)arg;
    if (outlen + len < sizeof out) { memcpy(out + outlen, line, len); outlen += len; out[outlen] = 0; }
    lines++;
}
static int64_t fake_now(void) { return clock_ms; }
/* Say what earlier tests left owed, then forget it. */
static void reset(void) { log_flush(); outlen = 0; out[0] = 0; lines = 0; }

/* The n-th line (0-based) of out, copied into buf. */
static const char *line_at(int n, char *buf, size_t cap) {
    const char *p = out;
    for (int i = 0; i < n && p; i++) { p = strchr(p, '\n'); if (p) p++; }
    if (!p || !*p) return "";
    size_t l = strcspn(p, "\n");
    snprintf(buf, cap, "%.*s", (int)(l < cap ? l : cap - 1), p);
    return buf;
}

static void one_line_in_logfmt(void) {
    reset();
    log_warn("store commit failed", "records=%d error=%s", 12, log_q("disk I/O error"));
    char b[512];
    CHECK_STR(line_at(0, b, sizeof b),
              "ts=2026-01-01T00:00:00.000Z level=warn msg=\"store commit failed\" records=12 error=\"disk I/O error\"");
    CHECK_EQ(lines, 1);
    CHECK(out[outlen - 1] == '\n');
    reset();
    clock_ms += 1234;
    log_info("hub stopped", "-");
    CHECK_STR(line_at(0, b, sizeof b), "ts=2026-01-01T00:00:01.234Z level=info msg=\"hub stopped\"");
}

static void values_are_quoted_when_needed(void) {
    CHECK_STR(log_q("127.0.0.1"), "127.0.0.1");
    CHECK_STR(log_q(""), "\"\"");
    CHECK_STR(log_q(NULL), "\"\"");
    CHECK_STR(log_q("a b"), "\"a b\"");
    CHECK_STR(log_q("k=v"), "\"k=v\"");
    CHECK_STR(log_q("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    CHECK_STR(log_q("two\nlines\t\x01"), "\"two\\nlines\\t\\x01\"");
    /* A forged line can not start inside a value. */
    reset();
    log_info("msg with \"quotes\"", "v=%s", log_q("x\nts=0 level=error msg=forged"));
    CHECK_EQ(lines, 1);
    CHECK(strchr(out, '\n') == out + outlen - 1);
    CHECK(strstr(out, "msg=\"msg with \\\"quotes\\\"\"") != NULL);
    /* Long values are cut, the line stays one line. */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(strlen(log_q(big)) <= LOG_Q_MAX + 3);
    reset();
    log_info("long", "a=%s b=%s c=%s", big, big, big);
    CHECK_EQ(lines, 1);
    CHECK(outlen <= LOG_LINE_MAX);
    CHECK(strcmp(out + outlen - 4, "...\n") == 0);
}

/* One call site (one place in the code) logging the same failure. */
static void accept_failed(void) { log_error("accept failed", "errno=%d", 24); }

/* One site flooding: LOG_BURST lines, then nothing until a token is back;
 * the next line says how many were not written. */
static void a_flood_is_cut_and_counted(void) {
    reset();
    int64_t before = log_suppressed_total();
    for (int i = 0; i < 100000; i++) accept_failed();
    CHECK_EQ(lines, LOG_BURST);
    CHECK_EQ(log_suppressed_total() - before, 100000 - LOG_BURST);
    clock_ms += LOG_EVERY_MS / 2;
    for (int i = 0; i < 10; i++) accept_failed();
    CHECK_EQ(lines, LOG_BURST);   /* half a token: still quiet */
    clock_ms += LOG_EVERY_MS / 2;
    accept_failed();
    CHECK_EQ(lines, LOG_BURST + 1);
    char b[512], want[64];
    snprintf(want, sizeof want, "errno=24 repeated=%d", 100000 - LOG_BURST + 10);
    CHECK(strstr(line_at(LOG_BURST, b, sizeof b), want) != NULL);
    /* Fair again after a quiet while: a burst is allowed. */
    reset();
    clock_ms += (int64_t)LOG_EVERY_MS * LOG_BURST;
    for (int i = 0; i < LOG_BURST; i++) accept_failed();
    CHECK_EQ(lines, LOG_BURST);
    CHECK(strstr(out, "repeated") == NULL);
    clock_ms += LOG_EVERY_MS * 100;
}

/* Two sites have their own budgets: one flooding does not silence the other. */
static void sites_are_apart(void) {
    reset();
    for (int i = 0; i < 1000; i++) log_warn("site a", "i=%d", i);
    log_warn("site b", "i=%d", 1);
    CHECK_EQ(lines, LOG_BURST + 1);
    CHECK(strstr(out, "msg=\"site b\" i=1") != NULL);
    clock_ms += LOG_EVERY_MS * 100;
}

/* A site that went quiet still gets its count said: at the next line
 * from anywhere after LOG_EVERY_MS, or at log_flush. */
static void quiet_sites_are_summed_up(void) {
    reset();
    for (int i = 0; i < LOG_BURST + 7; i++) log_warn("wrong key", "from=%s", "10.0.0.1");   /* one site */
    CHECK_EQ(lines, LOG_BURST);
    log_flush();
    CHECK_EQ(lines, LOG_BURST + 1);
    char b[512];
    CHECK(strstr(line_at(LOG_BURST, b, sizeof b), "level=warn msg=\"wrong key\" repeated=7") != NULL);
    log_flush();
    CHECK_EQ(lines, LOG_BURST + 1);   /* said once */

    reset();
    for (int i = 0; i < 3 * LOG_BURST; i++) log_warn("osc refused", "n=%d", i);
    clock_ms += 1000;
    log_info("another site", "x=%d", 1);         /* too soon: nothing owed is said */
    CHECK_EQ(lines, LOG_BURST + 1);
    clock_ms += LOG_EVERY_MS;
    log_info("another site", "x=%d", 2);
    CHECK_EQ(lines, LOG_BURST + 3);
    CHECK(strstr(line_at(LOG_BURST + 2, b, sizeof b), "msg=\"osc refused\" repeated=20") != NULL);
    clock_ms += LOG_EVERY_MS * 100;
}

static void levels_filter(void) {
    reset();
    log_debug("noise", "x=%d", 1);
    CHECK_EQ(lines, 0);   /* info by default */
    CHECK_EQ(log_set_level("warn"), 0);
    log_info("info line", "x=%d", 1);
    log_warn("warn line", "x=%d", 1);
    CHECK_EQ(lines, 1);
    CHECK_EQ(log_set_level("loud"), -1);
    CHECK_EQ(log_set_level("debug"), 0);
    log_debug("noise", "x=%d", 2);
    CHECK_EQ(lines, 2);
    CHECK(strstr(out, "level=debug msg=\"noise\" x=2") != NULL);
    CHECK_EQ(log_set_level("info"), 0);
}

int main(void) {
    log_set_sink(sink, NULL);
    log_set_clock(fake_now);
    TEST(one_line_in_logfmt);
    TEST(values_are_quoted_when_needed);
    TEST(a_flood_is_cut_and_counted);
    TEST(sites_are_apart);
    TEST(quiet_sites_are_summed_up);
    TEST(levels_filter);
    return T_DONE();
}
