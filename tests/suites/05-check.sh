#!/usr/bin/env bash
# 05-check.sh -- the static checks of `make check`, one item per tool
# (scripts/check.sh TOOL): shellcheck, cppcheck, clang-tidy and the stricter
# compiler warnings. A failing item shows the tool's findings; its full log
# is build/check/TOOL.log. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0; fail=0
for tool in shellcheck cppcheck clang-tidy warnings; do
    out=$(bash scripts/check.sh "$tool" 2>&1); rc=$?
    # "check: TOOL  ok|FAIL  (details)" -> "(details)"
    detail=$(printf '%s\n' "$out" | tail -n1 | sed -E 's/^check: +[^ ]+ +[A-Za-z]+ +//')
    if [ "$rc" = 0 ]; then
        pass=$((pass + 1)); echo "ok   $tool $detail"
    else
        fail=$((fail + 1)); echo "FAIL $tool $detail"
        # the findings, without check.sh's own header and summary lines
        printf '%s\n' "$out" | sed -e '1{/^=== /d}' -e '$d' | head -n 60 | sed 's/^/    /'
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
