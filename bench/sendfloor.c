/* sendfloor.c -- the floor under the hub's cost per delivery on this machine
 * (`make bench-sendfloor`).
 *
 * The fanout scenario charges the hub for each snapshot it delivers over
 * loopback. Part of that is not the hub's doing: on loopback the kernel runs
 * the receiver's half of TCP (ip_rcv, tcp_v4_rcv, the wake-up of the reading
 * process) inside the sender's send(). This program measures that floor with
 * nothing of the hub in it: CONNS loopback TCP connections, a child process
 * that only reads them (epoll, 64 KB reads, no decoding), and a parent that
 * sends one BYTES-byte frame to every connection HZ times a second, either
 * with one non-blocking send() each (MODE send: the hub's --no-io-uring) or
 * gathered into an io_uring, TXRING_BATCH per system call (MODE uring: the
 * hub's default, hub/io/txring.c). It prints the sender's CPU (user +
 * system, getrusage) per send and the whole machine's (/proc/stat, all
 * processes: the reader, and the kernel's work wherever it ran).
 *
 *   sendfloor [CONNS [BYTES [HZ [SECONDS [send|uring]]]]]
 *   (defaults 9000 200 10 8 send)
 *
 * Speed is measured here, never asserted in a test. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#define BATCH 1024   /* as hub/io/txring.h's TXRING_BATCH */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* All CPUs' busy time so far, in seconds (/proc/stat: all but idle and iowait). */
static double machine_busy_s(void) {
    unsigned long long v[10] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (k < 8) return 0;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* The reader: drain every connection until all are closed. */
static void reader(const int *fds, int n) {
    int ep = epoll_create1(0), open = n;
    static char buf[65536];
    if (ep < 0) die("epoll_create1");
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
    }
    while (open > 0) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int i = 0; i < k; i++) {
            ssize_t r = read(evs[i].data.fd, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
                close(evs[i].data.fd);
                open--;
            }
        }
    }
    exit(0);
}

/* One round: frame to every connection; counts whole writes in *sent. */
static void round_send(const int *tx, int conns, const char *frame, int bytes, long *sent, long *short_) {
    for (int i = 0; i < conns; i++) {
        ssize_t w = send(tx[i], frame, (size_t)bytes, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w == bytes) (*sent)++;
        else (*short_)++;
    }
}

static void round_uring(struct io_uring *ring, const int *tx, int conns, const char *frame, int bytes, long *sent,
                        long *short_) {
    for (int i = 0; i < conns;) {
        unsigned batch = 0;
        for (; i < conns && batch < BATCH; i++, batch++)
            io_uring_prep_send(io_uring_get_sqe(ring), tx[i], frame, (size_t)bytes, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (io_uring_submit_and_wait(ring, batch) < 0) die("io_uring_submit_and_wait");
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            if (cqe->res == bytes) (*sent)++;
            else (*short_)++;
            seen++;
        }
        io_uring_cq_advance(ring, seen);
    }
}

int main(int argc, char **argv) {
    int conns = argc > 1 ? atoi(argv[1]) : 9000, bytes = argc > 2 ? atoi(argv[2]) : 200;
    int hz = argc > 3 ? atoi(argv[3]) : 10, secs = argc > 4 ? atoi(argv[4]) : 8;
    const char *mode = argc > 5 ? argv[5] : "send";
    int uring = !strcmp(mode, "uring");
    if (conns < 1 || conns > 9500 || bytes < 2 || bytes > 65536 || hz < 1 || hz > 1000 || secs < 1 ||
        (!uring && strcmp(mode, "send"))) {
        fprintf(stderr, "usage: sendfloor [CONNS<=9500 [BYTES [HZ [SECONDS [send|uring]]]]]\n");
        return 2;
    }
    int *tx = calloc((size_t)conns, sizeof *tx), *rx = calloc((size_t)conns, sizeof *rx);
    char *frame = malloc((size_t)bytes);
    if (!tx || !rx || !frame) die("malloc");
    memset(frame, 'x', (size_t)bytes);
    frame[0] = (char)0x82; /* a binary WebSocket frame, as the hub sends */

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) < 0)
        die("listen");
    for (int i = 0; i < conns; i++) {
        rx[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (rx[i] < 0 || connect(rx[i], (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        tx[i] = accept(ls, NULL, NULL);
        if (tx[i] < 0) die("accept");
        setsockopt(tx[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    close(ls);
    pid_t kid = fork();
    if (kid < 0) die("fork");
    if (kid == 0) {
        for (int i = 0; i < conns; i++) close(tx[i]);
        reader(rx, conns);
    }
    for (int i = 0; i < conns; i++) close(rx[i]);
    struct io_uring ring;
    if (uring) {
        int rc = io_uring_queue_init(BATCH, &ring, 0);
        if (rc < 0) {
            fprintf(stderr, "sendfloor: io_uring: %s\n", strerror(-rc));
            return 1;
        }
    }

    long sent = 0, short_ = 0;
    double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF), m0 = machine_busy_s(), next = t0;
    while (now_s() - t0 < secs) {
        if (uring) round_uring(&ring, tx, conns, frame, bytes, &sent, &short_);
        else round_send(tx, conns, frame, bytes, &sent, &short_);
        next += 1.0 / hz;
        double d = next - now_s();
        if (d > 0) {
            struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
            nanosleep(&ts, NULL);
        } else next = now_s();
    }
    double wall = now_s() - t0, cpu = cpu_s(RUSAGE_SELF) - c0, machine = machine_busy_s() - m0;
    if (uring) io_uring_queue_exit(&ring);   /* its requests hold the sockets */
    for (int i = 0; i < conns; i++) close(tx[i]);
    int st;
    waitpid(kid, &st, 0);
    double per = sent ? (double)sent : 1;
    printf("%s: %d conns, %d B frames, %d Hz, %.1f s: %.0f sends/s (%ld not whole)\n", mode, conns, bytes, hz, wall,
           (double)sent / wall, short_);
    printf("%s: sender CPU per send %.2f us (%.0f%% of a core); reader %.2f us; machine %.2f us\n", mode,
           cpu * 1e6 / per, cpu * 100 / wall, cpu_s(RUSAGE_CHILDREN) * 1e6 / per, machine * 1e6 / per);
    return 0;
}
