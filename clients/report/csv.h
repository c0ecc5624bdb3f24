/* csv.h -- writes a built report as CSV files (RFC 4180) into a directory. */
#ifndef CHORUS_REPORT_CSV_H
#define CHORUS_REPORT_CSV_H

#include <jansson.h>

/* Write timeline.csv, polls.csv, votes.csv, devices.csv, chants.csv and
 * mod_log.csv into `dir` (created if missing; existing files are replaced).
 * `rep` must have been built with REPORT_DETAIL. Returns 0, or -1 after
 * printing the reason on stderr (files written so far stay). */
int csv_write(const char *dir, const json_t *rep);

#endif
