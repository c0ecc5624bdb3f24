#!/usr/bin/env bash
# 50-load.sh -- chorus-load must not rot: a ~10 s smoke (1,000 devices, two
# screens, a poll, probes) against a real hub on a free loopback port with a
# temporary database, its JSON checked; plus the checks that make the tool
# fail when it should (bad arguments, refused connections, votes missing
# from the database). Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
LOAD=clients/chorus-load
HUB=${CHORUS_HUB:-hub/chorus-hub}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

T=$(mktemp -d /tmp/chorus-load-test.XXXXXX)
HUB_PID=
cleanup() { [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
# jget FILE PATH -> value at a dotted path of a JSON file ("" if absent)
jget() {
    node -e 'let v=JSON.parse(require("fs").readFileSync(process.argv[1]));for(const k of process.argv[2].split("."))v=v==null?undefined:v[k];console.log(v===undefined?"":typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"
}

if [ ! -x "$LOAD" ] || [ ! -x "$HUB" ]; then
    bad "binaries built ($LOAD, $HUB)"
    echo "$pass passed, $fail failed"; exit 1
fi

cat > "$T/event.json" <<'JSON'
{"code": "LOADT", "name": "Load smoke",
 "reactions": ["heart", "fire", "clap", "probe"], "sections": ["A", "B", "C"],
 "keys": {"crew": "crew-k", "screen": "screen-k", "performer": "stage-k"},
 "songs": ["One"], "limits": {}}
JSON

# --- codec and histograms against dumb references -------------------------
"$LOAD" --self-test >"$T/self.out" 2>&1; rc=$?
sed 's/^/    /' "$T/self.out"
check "chorus-load --self-test (codec, histograms)" [ "$rc" = 0 ]

# --- bad arguments: exit 2 with a one-line reason -----------------------
usage_case() {   # name, expected stderr pattern, args...
    local name=$1 pat=$2; shift 2
    "$LOAD" "$@" >"$T/out" 2>"$T/err"; local rc=$?
    if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$pat" "$T/err"; then
        ok "bad arguments: $name"
    else
        bad "bad arguments: $name (rc $rc: $(head -c 200 "$T/err"))"
    fi
}
usage_case "non-loopback target refused" "only 127.0.0.0/8" --url ws://10.1.2.3:80/ws --event "$T/event.json"
usage_case "hostname target refused" "127.0.0.0/8" --url ws://example.com:80/ws --event "$T/event.json"
usage_case "not a number" "--devices" --url ws://127.0.0.1:1/ws --event "$T/event.json" --devices lots
usage_case "unknown option" "unknown" --url ws://127.0.0.1:1/ws --event "$T/event.json" --frobnicate
usage_case "missing --url" "--url" --event "$T/event.json"
usage_case "too many per process" "per-process" --url ws://127.0.0.1:1/ws --event "$T/event.json" --devices 25000
usage_case "missing event file" "nope.json" --url ws://127.0.0.1:1/ws --event "$T/nope.json"
usage_case "probe kind not in event" "probe kind" --url ws://127.0.0.1:1/ws --event "$T/event.json" --screens 1 --probe-kind zap
"$LOAD" --help >"$T/out" 2>&1; check "--help exits 0 with usage" grep -q "^usage: chorus-load" "$T/out"

# --- nobody listening: every connection fails, exit 1 --------------------
DEAD=$(free_port)
timeout 30 "$LOAD" --url "ws://127.0.0.1:$DEAD/ws" --event "$T/event.json" --devices 5 --duration 1 \
    --connect-timeout 5 --quiet --json "$T/dead.json" >"$T/dead.out" 2>&1; rc=$?
check "refused connections give exit 1" [ "$rc" = 1 ]
# 5 devices + the crew (the event has a crew key)
check "refused connections are counted" [ "$(jget "$T/dead.json" conns.failed)" = 6 ]

# --- the smoke against a real hub ----------------------------------------
PORT=$(free_port)
"$HUB" --port "$PORT" --bind 127.0.0.1 --db "$T/hub.db" --event-file "$T/event.json" \
    --tick-ms 100 >"$T/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
timeout 60 "$LOAD" --url "ws://127.0.0.1:$PORT/ws" --event "$T/event.json" \
    --devices 1000 --screens 2 --connect-rate 2000 --duration 8 --react-rate 0.5 \
    --chant-rate 0.02 --polls 1 --poll-at 1 --vote-within 3 --probe-rate 4 \
    --hub-pid "$HUB_PID" --db "$T/hub.db" --json "$T/smoke.json" --quiet >"$T/smoke.out" 2>&1
rc=$?
sed 's/^/    /' "$T/smoke.out"
J=$T/smoke.json
check "smoke exits 0" [ "$rc" = 0 ]
if [ -s "$J" ]; then
    check "all 1,004 connections welcomed (1000 devices, 2 screens, crew, probe)" \
        [ "$(jget "$J" conns.connected)" = 1004 ]
    check "no failed connections" [ "$(jget "$J" conns.failed)" = 0 ]
    check "no connection closed by the hub" [ "$(jget "$J" conns.dropped)" = 0 ]
    check "reactions were sent" [ "$(jget "$J" signals.sent_react)" -gt 500 ]
    check "the crew opened the poll" [ "$(jget "$J" signals.sent_crew)" -ge 1 ]
    check "about 90% of devices voted and were acked" [ "$(jget "$J" signals.acked_vote_ok)" -gt 700 ]
    check "no signal rejected" [ "$(jget "$J" signals.rejected.rate_limited)" = 0 ]
    check "vote ack latency measured" [ "$(jget "$J" vote_ack_ms.n)" -gt 700 ]
    check "signal-to-screen latency measured (p50 > 0)" \
        node -e 'const j=require(process.argv[1]);process.exit(j.signal_to_screen_ms.n>=20&&j.signal_to_screen_ms.p50>0?0:1)' "$J"
    check "every probe seen by every screen" [ "$(jget "$J" probes.screen_samples_missing)" = 0 ]
    # timings are the benchmark's business (docs/bench.md): here only that they flow
    check "screens and phones received snapshots" \
        node -e 'const j=require(process.argv[1]);process.exit(j.snaps.screen_per_s>0&&j.snaps.per_s>j.snaps.screen_per_s?0:1)' "$J"
    check "every acked vote is in the database" \
        [ "$(jget "$J" db_check.missing)/$(jget "$J" db_check.wrong)/$(jget "$J" db_check.votes)" = "0/0/$(jget "$J" signals.acked_vote_ok)" ]
    check "hub RSS sampled" [ "$(jget "$J" hub.rss_kb_connected)" -gt 0 ]
else
    bad "smoke wrote its JSON"
fi

# --- the database check can fail: same load, checked against another db ---
sqlite3 "$T/empty.db" "CREATE TABLE votes(poll INTEGER, device INTEGER, option INTEGER, ts_ms INTEGER, changes INTEGER);"
timeout 40 "$LOAD" --url "ws://127.0.0.1:$PORT/ws" --event "$T/event.json" --devices 50 \
    --duration 3 --polls 1 --poll-at 0.2 --vote-within 1 --vote-share 1 --probe-rate 0 \
    --db "$T/empty.db" --json "$T/miss.json" --quiet >"$T/miss.out" 2>&1; rc=$?
check "votes missing from the database give exit 1" [ "$rc" = 1 ]
check "... and are counted as missing" [ "$(jget "$T/miss.json" db_check.missing)" -gt 0 ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
