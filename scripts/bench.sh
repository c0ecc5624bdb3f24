#!/usr/bin/env bash
# bench.sh -- the Chorus benchmark (`make bench`): four fixed scenarios, each
# against a fresh hub with a fresh database, run BENCH_RUNS times (default 3;
# medians are reported). Writes bench/results/<date>-<commit>.json and prints
# one screen: this run's medians next to the previous results file and the
# targets. docs/bench.md explains the scenarios and every figure.
#
#   BENCH_RUNS=1 BENCH_ONLY="crowd hold" scripts/bench.sh
# BENCH_HUB_ARGS adds hub flags to every scenario (e.g. --no-io-uring, to
# compare the write paths in one sitting).
#
# Targets are reported, never asserted: the exit status is non-zero only when
# a scenario could not run at all.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-3}
ONLY=${BENCH_ONLY:-ingest crowd hold storm fanout flood}
HUB=${CHORUS_HUB:-hub/chorus-hub}
LOAD=clients/chorus-load
TMP=bench/tmp
if [ ! -x "$HUB" ] || [ ! -x "$LOAD" ]; then make -j2 "$HUB" "$LOAD"; fi
rm -rf "$TMP"
mkdir -p "$TMP" bench/results

HUB_PID=
stop_hub() {
    [ -n "$HUB_PID" ] || return 0
    kill -TERM "$HUB_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
    HUB_PID=
}
trap stop_hub EXIT

# free_port, event FILE LIMITS (the benchmark event file)
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

# busy_pct: share of all CPUs busy over the next second (other agents' work
# shares this machine; a benchmark run on a busy machine measures them too).
busy_pct() {
    local a b
    read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat
    sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
    a=$(( (b1 - a1) + (b2 - a2) + (b3 - a3) + (b6 - a6) + (b7 - a7) ))
    b=$(( a + (b4 - a4) + (b5 - a5) ))
    echo $(( b > 0 ? 100 * a / b : 0 ))
}
# wait_quiet: up to BENCH_WAIT_S (default 60) seconds for the machine to be
# under BENCH_QUIET_PCT (default 25) % busy; prints the last reading.
wait_quiet() {
    local pct end=$((SECONDS + ${BENCH_WAIT_S:-60}))
    while :; do
        pct=$(busy_pct)
        if [ "$pct" -le "${BENCH_QUIET_PCT:-25}" ] || [ $SECONDS -ge $end ]; then break; fi
    done
    echo "$pct"
}

