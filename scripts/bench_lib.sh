# shellcheck shell=bash
# The helpers every bench script shares (scripts/bench.sh, bench_stall.sh, bench_startup.sh,
# bench_scrape.sh, bench_xdp.sh): sourced, never run. Each script stays runnable alone.
#
#   bench_free_port               a free loopback TCP port below the ephemeral range
#   bench_conf_base BROKER PORT [ADDR]
#                                 the config lines every bench broker has: the listener, errors
#                                 and warnings logged to stderr, TCP_NODELAY (mqttgwd always sets
#                                 it; Mosquitto needs `set_tcp_nodelay`)
#   bench_start_broker LOG PORTS CMD...
#                                 CMD in the background (its output appended to LOG) -> BPID, then
#                                 wait until every port of PORTS (space separated) listens;
#                                 BENCH_NETNS: the namespace the ports are looked up in
#   bench_stop_broker             SIGCONT (a SIGSTOPped broker), SIGTERM, 5 s, SIGKILL; reaped
#
# The caller names itself in BENCH_ME (messages start with it).

BPID=
BENCH_ME=${BENCH_ME:-$(basename "$0")}

# Below the ephemeral range, so thousands of client sockets (or their TIME_WAITs) never hold it.
bench_free_port() {
	local p lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % (lo - 10000)))
		[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	echo "$BENCH_ME: no free port" >&2
	return 1
}

bench_conf_base() { # broker port [addr]
	echo "listener $2${3:+ $3}"
	echo "log_dest stderr"
	echo "log_type error"
	echo "log_type warning"
	case $1 in mosquitto*) echo "set_tcp_nodelay true" ;; esac
}

bench_listening() { # port: something listens on it (in BENCH_NETNS when set)
	local out
	if [ -n "${BENCH_NETNS:-}" ]; then
		out=$(ip netns exec "$BENCH_NETNS" ss -Htln "sport = :$1" 2>/dev/null)
	else
		out=$(ss -Htln "sport = :$1" 2>/dev/null)
	fi
	[ -n "$out" ]
}

bench_start_broker() { # log ports cmd... -> BPID
	local log=$1 ports=$2 p up
	shift 2
	"$@" >>"$log" 2>&1 &
	BPID=$!
	for _ in $(seq 200); do
		up=1
		for p in $ports; do bench_listening "$p" || { up=0; break; }; done
		[ "$up" = 0 ] || return 0
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "$BENCH_ME: $(basename "$log" .log) did not start: $(tail -3 "$log" 2>/dev/null)" >&2
	bench_stop_broker
	return 1
}

bench_stop_broker() {
	[ -n "$BPID" ] || return 0
	kill -CONT "$BPID" 2>/dev/null || true
	kill -TERM "$BPID" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$BPID" 2>/dev/null || true
	wait "$BPID" 2>/dev/null || true
	BPID=
}
