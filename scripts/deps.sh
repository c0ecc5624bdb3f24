#!/usr/bin/env bash
# deps.sh -- install everything Chorus needs to build and test.
# Idempotent and non-interactive; run as root (CI and `make` call it when a
# marker below is missing). Builds libwebsockets from Debian's own source
# package with libevent support, because Debian's libwebsockets-dev is built
# without it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS="$ROOT/build/deps"
export DEBIAN_FRONTEND=noninteractive

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PKGS="build-essential pkg-config cmake dpkg-dev clang python3 libevent-dev libmsgpack-dev \
libsqlite3-dev sqlite3 libssl-dev libjansson-dev libunistring-dev zlib1g-dev \
chromium fonts-wqy-microhei nats-server libnats-dev libclang-rt-14-dev \
shellcheck cppcheck clang-tidy bear clang-format"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js: keep whatever node/npm the machine has; Debian's otherwise.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
updated=0
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    $SUDO apt-get update -qq
    updated=1
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# libwebsockets with LWS_WITH_LIBEVENT, static, into build/deps.
if [ ! -f "$DEPS/lws/lib/libwebsockets.a" ] || ! grep -q "define LWS_WITH_LIBEVENT" "$DEPS/lws/include/lws_config.h" 2>/dev/null; then
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
    [ "$updated" = 1 ] || $SUDO apt-get update -qq
    rm -rf "$DEPS/src" "$DEPS/lws-build"
    mkdir -p "$DEPS/src" "$DEPS/lws-build"
    # Quietly first; on failure again with its messages, so the reason shows.
    if ! (cd "$DEPS/src" && apt-get source -qq libwebsockets >/dev/null 2>&1); then
        (cd "$DEPS/src" && apt-get source libwebsockets)
    fi
    SRCDIR=$(find "$DEPS/src" -maxdepth 1 -type d -name 'libwebsockets-*' | head -n1)
    echo "deps: building libwebsockets from $SRCDIR"
    cmake -S "$SRCDIR" -B "$DEPS/lws-build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$DEPS/lws" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DLWS_WITH_LIBEVENT=ON -DLWS_WITH_EVLIB_PLUGINS=OFF -DLWS_WITH_SHARED=OFF \
        -DLWS_WITH_STATIC=ON -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITHOUT_TEST_SERVER=ON \
        -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DDISABLE_WERROR=ON -DLWS_WITH_SSL=ON >/dev/null
    cmake --build "$DEPS/lws-build" -j"$(nproc)" >/dev/null
    cmake --install "$DEPS/lws-build" >/dev/null
fi

# npm packages for the web pages and for the tests (lockfiles pinned).
for d in web tests clients/report lib/words; do
    if [ -f "$d/package.json" ] && { [ ! -f "$d/node_modules/.chorus-ok" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.chorus-ok" ]; }; then
        (cd "$d" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.chorus-ok)
    fi
done
mkdir -p build && touch build/.deps-ok
echo "deps: ok"
