/* lopts.h -- chorus-load's command line and the event file it reads.
 *
 * lopts_parse() checks every argument (ranges, loopback-only target,
 * per-process connection limit) and reads the event file for the event
 * code, role keys, reactions and sections. */
#ifndef CHORUS_LOPTS_H
#define CHORUS_LOPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOPTS_MAX_SECTIONS 64
#define LOPTS_MAX_REACTIONS 32
/* One process may not open more than 20,000 files here. */
#define LOPTS_MAX_CONNS_PER_PROC 19900
#define LOPTS_MAX_SRC 256

struct lopts {
    /* target */
    char host[64];               /* dotted IPv4 in 127.0.0.0/8 */
    int port;
    char path[128];
    /* event file */
    char event_code[64];
    char key_screen[128], key_crew[128];
    char *sections[LOPTS_MAX_SECTIONS];
    int nsections;
    char *reactions[LOPTS_MAX_REACTIONS];   /* without the probe kind */
    int nreactions;
    char probe_kind[64];
    /* crowd */
    int devices, screens, procs;
    double connect_rate;         /* connects per second, all processes */
    int max_pending;             /* handshakes in flight per process */
    double duration;             /* measure phase, seconds */
    double connect_timeout;
    double react_rate;           /* taps/s per device; flood when < 0 */
    double chant_rate;           /* chants/s per device */
    double probe_rate;           /* probe reactions/s */
    /* polls (crew) */
    int polls;
    double poll_at, poll_every, poll_len;
    int poll_options, allow_change;
    double vote_share, vote_within;
    /* storm */
    double storm_at, storm_window;
    /* flood: connections from 127.0.3.1 that never say hello (lflood.h) */
    int flood;
    double flood_at, flood_rate;
    /* sources */
    int nsrc;
    uint32_t src_base;           /* host order */
    /* outputs */
    int hub_pid;
    char *json_path, *db_path;
    long max_failed;
    int quiet;
};

/* Parse argv into *o. Returns 0, or -1 with a one-line reason in err
 * (the caller prints it and exits 2); 1 when --help was printed. */
int lopts_parse(struct lopts *o, int argc, char **argv, char *err, size_t errlen);
void lopts_usage(FILE *f);
void lopts_free(struct lopts *o);

#endif
