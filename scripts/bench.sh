#!/usr/bin/env bash
# Benchmark mqttgwd against Mosquitto with build/mqttgw-bench (called by `make bench`).
#
# Each run starts a fresh broker (so peak RSS and RSS per connection are per run), on a free
# loopback port, with equivalent settings: max_queued_messages 1000, max_inflight_messages 20,
# no persistence, errors and warnings logged only, TCP_NODELAY on accepted sockets ($SYS: below).
# Every scenario runs against each broker in alternation (A B C A B C ...) for ROUNDS rounds.
# Brokers: mqttgwd (`fastpath off`), mqttgwd-fp (the same daemon with `fastpath on`, only for
# the QoS 0 scenarios in FP_SCENARIOS: the kernel fast path never carries QoS 1/2) and
# Mosquitto; the pingpong scenario also runs once per round without a broker ("direct": two
# threads over one loopback TCP connection, the physical floor). Both mqttgwd variants run with
# sys_interval 1; after each of their runs the fast-path counters are read from $SYS
# (mosquitto_sub) and the share of deliveries the kernel relayed is added to the result.
# Results: $BUILD/bench/results-<timestamp>.jsonl (one JSON line per run) and
# $BUILD/bench/summary.md (medians per broker, ratio mqttgwd/Mosquitto per figure, and the
# kernel fast path's targets of issue #6 with a met/missed verdict).
# Pictures (scripts/bench_plot.py, gnuplot): $BUILD/bench/bench-<timestamp>-*.png next to the
# summary, which links them: throughput bars, latency percentiles per broker, and latency over
# time for every scenario that writes a timeline file (the fixed-rate ones: mqttgw-bench
# --timeline). Timeline files (the format is in
# bench_plot.py): $BENCH_TIMELINE_DIR/<config>.<broker>.r<round>.tsv, the directory exported to
# every run ($BUILD/bench/timeline-<timestamp>); a scenario that writes there is plotted with
# no change to the plotting.
#
# Knobs (environment):
#   ROUNDS=3                  rounds (each round runs every scenario on both brokers)
#   BENCH_SCENARIOS="..."     subset, by config name (see CONFIGS below), space separated
#   BENCH_DURATION=5          measured seconds per run;  BENCH_WARMUP=1  warm-up seconds
#   BENCH_FASTPATH=auto|on|off  the `fastpath` key of the mqttgwd column [off]
#   BENCH_BROKERS="mqttgwd mqttgwd-fp mosquitto"  which brokers, in alternation order
#   BENCH_FP_SCENARIOS="..."  configs that get the mqttgwd-fp column (QoS 0 only)
#   BENCH_BUDGET=840          seconds; no new run starts past it (the whole must stay < 15 min)
#   MOSQUITTO=/usr/sbin/mosquitto
#   BENCH_NICE=-10            niceness of the brokers and the tool alike (root only; 0 = off), so
#                             that background load disturbs the figures less
#   BENCH_SCRAPE=1            then run scripts/bench_scrape.sh: p2p-q1 and latency-q0 on mqttgwd
#                             without and with a /metrics scraper every 100 ms, ratio (issue 18)
#   BENCH_STARTUP=1           then scripts/bench_startup.sh: start-up to listening, serving and
#                             complete, STARTUP_N (7) starts per broker (issue 15; 0 = skip)
#   BENCH_XDP=1               then run scripts/bench_xdp.sh (the XDP guard, issue #14; 0 = skip)
#   BENCH_STALL=1             then run scripts/bench_stall.sh (storm and stop, issue #15; 0 = skip)
#   BENCH_BRIDGE=1            then run scripts/bench_bridge.sh (bridge drain, RSS, latency, issue
#                             #17; 0 = skip)
#   BENCH_STORE=1             the durable store's figures (issue #13): columns mqttgwd-store
#                             (`persistence true`, `persistence_sync full`, a fresh store per run
#                             under $BUILD/bench: a real disk) and mosquitto-store (`persistence
#                             true`) for STORE_SCENARIOS, and a restart with BENCH_STORE_MSGS
#                             (1000000) stored messages written by $BUILD/storegen [1; 0 = off]
#   BENCH_CPUS=LIST           run the brokers and the tool on these CPUs only (taskset -c LIST);
#                             e.g. 0 puts every hop of pingpong on one CPU: on this 2-vCPU VM a
#                             wake-up of the other, idle vCPU costs ~18 us, which dominates the
#                             idle latency figures when the scheduler spreads the threads [unset]
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
BUDGET=${BENCH_BUDGET:-840}
FASTPATH=${BENCH_FASTPATH:-off}
BROKERS=${BENCH_BROKERS:-mqttgwd mqttgwd-fp mosquitto}
FP_SCENARIOS=${BENCH_FP_SCENARIOS:-lat-1k lat-10k pingpong p2p-q0 fanout-q0 fanin-q0}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
GWD=$BUILD/mqttgwd
NICE=${BENCH_NICE:--10}
PIN=()
[ -z "${BENCH_CPUS:-}" ] || PIN=(taskset -c "$BENCH_CPUS")
[ "$(id -u)" -eq 0 ] || NICE=0
BENCH=$BUILD/mqttgw-bench
STORE=${BENCH_STORE:-1}
STORE_MSGS=${BENCH_STORE_MSGS:-1000000}
# mqttgwd-store runs these (persistent ones: vs mqttgwd persistence off and Mosquitto with
# persistence true; the others: persistence on vs off, issue #13 "unchanged within noise");
# mosquitto-store only the persistent ones
STORE_SCENARIOS="p2p-q1-pers lat-q1-pers lat-1k p2p-q0 p2p-q1"
STORE_PERS="p2p-q1-pers lat-q1-pers"
if [ "$STORE" = 1 ] && [ -z "${BENCH_BROKERS:-}" ]; then
	BROKERS="$BROKERS mqttgwd-store mosquitto-store"
fi
# ---- the base build (issues #11 and #15): knobs ----
# BENCH_BASE=REV (default 65042da, the commit both issues started from; empty: off) is built
# once, non-SAN, into $BUILD/bench/base-<full rev>/ (cached by rev) and runs as column
# mqttgwd-base (`fastpath off`, the config of column mqttgwd) in BASE_SCENARIOS, next to
# mqttgwd in the alternation. The summary compares the two (section "mqttgwd vs the base build").
BASE_REV=${BENCH_BASE-65042da}
BASE_SCENARIOS="lat-1k lat-10k pingpong latency-q0 latency-q1 p2p-q0 p2p-q1 p2p-q2 fanout-q0 fanin-q0 fanin-q1 connections"
if [ -n "$BASE_REV" ] && [ -z "${BENCH_BROKERS:-}" ]; then
	BROKERS=${BROKERS/mqttgwd /mqttgwd mqttgwd-base }
fi
# ---- end of the base build's knobs ----

