/* lflood.c -- see lflood.h. */
#include "lflood.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_SRC "127.0.3.1"

enum { FS_CONNECTING = 1, FS_SENT = 2, FS_ANSWERED = 4 };

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One non-blocking connect from FLOOD_SRC; the fd, or -1. */
static int open_one(const struct lopts *o)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
    inet_pton(AF_INET, FLOOD_SRC, &src.sin_addr);
    inet_pton(AF_INET, o->host, &dst.sin_addr);
    dst.sin_port = htons((uint16_t)o->port);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) ||
        (connect(fd, (struct sockaddr *)&dst, sizeof dst) && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

int lflood_run(const struct lopts *o, int64_t start_ms, int64_t end_ms, struct lflood_stats *st)
{
    memset(st, 0, sizeof *st);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    uint8_t *state = calloc(65536, 1);     /* by fd */
    if (!state) {
        close(ep);
        return -1;
    }
    char req[400];
    int reqlen = snprintf(req, sizeof req,
                          "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: chorus.v1\r\n\r\n", o->path, o->host, o->port);
    int64_t t = mono_ms(), begin = start_ms + (int64_t)(o->flood_at * 1000), last = begin;
    while (t < begin) {
        usleep(20000);
        t = mono_ms();
    }
    int open_now = 0;
    double budget = 0;
    struct epoll_event evs[512];
    while ((t = mono_ms()) < end_ms) {
        budget += (double)(t - last) * o->flood_rate / 1000.0;
        if (budget > o->flood_rate / 10.0)
            budget = o->flood_rate / 10.0;
        last = t;
        while (open_now < o->flood && budget >= 1) {
            budget -= 1;
            int fd = open_one(o);
            if (fd < 0 || fd >= 65536) {
                if (fd >= 0)
                    close(fd);
                st->failed++;
                break;
            }
            struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.fd = fd };
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            state[fd] = FS_CONNECTING;
            open_now++;
        }
        if (open_now > st->open_max)
            st->open_max = open_now;
        int n = epoll_wait(ep, evs, 512, 10);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint32_t e = evs[i].events;
            if (state[fd] == FS_CONNECTING && (e & EPOLLOUT) && !(e & (EPOLLERR | EPOLLHUP))) {
                state[fd] = FS_SENT;
                e &= ~(uint32_t)EPOLLIN;
                st->opened++;
                if (send(fd, req, (size_t)reqlen, MSG_NOSIGNAL) != reqlen)
                    e |= EPOLLHUP;
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            }
            if (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
                /* Never read what the hub says while it keeps the socket
                 * open: only notice that it closed it. */
                if (!(e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
                    /* An answer (the 101), the socket still open: from
                     * now on wait only for the hub to close it. */
                    state[fd] |= FS_ANSWERED;
                    struct epoll_event ev = { .events = EPOLLRDHUP, .data.fd = fd };
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                    continue;
                }
                char b[1];
                if (recv(fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT) > 0)
                    state[fd] |= FS_ANSWERED;
                if (state[fd] & FS_SENT) {
                    st->closed_by_hub++;
                    if (state[fd] & FS_ANSWERED)
                        st->answered++;
                } else {
                    st->failed++;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                state[fd] = 0;
                open_now--;
            }
        }
    }
    for (int fd = 0; fd < 65536; fd++)
        if (state[fd])
            close(fd);
    free(state);
    close(ep);
    return 0;
}
