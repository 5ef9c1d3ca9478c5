#!/usr/bin/env bash
# Does scraping /metrics every 100 ms change the broker's figures (issue 18)? One throughput
# scenario (p2p QoS 1) and one latency scenario (latency QoS 0 at 5000/s), each run on a fresh
# mqttgwd with `metrics_listener`, alternately without and with a scraper (GET /metrics every
# 100 ms on a new connection: scripts/bench_scraper.py, one persistent process that checks every
# page; forking curl every 100 ms cost the 2-core machine more CPU than the broker's render did),
# ROUNDS times; prints the medians and the ratio scraped/quiet, and appends them to the
# summary file given as $1 (scripts/bench.sh passes its summary.md). Called by scripts/bench.sh
# (BENCH_SCRAPE=1, the default) or alone:
#   BUILD=build scripts/bench_scrape.sh [SUMMARY]
# Knobs: BENCH_SCRAPE_ROUNDS=3, BENCH_SCRAPE_DURATION=3 (seconds per run), BENCH_SCRAPE_MS=100.
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${BENCH_SCRAPE_ROUNDS:-3}
DUR=${BENCH_SCRAPE_DURATION:-3}
EVERY_MS=${BENCH_SCRAPE_MS:-100}
SUMMARY=${1:-}
GWD=$BUILD/mqttgwd
BENCH=$BUILD/mqttgw-bench
WORK=$BUILD/bench/scrape
RESULTS=$WORK/results.jsonl
mkdir -p "$WORK"
: >"$RESULTS"
for x in "$GWD" "$BENCH"; do [ -x "$x" ] || { echo "bench_scrape.sh: $x missing (make all)" >&2; exit 1; }; done
command -v curl >/dev/null || { echo "bench_scrape.sh: curl missing" >&2; exit 1; }

# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
free_port() { bench_free_port; }

SPID=
cleanup() {
	[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true
	bench_stop_broker
}
trap cleanup EXIT

SCENARIOS=("p2p-q1|p2p --qos 1" "latency-q0|latency --qos 0 --rate 5000")

run() { # name args scraped(0|1) round
	local name=$1 args=$2 scraped=$3 round=$4 port mport line n=0 i
	port=$(free_port)
	mport=$(free_port)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_type error\nlog_type warning\nmetrics_listener 127.0.0.1:%s\nuser root\n' \
		"$port" "$mport" >"$WORK/broker.conf"
	"$GWD" -c "$WORK/broker.conf" 2>>"$WORK/broker.log" &
	BPID=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$mport/healthz" && break
		sleep 0.05
	done
	if [ "$scraped" = 1 ]; then
		rm -f "$WORK/scrapes" "$WORK/scrapes.started"
		python3 "$(dirname "$0")/bench_scraper.py" 127.0.0.1 "$mport" "$EVERY_MS" \
			"$WORK/scrapes" 2>>"$WORK/scraper.log" &
		SPID=$!
		for ((i = 0; i < 200; i++)); do
			[ -e "$WORK/scrapes.started" ] && break
			sleep 0.05
		done
	fi
	# shellcheck disable=SC2086
	line=$(timeout -k 5 120 "$BENCH" $args --duration "$DUR" --warmup 1 --port "$port" \
		--broker-pid "$BPID" --label "mqttgwd" --json 2>>"$WORK/bench.log") || true
	n=0 cpu=0
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || echo "bench_scrape.sh: bad pages (see $WORK/scraper.log)" >&2
		SPID=
		read -r n _ cpu <"$WORK/scrapes" || true
	fi
	bench_stop_broker
	[ -n "$line" ] || { echo "bench_scrape.sh: $name failed (see $WORK/bench.log)" >&2; return 0; }
	printf '{"config":"%s","round":%s,"scraped":%s,"scrapes":%s,"scraper_cpu_ms":%s,%s\n' "$name" \
		"$round" "$scraped" "$n" "$cpu" "${line#\{}" >>"$RESULTS"
	echo "$line" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read())
print("bench_scrape.sh: %-10s %s msgs/s=%.0f p50=%.1fus p99=%.1fus ok=%s" % (sys.argv[1],
      sys.argv[2], r["msgs_per_s"], r.get("lat_p50_us") or 0, r.get("lat_p99_us") or 0, r["ok"]))' \
		"$name" "$([ "$scraped" = 1 ] && echo "scraped($n, ${cpu} ms cpu)" || echo quiet)" >&2
}

for round in $(seq "$ROUNDS"); do
	for sc in "${SCENARIOS[@]}"; do
		# alternate which goes first, so a drift in machine load hits both alike
		if [ $((round % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
		for s in $order; do run "${sc%%|*}" "${sc#*|}" "$s" "$round"; done
	done
done

python3 - "$RESULTS" "$EVERY_MS" "$DUR" "$ROUNDS" <<'PY' | tee "$WORK/summary.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("\n### Scraping /metrics every %s ms (issue 18)\n" % sys.argv[2])
print("mqttgwd with `metrics_listener`, %s s runs, %s rounds alternating quiet/scraped; medians;"
      " ratio = scraped / quiet.\n" % (sys.argv[3], sys.argv[4]))
print("| scenario | figure | quiet | scraped | ratio |")
print("|---|---|---:|---:|---:|")
for cfg in sorted({r["config"] for r in rows}):
    for key, label in (("msgs_per_s", "msgs/s"), ("lat_p50_us", "p50 us"), ("lat_p99_us", "p99 us")):
        q = [r[key] for r in rows if r["config"] == cfg and not r["scraped"] and r.get(key)]
        s = [r[key] for r in rows if r["config"] == cfg and r["scraped"] and r.get(key)]
        if not q or not s:
            continue
        mq, ms = statistics.median(q), statistics.median(s)
        print("| %s | %s | %.1f | %.1f | %.3f |" % (cfg, label, mq, ms, ms / mq))
n = [r["scrapes"] for r in rows if r["scraped"]]
cpu = [r.get("scraper_cpu_ms", 0) for r in rows if r["scraped"]]
print("\nScrapes per scraped run: %s (the scraper's own CPU: %s ms)." % (
    ", ".join(map(str, n)) or "none", ", ".join("%.0f" % c for c in cpu) or "none"))
PY
[ -z "$SUMMARY" ] || cat "$WORK/summary.md" >>"$SUMMARY"
