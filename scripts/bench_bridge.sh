#!/usr/bin/env bash
# The bridge's targets of issue #17 (scripts/bench.sh runs it after its scenarios; alone:
# `BUILD=build scripts/bench_bridge.sh [SUMMARY.md]`). Root and network namespaces; writes a
# markdown section (to the file given, appended, or to stdout) and one JSON line per figure to
# $BUILD/bench/bridge-<timestamp>.jsonl.
#
# Two namespaces joined by a veth pair: the gateway's (G, 10.212.0.1) and the upstream's
# (U, 10.212.0.2). The gateway is mqttgwd with `persistence true`, `persistence_sync full` and
# a bridge `connection up` to U with `topic bench/# out 1`.
#   drain: BRIDGE_N (1,000,000) QoS 1 messages of 64 B queued for the bridge while the upstream
#     is down, written into the gateway's store by $BUILD/storegen (its BRIDGE argument: the
#     same rows the bridge's own staging writes; publishing a million QoS 1 messages with
#     `persistence_sync full` takes minutes). The gateway starts on that store with G's veth
#     down; the upstream (a second mqttgwd, then Mosquitto) and a QoS 1 subscriber on bench/#
#     and on the bridge's notification topic ($BUILD/drainsub: a persistent session, every
#     PUBACK of one read in one write; a QoS 1 mosquitto_sub used more CPU than either broker)
#     start in U; then the link comes up. Time: from the bridge's notification "1" (sent right
#     after its CONNACK) to the last message, both as the counter received them. No loss: the
#     distinct sequence numbers (the payload's first 10 digits) counted upstream must be
#     BRIDGE_N. Work: CPU seconds (utime + stime) of the gateway, the upstream and the counter
#     per 100k drained, from the link coming up to the end (the wall rate depends on the load).
#     Mosquitto's own rate: mqttgw-bench p2p --qos 1 (one pair) from G straight to it, in the
#     same run; target >= 0.9 x that. Second mqttgwd: target >= 100k msg/s.
#   rss: VmRSS of the gateway idle on an empty store (same config), and its VmHWM (peak) over
#     the start on the backlog (also shown alone: VmHWM once restored, before the link comes up)
#     and the drain to the mqttgwd upstream; the bound: the empty
#     gateway plus 8,192 in-memory entries at 1 KiB each (BRIDGE_MEM_ENTRIES; 64 B payloads need
#     far less) plus 32 MiB of SQLite page cache and read-back pages.
#   latency: mqttgw-bench latency --rate BRIDGE_LAT_RATE (1000) at QoS 0 and 1, publisher on the
#     gateway (in G, no persistence: an online stream), subscriber on the upstream mqttgwd
#     (--sub-host), against the same publisher straight to the upstream; added p50.
# Knobs: BRIDGE_N=1000000, BRIDGE_UPSTREAMS="mqttgwd mosquitto", BRIDGE_PARTS="drain latency",
#   BRIDGE_LAT_RATE=1000, BRIDGE_LAT_DURATION=10, BRIDGE_LAT_ROUNDS=3, BRIDGE_DRAIN_TIMEOUT=600,
#   BRIDGE_INFLIGHT=1000 (the gateway's max_inflight_messages: its bridge's window; with
#   Mosquitto's default of 20 the drain is one window per round trip, 20 / RTT),
#   BRIDGE_PERF=1 (perf record -g of the gateway during each drain, kept under $BUILD/bench),
#   MOSQUITTO=/usr/sbin/mosquitto. Everything it creates (namespaces, processes, the stores
#   under $BUILD/bench) is removed on exit.
set -euo pipefail

BUILD=${BUILD:-build}
N=${BRIDGE_N:-1000000}
UPSTREAMS=${BRIDGE_UPSTREAMS:-mqttgwd mosquitto}
PARTS=${BRIDGE_PARTS:-drain latency}
LAT_RATE=${BRIDGE_LAT_RATE:-1000}
LAT_DURATION=${BRIDGE_LAT_DURATION:-10}
LAT_ROUNDS=${BRIDGE_LAT_ROUNDS:-3}
DRAIN_TIMEOUT=${BRIDGE_DRAIN_TIMEOUT:-600}
INFLIGHT=${BRIDGE_INFLIGHT:-1000}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
GWD=$BUILD/mqttgwd
SUMMARY=${1:-/dev/stdout}
MEM_ENTRIES=8192
SECTION='## Bridge (issue #17 targets)'

