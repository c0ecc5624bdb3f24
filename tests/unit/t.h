/* t.h -- a tiny test harness: named tests, checks that print both values
 * on failure, and a closing "N passed, N failed" line. */
#ifndef CHORUS_T_H
#define CHORUS_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;
static const char *t_name;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, t_name, #cond); t_cur_failed = 1; } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
    fprintf(stderr, "  %s:%d: %s: %s == %s: got %lld, want %lld\n", __FILE__, __LINE__, t_name, #a, #b, _a, _b); \
    t_cur_failed = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); if (!_a || !_b || strcmp(_a, _b)) { \
    fprintf(stderr, "  %s:%d: %s: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, t_name, #a, \
            _a ? _a : "(null)", _b ? _b : "(null)"); t_cur_failed = 1; } } while (0)

#define TEST(fn) do { t_name = #fn; t_cur_failed = 0; fn(); \
    if (t_cur_failed) { t_fail++; printf("not ok - %s\n", #fn); } else { t_pass++; printf("ok - %s\n", #fn); } } while (0)

#define T_DONE() (printf("%d passed, %d failed\n", t_pass, t_fail), t_fail ? 1 : 0)

#endif
