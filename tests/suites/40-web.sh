#!/usr/bin/env bash
# 40-web.sh -- browser end-to-end tests of the web pages: Debian's chromium
# driven by playwright-core against the real hub (tests/web/*.test.mjs).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
mkdir -p tests/artifacts
# Rebuild the pages when they are missing or older than their sources.
if [ ! -f web/dist/.built ] || [ -n "$(find web/src web/build.mjs -newer web/dist/.built -print -quit)" ]; then
    node web/build.mjs || { echo "0 passed, 1 failed"; exit 1; }
fi
out=$(mktemp)
node --test --test-reporter=tap --test-concurrency=1 --test-timeout=180000 tests/web/*.test.mjs 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
pass=$(grep -E '^# pass [0-9]+' "$out" | tail -n1 | awk '{print $3}')
fail=$(grep -E '^# fail [0-9]+' "$out" | tail -n1 | awk '{print $3}')
cancelled=$(grep -E '^# cancelled [0-9]+' "$out" | tail -n1 | awk '{print $3}')
rm -f "$out"
pass=${pass:-0}; fail=$(( ${fail:-0} + ${cancelled:-0} ))
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
