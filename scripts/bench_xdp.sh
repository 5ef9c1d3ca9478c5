#!/usr/bin/env bash
# The XDP guard's targets of issue #14 (scripts/bench.sh runs it after its scenarios; alone:
# `BUILD=build scripts/bench_xdp.sh [SUMMARY.md]`). Root and network namespaces; writes a
# markdown section (to the file given, appended, or to stdout) and one JSON line per run to
# $BUILD/bench/xdp-<timestamp>.jsonl.
#
# Three namespaces: the broker's (B), a legitimate client's (C, behind veth0, 10.211.0.0/30)
# and an attacker's (A, behind veth1, 10.211.0.4/30); the guard, when on, is attached to veth1.
# Load: build/mqttgw-attack (tests/bench/xdp/xdp_attack.c).
#   guess: Mosquitto vs mqttgwd (`xdp_interface veth1`, `ban_auth_failures 5`), both with the
#     same mqttgw-passwd file. A client in C makes 20 authenticated CONNECT -> CONNACK per
#     second for XDP_PHASE s idle, then again while A runs 16 password-guessing threads plus a
#     SYN flood (XDP_GUESS_SYN_PPS, as XDP frames: see synflood; Mosquitto's veth then gets a
#     pass-all XDP program). The broker's CPU on the attack is its CPU in the attack
#     phase minus its CPU in the idle phase (the same client load; /proc/PID/stat).
#   synflood: a paced SYN flood (XDP_SYN_PPS) from A for XDP_PHASE s with the same per-source
#     limit done three ways: the guard (`xdp_syn_rate`), an nftables meter in prerouting before
#     conntrack (what a router admin would write), and none (information); plus a floor run
#     (a bare XDP drop-all). The SYNs are XDP frames, so B's veth gets them as a NIC driver
#     would, before an skb exists; without the guard, a pass-all XDP program keeps B's veth NAPI
#     on. Generator (one log line says which ran and why): mqttgw-attack xsyn, live frames
#     (BPF_PROG_TEST_RUN, XDP_TX into A's veth) when `mqttgw-attack xprobe` says the kernel
#     allows them, else through a relay veth pair in A (xrel0 -> xrel1, whose XDP program
#     bpf_redirect()s every frame to A's veth1: B's veth1 gets xdp_frames by ndo_xdp_xmit; the
#     relay's skb -> page copy is in every run, the floor run included).
#     XDP_SYN_GEN=syn uses raw-socket skbs instead. Measured: the NET_RX softirq time of the
#     generator's CPU, exact (raw tracepoint programs on softirq_entry/exit, in mqttgw-attack;
#     also the part run in the generator's own context) and tick-sampled (/proc/stat), the generator's exact CPU time (on veth it includes the
#     receiver's NAPI poll), and the frames B's veth1 received (rx_packets); per SYN received.
#   The same from an IPv6 source (XDP_SYN_FAMILIES="4 6"; rows xdp6, nft6, none6, floor6: xsyn
#     frames from fd00:211::6, the nftables meter keyed by ip6 saddr).
#   overhead: mqttgw-bench lat-10k and p2p-q0 from C over veth0 against mqttgwd with and
#     without the guard attached natively to B's veth0 (what a gateway's LAN side sees), and
#     with a pass-all XDP program there instead (rows guard 2: veth's XDP mode by itself, its
#     peer's GSO off and an skb copy per packet, which a NIC driver does not have), and with
#     the guard in generic mode on veth0 (rows guard 3: the peer keeps GSO), alternating;
#     XDP_OVER_LO=1 adds the old rows (bench inside B, guard on B's loopback in
#     generic mode: information, not a deployment).
# Knobs: XDP_ROUNDS=3, XDP_GUESS_ROUNDS=2, XDP_PHASE=5, XDP_SYN_PPS=210000,
#   XDP_SYN_FAMILIES="4 6" (6: xsyn only), XDP_GUESS_SYN_PPS=50000 (0: no flood), XDP_GUESSERS=16,
#   XDP_GUESS_BROKERS="mqttgwd mosquitto", XDP_SYN_RATE=100 (per source per second, both
#   limiters), XDP_SYN_GEN=xsyn|syn, XDP_PARTS="guess synflood overhead", XDP_OVER_LO=0,
#   MOSQUITTO=/usr/sbin/mosquitto. Everything it creates (namespaces, nft tables: inside B,
#   bpffs mounts, processes) is removed on exit, checked at the end.
set -euo pipefail

