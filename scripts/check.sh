#!/usr/bin/env bash
# check.sh -- the static checks (`make check`); nothing is built or changed.
#
#   scripts/check.sh [tool...]     tools: shellcheck cppcheck clang-tidy warnings
#                                  (default: all four; strict-warnings = warnings;
#                                  "compdb" only writes build/compile_commands.json)
#
#   1. shellcheck: every shell script in the repository (*.sh and shebang files)
#   2. cppcheck: all C (hub, lib, clients, tests), warning/portability/performance
#   3. clang-tidy: all C, checks chosen in .clang-tidy, through build/compile_commands.json
#   4. warnings: hub, lib and clients compiled -fsyntax-only with warnings stricter
#      than the build's (-Wshadow -Wconversion -Wmissing-prototypes ...)
#
# Prints the findings of each failing tool, then one line per tool; exits
# non-zero if any tool failed. Full logs: build/check/<tool>.log. Formatting
# (.clang-format) is offered to editors, never checked here.
# Runs CHECK_JOBS (default: all cores) compilers at once.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
OUT=build/check
JOBS=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
LWS_INC=build/deps/lws/include
shopt -s nullglob

# The C layers, as the Makefile and clients/*.mk compile them: name, -I flags
# (each layer sees only the headers below it), sources (globs, so new files
# count), and whether it is product code (held to the stricter warnings).
INC_LIB="-Ilib"
INC_CORE="$INC_LIB -Ihub/core -Ibuild/words"
INC_SERVER="$INC_CORE -Ihub/server"
INC_IO="$INC_SERVER -Ihub/io -I$LWS_INC"
LAYERS=(
    "lib          |$INC_LIB                            |lib/*.c                |product"
    "hub/core     |$INC_CORE                           |hub/core/*.c           |product"
    "hub/server   |$INC_SERVER                         |hub/server/*.c         |product"
    "hub/io       |$INC_IO                             |hub/io/*.c hub/main.c  |product"
    "clients/load |-Iclients/load -I$LWS_INC           |clients/load/*.c       |product"
    "clients/report|-Iclients/report -Ibuild/report -Ilib|clients/report/*.c   |product"
    "tests/unit   |$INC_SERVER -Ihub/io -Itests/unit -I$LWS_INC|tests/unit/*.c  |test"
    "tests/fuzz   |$INC_CORE                           |tests/fuzz/*.c         |test"
    "tests/report |-Ilib                               |tests/report/*.c       |test"
)
BASE_FLAGS="-std=c11 -D_GNU_SOURCE"
STRICT_FLAGS="-Wall -Wextra -Werror -Wshadow -Wconversion -Wmissing-prototypes -Wstrict-prototypes -Wvla"

# units [product] -> "file<TAB>include flags" for every C file (of product code only)
UNIT_LINES=(); PRODUCT_LINES=()
for l in "${LAYERS[@]}"; do
    IFS='|' read -r _ inc srcs kind <<<"$l"
    read -r inc <<<"$inc"   # trims
    # shellcheck disable=SC2086  # $srcs holds globs to expand
    for f in $srcs; do
        UNIT_LINES+=("$f"$'\t'"$inc")
        [[ $kind == *product* ]] && PRODUCT_LINES+=("$f"$'\t'"$inc")
    done
