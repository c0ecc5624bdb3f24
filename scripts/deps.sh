#!/usr/bin/env bash
# deps.sh -- install everything Chorus needs to build and test.
# Idempotent and non-interactive; run as root (CI and `make` call it when a
# marker below is missing). Builds libwebsockets from Debian's own source
# package with libevent support, because Debian's libwebsockets-dev is built
# without it.
#
# Quiet: one line per step. Everything the tools print (apt, CMake, the
# compiler's warnings) goes to build/deps.log; on a failure the last lines of
# it and its path are printed. When another apt-get or dpkg holds its lock
# (an unattended upgrade on a fresh machine), apt waits for it up to 5 min
# (DPkg::Lock::Timeout) and the package lists' lock is retried the same
# long; the wait is said, not silent.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS="$ROOT/build/deps"
LOG="$ROOT/build/deps.log"
LOCK_WAIT_S=${CHORUS_APT_LOCK_WAIT:-300}
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$ROOT/build"
# One run at a time: two `make`s started together (a test suite and a
# build, say) must not build libwebsockets into the same folder at once.
# The second waits, then finds everything in place.
exec 9>"$ROOT/build/.deps.lock"
if ! flock -n 9; then
    echo "deps: another deps.sh is running; waiting for it"
    flock 9
fi
: >"$LOG"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# fonts-noto-color-emoji: emoji in chants render on the screen, in the
# report and in the tests' screenshots (not as empty boxes).
# liburing-dev: the tick's snapshots to phones, a thousand sends per system
# call (hub/io/txring.c).
PKGS="build-essential pkg-config cmake dpkg-dev clang python3 libevent-dev libmsgpack-dev \
libsqlite3-dev sqlite3 libssl-dev libjansson-dev libunistring-dev zlib1g-dev \
chromium fonts-wqy-microhei fonts-noto-color-emoji nats-server libnats-dev libclang-rt-14-dev \
shellcheck cppcheck clang-tidy bear clang-format liblo-dev liblo-tools liburing-dev"

# step WHAT CMD...: run CMD with its output in the log; on failure print
# what failed, the log's last lines and its path, and stop.
step() {
    local what=$1; shift
    echo "deps: $what"
    echo "=== $what: $*" >>"$LOG"
    if ! "$@" >>"$LOG" 2>&1; then
        echo "deps: FAILED: $what. The last lines of the log:" >&2
        tail -n 15 "$LOG" | sed 's/^/  | /' >&2
        echo "deps: full log: $LOG" >&2
        exit 1
    fi
}

# apt-get that waits for a lock another apt-get or dpkg holds, saying so.
# dpkg's locks: apt's own DPkg::Lock::Timeout. The lists lock (apt-get
# update) is not covered by it in every apt version: retried here.
apt_wait() {
    local waited=0 out
    while :; do
        out=$(mktemp)
        if $SUDO apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT_S" "$@" >"$out" 2>&1; then
            cat "$out"; rm -f "$out"; return 0
        fi
        cat "$out"
        if grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock directory' "$out" &&
           [ "$waited" -lt "$LOCK_WAIT_S" ]; then
            rm -f "$out"
            if [ "$waited" = 0 ]; then echo "deps: another apt-get or dpkg holds the lock; waiting for it (up to ${LOCK_WAIT_S} s)" >&3; fi
            sleep 5; waited=$((waited + 5))
            continue
        fi
        rm -f "$out"; return 1
    done
}
exec 3>&1   # apt_wait's progress reaches the terminal even inside step

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js: keep whatever node/npm the machine has; Debian's otherwise.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
updated=0
if [ -n "$missing" ]; then
    step "updating the package lists" apt_wait update -qq
    updated=1
    # shellcheck disable=SC2086
    step "installing$missing" apt_wait install -y -qq --no-install-recommends $missing
fi

# libwebsockets with LWS_WITH_LIBEVENT, static, into build/deps.
# Chorus's patches to it (scripts/lws-patches/*.patch, each explains itself)
# are applied to the source; a change of patches rebuilds it.
LWS_PATCHES=$(cat scripts/lws-patches/*.patch 2>/dev/null | sha256sum | cut -c1-16)
if [ ! -f "$DEPS/lws/lib/libwebsockets.a" ] || ! grep -q "define LWS_WITH_LIBEVENT" "$DEPS/lws/include/lws_config.h" 2>/dev/null ||
   [ "$(cat "$DEPS/lws/.chorus-patches" 2>/dev/null)" != "$LWS_PATCHES" ]; then
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        . /etc/os-release
        echo "deps: adding deb-src for $VERSION_CODENAME"
        $SUDO tee /etc/apt/sources.list.d/chorus-deb-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        updated=0
    fi
    [ "$updated" = 1 ] || step "updating the package lists (sources)" apt_wait update -qq
    rm -rf "$DEPS/src" "$DEPS/lws-build"
    mkdir -p "$DEPS/src" "$DEPS/lws-build"
    step "downloading the libwebsockets source" bash -c "cd '$DEPS/src' && apt-get source -qq libwebsockets"
    SRCDIR=$(find "$DEPS/src" -maxdepth 1 -type d -name 'libwebsockets-*' | head -n1)
    for p in scripts/lws-patches/*.patch; do
        [ -f "$p" ] && step "patching libwebsockets: $(basename "$p")" patch -d "$SRCDIR" -p1 -i "$PWD/$p"
    done
    step "configuring libwebsockets ($(basename "$SRCDIR"), with libevent)" \
        cmake -S "$SRCDIR" -B "$DEPS/lws-build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$DEPS/lws" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DLWS_WITH_LIBEVENT=ON -DLWS_WITH_EVLIB_PLUGINS=OFF -DLWS_WITH_SHARED=OFF \
        -DLWS_WITH_STATIC=ON -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITHOUT_TEST_SERVER=ON \
        -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DDISABLE_WERROR=ON -DLWS_WITH_SSL=ON
    step "building libwebsockets (a minute or two)" cmake --build "$DEPS/lws-build" -j"$(nproc)"
    step "installing libwebsockets into build/deps/lws" cmake --install "$DEPS/lws-build"
    echo "$LWS_PATCHES" > "$DEPS/lws/.chorus-patches"
fi

# npm packages for the web pages and for the tests (lockfiles pinned).
for d in web tests clients/report lib/words; do
    if [ -f "$d/package.json" ] && { [ ! -f "$d/node_modules/.chorus-ok" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.chorus-ok" ]; }; then
        step "npm packages for $d" bash -c "cd '$d' && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.chorus-ok"
    fi
done
touch build/.deps-ok
echo "deps: ok (details in build/deps.log)"
