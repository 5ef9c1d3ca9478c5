#!/usr/bin/env bash
# What one message costs the broker, counted rather than timed (issue 15, QoS 1 p2p): on a
# machine shared with other work the msgs/s of a closed-loop run swing 5x between runs, but
# the syscalls, TCP segments and broker CPU per message do not. Runs `mqttgw-bench p2p --qos 1`
# (the p2p-q1 scenario of scripts/bench.sh, same broker settings) against mqttgwd and, with
# BASE_GWD, a second mqttgwd (the base build of scripts/bench.sh: $BUILD/bench/base-<rev>/mqttgwd),
# alternately, ROUNDS times, each broker in a network namespace of its own so that the
# namespace's TCP counters (nstat) count only this run. Prints per run and as medians:
#   msgs/s, broker CPU us per message (perf stat task-clock of the broker's process), read,
#   sendmsg, epoll_wait and epoll_ctl calls per message (syscalls:sys_enter_* tracepoints),
#   pure ACKs and delayed ACKs in the namespace per 1000 messages (nstat: an ACK that does not
#   ride on data is a loopback packet of its own), and the load average at the start of the run.
# Batches grow when the broker waits for a CPU, so compare brokers at similar read/msg.
# Needs root (netns, perf) and perf.
#   BUILD=build [BASE_GWD=...] [MORE_GWD='name=path ...'] [ROUNDS=3] [DUR=4] [BENCH_ARGS='--qos 1'] scripts/bench_permsg.sh
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-4}
ARGS=${BENCH_ARGS:---qos 1}
NICE=${BENCH_NICE:--10}
BENCH=$BUILD/mqttgw-bench
WORK=$BUILD/bench/permsg
BENCH_ME=bench_permsg.sh
NS=mqttgw-permsg-$$
EVENTS=task-clock,syscalls:sys_enter_read,syscalls:sys_enter_sendmsg
EVENTS=$EVENTS,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl
declare -A BIN=([mqttgwd]=$BUILD/mqttgwd)
BROKERS=mqttgwd
if [ -n "${BASE_GWD:-}" ]; then
	BIN[mqttgwd-base]=$BASE_GWD
	BROKERS="mqttgwd mqttgwd-base"
fi
for x in ${MORE_GWD:-}; do # NAME=PATH ...: more columns (e.g. the same tree built with -O2)
	BIN[${x%%=*}]=${x#*=}
	BROKERS="$BROKERS ${x%%=*}"
done
for x in "$BENCH" "${BIN[@]}"; do [ -x "$x" ] || { echo "$BENCH_ME: $x missing" >&2; exit 1; }; done
command -v perf >/dev/null || { echo "$BENCH_ME: perf missing" >&2; exit 1; }

# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
mkdir -p "$WORK"
: >"$WORK/results.tsv"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
export BENCH_NETNS=$NS
cleanup() {
	bench_stop_broker
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

acks() { # pure ACKs received + delayed ACKs sent, so far
	ip netns exec "$NS" nstat -az TcpExtTCPPureAcks TcpExtDelayedACKs |
		awk '$1 ~ /^TcpExt/ { n += $2 } END { print n + 0 }'
}

run() { # broker round
	local b=$1 port=1883 load a z sp
	{
		bench_conf_base "$b" "$port" 127.0.0.1
		printf '%s\n' "allow_anonymous true" "persistence false" "max_queued_messages 1000" \
			"max_inflight_messages 20" "max_receive 20" "fastpath off" "sys_interval 1"
	} >"$WORK/$b.conf"
	load=$(cut -d' ' -f1 /proc/loadavg)
	bench_start_broker "$WORK/$b.log" "$port" ip netns exec "$NS" nice -n "$NICE" \
		"${BIN[$b]}" -c "$WORK/$b.conf"
	a=$(acks)
	# BPID is `ip netns exec`, which execs the broker: the same process
	perf stat -x, -e "$EVENTS" -p "$BPID" -o "$WORK/perf.$b.$2" -- sleep $((DUR + 3)) &
	sp=$!
	# shellcheck disable=SC2086
	ip netns exec "$NS" nice -n "$NICE" "$BENCH" p2p $ARGS --port "$port" --duration "$DUR" \
		--warmup 1 --json 2>"$WORK/bench.$b.$2.err" | head -1 >"$WORK/bench.$b.$2.json"
	wait "$sp"
	z=$(acks)
	bench_stop_broker
	python3 - "$b" "$load" "$((z - a))" "$WORK/perf.$b.$2" "$WORK/bench.$b.$2.json" \
		>>"$WORK/results.tsv" <<'PY'
import json, sys
b, load, ack, perf, res = sys.argv[1:]
j = json.load(open(res))
v = {}
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 3 and f[0][:1].isdigit():
        v[f[2].replace("syscalls:sys_enter_", "")] = float(f[0])
n = j["sent"]
print("\t".join([b, load, "%.0f" % j["msgs_per_s"], "%.3f" % (v["task-clock"] * 1000 / n)] +
                ["%.4f" % (v[k] / n) for k in ("read", "sendmsg", "epoll_wait", "epoll_ctl")] +
                ["%.3f" % (int(ack) * 1000 / n)]))
PY
	tail -1 "$WORK/results.tsv"
}

echo "$BENCH_ME: p2p $ARGS, $ROUNDS rounds of $DUR s, brokers: $BROKERS" >&2
echo -e "broker\tload\tmsgs/s\tcpu_us/msg\tread/msg\tsendmsg/msg\tepoll_wait/msg\tepoll_ctl/msg\tacks/1000msg"
for r in $(seq "$ROUNDS"); do
	for b in $BROKERS; do run "$b" "$r"; done
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split("\t")
    rows.setdefault(f[0], []).append([float(x) for x in f[1:]])
print("medians:")
for b, rs in rows.items():
    print(b + "\t" + "\t".join("%g" % statistics.median(c) for c in zip(*rs)))
PY