BUILD=${BUILD:-build}
ROUNDS=${XDP_ROUNDS:-3}
PHASE=${XDP_PHASE:-5}
SYN_PPS=${XDP_SYN_PPS:-210000}
GUESS_SYN_PPS=${XDP_GUESS_SYN_PPS:-50000}
GUESSERS=${XDP_GUESSERS:-16}
GUESS_ROUNDS=${XDP_GUESS_ROUNDS:-2}
GUESS_BROKERS=${XDP_GUESS_BROKERS:-mqttgwd mosquitto}
SYN_RATE=${XDP_SYN_RATE:-100}
SYN_GEN=${XDP_SYN_GEN:-xsyn}
SYN_FAMILIES=${XDP_SYN_FAMILIES:-4 6}
# The generator runs on this CPU, and so does the receiving veth's softirq (NAPI runs where it
# was scheduled): its softirq column alone is read, which halves other load's share.
SYN_CPU=$(($(nproc) - 1))
PARTS=${XDP_PARTS:-guess synflood overhead}
OVER_LO=${XDP_OVER_LO:-0}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
GWD=$BUILD/mqttgwd
ATK=$BUILD/mqttgw-attack
SUMMARY=${1:-/dev/stdout}

note() { echo "bench_xdp.sh: $*" >&2; }
skip_all() {
	note "skipped: $*"
	printf '## XDP guard (issue #14)\n\nNot run: %s.\n\n' "$*" >>"$SUMMARY"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (XDP, network namespaces)"
for f in "$GWD" "$ATK" "$BUILD/mqttgw-bench" "$BUILD/mqttgw-passwd" "$MOSQUITTO"; do
	[ -x "$f" ] || skip_all "$f not found (make all)"
done
command -v nft >/dev/null || skip_all "no nft (scripts/deps.sh installs nftables)"

TS=$(date +%Y%m%d-%H%M%S)
W=$(realpath -m "$BUILD/bench/xdp-run-$TS")
RESULTS=$BUILD/bench/xdp-$TS.jsonl
mkdir -p "$W"
: >"$RESULTS"
NSB=mqxb$$-b NSC=mqxb$$-c NSA=mqxb$$-a
B_LAN=10.211.0.1 C_ADDR=10.211.0.2 B_WAN=10.211.0.5 A_ADDR=10.211.0.6
B_WAN6=fd00:211::5 A_ADDR6=fd00:211::6
PORT=1883
PIDS=()
BPID=
XPASS=
MOUNTED=

cleanup() {
	local p
	stop_broker
	for p in "${PIDS[@]}" $XPASS; do kill -KILL "$p" 2>/dev/null || true; done
	[ -z "$MOUNTED" ] || umount -l "$W/bpffs" 2>/dev/null || true
	for p in $NSB $NSC $NSA; do ip netns del "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in $NSB $NSC $NSA; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$NSB" link add veth0 type veth peer name veth0 netns "$NSC"
ip -n "$NSB" link add veth1 type veth peer name veth1 netns "$NSA"
ip -n "$NSB" addr add "$B_LAN/30" dev veth0
ip -n "$NSC" addr add "$C_ADDR/30" dev veth0
ip -n "$NSB" addr add "$B_WAN/30" dev veth1
ip -n "$NSA" addr add "$A_ADDR/30" dev veth1
ip -n "$NSB" addr add "$B_WAN6/126" dev veth1 nodad
ip -n "$NSA" addr add "$A_ADDR6/126" dev veth1 nodad
# xsyn's relay (used when live frames are refused): xrel0 -> xrel1 -> redirect to veth1
ip -n "$NSA" link add xrel0 type veth peer name xrel1
for l in "$NSB veth0" "$NSC veth0" "$NSB veth1" "$NSA veth1" "$NSA xrel0" "$NSA xrel1"; do
	# shellcheck disable=SC2086
	ip -n ${l% *} link set ${l#* } up
done
mkdir -p "$W/bpffs"
mount -t bpf bpf "$W/bpffs" && MOUNTED=1
B=(ip netns exec "$NSB")
C=(ip netns exec "$NSC")
A=(ip netns exec "$NSA")
sleep 0.5 # veth carriers
B_MAC=$(ip -n "$NSB" -br link show veth1 | awk '{ print $3 }')

# Live frames or the relay: some kernels refuse BPF_F_TEST_XDP_LIVE_FRAMES (EPERM here, 6.18
# with a lockdown/BPF policy that also refuses tracing programs; no sysctl turns it on).
RELAY=()
if [ "$SYN_GEN" = xsyn ]; then
	if why=$("${A[@]}" "$ATK" xprobe 2>&1); then
		note "generator: xsyn, live frames (BPF_PROG_TEST_RUN XDP_TX on A's veth1)"
	else
		RELAY=(-R xrel0)
		note "generator: xsyn through the relay veth xrel0 -> xrel1 (XDP redirect to" \
			"veth1): ${why##*: } from live frames"
	fi
else
	note "generator: syn (raw-socket SYNs, skbs: XDP_SYN_GEN=syn)"
fi

"$BUILD/mqttgw-passwd" -c -b "$W/passwd" alice secret >/dev/null
chmod 644 "$W/passwd" # both brokers drop root (user mosquitto) before reading it again
chmod 755 "$W"

# stop PID: SIGTERM, 5 s to exit, then SIGKILL; reaped.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	timeout 5 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# shellcheck source=scripts/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
stop_broker() { bench_stop_broker; }

RUN=0
# start_broker mosquitto|mqttgwd [KEY VALUE lines...]: a fresh broker in B on port $PORT.
start_broker() {
	local b=$1 conf bin=$MOSQUITTO
	shift
	RUN=$((RUN + 1))
	conf=$W/$b-$RUN.conf
	{
		bench_conf_base "$b" "$PORT"
		echo "persistence false"
		if [ "$b" = mqttgwd ]; then
			echo "log_type notice"
			echo "log_type information"
			echo "sys_interval 0"
			echo "fastpath off"
			echo "fastpath_pin_dir $W/bpffs/run$RUN"
		fi
		printf '%s\n' "$@"
	} >"$conf"
	[ "$b" != mqttgwd ] || bin=$GWD
	BENCH_NETNS=$NSB bench_start_broker "$W/$b-$RUN.log" "$PORT" "${B[@]}" "$bin" -c "$conf"
}

# CPU ticks (user + system) of a process, and of the whole machine's softirq / busy time.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
softirq_ticks() { awk -v c="cpu$SYN_CPU" '$1 == c { print $8 }' /proc/stat; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# Exact run time (ns) of the ksoftirqd threads: softirq work deferred from the sender's context
# (information only: it includes every other process's deferred softirqs).
ksoftirqd_ns() {
	local p t=0
	for p in $(pgrep -x 'ksoftirqd/[0-9]+'); do t=$((t + $(cut -d' ' -f1 "/proc/$p/schedstat"))); done
	echo "$t"
}
HZ=$(getconf CLK_TCK)
json() { "${@:2}" | tail -1 >"$W/$1.json"; }
jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$W/$1.json" "$2"; }

# ---- guess ----
run_guess() { # broker round
	local b=$1 r=$2 c0 c1 c2
	if [ "$b" = mqttgwd ]; then
		start_broker mqttgwd "password_file $W/passwd" "allow_anonymous false" \
			"xdp_interface veth1" "ban_auth_failures 5" || return 1
		grep -q "XDP guard attached to veth1" "$W/$b-$RUN.log" || sleep 0.5
	else
		start_broker mosquitto "password_file $W/passwd" "allow_anonymous false" || return 1
		# xsyn's frames need NAPI on the receiving veth: a pass-all XDP program
		if [ "$SYN_GEN" = xsyn ]; then
			"${B[@]}" "$ATK" xpass veth1 $((2 * PHASE + 5)) >/dev/null &
			XPASS=$!
		fi
	fi
	c0=$(proc_ticks "$BPID")
	json idle "${C[@]}" "$ATK" legit "$B_LAN" "$PORT" "$PHASE" -r 20 -u alice -P secret || true
	c1=$(proc_ticks "$BPID")
	"${A[@]}" "$ATK" guess "$B_WAN" "$PORT" "$PHASE" -t "$GUESSERS" -u alice -P wrong \
		>"$W/guess.out" &
	PIDS=($!)
	if [ "$GUESS_SYN_PPS" -gt 0 ] && [ "$SYN_GEN" = xsyn ]; then
		# frames, as from another machine: the attacker's CPU stays off the broker's
		"${A[@]}" "$ATK" xsyn "$B_WAN" "$PORT" "$PHASE" -r "$GUESS_SYN_PPS" -i veth1 \
			-m "$B_MAC" "${RELAY[@]}" >"$W/syn.out" &
		PIDS+=($!)
	elif [ "$GUESS_SYN_PPS" -gt 0 ]; then
		"${A[@]}" "$ATK" syn "$B_WAN" "$PORT" "$PHASE" -t 1 -r "$GUESS_SYN_PPS" >"$W/syn.out" &
		PIDS+=($!)
	else
		echo '{"sent":0,"pps":0}' >"$W/syn.out"
	fi
	json attack "${C[@]}" "$ATK" legit "$B_LAN" "$PORT" "$PHASE" -r 20 -u alice -P secret || true
	wait "${PIDS[@]}" || true
	PIDS=()
	c2=$(proc_ticks "$BPID")
	stop_broker
	[ -z "$XPASS" ] || stop "$XPASS"
	XPASS=
	tail -1 "$W/guess.out" >"$W/guess.json"
	tail -1 "$W/syn.out" >"$W/syn.json"
	python3 - "$W" "$b" "$r" "$c0" "$c1" "$c2" "$HZ" "$(grep -c 'XDP guard: banned' "$W/$b-$RUN.log" || true)" \
		>>"$RESULTS" <<'EOF'
import json, sys
w, b, r, c0, c1, c2, hz, bans = sys.argv[1:]
def ld(n):  # a load that failed (its line is missing): null, the summary says so
    try:
        return json.load(open("%s/%s.json" % (w, n)))
    except (OSError, ValueError):
        return None
c0, c1, c2, hz = int(c0), int(c1), int(c2), int(hz)
print(json.dumps({"part": "guess", "broker": b, "round": int(r), "idle": ld("idle"),
                  "attack": ld("attack"), "guess": ld("guess"), "syn": ld("syn"),
                  "cpu_idle_s": (c1 - c0) / hz, "cpu_attack_s": (c2 - c1) / hz,
                  "cpu_on_attack_s": (c2 - c1 - (c1 - c0)) / hz, "bans_logged": int(bans)}))
EOF
	note "guess $b round $r: $(tail -1 "$RESULTS" | cut -c1-300)"
}

# ---- synflood ----
NFT_RULES="table inet mqxb {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname \"veth1\" tcp dport $PORT tcp flags & (syn | ack) == syn meter mqxb_syn size 65535 { ip saddr limit rate over $SYN_RATE/second burst $SYN_RATE packets } counter drop
		iifname \"veth1\" tcp dport $PORT tcp flags & (syn | ack) == syn meter mqxb_syn6 size 65535 { ip6 saddr limit rate over $SYN_RATE/second burst $SYN_RATE packets } counter drop
	}
}"

rx_packets() { "${B[@]}" cat /sys/class/net/veth1/statistics/rx_packets; }
run_syn() { # mode round [6]
	local m=$1 r=$2 v6=${3:-} s0 s1 b0 b1 k0 k1 x0 x1 drops ppid= dst=$B_WAN src=()
	[ -z "$v6" ] || { dst=$B_WAN6 src=(-s "$A_ADDR6"); }
	case $m in
	xdp) start_broker mqttgwd "xdp_interface veth1" "xdp_syn_rate $SYN_RATE $SYN_RATE" || return 1 ;;
	nft)
		start_broker mqttgwd || return 1
		"${B[@]}" nft -f - <<<"$NFT_RULES"
		;;
	none | floor) start_broker mqttgwd || return 1 ;;
	esac
	if [ "$SYN_GEN" = xsyn ] && [ "$m" != xdp ]; then
		# frames reach a veth only while it has NAPI on: a pass-everything XDP program
		# (floor: drop-everything, the cost of the generator and the veth alone)
		"${B[@]}" "$ATK" xpass veth1 $((PHASE + 5)) "$([ "$m" = floor ] && echo drop)" >/dev/null &
		ppid=$!
		PIDS=("$ppid")
	fi
	sleep 0.3
	s0=$(softirq_ticks) b0=$(busy_ticks) k0=$(ksoftirqd_ns) x0=$(rx_packets)
	: >"$W/syn.json"
	if [ "$SYN_GEN" = xsyn ]; then
		json syn "${A[@]}" taskset -c "$SYN_CPU" "$ATK" xsyn "$dst" "$PORT" "$PHASE" \
			-r "$SYN_PPS" -i veth1 -m "$B_MAC" "${src[@]}" "${RELAY[@]}" || true
	else
		json syn "${A[@]}" taskset -c "$SYN_CPU" "$ATK" syn "$B_WAN" "$PORT" "$PHASE" -t 2 \
			-r "$SYN_PPS" || true
	fi
	s1=$(softirq_ticks) b1=$(busy_ticks) k1=$(ksoftirqd_ns) x1=$(rx_packets)
	[ -z "$ppid" ] || { stop "$ppid"; PIDS=(); }
	case $m in
	xdp) drops=$("${B[@]}" "$GWD" --xdp-status --json --pin-dir "$W/bpffs/run$RUN" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"]["syn_limited"])') ;;
	nft) drops=$("${B[@]}" nft list table inet mqxb |
		sed -n "s/.*meter mqxb_syn$v6 .*counter packets \([0-9]*\).*/\1/p")
		"${B[@]}" nft delete table inet mqxb ;;
	none | floor) drops=0 ;;
	esac
	stop_broker
	python3 - "$W" "$m$v6" "$r" "$s0" "$s1" "$b0" "$b1" "$HZ" "${drops:-0}" "$PHASE" "$SYN_GEN" \
		"$((k1 - k0))" "$((x1 - x0))" >>"$RESULTS" <<'EOF'
