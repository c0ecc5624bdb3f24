/* lreport.h -- what chorus-load does with its figures: the hub's process
 * figures from /proc, the database check of acked votes, the table and the
 * JSON file. */
#ifndef CHORUS_LREPORT_H
#define CHORUS_LREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lopts.h"
#include "lstats.h"

/* The hub process over the run (all zero when no --hub-pid). */
struct lreport_hub {
    int pid, ok;
    long rss_kb_base, rss_kb_connected, rss_kb_max, rss_kb_end;
    double cpu_pct_measure, cpu_pct_max_1s, cpu_s_measure;
    double cpu_s_connect;        /* hub CPU while everyone connected */
    double load_cpu_s;           /* chorus-load's own CPU, all processes */
    double machine_cpu_pct;      /* all processes during the load, 100 = one core */
};

/* CPU seconds the whole machine has spent busy and in total (all cores)
 * since boot, from /proc/stat. Returns 0, or -1. */
int lreport_machine_cpu(double *busy_s, double *total_s);

/* Reads utime+stime (seconds) and VmRSS (KiB) of pid. Returns 0, or -1
 * when the process is gone or /proc is unreadable. */
int lreport_proc_sample(int pid, double *cpu_s, long *rss_kb);

struct lreport_db {
    int checked;             /* 0: no --db */
    uint64_t votes, missing, wrong;
    char err[160];           /* "" unless the database could not be read */
};

/* Checks each vote record against the votes table: a record with an acked
 * option must be present with that option, or with one sent after it.
 * Returns 0 (results in *out), -1 when the database can not be read (the
 * reason in out->err). */
int lreport_db_check(const char *path, const struct lstats_vote *v, size_t n,
                     struct lreport_db *out);

void lreport_table(FILE *f, const struct lopts *o, const struct lstats_run *r,
                   const struct lreport_hub *h, const struct lreport_db *db);

/* Writes every figure to path. Returns 0, -1 when the file can not be
 * written. */
int lreport_json(const char *path, const struct lopts *o, const struct lstats_run *r,
                 const struct lreport_hub *h, const struct lreport_db *db, int exit_code,
                 const char *verdict);

#endif
