#!/usr/bin/env bash
# bench-cluster.sh -- the cluster benchmark (`make bench-cluster`, issue 14):
# as many phones as this machine holds across HUBS hubs of one event joined
# by a real nats-server (JetStream), all on one port (SO_REUSEPORT), against
# one hub alone with the single-hub crowd. Screens and probe phones land on
# any hub, so the signal-to-screen latency crosses hubs. Loopback only; it
# stops by itself.
#
#   scripts/bench-cluster.sh                 # HUBS=3 PHONES=40000, then 1 hub x 15000
#   HUBS=5 PHONES=90000 PROCS=5 scripts/bench-cluster.sh
#   BENCH_RUNS=3 ...                         # medians of 3 (default 1)
#
# Figures per run (bench/cluster/<run>/result.json, and one line each):
# phones connected, signal-to-screen p50/p99 (across hubs), vote ack p99
# (through the vote stream), votes acked vs votes in the hubs' databases,
# CPU seconds and peak RSS of the hubs, nats-server and the load generator,
# and per phone. Needs: hub/chorus-hub, clients/chorus-load, nats-server.
set -euo pipefail
cd "$(dirname "$0")/.."
HUBS=${HUBS:-3}
PHONES=${PHONES:-40000}
PROCS=${PROCS:-$(( (PHONES + 17999) / 18000 ))}
SINGLE=${SINGLE:-15000}
RUNS=${BENCH_RUNS:-1}
DURATION=${DURATION:-30}
HUB=${CHORUS_HUB:-hub/chorus-hub}
LOAD=clients/chorus-load
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
OUT=bench/cluster
if [ ! -x "$HUB" ] || [ ! -x "$LOAD" ]; then make -j2 "$HUB" "$LOAD"; fi
mkdir -p "$OUT"

PIDS=()
stop_all() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PIDS=()
}
trap stop_all EXIT

# free_port, event FILE (the benchmark event file, as `make bench` uses)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

# cpu_s PID: user+system seconds so far; rss_kb PID: its peak RSS (VmHWM).
cpu_s() { awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# one NAME NHUBS NPHONES: a run; writes $OUT/NAME/result.json.
one() {
    local name=$1 nhubs=$2 phones=$3 dir=$OUT/$1 port nport mport
    rm -rf "$dir"
    mkdir -p "$dir/js"
    event "$dir/event.json"
    port=$(free_port)
    local args=() hubpids=() natspid=
    if [ "$nhubs" -gt 1 ]; then
        nport=$(free_port)
        mport=$(free_port)
        "$NATS" -js -sd "$dir/js" -p "$nport" -a 127.0.0.1 -m "$mport" -l "$dir/nats.log" &
        natspid=$!
        PIDS+=("$natspid")
        for _ in $(seq 100); do curl -sf "127.0.0.1:$mport/healthz" >/dev/null && break; sleep 0.1; done
        args=(--nats "nats://127.0.0.1:$nport")
    fi
    for i in $(seq "$nhubs"); do
        "$HUB" --port "$port" --bind 127.0.0.1 --db "$dir/hub-$i.db" --event-file "$dir/event.json" \
            --tick-ms 100 "${args[@]}" >"$dir/hub-$i.log" 2>&1 &
        hubpids+=($!)
        PIDS+=($!)
        for _ in $(seq 100); do grep -q "hub started" "$dir/hub-$i.log" && break; sleep 0.1; done
    done
    local c0
    c0=$(for p in "${hubpids[@]}" $natspid; do cpu_s "$p"; done | paste -sd+ | bc)
    echo "bench-cluster: $name: $nhubs hub(s), $phones phones, port $port" >&2
    local t0=$SECONDS
    "$LOAD" --url "ws://127.0.0.1:$port/ws" --event "$dir/event.json" --devices "$phones" --screens 12 \
        --procs "$PROCS" --connect-rate 4000 --max-pending 1000 --react-rate 0.2 --polls 1 --poll-at 5 \
        --poll-len 15 --vote-share 0.9 --vote-within 10 --probe-rate 4 --duration "$DURATION" \
        --connect-timeout 120 --max-failed "$phones" --json "$dir/load.json" --quiet >"$dir/load.out" 2>&1 || true
    local wall=$((SECONDS - t0)) c1 hubs_cpu nats_cpu=0 hubs_rss=0 nats_rss=0 stored=0
    c1=$(for p in "${hubpids[@]}"; do cpu_s "$p"; done | paste -sd+ | bc)
    [ -n "$natspid" ] && nats_cpu=$(cpu_s "$natspid") && nats_rss=$(rss_kb "$natspid")
    hubs_cpu=$(echo "$c1 + $nats_cpu - $c0" | bc)
    for p in "${hubpids[@]}"; do hubs_rss=$((hubs_rss + $(rss_kb "$p"))); done
    stop_all
    for i in $(seq "$nhubs"); do
        stored=$((stored + $(sqlite3 "$dir/hub-$i.db" "SELECT count(*) FROM votes" 2>/dev/null || echo 0)))
    done
    node - "$dir" "$nhubs" "$phones" "$hubs_cpu" "$nats_cpu" "$hubs_rss" "$nats_rss" "$stored" "$wall" <<'JS'
const fs = require("fs");
const [dir, nhubs, phones, cpu, natsCpu, rss, natsRss, stored, wall] = process.argv.slice(2);
let l = {};
try { l = JSON.parse(fs.readFileSync(dir + "/load.json", "utf8")); } catch { /* no figures */ }
const pick = (...ks) => { for (const k of ks) { const v = k.split(".").reduce((o, x) => (o ? o[x] : undefined), l); if (v !== undefined) return v; } return null; };
const connected = pick("conns.connected");
const r = {
  hubs: +nhubs, phones: +phones, connected,
  s2s_p50_ms: pick("signal_to_screen_ms.p50"), s2s_p99_ms: pick("signal_to_screen_ms.p99"),
  gap_p99_ms: pick("screen_snap_gap_ms.p99"),
  vote_ack_p99_ms: pick("vote_ack_ms.p99"), votes_acked: pick("signals.acked_vote_ok"),
  votes_stored: +stored, votes_refused: pick("signals.rejected.store_failed"), failed: pick("conns.failed"),
  cpu_s_hubs_and_nats: +(+cpu).toFixed(2), cpu_s_nats: +natsCpu, rss_mb_hubs: +(rss / 1024).toFixed(1),
  rss_mb_nats: +(natsRss / 1024).toFixed(1), wall_s: +wall,
};
const n = connected || +phones;
r.cpu_ms_per_phone = +(1000 * r.cpu_s_hubs_and_nats / n).toFixed(3);
r.rss_kb_per_phone = +(((+rss + +natsRss)) / n).toFixed(2);
fs.writeFileSync(dir + "/result.json", JSON.stringify({ ...r, load: l }, null, 1));
console.log(JSON.stringify(r));
JS
}

for r in $(seq "$RUNS"); do
    one "cluster-$r" "$HUBS" "$PHONES"
    one "single-$r" 1 "$SINGLE"
done
