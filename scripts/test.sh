#!/usr/bin/env bash
# test.sh -- run every test suite in tests/suites/ (sorted) and sum them.
# Each suite is an executable script whose last line of output is
# "N passed, N failed"; a suite that exits non-zero without such a line
# counts as one failure. The last line printed here is the grand total.
set -u
cd "$(dirname "$0")/.." || exit 1
mkdir -p tests/artifacts
total_pass=0; total_fail=0; failed_suites=()
only="${1:-}"
for suite in tests/suites/*.sh; do
    name=$(basename "$suite" .sh)
    [ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
    if [ -n "${CHORUS_SUITES:-}" ] && [[ " $CHORUS_SUITES " != *" $name "* ]]; then continue; fi
    echo "=== suite $name"
    log="tests/artifacts/$name.log"
    start=$(date +%s)
    bash "$suite" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
        f=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    else
        p=0; f=1
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    [ "$f" != 0 ] && failed_suites+=("$name")
    echo "=== suite $name: $p passed, $f failed ($(( $(date +%s) - start ))s)"
done
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
