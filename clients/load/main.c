/* main.c -- chorus-load: play a stadium crowd against a Chorus hub on this
 * machine and measure it.
 *
 * The parent forks --procs children (one process may hold at most ~19,900
 * connections here), each running lcrowd_run() on its share of the
 * devices, plus child 0, the observer, which plays only the screens, the
 * crew and the probe: its loop is never busy with the crowd, so the
 * latencies it measures are the hub's. While
 * they run, the parent samples the hub's /proc figures; each child sends
 * 'C' (connected), 'D' (load over) and then 'R' + its figures and vote
 * records down a pipe, and the parent adds them up, checks the database
 * and reports. */
#include "lcrowd.h"
#include "lflood.h"
#include "lopts.h"
#include "lreport.h"
#include "lstats.h"
#include "ltest.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_full(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_full(int fd, void *p, size_t n)
{
    char *b = p;
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void child_phase(char what, void *arg)
{
    write_full(*(int *)arg, &what, 1);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The flood child (--flood, the last one): connected at once; floods from
 * the go until the load ends. Reports its figures like the others. */
static void flood_child(const struct lopts *o, int fd, int go_fd)
{
    struct lstats_run r;
    struct lflood_stats st;
    char tag = 'C', go;
    lstats_run_init(&r);
    int rc = write_full(fd, &tag, 1) || read_full(go_fd, &go, 1);
    int64_t t0 = mono_ms();
    if (!rc && lflood_run(o, t0, t0 + (int64_t)(o->duration * 1000), &st) == 0) {
        r.flood_opened = st.opened;
        r.flood_closed = st.closed_by_hub;
        r.flood_answered = st.answered;
        r.flood_failed = st.failed;
        r.flood_open_max = (uint64_t)st.open_max;
    } else {
        rc = -1;
    }
    uint64_t n = 0;
    tag = 'R';
    if (rc == 0 && (write_full(fd, &tag, 1) || write_full(fd, &r, sizeof r) || write_full(fd, &n, sizeof n)))
        rc = -1;
    _exit(rc ? 3 : 0);
}

/* Child k: 0 is the observer, 1..procs share the devices. */
static void child(const struct lopts *o, int k, int fd, int go_fd)
{
    struct lcrowd_cfg cfg;
    struct lstats_run r;
    struct lstats_vote *votes = NULL;
    size_t nvotes = 0;
    int per = o->devices / o->procs, rem = o->devices % o->procs, j = k - 1;

    memset(&cfg, 0, sizeof cfg);
    cfg.o = o;
    cfg.proc = k;
    cfg.ndevices = k ? per + (j < rem) : 0;
    cfg.first_device = k ? o->screens + 2 + j * per + (j < rem ? j : rem) : 0;
    cfg.connect_rate = k ? o->connect_rate / o->procs : o->connect_rate;
    cfg.phase = child_phase;
    cfg.arg = &fd;
    cfg.go_fd = go_fd;
    lstats_run_init(&r);
    int rc = lcrowd_run(&cfg, &r, &votes, &nvotes);
    char tag = 'R';
    uint64_t n = nvotes;
    if (rc == 0 && (write_full(fd, &tag, 1) || write_full(fd, &r, sizeof r) ||
                    write_full(fd, &n, sizeof n) ||
                    (n && write_full(fd, votes, n * sizeof *votes))))
        rc = -1;
    free(votes);
    _exit(rc ? 3 : 0);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct lopts o;
    char err[256];
    if (argc == 2 && strcmp(argv[1], "--self-test") == 0)
        return ltest_run(stdout) ? 1 : 0;
    int rc = lopts_parse(&o, argc, argv, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc) {
        fprintf(stderr, "chorus-load: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct lreport_hub hub;
    memset(&hub, 0, sizeof hub);
    double cpu_prev = 0, cpu_conn = 0, t_prev = 0, t_conn = 0, cpu_start = 0;
    double m_busy0 = 0, m_all0 = 0, m_busy1, m_all1;
    if (o.hub_pid) {
        hub.pid = o.hub_pid;
        if (lreport_proc_sample(o.hub_pid, &cpu_prev, &hub.rss_kb_base) == 0) {
            hub.ok = 1;
            hub.rss_kb_max = hub.rss_kb_connected = hub.rss_kb_end = hub.rss_kb_base;
            cpu_start = cpu_prev;
        } else {
            fprintf(stderr, "chorus-load: --hub-pid %d: no such process\n", o.hub_pid);
            lopts_free(&o);
            return 2;
        }
        t_prev = mono_s();
    }

    int K = o.procs + 1 + (o.flood > 0);   /* observer, crowd, flood */
    int fds[65], gos[65];
    pid_t pids[65];
    for (int k = 0; k < K; k++) {
        int p[2], g[2];
        if (pipe(p) || pipe(g)) {
            perror("chorus-load: pipe");
            return 1;
        }
        fflush(NULL);
        pids[k] = fork();
        if (pids[k] < 0) {
            perror("chorus-load: fork");
            return 1;
        }
        if (pids[k] == 0) {
            close(p[0]);
            close(g[1]);
            for (int j = 0; j < k; j++) {
                close(fds[j]);
                close(gos[j]);
            }
            if (o.flood > 0 && k == K - 1)
                flood_child(&o, p[1], g[0]);
            child(&o, k, p[1], g[0]);
        }
        close(p[1]);
        close(g[0]);
        fds[k] = p[0];
        gos[k] = g[1];
    }

    struct lstats_run total;
    lstats_run_init(&total);
    struct lstats_vote *votes = NULL;
    size_t nvotes = 0;
    int ncon = 0, ndone = 0, nres = 0, open_fds = K, broken = 0;
    int done_fd[65] = { 0 };
    while (open_fds > 0) {
        struct pollfd pf[65];
        for (int k = 0; k < K; k++) {
            pf[k].fd = done_fd[k] ? -1 : fds[k];
            pf[k].events = POLLIN;
        }
        int n = poll(pf, (nfds_t)K, 1000);
        double t = mono_s();
        if (hub.ok && t - t_prev >= 0.99) {       /* 1 s samples of the hub */
            double cpu;
            long rss;
            if (lreport_proc_sample(o.hub_pid, &cpu, &rss) == 0) {
                double pct = (cpu - cpu_prev) / (t - t_prev) * 100;
                if (ncon == K && ndone == 0 && pct > hub.cpu_pct_max_1s)
                    hub.cpu_pct_max_1s = pct;
                if (rss > hub.rss_kb_max)
                    hub.rss_kb_max = rss;
                cpu_prev = cpu;
                t_prev = t;
            }
        }
        if (n <= 0)
            continue;
        for (int k = 0; k < K; k++) {
            if (done_fd[k] || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char tag;
            if (read_full(fds[k], &tag, 1)) {
                done_fd[k] = 1;
                open_fds--;
                continue;
            }
            if (tag == 'C' || tag == 'D') {
                double cpu;
                long rss;
                int all = tag == 'C' ? ++ncon == K : ++ndone == 1;
                if (tag == 'C' && all) {
                    lreport_machine_cpu(&m_busy0, &m_all0);
                    for (int j = 0; j < K; j++)
                        write_full(gos[j], "G", 1);
                }
                if (tag == 'D' && all && m_all0 > 0 &&
                    lreport_machine_cpu(&m_busy1, &m_all1) == 0 && m_all1 > m_all0) {
                    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
                    hub.machine_cpu_pct = (m_busy1 - m_busy0) / (m_all1 - m_all0) *
                                          (double)(ncpu > 0 ? ncpu : 1) * 100;
                }
                if (all && hub.ok && lreport_proc_sample(o.hub_pid, &cpu, &rss) == 0) {
                    if (tag == 'C') {   /* everyone connected: start the load together */
                        cpu_conn = cpu;
                        hub.cpu_s_connect = cpu - cpu_start;
                        t_conn = t;
                        hub.rss_kb_connected = rss;
                    } else {
                        hub.rss_kb_end = rss;
                        hub.cpu_s_measure = cpu - cpu_conn;
                        hub.cpu_pct_measure = t > t_conn ? (cpu - cpu_conn) / (t - t_conn) * 100 : 0;
                    }
                    if (rss > hub.rss_kb_max)
                        hub.rss_kb_max = rss;
                }
            } else if (tag == 'R') {
                struct lstats_run r;
                uint64_t nv;
                if (read_full(fds[k], &r, sizeof r) || read_full(fds[k], &nv, sizeof nv)) {
                    broken++;
                } else {
                    struct lstats_vote *v = realloc(votes, (nvotes + nv + 1) * sizeof *v);
                    if (!v || (nv && read_full(fds[k], v + nvotes, nv * sizeof *v))) {
                        broken++;
                        if (v)
                            votes = v;
                    } else {
                        votes = v;
                        nvotes += nv;
                        lstats_run_merge(&total, &r);
                        nres++;
                    }
                }
                done_fd[k] = 1;
                open_fds--;
            }
        }
    }
    for (int k = 0; k < K; k++) {
        int st;
        close(fds[k]);
        close(gos[k]);
        waitpid(pids[k], &st, 0);
    }
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        hub.load_cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (nres < K)
        fprintf(stderr, "chorus-load: %d of %d processes returned no figures\n", K - nres, K);

    struct lreport_db db;
    memset(&db, 0, sizeof db);
    if (o.db_path && lreport_db_check(o.db_path, votes, nvotes, &db))
        fprintf(stderr, "chorus-load: --db: %s\n", db.err);

    int code = 0;
    char verdict[200] = "ok";
    if (nres < K) {
        code = 1;
        snprintf(verdict, sizeof verdict, "%d processes failed", K - nres);
    } else if ((long)total.failed > o.max_failed) {
        code = 1;
        snprintf(verdict, sizeof verdict, "%llu failed connections (limit %ld)",
                 (unsigned long long)total.failed, o.max_failed);
    } else if (db.checked && (*db.err || db.missing || db.wrong)) {
        code = 1;
        snprintf(verdict, sizeof verdict, "acked votes not in the database: %llu missing, "
                 "%llu with another option%s", (unsigned long long)db.missing,
                 (unsigned long long)db.wrong, *db.err ? " (database unreadable)" : "");
    }
    lreport_table(stdout, &o, &total, &hub, &db);
    printf("%-14s %s\n", "verdict", verdict);
    if (o.json_path && lreport_json(o.json_path, &o, &total, &hub, &db, code, verdict)) {
        fprintf(stderr, "chorus-load: can not write %s\n", o.json_path);
        code = code ? code : 1;
    }
    (void)broken;
    free(votes);
    lopts_free(&o);
    return code;
}