note() { echo "bench_bridge.sh: $*" >&2; }
skip_all() {
	note "skipped: $*"
	printf '%s\n\nNot run: %s.\n\n' "$SECTION" "$*" >>"$SUMMARY"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
for f in "$GWD" "$BUILD/storegen" "$BUILD/drainsub" "$BUILD/mqttgw-bench" "$MOSQUITTO"; do
	[ -x "$f" ] || skip_all "$f not found (make all unit)"
done
command -v mosquitto_sub >/dev/null || skip_all "no mosquitto_sub (scripts/deps.sh)"

TS=$(date +%Y%m%d-%H%M%S)
W=$(realpath -m "$BUILD/bench/bridge-run-$TS")
RESULTS=$BUILD/bench/bridge-$TS.jsonl
mkdir -p "$W"
: >"$RESULTS"
NSG=mqbr$$-g NSU=mqbr$$-u
G_ADDR=10.212.0.1 U_ADDR=10.212.0.2
PORT=1883
G=(ip netns exec "$NSG")
U=(ip netns exec "$NSU")
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in $NSG $NSU; do ip netns del "$p" 2>/dev/null || true; done
	rm -rf "$W/store" "$W/empty"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in $NSG $NSU; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$NSG" link add veth0 type veth peer name veth0 netns "$NSU"
ip -n "$NSG" addr add "$G_ADDR/30" dev veth0
ip -n "$NSU" addr add "$U_ADDR/30" dev veth0
ip -n "$NSU" link set veth0 up
ip -n "$NSG" link set veth0 up

# start NAME NS_ARRAY_NAME CONF: a broker (mqttgwd or mosquitto by NAME) in a namespace; PID in
# $BPID once its port listens there.
start() {
	local name=$1 ns=$2 conf=$3 bin=$GWD i
	local -n nsx=$ns
	[ "${name%%-*}" = mosquitto ] && bin=$MOSQUITTO
	"${nsx[@]}" "$bin" -c "$conf" >"$W/$name.log" 2>&1 &
	BPID=$!
	PIDS+=("$BPID")
	for ((i = 0; i < 400; i++)); do
		[ -n "$("${nsx[@]}" ss -Hltn "sport = :$PORT")" ] && return 0
		kill -0 "$BPID" 2>/dev/null || { note "$name exited: $(tail -n 3 "$W/$name.log")"; return 1; }
		sleep 0.05
	done
	note "$name not listening"
	return 1
}

stop() { # pid
	kill -TERM "$1" 2>/dev/null || true
	timeout 30 tail --pid="$1" -f /dev/null 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

upstream_conf() { # name file
	{
		echo "listener $PORT 0.0.0.0"
		echo "allow_anonymous true"
		echo "log_dest stderr"
		echo "log_type error"
		echo "log_type warning"
		echo "user root"
		echo "max_queued_messages 0"
		echo "max_inflight_messages 20"
		[ "$1" = mosquitto ] || echo "fastpath off"
	} >"$2"
}

gw_conf() { # file store-dir|-
	{
		echo "listener $PORT 127.0.0.1"
		echo "allow_anonymous true"
		echo "log_dest stderr"
		echo "log_type error"
		echo "log_type warning"
		echo "log_type notice"
		echo "user root"
		echo "fastpath off"
		echo "sys_interval 1"
		echo "max_inflight_messages $INFLIGHT" # the bridge's window (v3.1.1), as Mosquitto's
		if [ "$2" != - ]; then
			echo "persistence true"
			echo "persistence_location $2"
			echo "persistence_sync full"
		fi
		echo "connection up"
		echo "address $U_ADDR:$PORT"
		echo "remote_clientid gw-up"
		echo "keepalive_interval 10"
		echo "restart_timeout 1"
		echo "topic bench/# out 1"
		echo "topic mqttgw-bench/# out 1" # the latency runs' topics
	} >"$1"
}

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# utime + stime of a process, in clock ticks (the drain's work, whatever else loads the machine)
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
# "tid:comm ticks" of each thread of a process (the store writer's share of the gateway's work)
task_ticks() {
	local t
	for t in /proc/$1/task/*; do
		echo "${t##*/}:$(tr -d ' ' <"$t/comm") $(cpu_ticks "${t#/proc/}")"
	done 2>/dev/null
}

# ---- drain ----
# The empty gateway's RSS first (same config, empty store).
EMPTY_RSS= EMPTY_ANON=
measure_empty() {
	mkdir -p "$W/empty"
	gw_conf "$W/gw-empty.conf" "$W/empty"
	ip -n "$NSG" link set veth0 down
	start gw-empty G "$W/gw-empty.conf" || return 1
	sleep 2
	EMPTY_RSS=$(rss_kb "$BPID" VmRSS)
	EMPTY_ANON=$(rss_kb "$BPID" RssAnon)
	stop "$BPID"
	rm -rf "$W/empty"
	note "empty gateway: VmRSS $EMPTY_RSS kB, RssAnon $EMPTY_ANON kB"
}

mosq_direct() { # the rate Mosquitto accepts from a direct QoS 1 publisher, in this run
	local line
	upstream_conf mosquitto "$W/up-direct.conf"
	start mosquitto-direct U "$W/up-direct.conf" || return 1
	line=$("${G[@]}" timeout -k 5 60 "$BUILD/mqttgw-bench" p2p --qos 1 --pairs 1 --size 64 \
		--duration 5 --warmup 1 --host "$U_ADDR" --port $PORT --json 2>>"$W/direct.log") || true
	stop "$BPID"
	[ -n "$line" ] || { note "direct QoS 1 to Mosquitto failed"; return 1; }
	echo "{\"part\":\"direct\",\"upstream\":\"mosquitto\",\"run\":$line}" >>"$RESULTS"
	MOSQ_DIRECT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["msgs_per_s"])' "$line")
	note "Mosquitto direct QoS 1: $MOSQ_DIRECT msg/s"
}

