#!/usr/bin/env bash
# 60-asan.sh -- the hub under AddressSanitizer + UndefinedBehaviorSanitizer,
# and a short coverage-guided fuzzing run of the pure parsers.
#
#   1. `make asan-build`: build/asan/chorus-hub and build/obj-san/tests/test_*
#      (one item);
#   2. the unit suite (10-unit.sh) against the sanitized unit tests;
#   3. the hub integration suite (20-hub.sh) against the sanitized hub. The
#      hub's sanitizer reports go to files (the tests do not look at its exit
#      status); each report is one more failure, printed in full;
#   4. each tests/fuzz/fuzz_*.c target, built by `make build/fuzz/<name>`, run
#      for FUZZ_SECONDS (default 20) with -seed=1 on a scratch copy of its
#      committed seed corpus tests/fuzz/corpus/<name>, which stays untouched.
#      A crash, leak, UB report or hang is a failure; the input that caused it
#      is kept in tests/artifacts/fuzz/ (reproduce: build/fuzz/<name> FILE).
#
# Sub-suite lines are prefixed with "  [asan ...]" so that only the total on
# the last line reads as "N passed, N failed" to scripts/test.sh.
# About 2 minutes on 2 cores: build ~15 s (from scratch), unit ~5 s, hub
# integration ~40 s, each fuzz target ~25 s with its build.
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_MAXLEN=${FUZZ_MAXLEN:-8192}
pass=0; fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/chorus-asan.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# prefix TAG: indent and tag every line of stdin.
prefix() { sed -u "s/^/  [$1] /"; }
# counts FILE: the "P F" of the last "N passed, N failed" line in FILE, or
# "0 1" when there is none (the sub-suite died before its total).
counts() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
    if [ -n "$line" ]; then echo "$line" | awk '{print $1, $3}'; else echo "0 1"; fi
}
# add NAME P F RC SECONDS: add a sub-suite's counts (a non-zero exit without
# a failure counts as one) and say how it went.
add() {
    local f=$3
    [ "$4" != 0 ] && [ "$f" = 0 ] && f=1
    pass=$((pass + $2)); fail=$((fail + f))
    echo "--- asan $1: $2 passed, $f failed ($5s)"
}

# 1. Build.
echo "--- asan build"
start=$SECONDS
make -s -j"$(nproc)" asan-build 2>&1 | prefix "asan build"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    add build 1 0 0 $((SECONDS - start)); built=1
else
    add build 0 1 1 $((SECONDS - start)); built=0
fi

if [ "$built" = 1 ]; then
    # 2. Unit tests.
    echo "--- asan unit"
    start=$SECONDS
    CHORUS_UNIT_DIR=build/obj-san/tests bash tests/suites/10-unit.sh > "$tmp/unit.log" 2>&1
    rc=$?
    prefix "asan unit" < "$tmp/unit.log"
    read -r p f < <(counts "$tmp/unit.log")
    add unit "$p" "$f" "$rc" $((SECONDS - start))

    # 3. Hub integration tests.
    echo "--- asan hub"
    start=$SECONDS
    mkdir -p "$tmp/san"
    CHORUS_HUB=build/asan/chorus-hub \
        ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$tmp/san/hub" \
        UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$tmp/san/hub" \
        bash tests/suites/20-hub.sh > "$tmp/hub.log" 2>&1
    rc=$?
    prefix "asan hub" < "$tmp/hub.log"
    read -r p f < <(counts "$tmp/hub.log")
    reports=0
    for r in "$tmp"/san/hub.*; do
        [ -e "$r" ] || continue
        reports=$((reports + 1))
        echo "sanitizer report from hub pid ${r##*.}:" | prefix "asan hub"
        prefix "asan hub" < "$r"
    done
    add hub "$p" $((f + reports)) "$rc" $((SECONDS - start))
else
    echo "--- asan unit, hub: not run (asan-build failed)"
fi

# 4. Fuzzing.
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    echo "--- asan fuzz $name (${FUZZ_SECONDS}s)"
    start=$SECONDS
    make -s "build/fuzz/$name" 2>&1 | prefix "fuzz $name"
    if [ "${PIPESTATUS[0]}" != 0 ]; then
        add "fuzz $name (build)" 0 1 1 $((SECONDS - start))
        continue
    fi
    if [ -z "$(ls -A "tests/fuzz/corpus/$name" 2>/dev/null)" ]; then
        echo "no seed corpus in tests/fuzz/corpus/$name (see tests/fuzz/README)" | prefix "fuzz $name"
        add "fuzz $name" 0 1 1 $((SECONDS - start))
        continue
    fi
    mkdir -p "$tmp/corpus/$name" "$tmp/crash/$name"
    cp -R "tests/fuzz/corpus/$name/." "$tmp/corpus/$name/"
    seeds=$(find "$tmp/corpus/$name" -type f | wc -l)
    # -timeout: one input running over 10 s is a hang; the outer timeout
    # catches a fuzzer that never stops.
    timeout $((FUZZ_SECONDS + 120)) "build/fuzz/$name" -seed=1 -max_total_time="$FUZZ_SECONDS" \
        -max_len="$FUZZ_MAXLEN" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$tmp/crash/$name/" "$tmp/corpus/$name" > "$tmp/fuzz-$name.log" 2>&1
    rc=$?
    # The progress lines (#123 NEW ...) are noise; keep the rest.
    grep -Ev '^#[0-9]+|^"|^###|Uses: ' "$tmp/fuzz-$name.log" | prefix "fuzz $name"
    echo "$seeds seeds, corpus grew to $(find "$tmp/corpus/$name" -type f | wc -l) inputs" | prefix "fuzz $name"
    if [ "$rc" != 0 ] || [ -n "$(ls -A "$tmp/crash/$name")" ]; then
        mkdir -p tests/artifacts/fuzz
        for a in "$tmp/crash/$name"/*; do
            [ -e "$a" ] || continue
            cp "$a" "tests/artifacts/fuzz/$name-$(basename "$a")"
            echo "kept tests/artifacts/fuzz/$name-$(basename "$a")" | prefix "fuzz $name"
        done
        add "fuzz $name" 0 1 1 $((SECONDS - start))
    else
        add "fuzz $name" 1 0 0 $((SECONDS - start))
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