# name | mqttgw-bench arguments
# lat-1k, lat-10k, pingpong: the kernel fast path's latency targets (issue #6); pingpong runs
# 3 s (tens of thousands of round trips are plenty) to keep the whole under 15 minutes.
CONFIGS=(
	"lat-1k|latency --rate 1000 --size 64"
	"lat-10k|latency --rate 10000 --size 64"
	"pingpong|pingpong --size 64 --duration 3"
	"latency-q0|latency --qos 0 --rate 5000"
	"latency-q1|latency --qos 1 --rate 5000"
	"p2p-q0|p2p --qos 0"
	# MQTT over WebSocket (issue #18: ws >= 0.5x plain TCP on the same broker): the brokers get
	# a second listener with `protocol websockets` (ws://, no TLS) and the tool speaks ws to it
	"p2p-q0-ws|p2p --qos 0 --ws"
	"p2p-q1|p2p --qos 1"
	"p2p-q2|p2p --qos 2"
	"p2p-q1-v5|p2p --qos 1 --mqtt-version 5"
	"fanout-q0|fanout --qos 0"
	"fanin-q0|fanin --qos 0"
	"fanin-q1|fanin --qos 1"
	"connections|connections --conns 10000 --conn-rate 5000 --duration 3"
	# durable store: a persistent subscriber (clean session 0), so that every QoS 1 message is
	# stored before its PUBACK; lat-q1-pers gives the PUBACK latency at 1k msg/s (ack_p99_us)
	"p2p-q1-pers|p2p --qos 1 --persistent"
	"lat-q1-pers|latency --qos 1 --rate 1000 --size 64 --persistent"
)
SCENARIOS=${BENCH_SCENARIOS:-$(printf '%s\n' "${CONFIGS[@]}" | cut -d'|' -f1 | tr '\n' ' ')}

die() {
	echo "bench.sh: $*" >&2
	exit 1
}

for f in "$BENCH" "$MOSQUITTO"; do
	[ -x "$f" ] || die "$f not found (make all; scripts/deps.sh installs mosquitto)"
done
case " $BROKERS " in *" mqttgwd"*) [ -x "$GWD" ] || die "$GWD not found (make all)" ;; esac
SUB=$(command -v mosquitto_sub || true)

TS=$(date +%Y%m%d-%H%M%S)
OUT=$BUILD/bench
WORK=$OUT/run-$TS
mkdir -p "$WORK"
RESULTS=$OUT/results-$TS.jsonl
SUMMARY=$OUT/summary.md
: >"$RESULTS"
LOG=$WORK/bench.log
BENCH_TIMELINE_DIR=$OUT/timeline-$TS
mkdir -p "$BENCH_TIMELINE_DIR"
export BENCH_TIMELINE_DIR

# Many connections: the brokers and the tool inherit the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
stop_broker() { bench_stop_broker; }
free_port() { bench_free_port; }
trap stop_broker EXIT
trap 'stop_broker; exit 130' INT TERM

# Equivalent settings; each file documents itself.
write_conf() { # broker port file
	local b=$1 port=$2 f=$3
	{
		echo "# written by scripts/bench.sh for $b"
		bench_conf_base "$b" "$port" 127.0.0.1
		echo "allow_anonymous true"
		case $b in
		*-store)
			# a fresh store per run, on the disk of $BUILD (fsync is real there)
			rm -rf "$WORK/store-$b"
			mkdir -p "$WORK/store-$b"
			echo "persistence true"
			echo "persistence_location ${STORE_DIR_OVERRIDE:-$WORK/store-$b}/"
			echo "persistence_file store.db"
			[ "$b" = mosquitto-store ] || echo "persistence_sync full"
			# the restart figure: the start-up line says what was restored
			[ -z "${STORE_DIR_OVERRIDE:-}" ] || echo "log_type all"
			;;
		*) echo "persistence false" ;;
		esac
		echo "max_queued_messages 1000"
		echo "max_inflight_messages 20"
		# mqttgwd: $SYS every second, so the fast-path counters can be read after a run
		case $b in mqttgwd*) echo "sys_interval 1" ;; *) echo "sys_interval 0" ;; esac
		if [ "${b%-store}" != mosquitto ]; then
			# Mosquitto advertises max_inflight_messages as its MQTT 5 Receive Maximum
			echo "max_receive 20"
			if [ "$b" = mqttgwd-fp ]; then
				echo "fastpath on"
			elif [ "$b" = mqttgwd-base ]; then
				echo "fastpath off"
			elif [ -n "$FASTPATH" ]; then
				echo "fastpath $FASTPATH"
			fi
		fi
		# a --ws scenario: the WebSocket listener (at the end: Mosquitto's `protocol` is per listener)
		if [ -n "${WS_PORT:-}" ]; then
			echo "listener $WS_PORT 127.0.0.1"
			echo "protocol websockets"
		fi
	} >"$f"
}

# A mqttgwd that does not know the `fastpath` key yet still gets benchmarked, without it.
if [ -x "$GWD" ]; then
	write_conf mqttgwd 1 "$WORK/probe.conf"
	if ! "$GWD" -c "$WORK/probe.conf" -t >/dev/null 2>&1; then
		echo "bench.sh: mqttgwd rejects 'fastpath $FASTPATH'; running without the key" >&2
		FASTPATH=
	fi
fi

start_broker() { # broker -> BPID, PORT
	local b=$1 conf bin=$GWD
	PORT=$(free_port)
	conf=$WORK/$b.conf
	write_conf "$b" "$PORT" "$conf"
	case $b in mosquitto*) bin=$MOSQUITTO ;; mqttgwd-base) bin=$BASE_GWD ;; esac
	bench_start_broker "$WORK/$b.log" "$PORT ${WS_PORT:-}" "${PIN[@]}" nice -n "$NICE" "$bin" -c "$conf"
}

# ---- the base build (issues #11 and #15): build it, or say why the column is unavailable ----
# The source is `git archive` of the rev (not a `git worktree`: nothing is registered in the
# repository, so deleting $BUILD leaves no stale worktree behind). The build runs with a clean
# make environment (MAKEFLAGS of `make bench SAN=1` must not reach it) and builds only mqttgwd.
BASE_GWD=
BASE_STATUS="off (BENCH_BASE empty)"
base_build() { # -> BASE_GWD, BASE_STATUS
	local full dir src=$OUT/base-src
	full=$(git -C "$(dirname "$0")/.." rev-parse --verify -q "$BASE_REV^{commit}") || {
		BASE_STATUS="unavailable (no commit $BASE_REV in this repository)"
		return 1
	}
	dir=$(realpath -m "$OUT/base-$full")
	if [ ! -x "$dir/mqttgwd" ]; then
		echo "bench.sh: building mqttgwd of $BASE_REV (non-SAN) into $dir" >&2
		rm -rf "$src"
		mkdir -p "$src"
		git -C "$(dirname "$0")/.." archive "$full" | tar -x -C "$src"
		if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice make -C "$src" -j"$(nproc)" \
			BUILD="$dir" SAN=0 "$dir/mqttgwd" >"$OUT/base-build.log" 2>&1; then
			BASE_STATUS="unavailable (the build of $BASE_REV failed: $OUT/base-build.log)"
			return 1
		fi
	fi
	write_conf mqttgwd-base 1 "$WORK/probe-base.conf"
	if ! "$dir/mqttgwd" -c "$WORK/probe-base.conf" -t >"$WORK/probe-base.log" 2>&1; then
		BASE_STATUS="unavailable (mqttgwd of $BASE_REV refuses the config: $(tail -1 "$WORK/probe-base.log"))"
		return 1
	fi
	BASE_GWD=$dir/mqttgwd
	BASE_STATUS="available ($BASE_REV = ${full:0:12})"
}
case " $BROKERS " in
*" mqttgwd-base "*)
	[ -n "$BASE_REV" ] && base_build || echo "bench.sh: mqttgwd-base column $BASE_STATUS" >&2
	;;