run_drain() { # upstream
	local up=$1 gpid upid spid i t0 got=none hwm perfpid='' restored='' g0 g1 u0 u1
	rm -rf "$W/store"
	mkdir -p "$W/store"
	t0=$(date +%s%N)
	"$BUILD/storegen" "$W/store" mqttgw.db "$N" 64 offline-1 bench/queued up >&2 ||
		{ note "storegen failed"; return 1; }
	note "storegen: $N bridge entries in $((($(date +%s%N) - t0) / 1000000)) ms"
	gw_conf "$W/gw.conf" "$W/store"
	ip -n "$NSG" link set veth0 down
	start "gw-$up" G "$W/gw.conf" || return 1
	gpid=$BPID
	# the restore is complete once the gateway publishes its bridge's $SYS figures
	t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 300 ]; do
		got=$("${G[@]}" timeout 5 mosquitto_sub -p $PORT -t "\$SYS/broker/bridges/up/queued" \
			-C 1 -W 2 2>/dev/null || true)
		[ "$got" = "$N" ] && break
		sleep 0.5
	done
	[ "$got" = "$N" ] || { note "gateway did not restore $N entries (queued=$got)"; stop "$gpid"; return 1; }
	restored=$(rss_kb "$gpid" VmHWM) # the peak so far: the start on the backlog
	# the heap (what the gateway holds) vs the store file's pages SQLite maps (mmap_size):
	# page cache the kernel can reclaim, counted in RSS because it is mapped
	anon_r=$(rss_kb "$gpid" RssAnon) file_r=$(rss_kb "$gpid" RssFile)
	upstream_conf "$up" "$W/up.conf"
	start "up-$up" U "$W/up.conf" || { stop "$gpid"; return 1; }
	upid=$BPID
	DRAINSUB_TIMEOUT=$DRAIN_TIMEOUT "${U[@]}" "$BUILD/drainsub" "$U_ADDR" $PORT drain-sub "$N" \
		'bench/#' '$SYS/broker/connection/#' >"$W/sub.$up" 2>"$W/sub.$up.err" &
	spid=$!
	PIDS+=("$spid")
	for ((i = 0; i < 200; i++)); do
		grep -q '^subscribed' "$W/sub.$up.err" 2>/dev/null && break
		sleep 0.05
	done
	g0=$(cpu_ticks "$gpid")
	u0=$(cpu_ticks "$upid")
	task_ticks "$gpid" >"$W/tasks0"
	ip -n "$NSG" link set veth0 up
	if [ "${BRIDGE_PERF:-0}" = 1 ]; then
		perf record -q -g -p "$gpid" -o "$BUILD/bench/perf-bridge-$up-$TS.data" 2>/dev/null &
		perfpid=$!
	fi
	wait "$spid" || note "counter ended with $? ($(tail -n 2 "$W/sub.$up.err"))"
	g1=$(cpu_ticks "$gpid")
	u1=$(cpu_ticks "$upid")
	task_ticks "$gpid" >"$W/tasks1"
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid" 2>/dev/null || true
		wait "$perfpid" 2>/dev/null || true
		note "perf profile of the gateway: $BUILD/bench/perf-bridge-$up-$TS.data"
	fi
	hwm=$(rss_kb "$gpid" VmHWM)
	anon_d=$(rss_kb "$gpid" RssAnon) file_d=$(rss_kb "$gpid" RssFile)
	stop "$gpid"
	stop "$upid"
	python3 - "$W/sub.$up" "$up" "$hwm" "${EMPTY_RSS:-0}" "$restored" $((g1 - g0)) $((u1 - u0)) \
		"$(getconf CLK_TCK)" "$(cut -d' ' -f1 /proc/loadavg)" "$W/tasks0" "$W/tasks1" \
		"$anon_r" "$file_r" "$anon_d" "$file_d" "${EMPTY_ANON:-0}" >>"$RESULTS" <<'EOF'