# run NAME LIMITS chorus-load-args...: one scenario, RUNS times, fresh hub each.
declare -A CMDS
run() {
    local name=$1 limits=$2; shift 2
    CMDS[$name]="chorus-load $*"
    for r in $(seq "$RUNS"); do
        local dir=$TMP/$name-$r port
        mkdir -p "$dir"
        wait_quiet > "$dir/busy_before"
        event "$dir/event.json" "$limits"
        port=$(free_port)
        # shellcheck disable=SC2086  # HUB_ARGS: words on purpose
        "$HUB" --port "$port" --bind 127.0.0.1 --db "$dir/hub.db" --event-file "$dir/event.json" \
            --tick-ms 100 ${HUB_ARGS:-} ${BENCH_HUB_ARGS:-} >"$dir/hub.log" 2>&1 &
        HUB_PID=$!
        for _ in $(seq 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
        echo "bench: $name run $r/$RUNS (hub pid $HUB_PID, port $port, machine $(cat "$dir/busy_before")% busy before)" >&2
        "$LOAD" --url "ws://127.0.0.1:$port/ws" --event "$dir/event.json" --hub-pid "$HUB_PID" \
            --db "$dir/hub.db" --json "$dir/load.json" --quiet "$@" >"$dir/load.out" 2>&1 || true
        [ -s "$dir/load.json" ] || echo "bench: $name run $r wrote no figures: $(tail -n 2 "$dir/load.out")" >&2
        stop_hub
    done
}

for s in $ONLY; do
    case $s in
    ingest)   # as fast as the hub reads, limits out of the way
        run ingest ', "react_taps": {"rate": 1e12, "burst": 1e12}, "react_msgs": {"rate": 1e12, "burst": 1e12}' \
            --devices 1000 --react-rate max --duration 20 --probe-rate 0 ;;
    crowd)    # 15,000 phones, 20 screens, a poll 90% vote on within 10 s
        run crowd '' --devices 15000 --screens 20 --procs 2 --connect-rate 5000 \
            --react-rate 0.5 --polls 1 --poll-at 5 --poll-len 20 --vote-share 0.9 \
            --vote-within 10 --probe-rate 4 --duration 30 ;;
    hold)     # idle phones: memory per connection and accept rate
        run hold '' --devices 19000 --procs 2 --connect-rate 20000 --max-pending 1000 --react-rate 0 \
            --probe-rate 0 --duration 5 ;;
    storm)    # everyone drops at once and comes back within 5 s
        run storm '' --devices 15000 --procs 2 --connect-rate 5000 --react-rate 0.5 \
            --polls 1 --poll-at 1 --poll-len 60 --vote-share 0.9 --vote-within 5 \
            --storm-at 10 --storm-window 5 --duration 25 --probe-rate 0 ;;
    fanout)   # 18,000 phones at 10 snapshots/s each: the cost of one delivery
        HUB_ARGS="--audience-hz 10" run fanout '' --devices 18000 --screens 4 --procs 2 --connect-rate 5000 \
            --react-rate 0.2 --probe-rate 4 --duration 20 ;;
    flood)    # 2,000 phones voting while 17,000 connections from one address never say hello
        run flood '' --devices 2000 --screens 4 --procs 1 --connect-rate 5000 --react-rate 0.5 \
            --polls 2 --poll-at 1 --poll-every 9 --poll-len 8 --vote-share 0.9 --vote-within 6 --allow-change \
            --probe-rate 4 --duration 20 --flood 17000 --flood-at 2 --flood-rate 5000 ;;
    *) echo "bench: unknown scenario $s" >&2; exit 2 ;;
    esac
done

commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
out="bench/results/$(date -u +%Y-%m-%d)-$commit.json"
CMDS_TSV=$(for k in "${!CMDS[@]}"; do printf '%s\t%s\n' "$k" "${CMDS[$k]}"; done) \
node - "$TMP" "$RUNS" "$out" "$commit" "$ONLY" <<'JS'
// Medians of the runs, the results file, and one screen against the previous file.
const fs = require("fs"), os = require("os"), path = require("path");
const [tmp, runs, out, commit, only] = process.argv.slice(2);
const cmds = Object.fromEntries((process.env.CMDS_TSV || "").split("\n").filter(Boolean).map(l => l.split("\t")));
const g = (o, p) => p.split(".").reduce((v, k) => v == null ? undefined : v[k], o);
// figure: [scenario, key, label, unit, extract(json), target test, target text]
const F = [
  ["ingest", "hub_signals_per_s", "signals/s counted by the hub", "/s",
     j => g(j, "health.signals_per_s_counted") || g(j, "health.signals_per_s_avg"), v => v >= 1e6, ">= 1,000,000"],
  ["ingest", "sent_per_s", "react frames/s sent by chorus-load", "/s", j => g(j, "signals.react_per_s")],
  ["ingest", "hub_cpu_pct", "hub CPU (100 = one core)", "%", j => g(j, "hub.cpu_pct_avg")],
  ["ingest", "machine_cpu_pct", "machine CPU, all processes (max 200)", "%", j => g(j, "machine_cpu_pct")],
  ["ingest", "load_cpu_s", "chorus-load CPU", "s", j => g(j, "load_cpu_s")],
  ["ingest", "store_dropped", "store records dropped", "", j => g(j, "health.store_dropped")],
  ["crowd", "s2s_p50_ms", "signal-to-screen p50", "ms", j => g(j, "signal_to_screen_ms.p50")],
  ["crowd", "s2s_p99_ms", "signal-to-screen p99", "ms", j => g(j, "signal_to_screen_ms.p99"), v => v <= 150, "<= 150"],
  ["crowd", "gap_p99_ms", "gap between screen snaps p99 (tick 100)", "ms", j => g(j, "screen_snap_gap_ms.p99")],
  ["crowd", "vote_ack_p99_ms", "vote ack p99", "ms", j => g(j, "vote_ack_ms.p99")],
  ["crowd", "votes_acked", "votes acked", "", j => g(j, "signals.acked_vote_ok")],
  ["crowd", "hub_rss_mb", "hub RSS max", "MiB", j => g(j, "hub.rss_kb_max") / 1024],
  ["crowd", "hub_cpu_pct", "hub CPU", "%", j => g(j, "hub.cpu_pct_avg")],
  ["crowd", "machine_cpu_pct", "machine CPU, all processes (max 200)", "%", j => g(j, "machine_cpu_pct")],
  ["crowd", "failed", "failed connections", "", j => g(j, "conns.failed"), v => v === 0, "0"],
  ["hold", "connected", "connections held", "", j => g(j, "conns.connected")],
  ["hold", "rss_per_conn_b", "hub RSS per connection", "B", j => g(j, "hub.rss_bytes_per_conn"), v => v <= 4096, "<= 4,096"],
  ["hold", "connects_per_s", "connects per second", "/s", j => g(j, "conns.connects_per_s"), v => v >= 5000, ">= 5,000"],
  ["hold", "cpu_us_per_connect", "hub CPU per connect", "us", j => g(j, "hub.cpu_us_per_connect")],
  ["hold", "failed", "failed connections", "", j => g(j, "conns.failed"), v => v === 0, "0"],
  ["fanout", "snaps_per_s", "snapshots delivered per second (all: 180,000)", "/s", j => g(j, "snaps.per_s"), v => v >= 171000, ">= 171,000"],
  ["fanout", "us_per_snap", "hub CPU per delivered snapshot", "us",
     j => g(j, "hub.cpu_pct_avg") * 1e4 / g(j, "snaps.per_s"), v => v <= 5, "<= 5"],
  ["fanout", "gap_p99_ms", "gap between screen snaps p99 (tick 100)", "ms", j => g(j, "screen_snap_gap_ms.p99"), v => v <= 150, "<= 150"],
  ["fanout", "s2s_p99_ms", "signal-to-screen p99", "ms", j => g(j, "signal_to_screen_ms.p99"), v => v <= 250, "<= 250"],
  ["fanout", "hub_cpu_pct", "hub CPU", "%", j => g(j, "hub.cpu_pct_avg")],
  ["fanout", "machine_cpu_pct", "machine CPU, all processes (max 200)", "%", j => g(j, "machine_cpu_pct")],
  ["fanout", "connected", "phones connected", "", j => g(j, "conns.connected")],
  ["flood", "gap_p99_ms", "gap between screen snaps p99 (tick 100)", "ms", j => g(j, "screen_snap_gap_ms.p99"), v => v <= 150, "<= 150"],
  ["flood", "vote_ack_p99_ms", "vote ack p99", "ms", j => g(j, "vote_ack_ms.p99"), v => v <= 100, "<= 100"],
  ["flood", "s2s_p99_ms", "signal-to-screen p99", "ms", j => g(j, "signal_to_screen_ms.p99")],
  ["flood", "flood_opened", "flood connections opened", "", j => g(j, "flood.opened")],
  ["flood", "flood_open_max", "flood connections open at once (max)", "", j => g(j, "flood.open_max")],
  ["flood", "hub_cpu_pct", "hub CPU", "%", j => g(j, "hub.cpu_pct_avg")],
  ["flood", "hub_rss_mb", "hub RSS max", "MiB", j => g(j, "hub.rss_kb_max") / 1024],
  ["flood", "machine_cpu_pct", "machine CPU, all processes (max 200)", "%", j => g(j, "machine_cpu_pct")],
  ["flood", "dropped", "crowd connections dropped", "", j => g(j, "conns.dropped")],
  ["storm", "all_back_s", "all back after the drop", "s",
     j => { const v = g(j, "storm.all_back_s"); return v == null || v < 0 ? Infinity : v; }, v => v <= 10, "<= 10"],
  ["storm", "votes_lost", "acked votes lost", "",
     j => (g(j, "storm.votes_lost") || 0) + (g(j, "db_check.missing") || 0) + (g(j, "db_check.wrong") || 0), v => v === 0, "0"],
  ["storm", "failed", "failed (re)connections", "", j => g(j, "conns.failed")],
];
const median = a => { a = a.filter(v => typeof v === "number" && !Number.isNaN(v)).sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2) : null; };
const res = { date: new Date().toISOString(), commit, runs: +runs,
  host: { nproc: os.cpus().length, cpu: (os.cpus()[0] || {}).model, kernel: os.release() }, scenarios: {} };