import json, sys
w, m, r, s0, s1, b0, b1, hz, drops, phase, gen, kns, rx = sys.argv[1:]
row = {"part": "synflood", "mode": m, "gen": gen, "round": int(r)}
try:
    syn = json.load(open("%s/syn.json" % w))
except (OSError, ValueError):  # the generator failed: its stderr is in the log
    print(json.dumps(dict(row, error="the SYN generator failed (bench_xdp.sh's stderr)")))
    sys.exit(0)
hz, phase, rx = int(hz), float(phase), int(rx)
si = (int(s1) - int(s0)) / hz
# per SYN that reached B's veth1 (rx_packets: a frame the relay or a full ring lost is not a SYN
# the limiter saw);
# the sender's own count if nothing arrived; no more than it sent (without a limiter, the
# attacker's RSTs to the SYN-ACKs come back in on veth1 too)
n = min(rx, syn["sent"]) if rx > 0 else syn["sent"]
per = lambda x: x / n if n and x is not None and x >= 0 else None
print(json.dumps(dict(row, gen=syn.get("gen", gen), sent=syn["sent"], arrived=rx,
                      pps=syn["pps"], rx_pps=n / phase, dropped=int(drops), softirq_s=si,
                      softirq_pct=100 * si / phase,
                      busy_pct=100 * (int(b1) - int(b0)) / hz / phase,
                      softirq_s_per_msyn=si / (n / 1e6) if n else None,
                      net_rx_ns=syn.get("net_rx_ns"), net_rx_ns_all=syn.get("net_rx_ns_all"),
                      net_rx_ns_per_syn=per(syn.get("net_rx_ns")),
                      net_rx_ns_own=syn.get("net_rx_ns_own"),
                      net_rx_own_ns_per_syn=per(syn.get("net_rx_ns_own")),
                      gen_cpu_s=syn["cpu_s"], ksoftirqd_s=int(kns) / 1e9,
                      path_ns_per_syn=per(syn["cpu_s"] * 1e9))))
