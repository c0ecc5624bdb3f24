/* txring.h -- many sends in one system call (io_uring, liburing).
 *
 * The tick hands the same snapshot to thousands of phones. One send() per
 * phone costs a system call each; here the sends of a tick are gathered
 * (txring_add) and handed to the kernel together (txring_flush): one
 * io_uring_enter per TXRING_BATCH sends. Each send is non-blocking
 * (MSG_DONTWAIT, which io_uring honours: a full socket completes with
 * -EAGAIN instead of waiting), so every send has finished, whole, in part
 * or not at all, when txring_flush returns, and the caller learns each
 * outcome before anything else is written to that socket: the stream stays
 * in order exactly as with send().
 *
 * bench/sendfloor.c measures what this saves on loopback. Where io_uring is
 * missing or forbidden (an old kernel, kernel.io_uring_disabled, a
 * container's seccomp filter) txring_new returns NULL and the caller keeps
 * using send(). */
#ifndef CHORUS_TXRING_H
#define CHORUS_TXRING_H

#include <stddef.h>
#include <sys/types.h>

#define TXRING_BATCH 1024   /* sends per system call; the ring's size */

struct txring;

/* A ring, or NULL (with the reason in err) where io_uring can't be used. */
struct txring *txring_new(char *err, size_t errlen);
void txring_free(struct txring *r);

/* Gather a send of len bytes at buf to fd. buf must stay valid until the
 * flush; token comes back with the outcome. Returns 0, or -1 when the ring
 * is full (flush, then add again). */
int txring_add(struct txring *r, int fd, const void *buf, size_t len, void *token);

/* How many sends are gathered. */
unsigned txring_pending(const struct txring *r);

/* Send everything gathered and report each send's outcome, in the order
 * added: done(ctx, token, res) with res as send() would return it (bytes
 * written, or -errno). A send the kernel has not finished within a second
 * (never seen: non-blocking sends finish at once) is reported as -ETIME
 * and the ring is not used again (txring_broken): the caller must close
 * that connection, since those bytes may still go out later. */
void txring_flush(struct txring *r, void (*done)(void *ctx, void *token, ssize_t res), void *ctx);

/* 1 once a flush timed out: use send() from then on. */
int txring_broken(const struct txring *r);

#endif
