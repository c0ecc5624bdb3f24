#!/usr/bin/env bash
# deps.test.sh -- scripts/deps.sh in a scratch copy of the tree with fake
# apt-get / dpkg-query on PATH: it waits (and says so) while another apt-get
# holds the lock, stays quiet with the tools' output in build/deps.log,
# prints the log's tail and path on a failure, and a second run with nothing
# missing does nothing but say ok. Last line: "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
no() { echo "not ok - $1"; printf '%s\n' "$2" | while IFS= read -r l; do echo "  | $l"; done; fail=$((fail + 1)); }

tree=$(mktemp -d); bin="$tree/fakebin"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/scripts" "$tree/build/deps/lws/lib" "$tree/build/deps/lws/include" "$bin"
cp "$root/scripts/deps.sh" "$tree/scripts/"
touch "$tree/build/deps/lws/lib/libwebsockets.a"
echo "#define LWS_WITH_LIBEVENT" >"$tree/build/deps/lws/include/lws_config.h"
# ... built with the tree's libwebsockets patches (as deps.sh records them).
if [ -d "$root/scripts/lws-patches" ]; then cp -r "$root/scripts/lws-patches" "$tree/scripts/"; fi
cat "$tree"/scripts/lws-patches/*.patch 2>/dev/null | sha256sum | cut -c1-16 >"$tree/build/deps/lws/.chorus-patches"
# dpkg-query: everything is installed but the emoji font until apt installs it.
cat >"$bin/dpkg-query" <<'X'
#!/bin/sh
for a; do p=$a; done
if [ "$p" = fonts-noto-color-emoji ] && [ ! -f "$FAKE/installed" ]; then exit 1; fi
printf 'install ok installed'
X
# apt-get: "Could not get lock" for the first $LOCKED calls, then $MODE.
cat >"$bin/apt-get" <<'X'
#!/bin/sh
n=$(cat "$FAKE/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"$FAKE/calls"
echo "$*" >>"$FAKE/args"
if [ "$n" -le "${LOCKED:-0}" ]; then
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2; exit 100
fi
if [ "${MODE:-ok}" = broken ] && case "$*" in *install*) true ;; *) false ;; esac; then
  i=0; while [ $i -lt 40 ]; do echo "W: noise line $i"; i=$((i + 1)); done
  echo "E: Unable to locate package fonts-noto-color-emoji" >&2; exit 100
fi
case "$*" in *install*) touch "$FAKE/installed" ;; esac
echo "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]"
X
chmod +x "$bin"/*
run() { (cd "$tree" && PATH="$bin:$PATH" FAKE="$tree" CHORUS_APT_LOCK_WAIT=60 "$@" bash scripts/deps.sh 2>&1); }

out=$(LOCKED=2 run env); rc=$?
if [ $rc = 0 ] && grep -q "waiting for it" <<<"$out" && grep -q "^deps: ok" <<<"$out" && [ -f "$tree/installed" ]; then
  ok "waits while another apt-get holds the lock, then installs"
else no "waits while another apt-get holds the lock, then installs" "rc=$rc
$out"; fi
if grep -q "DPkg::Lock::Timeout=60" "$tree/args"; then ok "apt-get is asked to wait for dpkg's lock"
else no "apt-get is asked to wait for dpkg's lock" "$(cat "$tree/args")"; fi
if ! grep -q "Get:1" <<<"$out" && grep -q "Get:1" "$tree/build/deps.log" && [ "$(wc -l <<<"$out")" -le 6 ]; then
  ok "quiet: one line per step, the tools' output in build/deps.log"
else no "quiet: one line per step, the tools' output in build/deps.log" "$out"; fi

out=$(run env); rc=$?
if [ $rc = 0 ] && [ "$out" = "deps: ok (details in build/deps.log)" ]; then ok "idempotent: a second run only says ok"
else no "idempotent: a second run only says ok" "rc=$rc
$out"; fi

rm -f "$tree/installed" "$tree/calls"
out=$(MODE=broken run env); rc=$?
if [ $rc != 0 ] && grep -q "FAILED: installing fonts-noto-color-emoji" <<<"$out" && grep -q "Unable to locate package" <<<"$out" &&
   grep -q "full log: .*build/deps.log" <<<"$out" && [ "$(wc -l <<<"$out")" -le 22 ]; then
  ok "a failure prints what failed, the log's last lines and its path"
else no "a failure prints what failed, the log's last lines and its path" "rc=$rc
$out"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
