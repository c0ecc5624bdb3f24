/* html.h -- renders a report as one self-contained HTML page.
 *
 * The page holds its data, its CSS and the chart library (Chart.js, built
 * into the binary from clients/report/node_modules) inline: it opens offline
 * and prints on A4/Letter. */
#ifndef CHORUS_REPORT_HTML_H
#define CHORUS_REPORT_HTML_H

#include <stdio.h>
#include <jansson.h>

/* Write the page for one event's report (report_build() output) to f.
 * Returns 0, or -1 if a write failed. */
int html_report(FILE *f, const json_t *rep);

/* Write the side-by-side page for a --compare object
 * ({"format", "events": [report_headline() + "db"]}) to f. Returns 0 or -1. */
int html_compare(FILE *f, const json_t *cmp);

#endif
