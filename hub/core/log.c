/* log.c -- logfmt lines with a rate limit per call site (see log.h).
 *
 * Each site has a token bucket: LOG_BURST tokens, one back every
 * LOG_EVERY_MS. A line costs a token; without one it is counted in the
 * site's `suppressed`. Sites register themselves in one list the first time
 * they log, so the counts of a site that went quiet can still be said (at
 * the next line anywhere, or log_flush). The list only grows, by the
 * number of log call sites in the program.
 *
 * Everything runs under one mutex: lines are rare by construction, and a
 * line must not interleave with another thread's. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "util.h"

static const char *const level_names[LOG_LEVEL_COUNT] = {"debug", "info", "warn", "error"};

static struct {
    pthread_mutex_t mu;
    enum log_level min;
    void (*sink)(void *arg, const char *line, size_t len);
    void *sink_arg;
    int64_t (*now_ms)(void);
    struct log_site *sites;
    int64_t suppressed_total;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .min = LOG_INFO};

const char *log_level_name(enum log_level lvl) {
    return (unsigned)lvl < LOG_LEVEL_COUNT ? level_names[lvl] : "info";
}

int log_set_level(const char *name) {
    for (int i = 0; i < LOG_LEVEL_COUNT; i++)
        if (name && !strcmp(name, level_names[i])) {
            pthread_mutex_lock(&L.mu);
            L.min = (enum log_level)i;
            pthread_mutex_unlock(&L.mu);
            return 0;
        }
    return -1;
}

void log_set_sink(void (*sink)(void *arg, const char *line, size_t len), void *arg) {
    pthread_mutex_lock(&L.mu);
    L.sink = sink;
    L.sink_arg = arg;
    pthread_mutex_unlock(&L.mu);
}

void log_set_clock(int64_t (*now_ms)(void)) {
    pthread_mutex_lock(&L.mu);
    L.now_ms = now_ms;
    pthread_mutex_unlock(&L.mu);
}

int64_t log_suppressed_total(void) {
    pthread_mutex_lock(&L.mu);
    int64_t n = L.suppressed_total;
    pthread_mutex_unlock(&L.mu);
    return n;
}

/* A value needs quotes when it is empty or holds a space, '=', '"', a
 * backslash or a control byte. */
static int needs_quotes(const char *s) {
    if (!*s) return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f) return 1;
    return 0;
}

/* s quoted and escaped into out (cap > 8), cut at LOG_Q_MAX bytes of s. */
static void quote(const char *s, char *out, size_t cap) {
    size_t o = 0, used = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 6 < cap; p++, used++) {
        if (used >= LOG_Q_MAX) { memcpy(out + o, "...", 3); o += 3; break; }
        if (*p == '"' || *p == '\\') { out[o++] = '\\'; out[o++] = (char)*p; }
        else if (*p == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (*p == '\t') { out[o++] = '\\'; out[o++] = 't'; }
        else if (*p < ' ' || *p == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        else out[o++] = (char)*p;
    }
    out[o++] = '"';
    out[o] = 0;
}

const char *log_q(const char *s) {
    static _Thread_local char ring[8][2 * LOG_Q_MAX + 16];
    static _Thread_local unsigned next;
    char *out = ring[next++ % 8];
    if (!s) s = "";
    if (needs_quotes(s)) quote(s, out, sizeof ring[0]);
    else snprintf(out, sizeof ring[0], "%.*s", LOG_Q_MAX, s);
    return out;
}

static int64_t now_ms(void) { return L.now_ms ? L.now_ms() : util_now_ms(); }

static void emit(const char *line, size_t len) {
    if (L.sink) { L.sink(L.sink_arg, line, len); return; }
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;   /* nowhere to report a failed log write */
}

/* "ts=... level=... msg=..." into buf; returns its length. */
static size_t head(char *buf, size_t cap, int64_t now, enum log_level lvl, const char *msg) {
    time_t sec = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char q[2 * LOG_Q_MAX + 16];
    quote(msg, q, sizeof q);
    int n = snprintf(buf, cap, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s msg=%s", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now % 1000),
                     log_level_name(lvl), q);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Close the line: cut it to fit with "...", end it with a newline. */
static size_t finish(char *buf, size_t n) {
    if (n > LOG_LINE_MAX - 2) { n = LOG_LINE_MAX - 5; memcpy(buf + n, "...", 3); n += 3; }
    buf[n++] = '\n';
    buf[n] = 0;
    return n;
}

/* Lines the quiet sites owe: their counts, each on a line of its own. */
static void say_owed(int64_t now, int all) {
    for (struct log_site *s = L.sites; s; s = s->next) {
        if (!s->suppressed || (!all && now - s->last_ms < LOG_EVERY_MS)) continue;
        char buf[LOG_LINE_MAX + 8];
        size_t n = head(buf, sizeof buf, now, s->level, s->msg ? s->msg : "");
        n += (size_t)snprintf(buf + n, sizeof buf - n, " repeated=%lld", (long long)s->suppressed);
        n = finish(buf, n < sizeof buf - 8 ? n : sizeof buf - 8);
        emit(buf, n);
        s->suppressed = 0;
        s->last_ms = now;
    }
}

/* Take a token from site's bucket: 1 when the line may be written. */
static int take(struct log_site *site, int64_t now) {
    if (!site->registered) {
        site->registered = 1;
        site->tokens = LOG_BURST;
        site->refill_ms = now;
        site->next = L.sites;
        L.sites = site;
    }
    if (now > site->refill_ms) {
        site->tokens += (double)(now - site->refill_ms) / LOG_EVERY_MS;
        if (site->tokens > LOG_BURST) site->tokens = LOG_BURST;
        site->refill_ms = now;
    }
    if (site->tokens < 1) return 0;
    site->tokens -= 1;
    return 1;
}

void log_write(struct log_site *site, enum log_level lvl, const char *msg, const char *fmt, ...) {
    pthread_mutex_lock(&L.mu);
    if (lvl < L.min) { pthread_mutex_unlock(&L.mu); return; }
    int64_t now = now_ms();
    site->msg = msg;
    site->level = lvl;
    if (!take(site, now)) {
        site->suppressed++;
        L.suppressed_total++;
        pthread_mutex_unlock(&L.mu);
        return;
    }
    char buf[LOG_LINE_MAX + 8];
    size_t n = head(buf, sizeof buf, now, lvl, msg);
    if (fmt && strcmp(fmt, "-") != 0 && n + 1 < sizeof buf) {
        buf[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
        va_end(ap);
        if (k > 0) n += (size_t)k < sizeof buf - n ? (size_t)k : sizeof buf - n - 1;
        else n--;
    }
    if (site->suppressed && n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " repeated=%lld", (long long)site->suppressed);
    site->suppressed = 0;
    site->last_ms = now;
    n = finish(buf, n < sizeof buf - 8 ? n : sizeof buf - 8);
    emit(buf, n);
    say_owed(now, 0);
    pthread_mutex_unlock(&L.mu);
}

void log_flush(void) {
    pthread_mutex_lock(&L.mu);
    say_owed(now_ms(), 1);
    pthread_mutex_unlock(&L.mu);
}