esac
# ---- end of the base build ----

# The mqttgwd-fp column needs `fastpath on` to start (BPF, root or CAP_BPF+CAP_NET_ADMIN);
# without it the column says "unavailable" and its runs are skipped.
FP_STATUS=available
case " $BROKERS " in
*" mqttgwd-fp "*)
	if [ -z "$FASTPATH" ]; then
		FP_STATUS="unavailable (mqttgwd does not know the fastpath key)"
	elif ! start_broker mqttgwd-fp 2>/dev/null; then
		FP_STATUS="unavailable ($(tail -1 "$WORK/mqttgwd-fp.log" 2>/dev/null | sed "s/^[0-9]*: //" | cut -c1-160))"
	else
		sleep 0.3
		kill -0 "$BPID" 2>/dev/null ||
			FP_STATUS="unavailable ($(tail -1 "$WORK/mqttgwd-fp.log" | sed "s/^[0-9]*: //" | cut -c1-160))"
		stop_broker
	fi
	[ "$FP_STATUS" = available ] || echo "bench.sh: mqttgwd-fp column $FP_STATUS" >&2
	;;
*) FP_STATUS="not run (BENCH_BROKERS)" ;;
esac

# Which columns a config runs: mqttgwd-fp only for FP_SCENARIOS, direct only for pingpong.
config_brokers() { # config args
	local b out=
	for b in $BROKERS; do
		if [ "$b" = mqttgwd-fp ]; then
			[ "$FP_STATUS" = available ] || continue
			case " $FP_SCENARIOS " in *" $1 "*) ;; *) continue ;; esac
		fi
		if [ "$b" = mqttgwd-base ]; then
			[ -n "$BASE_GWD" ] || continue
			case " $BASE_SCENARIOS " in *" $1 "*) ;; *) continue ;; esac
		fi
		case $b in
		mqttgwd-store) case " $STORE_SCENARIOS " in *" $1 "*) ;; *) continue ;; esac ;;
		mosquitto-store) case " $STORE_PERS " in *" $1 "*) ;; *) continue ;; esac ;;
		mosquitto) case " $STORE_PERS " in *" $1 "*) continue ;; esac ;;
		esac
		out="$out $b"
	done
	case "$2" in pingpong*) out="$out direct" ;; esac
	echo "$out"
}

# Fast-path counters of the running mqttgwd, as JSON members to add to the run's line. Each run
# has a fresh broker, so the counters start at 0 and their value after the run is the delta.
# $SYS is retained and republished every second: the second message seen is one published
# after the tool had finished, hence final.
fp_counters() { # broker
	local v
	[ -n "$SUB" ] || { echo ',"fp_note":"no mosquitto_sub"'; return 0; }
	if [ "$1" = mqttgwd-fp ]; then
		v=$(timeout 6 "$SUB" -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/fastpath/redirected/frames' \
			-C 2 -W 5 2>/dev/null | tail -1)
		case $v in '' | *[!0-9]*) echo ',"fp_note":"counters not read"' ;;
		*) echo ",\"fp_active\":1,\"fp_redirected_frames\":$v" ;; esac
	else
		v=$(timeout 4 "$SUB" -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/fastpath/active' \
			-C 1 -W 3 2>/dev/null | tail -1)
		# fastpath off: nothing can be redirected
		[ "$v" = 1 ] && echo ',"fp_active":1' || echo ',"fp_active":0,"fp_redirected_frames":0'
	fi
}

# The fast path loads behind the listeners (README "Start-up: listening first"): 0.3-0.9 s on
# an idle machine, 2-4 s at load average 20-24, so longer than the warm-up, and until it is up
# every message goes through the daemon (issue #15: of 1k msg/s runs started as the port
# opened, 44 % and 73 % of the deliveries were redirected). mqttgwd-fp's run starts once $SYS
# says `active 1` (published at once when the fast path comes up, retained).
fp_wait_active() {
	local v
	[ -n "$SUB" ] || return 0
	for _ in $(seq 60); do
		v=$(timeout 3 "$SUB" -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/fastpath/active' \
			-C 1 -W 2 2>/dev/null) || true
		[ "$v" != 1 ] || return 0
		sleep 0.25
	done
	echo "bench.sh: mqttgwd-fp: the fast path is not active after 15 s; measuring anyway" >&2
}

config_args() {
	local c
	for c in "${CONFIGS[@]}"; do
		[ "${c%%|*}" = "$1" ] && { echo "${c#*|}"; return 0; }
	done
	return 1
}

# Is the machine quiet? Other load (a fuzzer, a build) makes every figure meaningless.
idle_check() {
	local a b
	read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ </proc/stat
	sleep 1
	read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ </proc/stat
	a=$((a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8))
	b=$((b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8))
	echo $((100 * ((b - a) - (b4 - a4) - (b5 - a5)) / (b - a > 0 ? b - a : 1)))
}

for s in $SCENARIOS; do config_args "$s" >/dev/null || die "unknown scenario config '$s'"; done

START=$SECONDS
BUSY_BEFORE=$(idle_check)
[ "$BUSY_BEFORE" -le 10 ] ||
	echo "bench.sh: warning: the machine is ${BUSY_BEFORE}% busy before the benchmark" >&2
echo "bench.sh: rounds=$ROUNDS duration=${DURATION}s brokers='$BROKERS' (mqttgwd-fp: $FP_STATUS; mqttgwd-base: $BASE_STATUS) -> $RESULTS" >&2
SKIPPED=0
for round in $(seq "$ROUNDS"); do
	for s in $SCENARIOS; do
		args=$(config_args "$s")
		for b in $(config_brokers "$s" "$args"); do
			if [ $((SECONDS - START)) -ge "$BUDGET" ]; then
				SKIPPED=$((SKIPPED + 1))
				continue
			fi
			case " $args " in *" --duration "*) dur= ;; *) dur="--duration $DURATION" ;; esac
			WS_PORT=
			case " $args " in *" --ws "*) WS_PORT=$(free_port) ;; esac
			# fixed-rate scenarios: every latency sample, for the latency-over-time pictures
			tl=
			case " $args " in *" --rate "*) tl="--timeline $BENCH_TIMELINE_DIR/$s.$b.r$round.tsv" ;; esac
			if [ "$b" = direct ]; then
				target="--direct"
			elif start_broker "$b"; then
				[ "$b" != mqttgwd-fp ] || fp_wait_active
				target="--port ${WS_PORT:-$PORT} --broker-pid $BPID"
			else
				echo "{\"config\":\"$s\",\"round\":$round,\"broker\":\"$b\",\"error\":\"broker did not start\"}" >>"$RESULTS"
				continue
			fi
			printf 'bench.sh: round %s %-12s %-10s ' "$round" "$s" "$b" >&2
			rc=0
			# shellcheck disable=SC2086
			line=$("${PIN[@]}" nice -n "$NICE" timeout -k 5 180 "$BENCH" $args $dur --warmup "$WARMUP" $target $tl \
				--label "$b" --json 2>>"$LOG") || rc=$?
			extra=
			case $b in mqttgwd*) [ -z "$line" ] || extra=$(fp_counters "$b") ;; esac
			stop_broker
			if [ -z "$line" ]; then
				echo "failed (exit $rc, see $LOG)" >&2
				echo "{\"config\":\"$s\",\"round\":$round,\"broker\":\"$b\",\"error\":\"exit $rc\"}" >>"$RESULTS"
				continue
			fi
			line=${line%\}}$extra\}
			printf '{"config":"%s","round":%s,"exit":%s,%s\n' "$s" "$round" "$rc" "${line#\{}" \
				>>"$RESULTS"
			echo "$line" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read())
