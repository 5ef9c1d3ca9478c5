#!/usr/bin/env bash
# Light-load latency, counted (issue #15 "two benches disagree"; README "Light-load latency:
# which bench is right"). For each broker (mqttgwd `fastpath off`, mqttgwd `fastpath on`,
# Mosquitto) and each client (mqttgw-latprobe: one thread; mqttgw-bench latency: publisher and
# subscriber threads), ROUNDS times in alternation, one run at RATE msg/s QoS 0, 64 B, and per
# message over the middle COUNT_S seconds, from `perf stat --per-thread` on the client and the
# broker: context switches, CPU migrations and syscalls of every thread, and the run's
# p50/p99/p99.9 as the client reports them. Work counts do not depend on the machine's load
# the way timings do; the latencies are printed next to them with the load average.
# The counted window starts 1.5 s in: perf must attach after the client's threads exist.
#
#   BUILD=/tmp/x-b [RATE=1000] [ROUNDS=3] [COUNT_S=3] [CPUS=LIST] tests/bench/latprobe/latcount.sh
#
# CPUS: run brokers and clients under `taskset -c CPUS`. SCHED=1 (default): also record 1 s of
# `perf sched` in the counted part and print the wake-up chain per message (wakechain.py):
# how long each hop took and whether it crossed to the other CPU (an idle vCPU's wake-up is an
# IPI and a VM exit here: about 18 us). Output: one line per run and thread
# group on stdout; raw perf output in $BUILD/latcount/.
set -euo pipefail

BUILD=${BUILD:-build}
RATE=${RATE:-1000}
ROUNDS=${ROUNDS:-3}
COUNT_S=${COUNT_S:-3}
SCHED=${SCHED:-1}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
PIN=()
[ -z "${CPUS:-}" ] || PIN=(taskset -c "$CPUS")
OUT=$BUILD/latcount
mkdir -p "$OUT"
export BENCH_ME=latcount.sh
# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/../../../scripts/bench_lib.sh"
trap bench_stop_broker EXIT

conf() { # broker port
	bench_conf_base "$1" "$2" 127.0.0.1
	echo "allow_anonymous true"
	echo "persistence false"
	echo "max_queued_messages 1000"
	echo "max_inflight_messages 20"
	case $1 in
	mqttgwd-fp) printf 'sys_interval 1\nmax_receive 20\nfastpath on\n' ;;
	mqttgwd) printf 'sys_interval 1\nmax_receive 20\nfastpath off\n' ;;
	*) echo "sys_interval 0" ;;
	esac
}

# One run: start the client, count COUNT_S seconds from 1.5 s in, wait for its report.
run() { # broker tool
	local b=$1 t=$2 port cpid bpid f=$OUT/$1.$2.r$r
	port=$(bench_free_port)
	conf "$b" "$port" >"$f.conf"
	if [ "$b" = mosquitto ]; then
		bench_start_broker "$f.log" "$port" "${PIN[@]}" "$MOSQUITTO" -c "$f.conf"
	else
		bench_start_broker "$f.log" "$port" "${PIN[@]}" "$BUILD/mqttgwd" -c "$f.conf"
	fi
	# the fast path loads behind the listeners (seconds under load): measure it, not the daemon
	if [ "$b" = mqttgwd-fp ]; then
		for _ in $(seq 60); do
			[ "$(timeout 3 mosquitto_sub -p "$port" -t "\$SYS/broker/fastpath/active" -C 1 \
				-W 2 2>/dev/null)" != 1 ] || break
			sleep 0.25
		done
	fi
	if [ "$t" = probe ]; then
		"${PIN[@]}" "$BUILD/mqttgw-latprobe" --port "$port" --rate "$RATE" --warmup 1 \
			--duration $((COUNT_S + 2)) --label "$b" >"$f.out" 2>&1 &
	else
		"${PIN[@]}" "$BUILD/mqttgw-bench" latency --port "$port" --rate "$RATE" --size 64 \
			--warmup 1 --duration $((COUNT_S + 2)) --label "$b" >"$f.out" 2>&1 &
	fi
	cpid=$!
	sleep 1.5
	perf stat --per-thread -x, -e context-switches,cpu-migrations,raw_syscalls:sys_enter \
		-p "$cpid,$BPID" -o "$f.perf" -- sleep "$COUNT_S" 2>/dev/null || true
	[ "$SCHED" = 0 ] || perf sched record -a -o "$f.sched" -- sleep 1 >/dev/null 2>&1 || true
	wait "$cpid" || true
	bpid=$BPID
	bench_stop_broker
	# per thread name: cs, migrations, syscalls per message
	awk -F, -v n=$((RATE * COUNT_S)) -v b="$b" -v t="$t" '
		/^#/ || NF < 4 { next }
		{ th = $1; sub(/-[0-9]+$/, "", th); v[th, $4] += $2; seen[th] = 1 }
		END { for (th in seen)
			printf "%-10s %-6s %-14s cs/msg %.2f  migr/msg %.3f  syscalls/msg %.2f\n",
			       b, t, th, v[th, "context-switches"] / n, v[th, "cpu-migrations"] / n,
			       v[th, "raw_syscalls:sys_enter"] / n }' "$f.perf" | sort
	if [ "$SCHED" = 1 ]; then
		local tx=mqttgw-latprobe rx=mqttgw-latprobe fp=
		[ "$t" = probe ] || { tx=bench-pub; rx=bench-sub0; }
		[ "$b" != mqttgwd-fp ] || fp=--fp
		perf sched script -i "$f.sched" 2>/dev/null |
			python3 "$(dirname "$0")/wakechain.py" --tx $tx --rx $rx --broker "$bpid" $fp |
			sed 's/^/    /'
		rm -f "$f.sched"
	fi
	grep -h "samples: p50\|latency p50\|latency p99 us\|latency p99.9" "$f.out" |
		sed 's/^ */    /' | tr -s ' '
}

echo "# $(date -u +%FT%TZ) rate $RATE msg/s, $COUNT_S s counted, ${PIN[*]:-no pinning}, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for b in mqttgwd mqttgwd-fp mosquitto; do
		for t in probe bench; do run "$b" "$t"; done
	done
done
echo "# end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
