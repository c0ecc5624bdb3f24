#!/usr/bin/env bash
# run-cluster.sh -- one event served by several hubs on this machine, joined
# by NATS: the one-machine stadium mode (`make run-cluster HUBS=4`;
# docs/cluster.md).
#
#   scripts/run-cluster.sh [HUBS]        HUBS: 1..32 hubs, default 2
#
# 1. Builds what is missing, as `make run` does (`make all`, which runs
#    scripts/deps.sh when build/.deps-ok is missing; nats-server comes from it).
# 2. Starts nats-server with JetStream on 127.0.0.1:4222 (monitoring on
#    127.0.0.1:8222, store data/cluster/nats, log data/cluster/nats.log) and
#    waits until its /healthz says ok.
# 3. Starts HUBS hubs for examples/demo-event.json (the event `make run`
#    serves), all on port 8080 (SO_REUSEPORT: the kernel spreads the phones),
#    each with its own database data/cluster/hub-<i>.db (its token key file
#    data/cluster/hub-<i>.db.key beside it, as for `make run`), its log
#    (stderr) in data/cluster/hub-<i>.log and its banner (stdout: the URLs,
#    with the role keys) in data/cluster/hub-<i>.out, and
#    --nats nats://127.0.0.1:4222.
# 4. Prints the URLs `make run` prints, one line per hub (pid, database, log)
#    and one for nats-server, then waits.
#
# Ctrl-C, SIGTERM or SIGHUP stops the hubs (each closes its clients with 1001
# and commits what is pending), then nats-server. A hub that dies while the
# others run is reported, not restarted; the script ends when the last hub is
# gone. The hubs and nats-server run in their own session, so a Ctrl-C reaches
# only this script, which stops them in that order.
#
# Re-running continues the same event: the databases and the NATS store are
# kept (`rm -rf data/cluster` starts over); the previous run's logs are kept
# as *.log.1. Processes an earlier run left behind (it was killed with -9) are
# found through data/cluster/pids and stopped first. A port already in use,
# or a second run-cluster at the same time, is a clear message and exit 1.
#
# Exit status: 0 after a stop that was asked for and where every hub ended
# with status 0 (else 1, and its log's end is shown); non-zero when something
# could not start (the reason and the failing log's last lines are printed;
# a hub's own status when a hub refused to start, e.g. 2 for a bad flag),
# or when every hub died.
#
# Environment (all optional): CHORUS_PORT (8080), NATS_PORT (4222),
# NATS_HTTP_PORT (8222), CHORUS_EVENT (examples/demo-event.json),
# CHORUS_CLUSTER_DIR (data/cluster), CHORUS_HUB (hub/chorus-hub),
# CHORUS_HUB_ARGS (more flags for every hub, e.g. "--log-level debug"),
# NATS_SERVER (the nats-server binary), CHORUS_SKIP_BUILD=1 (the caller built
# already: the Makefile target).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

HUBS=${1:-2}
PORT=${CHORUS_PORT:-8080}
NATS_PORT=${NATS_PORT:-4222}
NATS_HTTP_PORT=${NATS_HTTP_PORT:-8222}
EVENT=${CHORUS_EVENT:-examples/demo-event.json}
DIR=${CHORUS_CLUSTER_DIR:-data/cluster}
HUB=${CHORUS_HUB:-hub/chorus-hub}
HUB_ARGS=${CHORUS_HUB_ARGS:-}
NATS_URL="nats://127.0.0.1:$NATS_PORT"
NATS_START_S=30     # nats-server's /healthz must say ok within this
HUB_START_S=60      # each hub must print its URLs within this
HUB_STOP_S=20       # each hub gets this long to close its clients and commit
NATS_STOP_S=15

say() { echo "run-cluster: $*"; }
die() { echo "run-cluster: $*" >&2; exit 1; }
# tail_of FILE: its last lines, indented, on stderr
tail_of() { [ -s "$1" ] && tail -n "${2:-15}" "$1" | sed 's/^/  | /' >&2; }

case $HUBS in
    ''|*[!0-9]*) die "HUBS must be a number of hubs (1..32), not '$HUBS'" ;;
esac
if [ "$HUBS" -lt 1 ] || [ "$HUBS" -gt 32 ]; then die "HUBS must be 1..32, not $HUBS"; fi
for p in "$PORT" "$NATS_PORT" "$NATS_HTTP_PORT"; do
    case $p in ''|*[!0-9]*) die "not a port: '$p'" ;; esac
done

mkdir -p "$DIR"
# One run-cluster per cluster directory. The lock's descriptor is not handed
# to the hubs or nats-server (9>&- below): if this script is killed, its
# children do not keep the lock, and the next run stops them (pids file).
exec 9>"$DIR/.lock"
if ! flock -n 9; then
    die "another run-cluster is running with $DIR (pid $(cat "$DIR/.lock.pid" 2>/dev/null || echo '?')); stop it first (Ctrl-C in its terminal)"
