#!/usr/bin/env bash
# 30-report.sh -- chorus-report: every figure against a known truth.
#  0. tests/report/test_report.c: report.c through its C API (threads,
#     the caller's transaction, error codes, schema v1, v2 and v3, three
#     hubs' databases merged), as the hub links it.
#  1. tests/report/check.mjs: databases written by tests/report/gen.c with a
#     scripted history (edge cases), chant moderation and the same crowd in a
#     v1 archive, co-creation ("Play it", schema v3) and the same crowd in a
#     v2 file, and a generated crowd; CSV, HTML, --compare and bad input.
#  1a. tests/report/cluster.mjs: one event served by 2 or 3 hubs (cluster
#     mode): the hubs' databases merged (repeated --db) against the same
#     crowd recorded by one hub, every figure, CSV file and the text, in
#     every order; 8 files; the refusals (another event, another schema
#     version, a file twice, too many); one --db as before (golden/).
#  1b. tests/report/print.mjs: the HTML printed on A4 in Debian's chromium
#     (nothing clipped, headers repeat, marker kinds in words); saves
#     tests/artifacts/report-print.pdf and report-print.png.
#  2. tests/report/hub.mjs: a scripted crowd through the real hub, then the
#     report over the hub's database; a second hub run with chant moderation
#     (skipped, and said so, without the hub).
# Needs `make all` (clients/chorus-report, build/report/chorus-report-gen).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
REPORT=${CHORUS_REPORT:-clients/chorus-report}
GEN=build/report/chorus-report-gen
HUB=${CHORUS_HUB:-hub/chorus-hub}
WORK=$(mktemp -d /tmp/chorus-report-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export NODE_PATH="$PWD/tests/node_modules"

pass=0; fail=0
count() {   # count PASS/FAIL lines of a check script's output ($1)
    local p f
    p=$(grep -c '^PASS ' "$1" || true); f=$(grep -c '^FAIL ' "$1" || true)
    pass=$((pass + p)); fail=$((fail + f))
}

for bin in "$REPORT" "$GEN" build/report/test_report; do
    if [ ! -x "$bin" ]; then echo "FAIL $bin not built (run make)"; echo "0 passed, 1 failed"; exit 1; fi
done

mkdir -p "$WORK/gen" "$WORK/api"
"$GEN" small "$WORK/api/small.db" && "$GEN" newer "$WORK/api/newer.db" &&
    "$GEN" mod "$WORK/api/mod.db" && "$GEN" v1 "$WORK/api/v1.db" &&
    "$GEN" cocreation "$WORK/api/play.db" && "$GEN" cocreation-v2 "$WORK/api/play2.db" &&
    "$GEN" cluster "$WORK/api/cl.db" &&
    build/report/test_report "$WORK/api/small.db" "$WORK/api/newer.db" "$WORK/api/mod.db" "$WORK/api/v1.db" \
        "$WORK/api/play.db" "$WORK/api/play2.db" \
        "$WORK/api/cl.db" "$WORK/api/cl.hub1.db" "$WORK/api/cl.hub2.db" "$WORK/api/cl.hub3.db" >"$WORK/api.out" 2>&1
rc=$?
cat "$WORK/api.out"
count "$WORK/api.out"
if [ $rc != 0 ] && ! grep -q '^FAIL ' "$WORK/api.out"; then echo "FAIL test_report crashed (exit $rc)"; fail=$((fail + 1)); fi

node tests/report/check.mjs "$REPORT" "$GEN" "$WORK/gen" >"$WORK/check.out" 2>&1
rc=$?
cat "$WORK/check.out"
count "$WORK/check.out"
if [ $rc != 0 ] && ! grep -q '^FAIL ' "$WORK/check.out"; then echo "FAIL check.mjs crashed (exit $rc)"; fail=$((fail + 1)); fi

mkdir -p "$WORK/cluster"
node tests/report/cluster.mjs "$REPORT" "$GEN" "$WORK/cluster" >"$WORK/cluster.out" 2>&1
rc=$?
cat "$WORK/cluster.out"
count "$WORK/cluster.out"
if [ $rc != 0 ] && ! grep -q '^FAIL ' "$WORK/cluster.out"; then echo "FAIL cluster.mjs crashed (exit $rc)"; fail=$((fail + 1)); fi

if [ -x /usr/bin/chromium ]; then
    mkdir -p "$WORK/print"
    node tests/report/print.mjs "$REPORT" "$GEN" "$WORK/print" >"$WORK/print.out" 2>&1
    rc=$?
    cat "$WORK/print.out"
    count "$WORK/print.out"
    if [ $rc != 0 ] && ! grep -q '^FAIL ' "$WORK/print.out"; then echo "FAIL print.mjs crashed (exit $rc)"; fail=$((fail + 1)); fi
else
    echo "FAIL print test: /usr/bin/chromium is missing (scripts/deps.sh installs it)"; fail=$((fail + 1))
fi

if [ -x "$HUB" ]; then
    mkdir -p "$WORK/hub"
    node tests/report/hub.mjs "$REPORT" "$HUB" "$WORK/hub" >"$WORK/hub.out" 2>&1
    rc=$?
    cat "$WORK/hub.out"
    count "$WORK/hub.out"
    if [ $rc != 0 ] && ! grep -q '^FAIL ' "$WORK/hub.out"; then echo "FAIL hub.mjs crashed (exit $rc)"; fail=$((fail + 1)); fi
else
    echo "SKIP through-the-hub test: $HUB is not built"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
