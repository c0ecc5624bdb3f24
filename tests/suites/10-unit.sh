#!/usr/bin/env bash
# C unit tests, one binary per hub module (built by `make`); sums their counts.
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${CHORUS_UNIT_DIR:-build/obj/tests}
pass=0; fail=0
for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    echo "--- $(basename "$t")"
    out=$("$t" 2>&1); rc=$?
    echo "$out"
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
    [ -z "$line" ] && { p=0; f=1; }
    [ "$rc" != 0 ] && [ "${f:-0}" = 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
done
[ $((pass + fail)) = 0 ] && { echo "no unit tests found in $dir"; fail=1; }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