EOF
	note "synflood $m$v6 round $r: $(tail -1 "$RESULTS")"
}

# ---- overhead ----
run_over() { # path(veth|lo) guard(0|1|2: a pass-all XDP program instead|3: generic) scenario round
	local p=$1 g=$2 s=$3 r=$4 args line conf=() where=("${C[@]}") host=(--host "$B_LAN") ppid=
	case $s in
	lat-10k) args="latency --rate 10000 --size 64" ;;
	p2p-q0) args="p2p --qos 0" ;;
	esac
	if [ "$p" = veth ]; then
		# a gateway's LAN side: the clients on another host, the guard in the driver hook
		[ "$g" != 1 ] || conf=("xdp_interface veth0 native" "ban_auth_failures 5")
		# generic on a veth: its peer keeps GSO, no copy for linear skbs (what an operator
		# should choose on a veth; native is for NICs)
		[ "$g" != 3 ] || conf=("xdp_interface veth0 generic" "ban_auth_failures 5")
		start_broker mqttgwd "allow_anonymous true" "${conf[@]}" || return 1
		args="$args --port $PORT"
		if [ "$g" = 2 ]; then
			# any XDP program puts a veth in XDP mode (its peer loses GSO, each skb is
			# copied into a page): the guard's own cost is the difference to this
			"${B[@]}" "$ATK" xpass veth0 $((PHASE + 30)) >/dev/null &
			ppid=$!
			PIDS=("$ppid")
			sleep 0.3
		fi
	else
		[ "$g" = 0 ] || conf=("xdp_interface lo generic" "ban_auth_failures 5")
		start_broker mqttgwd "listener 1884 127.0.0.1" "${conf[@]}" || return 1
		where=("${B[@]}") host=()
		args="$args --port 1884"
	fi
	if { [ "$g" = 1 ] || [ "$g" = 3 ]; } && ! grep -q "XDP guard attached" "$W/mqttgwd-$RUN.log"; then
		sleep 0.5 # the log line comes after the listener
		grep -q "XDP guard attached" "$W/mqttgwd-$RUN.log" ||
			note "overhead $p $s: no 'XDP guard attached' line in $W/mqttgwd-$RUN.log"
	fi
	# shellcheck disable=SC2086
	line=$("${where[@]}" timeout -k 5 60 "$BUILD/mqttgw-bench" $args "${host[@]}" \
		--duration "$PHASE" --warmup 1 --broker-pid "$BPID" --json \
		2>>"$W/overhead.log") || true
	stop_broker
	[ -z "$ppid" ] || { stop "$ppid"; PIDS=(); }
	[ -n "$line" ] || { note "overhead $p $s guard=$g: failed"; return 0; }
	printf '{"part":"overhead","path":"%s","guard":%s,"config":"%s","round":%s,"run":%s}\n' \
		"$p" "$g" "$s" "$r" "$line" >>"$RESULTS"
	note "overhead $p $s guard=$g round $r done"
}