fi
echo $$ >"$DIR/.lock.pid"

# --- build, as `make run` does ---------------------------------------------
if [ "${CHORUS_SKIP_BUILD:-}" != 1 ]; then
    "${MAKE:-make}" --no-print-directory all 9>&- || die "the build failed (above)"
fi
[ -x "$HUB" ] || die "$HUB is not built (run make)"
[ -f "$EVENT" ] || die "no event file $EVENT"
# nats-server is in /usr/sbin, not in every user's PATH.
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
if [ ! -x "$NATS_SERVER" ]; then
    say "nats-server is missing: running scripts/deps.sh"
    bash scripts/deps.sh 9>&- || die "scripts/deps.sh failed (above)"
    NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
    [ -x "$NATS_SERVER" ] || die "nats-server is still missing (Debian package nats-server)"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true   # each phone is a file descriptor

# --- processes: ours, recorded in $DIR/pids ----------------------------------
PIDS_FILE=$DIR/pids
NATS_PID=
HUB_PIDS=()        # index i-1: hub i's pid; empty once it is gone
HUB_GONE=()        # 1 once its end was reported

# alive PID: running (a zombie counts as gone)
alive() {
    local st=
    [ -n "$1" ] || return 1
    read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    st=${st##*) }   # after the command name: the state letter
    [ -n "$st" ] && [ "${st:0:1}" != Z ]
}
# cmdline_has PID ARGS: the process's command line holds ARGS (whole words)
cmdline_has() {
    local c
    c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ " $c " == *" $2 "* ]]
}
# nap SECONDS: sleep, in a way a signal interrupts at once (the trap runs)
# and bash's "Killed ..." notice for a child that died meanwhile is not shown
# (reap says how it ended).
nap() { sleep "$1" & wait $! 2>/dev/null; }
# reap PID: waits for our child PID (gone already); sets RC to its exit
# status and HOW to "status N" or "signal NAME" (bash's own "Killed ..."
# notice is kept out).
RC=0; HOW=
reap() {
    wait "$1" 2>/dev/null; RC=$?
    if [ "$RC" -gt 128 ] && [ "$RC" -lt 160 ]; then HOW="signal $(kill -l "$((RC - 128))" 2>/dev/null || echo "$((RC - 128))")"
    else HOW="status $RC"; fi
}
save_pids() {
    local i
    { [ -z "$NATS_PID" ] || echo "nats $NATS_PID --store_dir $DIR/nats"
      for ((i = 0; i < ${#HUB_PIDS[@]}; i++)); do
          [ -z "${HUB_PIDS[$i]}" ] || echo "hub ${HUB_PIDS[$i]} --db $DIR/hub-$((i + 1)).db"
      done; } >"$PIDS_FILE"
}
# stop_pid PID NAME SECONDS: SIGTERM, then SIGKILL after SECONDS; returns
# once it is gone. Works for our children and for an earlier run's.
stop_pid() {
    local pid=$1 name=$2 t=$(($3 * 10))
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while alive "$pid" && [ "$t" -gt 0 ]; do nap 0.1; t=$((t - 1)); done
    if alive "$pid"; then
        say "$name (pid $pid) did not stop within $3 s: killing it (SIGKILL)"
        kill -KILL "$pid" 2>/dev/null
        while alive "$pid"; do nap 0.1; done
    fi
}

# Leftovers of an earlier run that was killed before it could stop them: a
# recorded pid is stopped only if its command line still has the same
# --db or --store_dir (a pid reused by another program is left alone).
# The hubs first, then nats-server, as at a stop.
if [ -s "$PIDS_FILE" ]; then
    for want in hub nats; do
        while read -r kind pid marker; do
            [ "$kind" = "$want" ] || continue
            if alive "$pid" && cmdline_has "$pid" "$marker"; then
                say "stopping ${kind/nats/nats-server} (pid $pid, ${marker#* }), left running by an earlier run-cluster"
                stop_pid "$pid" "$kind" "$([ "$kind" = hub ] && echo "$HUB_STOP_S" || echo "$NATS_STOP_S")"
            fi
        done <"$PIDS_FILE"
    done
    rm -f "$PIDS_FILE"
fi

# --- ports -------------------------------------------------------------------
# port_user PORT: prints who listens on TCP PORT (any address), if anyone.
port_user() {
    local out
    if command -v ss >/dev/null 2>&1; then
        out=$(ss -Hltnp "sport = :$1" 2>/dev/null) || out=
        [ -n "$out" ] || return 1
        out=$(grep -o 'users:(("[^"]*",pid=[0-9]*' <<<"$out" | head -n1 | sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/\1, pid \2/')
        echo "${out:-another process}"
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
        echo "another process"
    fi
}
check_port() {  # check_port PORT WHAT HOW-TO-CHANGE
    local who
    who=$(port_user "$1") || return 0
    echo "run-cluster: port $1 ($2) is in use ($who)." >&2
    if [ "$1" = "$NATS_PORT" ] && [[ $who == nats-server* ]]; then
        echo "  Debian's nats-server package starts a NATS (without JetStream) on 127.0.0.1:4222:" >&2
        echo "  sudo systemctl disable --now nats-server, or" >&2
    fi
    echo "  stop what uses it, or pick another port: $3" >&2
    exit 1
}
check_port "$NATS_PORT" "NATS clients" "NATS_PORT=4223 make run-cluster"
check_port "$NATS_HTTP_PORT" "NATS monitoring" "NATS_HTTP_PORT=8223 make run-cluster"
check_port "$PORT" "the hubs" "CHORUS_PORT=8081 make run-cluster"

# --- stopping ------------------------------------------------------------------
STOPPING=0
BAD_STOP=0         # 1: a hub did not stop cleanly (exit status 1)
stop_all() {
    [ "$STOPPING" = 0 ] || return 0
    STOPPING=1
    trap '' INT TERM HUP PIPE
    local i n=0
    for ((i = 0; i < ${#HUB_PIDS[@]}; i++)); do
        if alive "${HUB_PIDS[$i]}"; then kill -TERM "${HUB_PIDS[$i]}" 2>/dev/null; n=$((n + 1)); fi
    done
    [ "$n" = 0 ] || say "stopping $n hub(s) (each closes its clients and commits)..."
    for ((i = 0; i < ${#HUB_PIDS[@]}; i++)); do
        [ -n "${HUB_PIDS[$i]}" ] || continue
        stop_pid "${HUB_PIDS[$i]}" "hub $((i + 1))" "$HUB_STOP_S"
        reap "${HUB_PIDS[$i]}"
        # A clean stop is status 0; anything else is worth its log's end.
        if [ "$RC" != 0 ]; then
            BAD_STOP=1
            echo "run-cluster: hub $((i + 1)) (pid ${HUB_PIDS[$i]}) ended ($HOW) at the stop ($DIR/hub-$((i + 1)).log):" >&2
            tail_of "$DIR/hub-$((i + 1)).log" 5
        fi
    done
    if alive "$NATS_PID"; then
        say "stopping nats-server (pid $NATS_PID)..."
        stop_pid "$NATS_PID" nats-server "$NATS_STOP_S"
    fi
    wait 2>/dev/null
    rm -f "$PIDS_FILE"
    if [ "$n" != 0 ] || [ -n "$NATS_PID" ]; then say "stopped"; fi
    NATS_PID=
    HUB_PIDS=()
}
on_signal() { echo; stop_all; exit "$BAD_STOP"; }
# SIGPIPE: our output went away (a closed pipe): stop too, silently, never
# leaving the processes behind. (A handled signal is back to default in the
# children.)
on_pipe() { exec >/dev/null; stop_all; exit 1; }
trap on_signal INT TERM HUP
trap on_pipe PIPE
trap stop_all EXIT

# --- nats-server -----------------------------------------------------------------
# rotate FILE: keep the previous run's FILE as FILE.1
rotate() { if [ -e "$1" ]; then mv -f "$1" "$1.1"; fi; }

# healthz: nats-server's /healthz body ({"status":"ok"} once JetStream is ready)
healthz() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -m 2 "http://127.0.0.1:$NATS_HTTP_PORT/healthz"
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$NATS_HTTP_PORT" &&
         printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && timeout 2 cat <&3) 2>/dev/null
    fi
}

rotate "$DIR/nats.log"
mkdir -p "$DIR/nats"
setsid "$NATS_SERVER" --jetstream --store_dir "$DIR/nats" --addr 127.0.0.1 --port "$NATS_PORT" \
    --http_port "$NATS_HTTP_PORT" --server_name chorus-local \
    </dev/null >"$DIR/nats.log" 2>&1 9>&- &
NATS_PID=$!
save_pids
t=$((NATS_START_S * 10))
until healthz | grep -Eq '"status": *"ok"'; do
    if ! alive "$NATS_PID"; then
        reap "$NATS_PID"
        NATS_PID=
        echo "run-cluster: nats-server ended ($HOW) at start ($DIR/nats.log):" >&2
        tail_of "$DIR/nats.log"
        exit 1
    fi
    t=$((t - 1))
    if [ "$t" -le 0 ]; then
        echo "run-cluster: nats-server's /healthz (127.0.0.1:$NATS_HTTP_PORT) did not say ok within $NATS_START_S s; it says: $(healthz || echo nothing)" >&2
        tail_of "$DIR/nats.log"
        exit 1
    fi
    nap 0.1
done

# --- hubs --------------------------------------------------------------------------
# start_hub I: starts hub I in its own session, records its pid
start_hub() {
    local i=$1
    rotate "$DIR/hub-$i.log"
    : >"$DIR/hub-$i.out"
    chmod 600 "$DIR/hub-$i.out"   # the banner holds the role keys
    # shellcheck disable=SC2086  # HUB_ARGS: more flags, split on spaces
    setsid "$HUB" --port "$PORT" --db "$DIR/hub-$i.db" --event-file "$EVENT" --nats "$NATS_URL" $HUB_ARGS \
        </dev/null >"$DIR/hub-$i.out" 2>"$DIR/hub-$i.log" 9>&- &
    HUB_PIDS[i - 1]=$!
    HUB_GONE[i - 1]=0
    save_pids
}
# await_hub I: waits until hub I printed its URLs; if it exits first (or
# takes too long), says why and exits with its status.
await_hub() {
    local i=$1 pid=${HUB_PIDS[$(($1 - 1))]} t=$((HUB_START_S * 10))
    until grep -q 'on this machine:' "$DIR/hub-$i.out" 2>/dev/null; do
        if ! alive "$pid"; then
            reap "$pid"
            HUB_PIDS[i - 1]=
            echo "run-cluster: hub $i ended ($HOW) before it served ($DIR/hub-$i.log):" >&2
            tail_of "$DIR/hub-$i.log"
            [ "$RC" != 0 ] || RC=1
            exit "$RC"
        fi
        t=$((t - 1))
        if [ "$t" -le 0 ]; then
            echo "run-cluster: hub $i (pid $pid) did not print its URLs within $HUB_START_S s ($DIR/hub-$i.log):" >&2
            tail_of "$DIR/hub-$i.log"
            exit 1
        fi
        nap 0.1
    done
}
# Hub 1 first, alone: a hub that cannot start says so once, not HUBS times;
# then the others together.
start_hub 1
await_hub 1
for ((i = 2; i <= HUBS; i++)); do start_hub "$i"; done
for ((i = 2; i <= HUBS; i++)); do await_hub "$i"; done

# --- the URLs ---------------------------------------------------------------------------
# Hub 1's banner (all hubs serve the same event on the same port), its first
# line without its own database, then one line per process.
head -n1 "$DIR/hub-1.out" | sed "s|, database .*\$|, $HUBS hub(s), NATS $NATS_URL|"
tail -n +2 "$DIR/hub-1.out"
for ((i = 1; i <= HUBS; i++)); do
    # the hub's own id in the cluster, if its banner says it ("cluster: hub N ...")
    id=$(sed -n 's/^ *cluster: *hub \([0-9][0-9]*\) .*/, cluster id \1/p' "$DIR/hub-$i.out" | head -n1)
    printf '  hub %-15s pid %s, database %s, log %s%s\n' "$i:" "${HUB_PIDS[$((i - 1))]}" "$DIR/hub-$i.db" "$DIR/hub-$i.log" "$id"
done
printf '  %-19s pid %s, store %s, log %s, monitoring http://127.0.0.1:%s/\n' "nats-server:" "$NATS_PID" \
    "$DIR/nats" "$DIR/nats.log" "$NATS_HTTP_PORT"
echo "Ctrl-C stops the hubs, then nats-server."

# --- watch -------------------------------------------------------------------------------
# A hub or nats-server that dies is reported once; the others go on (that is
# what the cluster is for). When no hub is left, nats-server is stopped too.
NATS_GONE=0
while :; do
    left=0
    for ((i = 0; i < HUBS; i++)); do
        pid=${HUB_PIDS[$i]}
        if alive "$pid"; then left=$((left + 1)); continue; fi
        [ "${HUB_GONE[$i]}" = 1 ] && continue
        HUB_GONE[i]=1
        reap "$pid"
        echo "run-cluster: hub $((i + 1)) (pid $pid) ended ($HOW) ($DIR/hub-$((i + 1)).log):" >&2
        tail_of "$DIR/hub-$((i + 1)).log" 5
        HUB_PIDS[i]=
        save_pids
    done
    if [ "$left" = 0 ]; then
        say "no hub left"
        stop_all
        exit 1
    fi
    if [ "$NATS_GONE" = 0 ] && ! alive "$NATS_PID"; then
        NATS_GONE=1
        reap "$NATS_PID"
        echo "run-cluster: nats-server (pid $NATS_PID) ended ($HOW) ($DIR/nats.log); the hubs go on without it" >&2
        tail_of "$DIR/nats.log" 5
        NATS_PID=
        save_pids
    fi
    nap 1
done
