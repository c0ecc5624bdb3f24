/* txring.c -- many sends in one system call (io_uring). See txring.h. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <liburing.h>
#include "txring.h"

#define FLUSH_WAIT_NS 1000000000LL   /* a second: never reached by a non-blocking send */

struct txring {
    struct io_uring ring;
    unsigned n;                      /* gathered, not yet flushed */
    int broken;
    void *token[TXRING_BATCH];
    ssize_t res[TXRING_BATCH];
    unsigned char done[TXRING_BATCH];
};

struct txring *txring_new(char *err, size_t errlen) {
    struct txring *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = io_uring_queue_init(TXRING_BATCH, &r->ring, 0);
    if (rc < 0) {
        snprintf(err, errlen, "io_uring: %s", strerror(-rc));
        free(r);
        return NULL;
    }
    /* MSG_DONTWAIT must complete a full socket with -EAGAIN at once, and
     * waits need a timeout: IORING_FEAT_NODROP/EXT_ARG came with 5.5/5.11. */
    if (!(r->ring.features & IORING_FEAT_EXT_ARG)) {
        snprintf(err, errlen, "io_uring: this kernel is too old (needs 5.11)");
        io_uring_queue_exit(&r->ring);
        free(r);
        return NULL;
    }
    return r;
}

void txring_free(struct txring *r) {
    if (!r) return;
    assert(r->n == 0);
    io_uring_queue_exit(&r->ring);
    free(r);
}

int txring_add(struct txring *r, int fd, const void *buf, size_t len, void *token) {
    assert(!r->broken);
    if (r->n == TXRING_BATCH) return -1;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe) return -1;
    io_uring_prep_send(sqe, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, r->n);
    r->token[r->n] = token;
    r->done[r->n] = 0;
    r->n++;
    return 0;
}

unsigned txring_pending(const struct txring *r) { return r->n; }

int txring_broken(const struct txring *r) { return r->broken; }

/* Take every completion that is there; returns how many. */
static unsigned reap(struct txring *r) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
        uint64_t slot = io_uring_cqe_get_data64(cqe);
        assert(slot < r->n && !r->done[slot]);
        r->res[slot] = cqe->res;
        r->done[slot] = 1;
        seen++;
    }
    io_uring_cq_advance(&r->ring, seen);
    return seen;
}

void txring_flush(struct txring *r, void (*done)(void *ctx, void *token, ssize_t res), void *ctx) {
    if (r->n == 0) return;
    unsigned got = 0;
    int rc = io_uring_submit(&r->ring);
    if (rc < 0) {
        /* Nothing was taken (the ring's own resources): nothing written. The
         * queue left in the SQ ring would go out with the next submit, so
         * this ring is done with. */
        for (unsigned i = 0; i < r->n; i++) r->res[i] = rc, r->done[i] = 1;
        r->broken = 1;
        got = r->n;
    }
    struct __kernel_timespec ts = {.tv_sec = FLUSH_WAIT_NS / 1000000000LL, .tv_nsec = FLUSH_WAIT_NS % 1000000000LL};
    while (got < r->n) {
        got += reap(r);
        if (got == r->n) break;
        struct io_uring_cqe *cqe;
        int w = io_uring_wait_cqes(&r->ring, &cqe, r->n - got, &ts, NULL);
        if (w == -ETIME) {
            reap(r);   /* what finished meanwhile keeps its outcome */
            for (unsigned i = 0; i < r->n; i++)
                if (!r->done[i]) r->res[i] = -ETIME, r->done[i] = 1;
            r->broken = 1;
            break;
        }
        if (w < 0 && w != -EINTR && w != -EAGAIN) {
            for (unsigned i = 0; i < r->n; i++)
                if (!r->done[i]) r->res[i] = -ETIME, r->done[i] = 1;
            r->broken = 1;
            break;
        }
    }
    unsigned n = r->n;
    r->n = 0;
    for (unsigned i = 0; i < n; i++) done(ctx, r->token[i], r->res[i]);
}