k="conn_rate" if r["scenario"]=="connections" else "msgs_per_s"
f=r.get("fp_redirected_frames")
fp=" in-kernel=%.3f" % (f / r["delivered"]) if f is not None and r.get("delivered") else ""
l="conn_p50_us" if r["scenario"]=="connections" else "lat_p50_us"
print("%s=%.0f p50=%.1fus ok=%s%s" % (k, r.get(k) or 0, r.get(l) or 0, r["ok"], fp))' >&2
		done
	done
done

WS_PORT=
# ---- durable store: restart with STORE_MSGS stored messages (issue #13) ----
# storegen writes them through the store API (one offline persistent session, 64-byte payloads);
# then per round: mqttgwd-store on an empty store, then on that one, each timed from exec to its
# first CONNACK (mosquitto_pub retried every 5 ms: mqttgwd listens before it loads, an open port
# is not a serving broker), with the peak RSS. One JSON line per round in $STORE_RESULTS.
STORE_RESULTS=$OUT/store-$TS.jsonl
: >"$STORE_RESULTS"
time_to_connack() { # -> READY (ms, or empty); the broker keeps running (BPID)
	local t0 t1
	READY=
	t0=$(date +%s%N)
	PORT=$(free_port)
	start_broker_nowait mqttgwd-store
	while kill -0 "$BPID" 2>/dev/null && [ $((($(date +%s%N) - t0) / 1000000)) -lt 120000 ]; do
		if timeout 120 "${SUB%_sub}_pub" -h 127.0.0.1 -p "$PORT" -t bench/probe -m x \
			-i "probe-$$" 2>/dev/null; then
			t1=$(date +%s%N)
			READY=$(((t1 - t0) / 1000000))
			return 0
		fi
		sleep 0.005
	done
}
start_broker_nowait() { # broker: like start_broker without waiting for the port
	local conf=$WORK/$1.conf
	write_conf "$1" "$PORT" "$conf"
	"${PIN[@]}" nice -n "$NICE" "$GWD" -c "$conf" >>"$WORK/$1.log" 2>&1 &
	BPID=$!
}
if [ "$STORE" = 1 ] && [ -n "$SUB" ] && [ $((SECONDS - START)) -lt "$BUDGET" ]; then
	if [ ! -x "$BUILD/storegen" ]; then
		echo "bench.sh: $BUILD/storegen not built (make unit): no restart figures" >&2
	else
		BIG=$WORK/store-1m
		mkdir -p "$BIG"
		g0=$(date +%s%N)
		if "$BUILD/storegen" "$BIG" store.db "$STORE_MSGS" 64 offline-1 bench/queued >>"$LOG" 2>&1; then
			gen_ms=$((($(date +%s%N) - g0) / 1000000))
			bytes=$(cat "$BIG"/store.db* | wc -c)
			for round in $(seq "$ROUNDS"); do
				time_to_connack
				empty=$READY
				stop_broker
				STORE_DIR_OVERRIDE=$BIG
				export STORE_DIR_OVERRIDE
				time_to_connack
				ready=$READY
				hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$BPID/status" 2>/dev/null || true)
				restored=$(grep -Eo 'Restored [0-9]+ sessions, [0-9]+ queued' \
					"$WORK/mqttgwd-store.log" | tail -1 || true)
				stop_broker
				unset STORE_DIR_OVERRIDE
				printf '{"config":"restart-1m","round":%s,"broker":"mqttgwd-store","msgs":%s,"store_bytes":%s,"bytes_per_msg":%s,"gen_ms":%s,"ready_ms":%s,"empty_ready_ms":%s,"rss_peak_kb":%s,"restored":"%s"}\n' \
					"$round" "$STORE_MSGS" "$bytes" "$((bytes / STORE_MSGS))" "$gen_ms" \
					"${ready:-null}" "${empty:-null}" "${hwm:-null}" "$restored" >>"$STORE_RESULTS"
				echo "bench.sh: round $round restart-$STORE_MSGS: ${ready:-?} ms to the first CONNACK (empty store ${empty:-?} ms), peak RSS ${hwm:-?} KiB; $restored" >&2
			done
		else
			echo "bench.sh: storegen failed (see $LOG)" >&2
		fi
	fi
fi
ELAPSED=$((SECONDS - START))

