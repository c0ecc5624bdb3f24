#!/usr/bin/env bash
# bench-split.sh -- does a second hub process pay on this machine? The fanout
# scenario of `make bench` (18,000 phones, --audience-hz 10, 4 screens, 20 s)
# played against ONE hub, then split over TWO hub processes (9,000 phones and
# 2 screens each, two chorus-load runs at the same time), RUNS times each,
# alternating. Prints snapshots delivered per second (summed over the hubs)
# and hub CPU per delivered snapshot, medians. The two hubs serve separate
# events here (joining them into one event is the NATS cluster's job); what
# is measured is the delivery work spread over two processes on 2 cores,
# with the load generator on the same cores.
#
#   RUNS=3 scripts/bench-split.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
HUB=${CHORUS_HUB:-hub/chorus-hub}
LOAD=clients/chorus-load
TMP=bench/tmp/split
rm -rf "$TMP"; mkdir -p "$TMP"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

event() {
    cat > "$1" <<JSON
{"code": "SPLIT$2", "name": "Split", "reactions": ["heart", "fire", "clap", "rock", "laugh", "probe"],
 "sections": ["A", "B", "C", "D", "E", "F"],
 "keys": {"crew": "bench-crew", "screen": "bench-screen", "performer": "bench-stage"},
 "limits": {"joins_per_ip": {"rate": 1000000, "burst": 1000000}}}
JSON
}

# play TAG NHUBS: NHUBS hubs, the 18,000 phones and 4 screens shared by them.
play() {
    local tag=$1 nh=$2 dev=$((18000 / $2)) scr=$((4 / $2)) h
    local ports=() hubs=() loads=()
    for h in $(seq "$nh"); do
        local d=$TMP/$tag-$h port
        mkdir -p "$d"; event "$d/event.json" "$h"
        port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
        "$HUB" --port "$port" --bind 127.0.0.1 --db "$d/hub.db" --event-file "$d/event.json" --tick-ms 100 \
            --audience-hz 10 >"$d/hub.log" 2>&1 &
        hubs+=($!); PIDS+=($!); ports+=("$port")
    done
    sleep 1
    for h in $(seq "$nh"); do
        local d=$TMP/$tag-$h
        "$LOAD" --url "ws://127.0.0.1:${ports[$((h - 1))]}/ws" --event "$d/event.json" --hub-pid "${hubs[$((h - 1))]}" \
            --json "$d/load.json" --quiet --devices "$dev" --screens "$scr" --procs 1 --connect-rate 5000 \
            --react-rate 0.2 --probe-rate 4 --duration 20 >"$d/load.out" 2>&1 &
        loads+=($!)
    done
    for p in "${loads[@]}"; do wait "$p" || true; done
    for p in "${hubs[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    local jsons=()
    for h in $(seq "$nh"); do jsons+=("$TMP/$tag-$h/load.json"); done
    node -e '
      const fs = require("fs"); let snaps = 0, cpu = 0;
      for (const f of process.argv.slice(1)) { const j = JSON.parse(fs.readFileSync(f));
        snaps += j.snaps.per_s; cpu += j.hub.cpu_pct_avg; }
      console.log(JSON.stringify({ snaps_per_s: Math.round(snaps), hub_cpu_pct: Math.round(cpu),
        us_per_snap: +(cpu * 1e4 / snaps).toFixed(2) }));' "${jsons[@]}"
}

for r in $(seq "$RUNS"); do
    echo "one hub,  run $r: $(play "one-$r" 1)"
    echo "two hubs, run $r: $(play "two-$r" 2)"
done
