#!/usr/bin/env bash
# Start-up to listening (issue 15): mqttgwd `fastpath off`, mqttgwd `fastpath on`, mqttgwd
# `fastpath on` with the XDP guard on a veth (`xdp_interface`, root only: the starts run in a
# network namespace the script creates and deletes) and Mosquitto,
# started STARTUP_N times each in alternation, each start timed from exec by
# scripts/startup_time.py: to the first accepted TCP connection (listening), to the CONNACK of a
# CONNECT sent on it (serving), and to the end of the start (complete: mqttgwd's "version ...
# running" line, logged once the fast path is in and privileges are dropped; Mosquitto's
# CONNACK, it loads nothing behind its listeners).
# Medians against the target (<= 100 ms to listening in every mode) are appended to SUMMARY
# (argument 1; stdout without it); one JSON line per start in $BUILD/bench/startup-<ts>.jsonl.
# Called by scripts/bench.sh; alone: BUILD=build STARTUP_N=5 scripts/bench_startup.sh
# Knobs: STARTUP_N (default 7), BENCH_NICE (as bench.sh), MOSQUITTO.
set -euo pipefail

BUILD=${BUILD:-build}
N=${STARTUP_N:-7}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
GWD=$BUILD/mqttgwd
NICE=${BENCH_NICE:--10}
[ "$(id -u)" -eq 0 ] || NICE=0
SUMMARY=${1:-/dev/stdout}
TS=$(date +%Y%m%d-%H%M%S)
OUT=$BUILD/bench
WORK=$OUT/startup-run-$TS
RES=$OUT/startup-$TS.jsonl
mkdir -p "$WORK"
: >"$RES"
PINS=/sys/fs/bpf/mqttgw-bench-startup-$$
XNS=""
if [ "$(id -u)" -eq 0 ] && ip netns add "mqgw-bst-$$" 2>/dev/null; then
	XNS=mqgw-bst-$$
	trap 'ip netns del "$XNS" 2>/dev/null || true' EXIT
	ip -n "$XNS" link set lo up
	ip -n "$XNS" link add bst0 type veth peer name bst1
	ip -n "$XNS" link set bst0 up
	ip -n "$XNS" link set bst1 up
fi
BROKERS="mqttgwd mqttgwd-fp"
[ -z "$XNS" ] || BROKERS="$BROKERS mqttgwd-xdp"
BROKERS="$BROKERS mosquitto"

# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

conf() { # broker port file
	{
		echo "# written by scripts/bench_startup.sh for $1"
		bench_conf_base "$1" "$2" 127.0.0.1
		echo "allow_anonymous true"
		echo "persistence false"
		echo "log_type notice"
		case $1 in
		mqttgwd) echo "fastpath off" ;;
		mqttgwd-fp)
			echo "fastpath on"
			echo "fastpath_pin_dir $PINS"
			;;
		mqttgwd-xdp)
			echo "fastpath on"
			echo "fastpath_pin_dir $PINS-xdp"
			echo "xdp_interface bst0 auto"
			echo "xdp_required true"
			;;
		esac
	} >"$3"
}

for i in $(seq "$N"); do
	for b in $BROKERS; do
		p=$(bench_free_port)
		conf "$b" "$p" "$WORK/$b.conf"
		bin=$GWD
		[ "$b" != mosquitto ] || bin=$MOSQUITTO
		inns=()
		[ "$b" != mqttgwd-xdp ] || inns=(ip netns exec "$XNS")
		"${inns[@]}" python3 "$(dirname "$0")/startup_time.py" "$b" "$p" "$WORK/$b.log" -- \
			nice -n "$NICE" "$bin" -c "$WORK/$b.conf" >>"$RES" ||
			echo "bench_startup.sh: $b start $i failed (see $WORK/$b.log)" >&2
	done
done

python3 - "$RES" "$N" >>"$SUMMARY" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("## Start-up (issue 15): median of %s starts, ms from exec\n" % sys.argv[2])
print("Listening: the first TCP connection accepted; serving: the CONNACK of a CONNECT sent on it;")
print("complete: the broker's `version ... running` line (mqttgwd: fast path in, privileges dropped;")
print("with xdp_interface, the guard attaches after it: `XDP guard attached` comes later).")
print("Target: <= 100 ms to listening in every mode.\n")
print("| broker | listening | serving (CONNACK) | complete | listening <= 100 ms | starts |")
print("|---|---|---|---|---|---|")
names = {"mqttgwd": " (fastpath off)", "mqttgwd-fp": " (fastpath on)",
         "mqttgwd-xdp": " (fastpath on, XDP guard on a veth)"}
for b in ("mqttgwd", "mqttgwd-fp", "mqttgwd-xdp", "mosquitto"):
    rs = [r for r in rows if r["broker"] == b and "error" not in r]
    if not rs:
        print("| %s | | | | not run | 0 |" % b)
        continue
    m = {k: statistics.median([r[k] for r in rs if r.get(k) is not None] or [float("nan")])
         for k in ("listen_ms", "connack_ms", "complete_ms")}
    print("| %s | %.1f | %.1f | %.1f | %s | %d |" % (
        b + names.get(b, ""),
        m["listen_ms"], m["connack_ms"], m["complete_ms"],
        "met" if m["listen_ms"] <= 100 else "**missed**", len(rs)))
print()
PY
rm -rf "$WORK"/*.conf
echo "bench_startup.sh: $RES" >&2