# ---- summary: medians per broker and the ratio mqttgwd/Mosquitto per figure ----
{
	echo "# mqttgw benchmark summary"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); results: \`$RESULTS\`; logs: \`$WORK\`"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
		"kernel $(uname -r), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
	echo "- brokers: mqttgwd $(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo '?')" \
		"(column mqttgwd: fastpath ${FASTPATH:-not set}; column mqttgwd-fp: fastpath on, $FP_STATUS;" \
		"column mqttgwd-base: mqttgwd of BENCH_BASE, fastpath off, $BASE_STATUS);" \
		"$("$MOSQUITTO" -h 2>/dev/null | head -1)"
	echo "- rounds: $ROUNDS, ${DURATION} s measured + ${WARMUP} s warm-up per run, a fresh broker per run;" \
		"niceness $NICE for brokers and tool;$([ -z "${BENCH_CPUS:-}" ] || echo " all on CPUs $BENCH_CPUS;") total ${ELAPSED} s$([ "$SKIPPED" = 0 ] || echo "; runs skipped for the time budget: $SKIPPED")"
	echo "- machine busy before the benchmark: ${BUSY_BEFORE}%$([ "$BUSY_BEFORE" -le 10 ] || echo ' (NOT IDLE: figures unreliable)')"
	echo "- settings (both): max_queued_messages 1000, max_inflight_messages 20 (and an MQTT 5 Receive" \
		"Maximum of 20: Mosquitto's default, mqttgwd's max_receive), persistence off," \
		"\$SYS off for Mosquitto and every second for mqttgwd (to read the fast-path counters)," \
		"log errors+warnings, TCP_NODELAY. Mosquitto's listen backlog is fixed at 100," \
		"mqttgwd's is 4096 (matters for connect latency)."
	echo "- mqttgw-bench publishes MQTT 3.1.1 with at most 20 unacknowledged QoS 1/2 PUBLISHes per" \
		"publisher (Mosquitto 2.0 loses QoS 2 messages beyond max_inflight_messages), MQTT 5 up to the" \
		"broker's Receive Maximum."
	echo
} >"$SUMMARY"
# ---- footprint (issues #15 and #18): the stripped size of mqttgwd, what a router stores ----
STRIPPED=
if [ -x "$GWD" ] && "${CROSS_COMPILE:-}strip" -o "$WORK/mqttgwd.stripped" "$GWD" 2>/dev/null; then
	STRIPPED=$(stat -c %s "$WORK/mqttgwd.stripped")
fi
# and of an arm64 cross build of the same tree (issue #18), when Debian's cross compiler is
# installed (scripts/deps.sh --arch arm64); its build directory is cross-test.sh's
STRIPPED_ARM64=
if command -v aarch64-linux-gnu-gcc >/dev/null; then
	ARM_BUILD=${BUILD_CROSS:-build-arm64}
	if make -j2 --no-print-directory CROSS_COMPILE=aarch64-linux-gnu- BUILD="$ARM_BUILD" SAN=0 \
		"$ARM_BUILD/mqttgwd" >"$WORK/arm64-build.log" 2>&1 &&
		aarch64-linux-gnu-strip -o "$WORK/mqttgwd-arm64.stripped" "$ARM_BUILD/mqttgwd"; then
		STRIPPED_ARM64=$(stat -c %s "$WORK/mqttgwd-arm64.stripped")
	else
		echo "bench.sh: the arm64 build for the size failed (see $WORK/arm64-build.log)" >&2
	fi
fi
# a sanitizer build of mqttgwd is no match for the (non-SAN) base build: the summary says so
NOW_SAN=0
! grep -q __asan_init "$GWD" 2>/dev/null || NOW_SAN=1
python3 - "$RESULTS" "$FP_STATUS" "$STORE_RESULTS" "$STRIPPED" "$BASE_STATUS" "$NOW_SAN" \
	"$STRIPPED_ARM64" >>"$SUMMARY" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# figure, direction (+1 higher is better, -1 lower is better, 0 information), format
FIG = [
    ("msgs_per_s", 1, "%.0f"), ("msgs_per_broker_cpu_s", 1, "%.0f"),
    ("msgs_per_machine_cpu_s", 1, "%.0f"), ("lat_p50_us", -1, "%.1f"), ("lat_p99_us", -1, "%.1f"),
    ("lat_p999_us", -1, "%.1f"), ("lat_max_us", -1, "%.1f"), ("ack_p50_us", -1, "%.1f"),
    ("ack_p99_us", -1, "%.1f"), ("broker_cpu_pct", 0, "%.1f"),
    ("machine_busy_pct", 0, "%.1f"), ("bench_cpu_pct", 0, "%.1f"), ("broker_rss_peak_kb", -1, "%.0f"),
    ("conn_rate", 1, "%.0f"), ("conn_p50_us", -1, "%.1f"), ("conn_p99_us", -1, "%.1f"),
    ("rss_per_conn_b", -1, "%.0f"), ("broker_cpu_s", -1, "%.2f"),
    ("bench_pub_thread_pct", 0, "%.1f"), ("bench_sub_thread_pct", 0, "%.1f"),
    ("other_cpu_pct", 0, "%.1f"), ("fp_fraction", 0, "%.3f"),
    # issue 15: a light-load latency is a chain of wake-ups (README "Light-load latency")
    ("bench_wakeups_per_msg", 0, "%.3f"), ("broker_wakeups_per_msg", 0, "%.3f"),
]
for r in rows:
    # CPU neither the broker nor the tool used: kernel threads, softirq, or other load
    if "machine_cpu_s" in r and r.get("duration_s"):
        r["other_cpu_pct"] = 100.0 * (r["machine_cpu_s"] - (r.get("broker_cpu_s") or 0)
                                      - r["bench_cpu_s"]) / r["duration_s"]
COUNT = ["lost", "dup", "reordered", "bad", "errors", "stalls", "conns_failed"]
ARROW = {1: "↑", -1: "↓", 0: "·"}
configs = []
for r in rows:
    if r["config"] not in configs:
        configs.append(r["config"])
brokers_all = []
for r in rows:
    if r["broker"] not in brokers_all:
        brokers_all.append(r["broker"])
A, B = "mqttgwd", "mosquitto"
for r in rows:
    # share of the deliveries the kernel relayed: the counter covers the broker's whole life
    # (fresh broker per run), so it is compared with the deliveries of the whole run
    if r.get("fp_redirected_frames") is not None and r.get("delivered"):
        r["fp_fraction"] = r["fp_redirected_frames"] / r["delivered"]
FP_STATUS = sys.argv[2] if len(sys.argv) > 2 else "available"
def med(c, b, key):
    v = [r[key] for r in rows if r["config"] == c and r["broker"] == b and "error" not in r
         and r.get(key) is not None]
    return statistics.median(v) if v else None
def cell(v, fmt):
    return "–" if v is None else fmt % v
def ratio(a, b):
    return a / b if a is not None and b else None
FP, OFF, MOS = "mqttgwd-fp", "mqttgwd", "mosquitto"
print("## Kernel fast path (issue #6 targets)\n")
print("fp = mqttgwd with `fastpath on`, off = mqttgwd with `fastpath off` (both with"
      " `sys_interval 1`), medians of the rounds. Latency: 1 publisher -> 1 subscriber, QoS 0,"
      " 64 B payload; pingpong: one message in flight, one-way = round trip / 2. Saturation:"
      " closed loop, QoS 0. In-kernel: redirected frames (`$SYS/broker/fastpath/redirected/frames`,"
      " fresh broker per run) / PUBLISH frames the subscribers received over the whole run.\n")
if FP_STATUS != "available":
    print("**mqttgwd-fp column %s.**\n" % FP_STATUS)
print("| figure | fp | off | Mosquitto | fp/off | fp/Mosquitto | target | met? |")
print("|---|---|---|---|---|---|---|---|")
def fp_row(label, c, key, fmt, target, verdict):
    if not any(r["config"] == c for r in rows):
        return  # not in BENCH_SCENARIOS
    f, o, m = med(c, FP, key), med(c, OFF, key), med(c, MOS, key)
    ro, rm = ratio(f, o), ratio(f, m)
    if f is None:
        met = "unavailable" if FP_STATUS != "available" else "not run"
    elif verdict is None:
        met = "(information)"
    else:
        met = "**met**" if verdict(f, ro, rm) else "MISSED"
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        label, cell(f, fmt) if f is not None or FP_STATUS == "available" else "unavailable",
        cell(o, fmt), cell(m, fmt), cell(ro, "%.2f"), cell(rm, "%.2f"), target, met))
lat_ok = lambda f, ro, rm: ro is not None and rm is not None and ro <= 0.7 and rm <= 0.5
for c, name in (("lat-1k", "1k msg/s"), ("lat-10k", "10k msg/s")):
    for key, pname in (("lat_p50_us", "p50"), ("lat_p99_us", "p99")):
        fp_row("%s %s latency µs" % (name, pname), c, key, "%.1f",
               "fp/off ≤ 0.7 and fp/Mosquitto ≤ 0.5", lat_ok)
fp_row("pingpong p50 one-way µs", "pingpong", "lat_p50_us", "%.1f", "≤ 15 µs",
       lambda f, ro, rm: f <= 15.0)
fp_row("pingpong p99 one-way µs", "pingpong", "lat_p99_us", "%.1f", "", None)
sat_ok = lambda f, ro, rm: ro is not None and ro >= 1.0
for c, name in (("p2p-q0", "p2p QoS 0"), ("fanout-q0", "fan-out QoS 0"), ("fanin-q0", "fan-in QoS 0")):
    fp_row("%s delivered msgs/s" % name, c, "msgs_per_s", "%.0f", "fp/off ≥ 1", sat_ok)
    fp_row("%s msgs per machine CPU-s" % name, c, "msgs_per_machine_cpu_s", "%.0f", "fp/off ≥ 1",
           sat_ok)
for c in ("lat-1k", "lat-10k", "pingpong", "p2p-q0", "fanout-q0", "fanin-q0"):
    fp_row("%s: share of deliveries in-kernel" % c, c, "fp_fraction", "%.3f", "", None)
d = med("pingpong", "direct", "lat_p50_us")
if d is not None:
    print("\nPingpong floor measured in this run (two threads over one loopback TCP connection,"
          " no broker): p50 %.1f µs one-way, p99 %s µs (reference numbers of the issue: 10.5 µs"
          " direct, 21.4 µs one userspace relay hop, 35 µs Mosquitto)." % (
              d, cell(med("pingpong", "direct", "lat_p99_us"), "%.1f")))
# ---- the base build (issues #11 and #15) ----
BASE, BASE_STATUS = "mqttgwd-base", sys.argv[5] if len(sys.argv) > 5 else "off"
if any(r["broker"] == BASE for r in rows) or BASE_STATUS.startswith("unavailable"):
    print("\n## mqttgwd vs the base build (issues #11 and #15)\n")
    print("base = mqttgwd of the commit both issues started from (column mqttgwd-base: %s), now"
          " = this build (column mqttgwd); both `fastpath off`, the same config, alternated in"
          " every round. Medians of the rounds, ratio = now / base. Noise rule: a figure is"
          " *within noise* when the min–max ranges of its rounds overlap (base and now); else it"
          " is better or worse (the arrow says which way is better). One round has no range:"
          " not judged.\n" % BASE_STATUS)
    if len(sys.argv) > 6 and sys.argv[6] == "1":
        print("**This mqttgwd is a sanitizer build (SAN=1): it cannot be compared with the base"
              " build; build with `make all` (SAN=0) for these figures.**\n")
    def runs(c, b, key):
        return [r[key] for r in rows if r["config"] == c and r["broker"] == b
                and "error" not in r and r.get(key) is not None]
    print("| figure | | base | now | now/base | base min–max | now min–max | within noise? |")
    print("|---|---|---|---|---|---|---|---|")
    BASE_FIG = [("msgs_per_s", 1, "%.0f"), ("msgs_per_broker_cpu_s", 1, "%.0f"),
                ("lat_p50_us", -1, "%.1f"), ("lat_p99_us", -1, "%.1f"),
                ("conn_rate", 1, "%.0f"), ("conn_p99_us", -1, "%.1f"),
                ("rss_per_conn_b", -1, "%.0f")]
    for c in configs:
        if not runs(c, BASE, "round"):
            continue
        sc = next(r["scenario"] for r in rows if r["config"] == c and "error" not in r)
        for key, d, fmt in BASE_FIG:
            if (sc == "latency" or sc == "pingpong") and key.startswith("msgs"):
                continue  # fixed rate: the throughput is the rate asked for
            vb, vn = runs(c, BASE, key), runs(c, OFF, key)
            if not vb and not vn:
                continue
            b, n = med(c, BASE, key), med(c, OFF, key)
            q = ratio(n, b)
            if len(vb) < 2 or len(vn) < 2:
                verdict = "not judged (1 round)"
            elif max(vb) >= min(vn) and max(vn) >= min(vb):
                verdict = "within noise"
            else:
                better = (n > b) == (d > 0)
                verdict = "**better**" if better else "WORSE"
            rng = lambda v: "%s–%s" % (fmt % min(v), fmt % max(v)) if v else "–"
            print("| %s %s | %s | %s | %s | %s | %s | %s | %s |" % (
                c, key, ARROW[d], cell(b, fmt), cell(n, fmt), cell(q, "%.2f"), rng(vb), rng(vn),
                verdict))
    print("\nIssue #15's targets against the base build:\n")
    print("| target | base | now | now/base | met? |")
    print("|---|---|---|---|---|")
    for c, label, want in (("fanout-q0", "fan-out 1→1000 QoS 0 delivered msgs/s", 1.4),
                           ("p2p-q1", "p2p QoS 1 delivered msgs/s", 1.3)):
        b, n = med(c, BASE, "msgs_per_s"), med(c, OFF, "msgs_per_s")
        q = ratio(n, b)
        print("| %s ≥ %.1f × base | %s | %s | %s | %s |" % (
            label, want, cell(b, "%.0f"), cell(n, "%.0f"), cell(q, "%.2f"),
            "not run" if q is None else "**met**" if q >= want else "MISSED"))
# ---- end of the base build ----
WS = "p2p-q0-ws"
if any(r["config"] == WS for r in rows):
    print("\n## WebSocket (issue #18 target)\n")
    print("p2p QoS 0 closed loop, the same broker and settings, the tool speaking MQTT over"
          " ws:// (masked binary frames, one frame per flush) to a `protocol websockets` listener"
          " vs plain TCP to the TCP listener (mqttgwd: `fastpath off` for both; WebSocket"
          " connections never join the kernel fast path). Medians of the rounds.\n")
    print("| broker | TCP msgs/s | ws msgs/s | ws/TCP | TCP msgs per machine CPU-s |"
          " ws msgs per machine CPU-s | target | met? |")
    print("|---|---|---|---|---|---|---|---|")
    for b in brokers_all:
        w = med(WS, b, "msgs_per_s")
        if w is None and not any(r["config"] == WS and r["broker"] == b for r in rows):
            continue
        t = med("p2p-q0", b, "msgs_per_s")
        q = ratio(w, t)
        print("| %s | %s | %s | %s | %s | %s | ws/TCP ≥ 0.5 | %s |" % (
            b, cell(t, "%.0f"), cell(w, "%.0f"), cell(q, "%.2f"),
            cell(med("p2p-q0", b, "msgs_per_machine_cpu_s"), "%.0f"),
            cell(med(WS, b, "msgs_per_machine_cpu_s"), "%.0f"),
            "not run" if q is None else "**met**" if q >= 0.5 else "MISSED"))
ST, MST = "mqttgwd-store", "mosquitto-store"
srows = []
if len(sys.argv) > 3:
    try:
        srows = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    except OSError:
        pass
if srows or any(r["broker"] in (ST, MST) for r in rows):
    print("\n## Durable store (issue #13 targets)\n")
    print("store = mqttgwd with `persistence true`, `persistence_sync full` (a fresh store per run"
          " on the disk of the build directory), off = mqttgwd with persistence off, Mosquitto ="
          " Mosquitto with `persistence true` (it snapshots every autosave_interval, never per"
          " message). Persistent: the subscriber connects with clean session 0 (MQTT 3.1.1), so"
          " every QoS 1 message is stored before its PUBACK. PUBACK latency: the publisher's"
          " PUBLISH to PUBACK. Medians of the rounds.\n")
    print("| figure | store | off | Mosquitto persistence | store/off | store/Mosquitto | target | met? |")
    print("|---|---|---|---|---|---|---|---|")
    def st_row(label, c, key, fmt, target, verdict):
        if not any(r["config"] == c for r in rows):
            return
        s, o, m = med(c, ST, key), med(c, OFF, key), med(c, MST, key)
        ro, rm = ratio(s, o), ratio(s, m)
        met = "not run" if s is None else "(information)" if verdict is None else (
            "**met**" if verdict(s, ro, rm) else "MISSED")
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, cell(s, fmt), cell(o, fmt), cell(m, fmt), cell(ro, "%.2f"), cell(rm, "%.2f"),
            target, met))
    st_row("persistent p2p QoS 1 delivered msgs/s", "p2p-q1-pers", "msgs_per_s", "%.0f",
           "store/off ≥ 0.5 and store/Mosquitto ≥ 10",
           lambda s, ro, rm: ro is not None and rm is not None and ro >= 0.5 and rm >= 10)
    st_row("persistent 1k msg/s: PUBACK p99 µs", "lat-q1-pers", "ack_p99_us", "%.1f", "≤ 2000 µs",
           lambda s, ro, rm: s <= 2000)
    st_row("persistent 1k msg/s: PUBACK p50 µs", "lat-q1-pers", "ack_p50_us", "%.1f", "", None)
    st_row("persistent 1k msg/s: delivery p99 µs", "lat-q1-pers", "lat_p99_us", "%.1f", "", None)
    # not persistent: nothing touches the disk, the figures must not move (10%: the noise here)
    up = lambda s, ro, rm: ro is not None and ro >= 0.9
    down = lambda s, ro, rm: ro is not None and ro <= 1.1
    st_row("p2p QoS 0 delivered msgs/s", "p2p-q0", "msgs_per_s", "%.0f", "store/off ≥ 0.9", up)
    st_row("p2p QoS 1 (clean session) msgs/s", "p2p-q1", "msgs_per_s", "%.0f", "store/off ≥ 0.9", up)
    st_row("QoS 0 1k msg/s p99 latency µs", "lat-1k", "lat_p99_us", "%.1f", "store/off ≤ 1.1", down)
    def smed(key):
        v = [r[key] for r in srows if r.get(key) is not None]
        return statistics.median(v) if v else None
    if srows:
        n = srows[0]["msgs"]
        ready, empty, bpm = smed("ready_ms"), smed("empty_ready_ms"), smed("bytes_per_msg")
        print("| restart, %d stored msgs: ms to the first CONNACK | %s | | | | | ≤ 2000 ms | %s |" % (
            n, cell(ready, "%.0f"), "not run" if ready is None else "**met**" if ready <= 2000
            else "MISSED"))
        print("| restart, empty store: ms to the first CONNACK | %s | | | | | | (information) |"
              % cell(empty, "%.0f"))
        print("| store bytes per message (64 B payload, 12 B topic) | %s | | | | | ≤ 64 + 64 |"
              " %s |" % (cell(bpm, "%.0f"), "not run" if bpm is None else "**met**"
                          if bpm - 64 <= 64 else "MISSED"))
        print("| peak RSS after the restart, KiB | %s | | | | | | (information) |"
              % cell(smed("rss_peak_kb"), "%.0f"))
        print("\n%s stored messages written by build/storegen in %s ms; restored: %s." % (
            n, cell(smed("gen_ms"), "%.0f"), srows[-1].get("restored") or "?"))
# Footprint: RSS per idle connection and idle RSS from the `connections` scenario (a fresh
# broker per run: broker_rss_base_kb is its RSS before the first connection), the stripped
# binary from this build.
STRIPPED = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
STRIPPED_ARM64 = int(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[7] else None
if any(r["config"] == "connections" for r in rows) or STRIPPED:
    print("\n## Footprint (issue #15 and #18 targets)\n")
    print("RSS per idle connection: (VmRSS with `connections` held - VmRSS before) / connections,"
          " of a fresh broker per run; idle RSS: VmRSS of that fresh broker before the first"
          " connection; stripped size: `strip` of this build's mqttgwd. Medians of the rounds.\n")
    print("| figure | mqttgwd | Mosquitto | mqttgwd/Mosquitto | target | met? |")
    print("|---|---|---|---|---|---|")
    pc, pm = med("connections", OFF, "rss_per_conn_b"), med("connections", MOS, "rss_per_conn_b")
    q = ratio(pc, pm)
    print("| RSS per idle connection, B | %s | %s | %s | ≤ 590 B and ≤ 0.8 × Mosquitto | %s |" % (
        cell(pc, "%.0f"), cell(pm, "%.0f"), cell(q, "%.2f"), "not run" if pc is None else
        "**met**" if pc <= 590 and (q is None or q <= 0.8) else "MISSED"))
    ic, im = med("connections", OFF, "broker_rss_base_kb"), med("connections", MOS, "broker_rss_base_kb")
    print("| idle RSS, KiB | %s | %s | %s | ≤ 2048 KiB | %s |" % (
        cell(ic, "%.0f"), cell(im, "%.0f"), cell(ratio(ic, im), "%.2f"),
        "not run" if ic is None else "**met**" if ic <= 2048 else "MISSED"))
    for arch, size in (("", STRIPPED), (", arm64 (cross build)", STRIPPED_ARM64)):
        if arch and size is None:
            continue  # no cross compiler here
        print("| mqttgwd stripped%s, bytes | %s | | | ≤ 300 KB (300,000 B) | %s |" % (
            arch, "–" if size is None else "{:,}".format(size), "not run" if size is None
            else "**met**" if size <= 300000 else "MISSED"))
print()
print("↑ higher is better, ↓ lower is better, · for information. Ratio = mqttgwd / Mosquitto"
      " (median of the rounds); **bold** where mqttgwd is better. other_cpu_pct is machine CPU"
      " used by neither the broker nor mqttgw-bench (softirq, kernel threads, other load), in %"
      " of one core.\n")
bad_runs = []
for c in configs:
    rs = [r for r in rows if r["config"] == c]
    ok = [r for r in rs if "error" not in r]
    brokers = [b for b in brokers_all if any(r["broker"] == b for r in rs)]
    print("## %s\n" % c)
    if ok:
        r0 = ok[0]
        if r0["scenario"] != "connections":
            print("`%s`: mqtt %s, QoS %s, %s pubs, %s subs, %s B, window %s, rate %s\n" % (
                r0["scenario"], r0["mqtt"], r0["qos"], r0["pubs"], r0["subs"], r0["size"],
                r0["window"], r0["rate"] or "closed loop"))
        else:
            print("`connections`: %s connections at %s/s, mqtt %s\n" % (
                r0["conns"], r0["conn_rate_target"], r0["mqtt"]))
    print("| figure | | " + " | ".join(brokers) + " | ratio |")
    print("|---|---|" + "---|" * len(brokers) + "---|")
    for key, d, fmt in FIG:
        med = {}
        for b in brokers:
            v = [r[key] for r in ok if r["broker"] == b and r.get(key) is not None]
            if v:
                med[b] = statistics.median(v)
        if not med or (not d and not any(med.values()) and key != "fp_fraction"):
            continue
        if key == "broker_cpu_s" and ok and ok[0]["scenario"] not in ("latency", "connections"):
            d = 0  # closed loop: the brokers did different amounts of work
        cells = [(fmt % med[b]) if b in med else "–" for b in brokers]
        ratio = ""
        if A in med and B in med and med[B]:
            q = med[A] / med[B]
            ratio = "%.2f" % q
            if d and ((d > 0 and q > 1) or (d < 0 and q < 1)):
                ratio = "**%s**" % ratio
        print("| %s | %s | %s | %s |" % (key, ARROW[d], " | ".join(cells), ratio))
    for key in COUNT:
        tot = {b: sum(r.get(key) or 0 for r in ok if r["broker"] == b) for b in brokers}
        if any(k in ok[0] for k in [key]) if ok else False:
            print("| %s (sum of runs) | ↓ | %s | |" % (key, " | ".join(str(tot[b]) for b in brokers)))
    sat = {b: sum(1 for r in ok if r["broker"] == b and r.get("bench_saturated")) for b in brokers}
    if any(sat.values()):
        print("| runs where a bench thread used >= 90%% of a core | | %s | |" % " | ".join(
            str(sat[b]) for b in brokers))
    n = {b: "%d/%d" % (sum(1 for r in ok if r["broker"] == b and r["ok"]),
                       sum(1 for r in rs if r["broker"] == b)) for b in brokers}
    print("| runs passing integrity | | %s | |" % " | ".join(n[b] for b in brokers))
    print()
    bad_runs += [r for r in rs if "error" in r or not r.get("ok")]
if bad_runs:
    print("## Runs that failed or violated integrity\n")
    for r in bad_runs:
        print("- %s round %s %s: %s" % (r["config"], r["round"], r["broker"], r.get("error") or ", ".join(
            "%s=%s" % (k, r[k]) for k in COUNT if r.get(k))))
EOF
# Scraping /metrics during the load (issue 18): bench_scrape.sh appends its section (~40 s).
if [ "${BENCH_SCRAPE:-1}" != 0 ]; then
	BUILD=$BUILD "$(dirname "$0")/bench_scrape.sh" "$SUMMARY" || echo "bench.sh: bench_scrape.sh failed" >&2
fi
# Start-up to listening (issue 15): bench_startup.sh appends its section (BENCH_STARTUP=0: skip;
# STARTUP_N starts per broker, default 7; about 10 s per start of mqttgwd-fp under load, less idle).
if [ "${BENCH_STARTUP:-1}" != 0 ]; then
	BUILD=$BUILD MOSQUITTO=$MOSQUITTO BENCH_NICE=$NICE "$(dirname "$0")/bench_startup.sh" "$SUMMARY" ||
		echo "bench.sh: bench_startup.sh failed" >&2
fi
# The XDP guard's targets (issue #14): bench_xdp.sh appends its section (about 6 minutes; root).
if [ "${BENCH_XDP:-1}" != 0 ]; then
	BUILD=$BUILD "$(dirname "$0")/bench_xdp.sh" "$SUMMARY" || echo "bench.sh: bench_xdp.sh failed" >&2
fi
# The stall scenarios (issue #15): bench_stall.sh appends its section (storm and stop).
if [ "${BENCH_STALL:-1}" != 0 ]; then
	BUILD=$BUILD "$(dirname "$0")/bench_stall.sh" "$SUMMARY" || echo "bench.sh: bench_stall.sh failed" >&2
fi
# ---- bridge (issue #17) ----
# The bridge's targets: bench_bridge.sh appends its section "Bridge (issue #17 targets)" (a
# 1,000,000-message backlog drained to a second mqttgwd and to Mosquitto, the gateway's RSS,
# forwarding latency; a few minutes; root). BENCH_BRIDGE=0: skip; its own knobs (BRIDGE_N...)
# pass through.
if [ "${BENCH_BRIDGE:-1}" != 0 ]; then
	BUILD=$BUILD MOSQUITTO=$MOSQUITTO "$(dirname "$0")/bench_bridge.sh" "$SUMMARY" ||
		echo "bench.sh: bench_bridge.sh failed" >&2
fi
# ---- end bridge ----
# ---- pictures, linked from the summary ----
if PNGS=$(python3 "$(dirname "$0")/bench_plot.py" "$RESULTS" "$OUT" \
	--timeline-dir "$BENCH_TIMELINE_DIR" --prefix "bench-$TS" 2>>"$LOG"); then
	if [ -n "$PNGS" ]; then
		{
			echo "## Pictures"
			echo
			for p in $PNGS; do echo "![$(basename "$p" .png)]($(basename "$p"))"; done
			echo
		} >>"$SUMMARY"
	fi
else
	echo "bench.sh: no pictures (bench_plot.py failed; see $LOG)" >&2
fi
cp "$SUMMARY" "$OUT/summary-$TS.md"
cat "$SUMMARY"
echo "bench.sh: ${ELAPSED} s; results in $RESULTS, summary in $SUMMARY" >&2
