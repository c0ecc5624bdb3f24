/* log.h -- the hub's log: one line per event in logfmt on stderr,
 *
 *   ts=2026-12-01T20:15:03.123Z level=warn msg="store commit failed" records=12 error="disk I/O error"
 *
 * with a level, and every call site rate-limited on its own: a site writes
 * at most LOG_BURST lines at once, then one per LOG_EVERY_MS; what it did
 * not write is counted and said on its next line (`repeated=N`: N more
 * lines from this place since the previous one were not written), or, when
 * the site went quiet, on a line of its own at the next line logged
 * anywhere after LOG_EVERY_MS, or at log_flush (exit). So a flood of the
 * same failure (98,000 `accept` errors a second when file descriptors run
 * out) costs a line every few seconds, not hundreds of megabytes.
 *
 * Never log a secret: role keys, tokens and the token secret are not
 * values to pass here. msg is a string literal (the macros insist); the
 * key=value part is a printf format, and a free-text value goes through
 * log_q, which quotes and escapes it when logfmt needs it.
 *
 * Thread-safe (the store's writer thread logs too): one mutex around the
 * rate limiting and the write. Each line is written with one write(2).
 * The module's settings (level, sink, clock) are process-wide: a log is. */
#ifndef CHORUS_LOG_H
#define CHORUS_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_LEVEL_COUNT };

#define LOG_BURST     10      /* lines a call site may write at once */
#define LOG_EVERY_MS  5000    /* then one line per this, per call site */
#define LOG_LINE_MAX  1024    /* a longer line is cut, ending in "..." */
#define LOG_Q_MAX     400     /* a log_q value longer than this is cut */

/* One call site's rate limit (a static in the macros below; zero is the
 * initial state). Only log.c reads or writes its fields. */
struct log_site {
    const char *msg;            /* the site's msg (a literal), for its summary line */
    enum log_level level;
    double tokens;
    int64_t refill_ms, last_ms; /* last refill; last line written */
    int64_t suppressed;         /* lines not written since the last one */
    int registered;
    struct log_site *next;      /* every site that ever logged, for summaries */
};

/* Write one line from site (rate-limited) when lvl is at or above the
 * level set. fmt makes the key=value part; it may be "-" for none. */
__attribute__((format(printf, 4, 5)))
void log_write(struct log_site *site, enum log_level lvl, const char *msg, const char *fmt, ...);

#define LOG_AT(lvl, msg, ...) do { \
    static struct log_site log_site_; \
    log_write(&log_site_, (lvl), "" msg "", __VA_ARGS__); \
} while (0)
#define log_error(msg, ...) LOG_AT(LOG_ERROR, msg, __VA_ARGS__)
#define log_warn(msg, ...)  LOG_AT(LOG_WARN, msg, __VA_ARGS__)
#define log_info(msg, ...)  LOG_AT(LOG_INFO, msg, __VA_ARGS__)
#define log_debug(msg, ...) LOG_AT(LOG_DEBUG, msg, __VA_ARGS__)

/* s as a logfmt value: as it is when it needs no quotes, else in double
 * quotes with \" \\ \n \t escaped (other control bytes as \xNN). The result
 * lives in a per-thread ring of 8 buffers: valid for the next 7 calls on
 * this thread, enough for one log line. NULL gives "". */
const char *log_q(const char *s);

/* The lowest level written: "debug", "info" (the default), "warn" or
 * "error". Returns 0, or -1 for another name (nothing changes). */
int log_set_level(const char *name);
const char *log_level_name(enum log_level lvl);

/* Where lines go (NULL: stderr) and the wall clock in ms (NULL: the
 * system's), for tests. */
void log_set_sink(void (*sink)(void *arg, const char *line, size_t len), void *arg);
void log_set_clock(int64_t (*now_ms)(void));

/* Say the counts of every site that has lines not written (at exit). */
void log_flush(void);
/* Lines not written by the rate limits since the start (for /metrics). */
int64_t log_suppressed_total(void);

#endif
