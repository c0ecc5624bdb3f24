/* ltest.h -- self-test of chorus-load's pure modules (lcodec, lstats)
 * against dumb references; `chorus-load --self-test`. */
#ifndef CHORUS_LTEST_H
#define CHORUS_LTEST_H

#include <stdio.h>

/* Runs every check, prints failures and a "self-test: N passed, N failed"
 * line to out. Returns 0 when all passed, -1 otherwise. */
int ltest_run(FILE *out);

#endif