for (const s of only.split(/\s+/).filter(Boolean)) {
  const raw = [];
  for (let r = 1; r <= +runs; r++) {
    try { raw.push(JSON.parse(fs.readFileSync(path.join(tmp, `${s}-${r}`, "load.json")))); } catch (e) { raw.push(null); }
  }
  const per = raw.map(j => j && Object.fromEntries(F.filter(f => f[0] === s).map(f => [f[1], f[4](j)])));
  per.forEach((p, i) => { if (p) { try { p.busy_before_pct = +fs.readFileSync(path.join(tmp, `${s}-${i + 1}`, "busy_before"), "utf8"); } catch (e) {} } });
  const med = Object.fromEntries(F.filter(f => f[0] === s).map(f => [f[1], median(per.filter(Boolean).map(p => p[f[1]]))]));
  // JSON has no Infinity: "never" is stored as null with a note
  for (const p of [med, ...per.filter(Boolean)]) for (const k in p) if (p[k] === Infinity) p[k] = null;
  med.busy_before_pct = median(per.filter(Boolean).map(p => p.busy_before_pct));
  res.scenarios[s] = { command: cmds[s] || "", median: med, runs: per, load: raw };
}
const prevFile = fs.readdirSync("bench/results").filter(f => f.endsWith(".json") && path.join("bench/results", f) !== out)
  .map(f => { try { return [f, JSON.parse(fs.readFileSync(path.join("bench/results", f)))]; } catch (e) { return null; } })
  .filter(Boolean).sort((a, b) => (a[1].date < b[1].date ? -1 : 1)).pop();
fs.writeFileSync(out, JSON.stringify(res, null, 1) + "\n");
const fmt = (v, u) => v == null ? (u === "s" ? "never" : "-") : (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en") : (+v.toFixed(1)).toString()) + (u && u !== "" ? " " + u : "");
const prev = prevFile ? prevFile[1] : null;
const line = (a, b, c, d, e, f) => console.log(a.padEnd(7) + b.padEnd(36) + c.padStart(15) + d.padStart(15) + "  " + e.padEnd(14) + f);
console.log(`\nChorus benchmark ${res.date.slice(0, 16)}Z commit ${commit}, median of ${runs} run(s); previous: ${prevFile ? prevFile[0] : "none"}`);
line("", "figure", "this", "previous", "target", "");
for (const f of F) {
  if (!res.scenarios[f[0]]) continue;
  const v = res.scenarios[f[0]].median[f[1]];
  const pv = prev && prev.scenarios && prev.scenarios[f[0]] ? prev.scenarios[f[0]].median[f[1]] : undefined;
  const met = f[5] ? (v == null && f[3] !== "s" ? "?" : f[5](v == null ? Infinity : v) ? "met" : "MISSED") : "";
  line(f[0], f[2], fmt(v, f[3]), pv === undefined ? "-" : fmt(pv, f[3]), f[6] || "", met);
}
console.log("machine busy before each run (median %, other agents share it): " +
  Object.entries(res.scenarios).map(([k, v]) => `${k} ${v.median.busy_before_pct}`).join(", "));
console.log(`results: ${out}`);
JS
