#!/usr/bin/env bash
# node-suite.sh DIR... -- run node's test runner on the given test folders
# (one file at a time, so hubs on different ports never race for the CPU),
# show the TAP, and end with "N passed, N failed" from its own counts.
set -u
cd "$(dirname "$0")" || exit 1
out=$(mktemp)
node --test --test-concurrency=1 --test-force-exit --test-timeout=180000 --test-reporter=tap "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
pass=$(grep -E '^# pass [0-9]+' "$out" | tail -n1 | awk '{print $3}')
fail=$(grep -E '^# fail [0-9]+' "$out" | tail -n1 | awk '{print $3}')
rm -f "$out"
pass=${pass:-0}; fail=${fail:-0}
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