import json, sys
path, up, hwm, empty, restored, gt, ut, hz, load, t0, t1 = sys.argv[1:12]
anon_r, file_r, anon_d, file_d, empty_anon = (int(x or 0) for x in sys.argv[12:17])
try:
    r = json.loads(open(path).read().strip().splitlines()[-1])
except (IndexError, ValueError):
    r = {"n": 0, "distinct": 0, "lost": -1, "dup": 0, "seconds": None, "msgs_per_s": None}
n = max(r["distinct"], 1)
r.update({"part": "drain", "upstream": up, "gw_vmhwm_kb": int(hwm),
          "gw_restored_vmhwm_kb": int(restored), "gw_empty_rss_kb": int(empty),
          "gw_cpu_s": int(gt) / int(hz), "up_cpu_s": int(ut) / int(hz),
          "gw_cpu_s_per_100k": int(gt) / int(hz) * 1e5 / n,
          "up_cpu_s_per_100k": int(ut) / int(hz) * 1e5 / n,
          "counter_cpu_s_per_100k": r.get("counter_cpu_s", 0) * 1e5 / n, "load1": float(load),
          "gw_anon_restored_kb": anon_r, "gw_file_restored_kb": file_r,
          "gw_anon_drained_kb": anon_d, "gw_file_drained_kb": file_d,
          "gw_empty_anon_kb": empty_anon})
# per thread of the gateway (tid:comm): CPU-s per 100k drained (the store writer's own share)
ticks = [dict(l.split() for l in open(f) if len(l.split()) == 2) for f in (t0, t1)]
r["gw_thread_cpu_s_per_100k"] = {
    k: round((int(v) - int(ticks[0].get(k, 0))) / int(hz) * 1e5 / n, 4)
    for k, v in ticks[1].items()}
print(json.dumps(r))
EOF
	note "drain to $up: $(tail -1 "$RESULTS")"
	rm -f "$W/sub.$up"
	rm -rf "$W/store"
}

# ---- latency ----
run_lat() { # qos round
	local q=$1 r=$2 gpid upid line mode host
	upstream_conf mqttgwd "$W/up-lat.conf"
	start up-lat U "$W/up-lat.conf" || return 1
	upid=$BPID
	gw_conf "$W/gw-lat.conf" -
	start gw-lat G "$W/gw-lat.conf" || { stop "$upid"; return 1; }
	gpid=$BPID
	sleep 1.5 # the bridge connects
	for mode in direct bridge; do
		host=$U_ADDR
		[ $mode = bridge ] && host=127.0.0.1
		line=$("${G[@]}" timeout -k 5 $((LAT_DURATION + 40)) "$BUILD/mqttgw-bench" latency \
			--rate "$LAT_RATE" --qos "$q" --size 64 --duration "$LAT_DURATION" --warmup 1 \
			--host "$host" --port $PORT --sub-host "$U_ADDR" --sub-port $PORT \
			--json 2>>"$W/lat.log") || true
		[ -n "$line" ] || { note "latency $mode q$q failed"; continue; }
		echo "{\"part\":\"latency\",\"mode\":\"$mode\",\"qos\":$q,\"round\":$r,\"run\":$line}" >>"$RESULTS"
	done
	stop "$gpid"
	stop "$upid"
	note "latency QoS $q round $r done"
}

START=$SECONDS
MOSQ_DIRECT=
case " $PARTS " in *" drain "*)
	measure_empty || true
	for up in $UPSTREAMS; do
		[ "$up" = mosquitto ] && { mosq_direct || true; }
		run_drain "$up" || true
	done ;;
esac
case " $PARTS " in *" latency "*)
	for r in $(seq "$LAT_ROUNDS"); do
		for q in 0 1; do run_lat "$q" "$r" || true; done
	done ;;
esac
ELAPSED=$((SECONDS - START))

