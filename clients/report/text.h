/* text.h -- a short plain-text summary of a report, for a terminal. */
#ifndef CHORUS_REPORT_TEXT_H
#define CHORUS_REPORT_TEXT_H

#include <stdio.h>
#include <jansson.h>

/* Print the headline figures of one report to f. */
void text_report(FILE *f, const json_t *rep);

/* Print a --compare object ({"events":[headline...]}) as a table to f. */
void text_compare(FILE *f, const json_t *cmp);

#endif