START=$SECONDS
for r in $(seq "$ROUNDS"); do
	if [[ " $PARTS " == *" guess "* ]] && [ "$r" -le "$GUESS_ROUNDS" ]; then
		for b in $GUESS_BROKERS; do run_guess $b "$r" || true; done
	fi
	case " $PARTS " in *" synflood "*)
		for f in $SYN_FAMILIES; do
			[ "$f" = 4 ] || [ "$SYN_GEN" = xsyn ] || continue # raw-socket SYNs: IPv4 only
			for m in xdp nft none $([ "$SYN_GEN" = xsyn ] && echo floor); do
				run_syn "$m" "$r" "${f#4}" || true
			done
		done ;;
	esac
	case " $PARTS " in *" overhead "*)
		for p in veth $([ "$OVER_LO" = 1 ] && echo lo); do
			for s in lat-10k p2p-q0; do
				for g in 0 1 $([ "$p" = veth ] && echo 2 3); do
					run_over "$p" "$g" "$s" "$r" || true
				done
			done
		done ;;
	esac
done
ELAPSED=$((SECONDS - START))

python3 "$(dirname "$0")/bench_xdp_summary.py" "$RESULTS" "$ELAPSED" "$SYN_RATE" >>"$SUMMARY"
cleanup
trap - EXIT
left=$(ip netns list | grep -c "^mqxb$$-" || true)
[ "$left" = 0 ] || note "warning: $left namespaces left"
note "${ELAPSED} s; results in $RESULTS"
