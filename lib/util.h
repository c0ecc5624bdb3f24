/* util.h -- tiny helpers shared by the hub and its clients: clocks, a
 * string hash and the refcounted outgoing message buffer. Header-only, no
 * state. */
#ifndef CHORUS_UTIL_H
#define CHORUS_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Wall-clock milliseconds since the Unix epoch (protocol time). */
static inline int64_t util_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic milliseconds, for timeouts and rates. */
static inline int64_t util_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 32-bit FNV-1a of a NUL-terminated string: table indexes, never security. */
static inline uint32_t util_hash_str(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (uint8_t)*s++; h *= 16777619u; }
    return h;
}

/* Read up to n decimal integers separated by `sep` from s into out.
 * Returns how many were read: it stops at the first that is not a whole
 * number in range, or at the end of s. */
static inline int util_ints(const char *s, char sep, int64_t *out, int n) {
    int k = 0;
    while (s && k < n) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno) break;
        out[k++] = v;
        if (!*end || *end != sep) break;
        s = end + 1;
    }
    return k;
}

/* Bytes reserved in front of every encoded message so the network layer can
 * write its frame header in place (libwebsockets' LWS_PRE; hub/io/net.c checks
 * that LWS_PRE fits). */
#define MSG_HEADROOM 32

/* An encoded message ready to send: payload at data + MSG_HEADROOM, len
 * bytes. Shared by every connection it is queued on (refs); freed by the
 * last msg_unref(). */
struct msg {
    uint32_t refs;
    uint32_t len;
    uint8_t data[];
};

static inline void msg_ref(struct msg *m) { m->refs++; }
static inline void msg_unref(struct msg *m) {
    if (m && --m->refs == 0) free(m);
}
static inline const uint8_t *msg_payload(const struct msg *m) { return m->data + MSG_HEADROOM; }

#endif