done
units() {
    if [ "${1:-}" = product ]; then
        [ ${#PRODUCT_LINES[@]} = 0 ] || printf '%s\n' "${PRODUCT_LINES[@]}"
    else
        [ ${#UNIT_LINES[@]} = 0 ] || printf '%s\n' "${UNIT_LINES[@]}"
    fi
}

# one TOOL FILE FLAGS: one compiler-like tool on one C file
one() {
    case $1 in
        cppcheck) cppcheck_one "$2" "$3" ;;
        clang-tidy) tidy_one "$2" "$3" ;;
        warnings) strict_one "$2" "$3" ;;
    esac
}
# parallel TOOL: runs "one TOOL file flags" for each line of `units` on stdin,
# JOBS at a time; each one's output goes to $PAR/<file>.log, its status to .rc.
parallel() {
    local tool=$1 n=0 file flags key
    rm -rf "$PAR"; mkdir -p "$PAR"
    while IFS=$'\t' read -r file flags; do
        key=$PAR/${file//\//_}
        ( one "$tool" "$file" "$flags" >"$key.log" 2>&1; echo $? >"$key.rc" ) &
        n=$((n + 1))
        if [ "$n" -ge "$JOBS" ]; then wait -n; n=$((n - 1)); fi
    done
    wait
}
# by_size: the lines of `units`, largest file first (the slow ones start first)
by_size() {
    awk -F'\t' 'NR == FNR { size[$2] = $1; next } { print size[$1] "\t" $0 }' \
        <(units | cut -f1 | xargs -r stat -c $'%s\t%n') - | sort -t$'\t' -k1,1rn | cut -f2-
}
par_failed() { grep -lvx 0 "$PAR"/*.rc 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- shellcheck
shell_scripts() {
    local files
    mapfile -t files < <({ git ls-files -co --exclude-standard 2>/dev/null ||
                           printf '%s\n' scripts/*.sh tests/*.sh tests/suites/*.sh .ci/run; } |
                         grep -vE '(^|/)(node_modules|build)/' | sort -u)
    local f present=()
    for f in "${files[@]}"; do [ -f "$f" ] && present+=("$f"); done   # not deleted
    [ ${#present[@]} -gt 0 ] || return 0
    # *.sh, and any file whose first line is a sh/bash shebang
    awk 'FILENAME ~ /\.sh$/ || /^#!.*(\/|env )(ba|da|k)?sh([[:space:]]|$)/ { print FILENAME } { nextfile }' \
        "${present[@]}"
}
tool_shellcheck() {
    command -v shellcheck >/dev/null || { echo "shellcheck is not installed (scripts/deps.sh)"; return 2; }
    local files
    mapfile -t files < <(shell_scripts)
    NOTE="${#files[@]} scripts"
    shellcheck -x "${files[@]}"
}

# ------------------------------------------------------------------ cppcheck
# build/report/assets.h holds Chart.js as a 1 MB byte array, which takes
# cppcheck minutes to read; it gets a stub with the same names.
assets_stub() {
    [ -f build/report/assets.h ] || make -s build/report/assets.h >/dev/null 2>&1 || {
        echo "build/report/assets.h is missing and could not be made"; return 1; }
    mkdir -p "$OUT/stub"
    sed -nE 's/^static const unsigned int ([A-Za-z0-9_]+)_len = ([0-9]+)u?;.*/static const unsigned char \1[\2] = { 0 };\n&/p' \
        build/report/assets.h >"$OUT/stub/assets.h"
}
# What cppcheck must know of jansson, whose header it does not read (system
# headers are skipped): the iteration macros (else it stops at "unknown
# macro"), and that json_t is a type (else it takes `json_t *` for an int
# expression and reports CastIntegerToAddressAtReturn).
cppcheck_cfg() {
    cat >"$OUT/jansson.cfg" <<'CFG'
<?xml version="1.0"?>
<def format="2">
  <define name="json_t" value="struct json_t"/>
  <define name="json_array_foreach(array, index, value)"
          value="for (index = 0; index &lt; json_array_size(array) &amp;&amp; (value = json_array_get(array, index)); index++)"/>
  <define name="json_object_foreach(object, key, value)"
          value="for (key = json_object_iter_key(json_object_iter(object)); key &amp;&amp; (value = json_object_iter_value(json_object_key_to_iter(key))); key = json_object_iter_key(json_object_iter_next(object, json_object_key_to_iter(key))))"/>
</def>
CFG
}
cppcheck_one() {   # file flags
    # shellcheck disable=SC2086  # $2 is a list of -I flags
    cppcheck --enable=warning,portability,performance --error-exitcode=1 --inline-suppr -q \
        --std=c11 -D_GNU_SOURCE --suppress=missingIncludeSystem \
        --library=posix --library="$OUT/jansson.cfg" \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
        ${2//-Ibuild\/report/-I$OUT/stub} "$1"
}
tool_cppcheck() {
    command -v cppcheck >/dev/null || { echo "cppcheck is not installed (scripts/deps.sh)"; return 2; }
    assets_stub || return 1
    cppcheck_cfg
    local n; n=$(units | wc -l); NOTE="$n files"
    units | parallel cppcheck
    cat "$PAR"/*.log
    [ "$(par_failed)" = 0 ]
}

# ---------------------------------------------------------------- clang-tidy
# compile_commands.json is written from LAYERS (the Makefile's flags) rather
# than recorded from a build (bear): it works while the build is broken and
# takes no time. build/compile_commands.json has the real flags (the root
# symlink is for editors); clang-tidy reads $OUT/tidy/, where assets.h is the
# stub (the real one costs it seconds per run).
write_compdb() {   # DEST [stub]
    local file flags sep="" a first esc_root=${ROOT//\\/\\\\}
    esc_root=${esc_root//\"/\\\"}
    mkdir -p "$(dirname "$1")"
    {
        echo "["
        while IFS=$'\t' read -r file flags; do
            [ "${2:-}" = stub ] && flags=${flags//-Ibuild\/report/-I$OUT/stub}
            printf '%s  {"directory": "%s", "file": "%s/%s", "arguments": [' "$sep" "$esc_root" "$esc_root" "$file"
            first=1
            # shellcheck disable=SC2086  # split the flags into arguments
            for a in cc $BASE_FLAGS -Wall -Wextra -pthread $flags -c "$file" -o "build/obj/${file%.c}.o"; do
                [ $first = 1 ] || printf ', '
                printf '"%s"' "$a"; first=0
            done
            printf ']}'
            sep=$',\n'
        done < <(units)
        printf '\n]\n'
    } >"$1.tmp" && mv "$1.tmp" "$1"
}
tool_compdb() {
    write_compdb build/compile_commands.json
    [ -e compile_commands.json ] || [ -L compile_commands.json ] || ln -s build/compile_commands.json compile_commands.json
    NOTE="$(units | wc -l) files"
}
TIDY=$(command -v clang-tidy-14 || command -v clang-tidy || true)
# A file's result is kept under the hash of what clang-tidy would see (the
# preprocessed file with its comments, for NOLINT; its flags; every
# .clang-tidy; the clang-tidy version), so a
# second run only re-checks what changed; the analyzer is the slow part.
tidy_one() {   # file flags
    local cache=$OUT/tidy-cache key="" flags=${2//-Ibuild\/report/-I$OUT/stub}
    local tmp=$cache/tmp.$BASHPID
    mkdir -p "$cache"
    # shellcheck disable=SC2086  # $flags is a list of -I flags
    if "${CC:-cc}" -E -C $BASE_FLAGS $flags "$1" -o "$tmp.i" 2>/dev/null; then
        key=$({ echo "$TIDY_SETUP $flags"; cat "$tmp.i"; } | sha1sum | cut -c1-40)
    fi
    rm -f "$tmp.i"
    if [ -n "$key" ] && [ -f "$cache/$key.rc" ]; then
        cat "$cache/$key.log"; touch "$cache/$key.rc" "$cache/$key.log"
        return "$(cat "$cache/$key.rc")"
    fi
    "$TIDY" -p "$OUT/tidy" --quiet "$1" >"$tmp.log" 2>&1
    local rc=$?
    grep -vE '^[0-9]+ (warning|error)s? generated\.$' "$tmp.log"
    if [ -n "$key" ]; then
        grep -vE '^[0-9]+ (warning|error)s? generated\.$' "$tmp.log" >"$cache/$key.log"
        echo "$rc" >"$cache/$key.rc"
    fi
    rm -f "$tmp.log"
    return "$rc"
}
tool_clang_tidy() {
    [ -n "$TIDY" ] || { echo "clang-tidy is not installed (scripts/deps.sh)"; return 2; }
    assets_stub || return 1
    tool_compdb
    write_compdb "$OUT/tidy/compile_commands.json" stub
    NOTE="$(units | wc -l) files"
    TIDY_SETUP=$({ "$TIDY" --version; find . -name .clang-tidy -not -path '*/node_modules/*' -not -path './build/*' | sort | xargs cat; } | sha1sum)
    units | by_size | parallel clang-tidy
    find "$OUT/tidy-cache" -type f -mtime +30 -delete 2>/dev/null
    # a header's findings come once per file that includes it: show them once
    cat "$PAR"/*.log | sed "s#^$ROOT/##" | awk '
        /^[^ ].*:[0-9]+:[0-9]+: (warning|error): / { show = !seen[$0]++ }
        /^[0-9]+ warnings? treated as errors$/ || /^Error while processing/ { next }
        show { print }'
    [ "$(par_failed)" = 0 ]
}

# ------------------------------------------------------------------ warnings
strict_one() {   # file flags
    # shellcheck disable=SC2086  # flag lists
    "${CC:-cc}" -fsyntax-only $BASE_FLAGS $STRICT_FLAGS $2 "$1"
}
tool_warnings() {
    [ -f build/report/assets.h ] || make -s build/report/assets.h >/dev/null 2>&1
    NOTE="$(units product | wc -l) files"
    units product | parallel warnings
    cat "$PAR"/*.log
    [ "$(par_failed)" = 0 ]
}

# ------------------------------------------------------------------------------
ALL=(shellcheck cppcheck clang-tidy warnings)
tools=()
for t in "${@:-${ALL[@]}}"; do
    case $t in
        shellcheck|cppcheck|clang-tidy|warnings|compdb) tools+=("$t") ;;
        strict-warnings) tools+=(warnings) ;;
        *) echo "check.sh: unknown tool '$t' (tools: ${ALL[*]} compdb)" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
# per-file results of the running tool; private, so two runs do not mix
PAR=$(mktemp -d "$OUT/par.XXXXXX")
trap 'rm -rf "$PAR"' EXIT
summary=(); failed=0
for t in "${tools[@]}"; do
    NOTE=""
    start=$(date +%s.%N)
    case $t in
        shellcheck) tool_shellcheck ;;
        cppcheck) tool_cppcheck ;;
        clang-tidy) tool_clang_tidy ;;
        warnings) tool_warnings ;;
        compdb) tool_compdb ;;
    esac >"$OUT/$t.log" 2>&1
    rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    findings=$(grep -cE '^[^ ]+:[0-9]+(:[0-9]+)?: (fatal error|error|warning|portability|performance|style): ' "$OUT/$t.log" || true)
    [ "$t" = shellcheck ] && findings=$(grep -cE '^In .* line [0-9]+:$' "$OUT/$t.log" || true)
    if [ "$rc" = 0 ]; then
        summary+=("$(printf 'check: %-11s ok    (%s, %ss)' "$t" "${NOTE:-done}" "$secs")")
    else
        failed=1
        echo "=== $t"
        head -n 200 "$OUT/$t.log"
        [ "$(wc -l <"$OUT/$t.log")" -gt 200 ] && echo "... (the rest in $OUT/$t.log)"
        [ "$findings" = 1 ] && noun=finding || noun=findings
        summary+=("$(printf 'check: %-11s FAIL  (%s %s in %s, %ss; log %s)' \
            "$t" "$findings" "$noun" "${NOTE:-?}" "$secs" "$OUT/$t.log")")
    fi
done
printf '%s\n' "${summary[@]}"
exit "$failed"