python3 - "$RESULTS" "$ELAPSED" "$N" "$MEM_ENTRIES" >>"$SUMMARY" <<'EOF'
import json, statistics, sys
path, elapsed, n, mem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(path) if l.strip()]
out = []
def row(fig, got, target, met):
    out.append("| %s | %s | %s | %s |" % (fig, got, target, "n/a" if met is None else ("yes" if met else "**no**")))
direct = [r["run"]["msgs_per_s"] for r in rows if r["part"] == "direct"]
for r in (x for x in rows if x["part"] == "drain"):
    rate = r["msgs_per_s"] or 0
    lossless = r["lost"] == 0
    if r["upstream"] == "mosquitto":
        d = direct[0] if direct else None
        target = "≥ 0.9 × %.0f (Mosquitto, direct QoS 1)" % d if d else "≥ 0.9 × direct (not measured)"
        met = rate >= 0.9 * d if d else None
    else:
        target, met = "≥ 100,000 msg/s", rate >= 100000
    row("drain %d QoS 1 → %s" % (r["n"], r["upstream"]), "%.0f msg/s (%.1f s)" % (rate, r["seconds"] or 0),
        target, met and lossless)
    row("  lost / duplicates (distinct seq upstream)", "%d / %d" % (r["lost"], r["dup"]), "0 lost", lossless)
    row("  CPU-s per 100k: gateway / upstream / counter (load %.1f)" % r.get("load1", 0),
        "%.2f / %.2f / %.2f" % (r.get("gw_cpu_s_per_100k", 0), r.get("up_cpu_s_per_100k", 0),
                                r.get("counter_cpu_s_per_100k", 0)), "(information)", None)
rss = [r for r in rows if r["part"] == "drain" and r["upstream"] != "mosquitto"]
if rss:
    r = rss[0]
    bound = r["gw_empty_rss_kb"] + mem * 1024 // 1024 + 32 * 1024
    row("gateway peak RSS, %d backlog + drain" % r["n"], "%.1f MiB (empty: %.1f MiB)" %
        (r["gw_vmhwm_kb"] / 1024, r["gw_empty_rss_kb"] / 1024),
        "≤ %.1f MiB (empty + %d × 1 KiB + 32 MiB)" % (bound / 1024, mem), r["gw_vmhwm_kb"] <= bound)
    row("  of which the start on the backlog (VmHWM once restored)", "%.1f MiB" %
        (r["gw_restored_vmhwm_kb"] / 1024), "(information)", None)
    if r.get("gw_anon_restored_kb"):
        abound = r.get("gw_empty_anon_kb", 0) + mem + 32 * 1024
        worst = max(r["gw_anon_restored_kb"], r["gw_anon_drained_kb"])
        row("  heap (RssAnon) once restored / after the drain", "%.1f / %.1f MiB (empty: %.1f MiB)"
            % (r["gw_anon_restored_kb"] / 1024, r["gw_anon_drained_kb"] / 1024,
               r.get("gw_empty_anon_kb", 0) / 1024),
            "≤ %.1f MiB (empty + %d × 1 KiB + 32 MiB)" % (abound / 1024, mem), worst <= abound)
        row("  the store file mapped by SQLite (RssFile, page cache) once restored / after",
            "%.1f / %.1f MiB" % (r["gw_file_restored_kb"] / 1024, r["gw_file_drained_kb"] / 1024),
            "(information)", None)
for q in (0, 1):
    d = [x["run"]["lat_p50_us"] for x in rows if x["part"] == "latency" and x["qos"] == q and x["mode"] == "direct"]
    b = [x["run"]["lat_p50_us"] for x in rows if x["part"] == "latency" and x["qos"] == q and x["mode"] == "bridge"]
    if d and b:
        dm, bm = statistics.median(d), statistics.median(b)
        row("online stream QoS %d p50 added (bridge %.0f µs − direct %.0f µs)" % (q, bm, dm),
            "%.3f ms" % ((bm - dm) / 1e3), "≤ 0.2 ms", (bm - dm) <= 200)
print("## Bridge (issue #17 targets)\n")
print("scripts/bench_bridge.sh, %d s; runs: %s. Backlog written by storegen into the gateway's store "
      "(persistence_sync full), drained over veth to the upstream named; drainsub (a persistent "
      "QoS 1 subscriber that acks a read in one write) counts distinct sequence numbers upstream; "
      "CPU-s: utime + stime of each process from the link coming up to the last message. Latency: mqttgw-bench latency at the given rate, "
      "gateway without persistence, median of rounds.\n" % (elapsed, path))
print("| figure | measured | target | met? |")
print("|---|---|---|---|")
print("\n".join(out))
print()
EOF
cleanup
trap - EXIT
note "${ELAPSED} s; results in $RESULTS"
