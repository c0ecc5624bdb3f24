# shellcheck shell=bash
# bench-lib.sh -- what scripts/bench.sh and scripts/bench-cluster.sh share
# (sourced, not run): a free loopback port and the benchmark event file.

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# event FILE [LIMITS]: an event with the probe reaction kind only the load
# generator's probe sends (signal-to-screen latency), and the given limits
# (JSON members after joins_per_ip, with a leading comma). BENCH_EVENT_EXTRA
# adds top-level fields (JSON, e.g. an "osc" section to measure what OSC out
# costs the loop). joins_per_ip is raised everywhere: 15,000 phones arrive
# from 30 loopback addresses in seconds, which is what a venue NAT looks like.
event() {
    cat > "$1" <<JSON
{"code": "BENCH", "name": "Benchmark",
 "reactions": ["heart", "fire", "clap", "rock", "laugh", "probe"],
 "sections": ["A", "B", "C", "D", "E", "F"],
 "keys": {"crew": "bench-crew", "screen": "bench-screen", "performer": "bench-stage"},
 "songs": ["Opening"],
 "limits": {"joins_per_ip": {"rate": 1000000, "burst": 1000000}${2:-}}${BENCH_EVENT_EXTRA:+, $BENCH_EVENT_EXTRA}}
JSON
}
