# shellcheck shell=bash disable=SC2034
# (SC2034: variables set here are used by the tests that source this file)
# Sourced by every tests/integration/t_*.sh. Gives each test:
#   - a temp dir $T, removed on exit (kept if MQTTGW_KEEP_TMP=1);
#   - as root with working `ip netns`: two private network namespaces joined by a veth pair,
#     the broker in one (run with `bns CMD`), the clients in the other (run with `cli CMD`);
#     otherwise everything on 127.0.0.1 with a free ephemeral port (MQTTGW_TEST_NETNS=0 forces it);
#   - start_broker/stop_broker/restart_broker for the broker under test: /usr/sbin/mosquitto when
#     MQTTGW_TEST_BROKER=mosquitto, else ${MQTTGWD:-$BUILD/mqttgwd};
#   - pub/sub wrappers around mosquitto_pub/mosquitto_sub, py for python helpers, assertions;
#   - a cleanup trap that kills only the PIDs this test started and deletes its namespaces.
#
# Header comments a test may carry (read by scripts/run-tests.sh and here):
#   # timeout: N         seconds before the runner kills the test (default 120)
#   # broker: mqttgwd    mqttgwd-specific behaviour: skipped when the broker is Mosquitto
#   # needs: bpf         a skip is a failure when MQTTGW_REQUIRE_BPF=1
# Exit codes: 0 pass, 77 skip, anything else fail.
# Beware `cmd | grep -q` under pipefail: grep exits at the first match and cmd may die of SIGPIPE,
# failing the pipeline; use `grep -q PATTERN <<<"$(cmd)"` or a file.

set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_TOP=$(cd "$TEST_DIR/../.." && pwd)
BUILD=${BUILD:-build}
BUILD_ARG=$BUILD # as given (relative to the repo top), for `make BUILD=...`
case $BUILD in /*) ;; *) BUILD=$REPO_TOP/$BUILD ;; esac
MQTTGW_TEST_BROKER=${MQTTGW_TEST_BROKER:-mqttgwd}
PY=/usr/bin/python3 # Debian's python3 has paho-mqtt; a pyenv python3 on PATH may not
SYS_INTERVAL=${SYS_INTERVAL:-10}

_PIDS=()      # every background PID we started (killed by PID in cleanup)
_NETNS=()     # namespaces we created
BNS=()        # command prefix: run in the broker's namespace
CLI=()        # command prefix: run in the clients' namespace
BROKER_PID=
BROKER_HOST=
BROKER_PORT=
BROKER_CONF=
BROKER_EXTRA=()
_BROKER_ARGS=()
_DMESG_MARK=

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*" >&2; }

fail() {
	printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# ---- header metadata ----

# header_value KEY: the value of a "# KEY: value" line in this test (empty if none).
header_value() {
	awk -v k="# $1:" 'index($0, k) == 1 { v = substr($0, length(k) + 1); sub(/^ +/, "", v); print v; exit }' "$0"
}

# MQTTGW_TEST_FORCE=1 runs such a test anyway (to see how Mosquitto deviates).
if [ "$(header_value broker)" = mqttgwd ] && [ "$MQTTGW_TEST_BROKER" = mosquitto ] &&
	[ "${MQTTGW_TEST_FORCE:-0}" != 1 ]; then
	skip "mqttgwd-specific test (MQTTGW_TEST_BROKER=mosquitto)"
fi

# ---- assertions ----

assert_eq() { # expected actual [message]
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$1', got '$2'"
}

assert_ne() { # unexpected actual [message]
	[ "$1" != "$2" ] || fail "${3:-values equal}: did not expect '$1'"
}

assert_contains() { # haystack needle [message]
	case $1 in *"$2"*) ;; *) fail "${3:-missing text}: '$2' not in: $(printf '%s' "$1" | head -c 2000)" ;; esac
}

assert_not_contains() { # haystack needle [message]
	case $1 in *"$2"*) fail "${3:-unexpected text}: '$2' found in: $(printf '%s' "$1" | head -c 2000)" ;; *) ;; esac
}

assert_match() { # string ERE [message]
	grep -Eq -- "$2" <<<"$1" || fail "${3:-no match}: '$1' !~ /$2/"
}

assert_int_between() { # value lo hi [message]
	[[ $1 =~ ^[0-9]+$ ]] || fail "${4:-not an integer}: '$1'"
	if [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
		fail "${4:-out of range}: $1 not in [$2, $3]"
	fi
}

# ---- processes ----

# track PID: kill it in cleanup.
track() { _PIDS+=("$1"); }

# at_cleanup CMD: eval CMD in cleanup, after the test's processes are gone and before $T is
# removed (e.g. to unmount something mounted in $T).
_AT_CLEANUP=()
at_cleanup() { _AT_CLEANUP+=("$1"); }

untrack() {
	local p keep=()
	for p in "${_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	_PIDS=(${keep[@]+"${keep[@]}"})
}

# bg OUTFILE CMD...: run CMD in the background (stdout+stderr to OUTFILE), tracked; PID in $BG_PID.
# Use `bg "$f" cli ...` only through the prefix arrays, never a shell function, so that $! is the
# process itself: bg "$f" "${CLI[@]}" mosquitto_sub ...
bg() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	BG_PID=$!
	track "$BG_PID"
}

# run_fg CMD...: run CMD like a foreground command (stdin passed through, status returned), but
# as a tracked background job waited for with `wait`, so that a SIGTERM from the runner's
# timeout runs our cleanup at once instead of after CMD finishes.
run_fg() {
	local p rc=0
	"$@" <&0 &
	p=$!
	track "$p"
	wait "$p" || rc=$?
	untrack "$p"
	return "$rc"
}

# kill_wait PID [secs]: SIGTERM, bounded wait, SIGKILL. Returns the exit status (or 137).
kill_wait() {
	local pid=$1 secs=${2:-5} i rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	untrack "$pid"
	return "$rc"
}

# wait_pid PID SECS: wait for a background process to exit by itself; its status in $WAIT_RC.
# Fails the test if it is still running after SECS.
wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "pid $pid still running after ${secs}s"
	WAIT_RC=0
	wait "$pid" || WAIT_RC=$?
	untrack "$pid"
}

# ---- network: namespaces or loopback ----

_netns_usable() {
	[ "${MQTTGW_TEST_NETNS:-1}" != 0 ] || return 1
	[ "$(id -u)" = 0 ] || return 1
	command -v ip >/dev/null || return 1
	local probe="mqgw-probe-$$"
	ip netns add "$probe" 2>/dev/null || return 1
	ip netns del "$probe" 2>/dev/null || true
}

# free_port: an unused TCP port on 127.0.0.1 (loopback mode only; inside our own namespace any
# port is free).
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# netns_add NAME: a new network namespace with lo up, deleted by the cleanup.
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# pid_slash30 NET: the two host addresses of a /30 in NET.0.0/16 chosen from the test's pid,
# so that tests running in parallel never share one ("10.200.3.5 10.200.3.6").
pid_slash30() {
	local idx=$(($$ % 16384))
	echo "$1.$((idx / 64)).$(((idx % 64) * 4 + 1)) $1.$((idx / 64)).$(((idx % 64) * 4 + 2))"
}

# veth_link NS_A NS_B IF ADDR_A ADDR_B: a veth pair named IF at both ends joining namespaces
# NS_A and NS_B, with ADDR_A/30 and ADDR_B/30, both ends up. The veth carrier comes up
# asynchronously: returns once both ends report it (bounded, 2 s).
veth_link() {
	local na=$1 nb=$2 ifn=$3 aa=$4 ab=$5 i
	ip -n "$na" link add "$ifn" type veth peer name "$ifn" netns "$nb"
	ip -n "$na" addr add "$aa/30" dev "$ifn"
	ip -n "$nb" addr add "$ab/30" dev "$ifn"
	ip -n "$na" link set "$ifn" up
	ip -n "$nb" link set "$ifn" up
	for ((i = 0; i < 100; i++)); do
		[[ $(ip -n "$na" -o link show "$ifn") == *LOWER_UP* ]] &&
			[[ $(ip -n "$nb" -o link show "$ifn") == *LOWER_UP* ]] && break
		sleep 0.02
	done
}

setup_network() {
	if _netns_usable; then
		# Unique per test run: name + pid. Addresses: a /30 out of 10.200.0.0/16 from the pid.
		local tag nsb nsc
		tag=$(printf '%s' "$TEST_NAME" | tr -c 'a-zA-Z0-9_\n' '_' | cut -c1-24)
		nsb="mqgw-${tag}-$$-b"
		nsc="mqgw-${tag}-$$-c"
		netns_add "$nsb"
		netns_add "$nsc"
		read -r BROKER_HOST CLIENT_ADDR <<<"$(pid_slash30 10.200)"
		veth_link "$nsb" "$nsc" veth0 "$BROKER_HOST" "$CLIENT_ADDR"
		BNS=(ip netns exec "$nsb")
		CLI=(ip netns exec "$nsc")
		BROKER_NS=$nsb
		CLIENT_NS=$nsc
		BROKER_PORT=21883
		BROKER_PORT2=21884
		NETMODE=netns
	else
		BROKER_HOST=127.0.0.1
		CLIENT_ADDR=127.0.0.1
		BROKER_PORT=$(free_port)
		BROKER_PORT2=$(free_port)
		BROKER_NS=
		CLIENT_NS=
		NETMODE=loopback
	fi
	export BROKER_HOST BROKER_PORT BROKER_PORT2
}

# cli CMD...: run CMD on the client side. bns CMD...: run CMD in the broker's namespace.
cli() { "${CLI[@]}" "$@"; }
bns() { "${BNS[@]}" "$@"; }

# ---- the broker ----

broker_bin() {
	if [ "$MQTTGW_TEST_BROKER" = mosquitto ]; then
		echo /usr/sbin/mosquitto
	else
		echo "${MQTTGWD:-$BUILD/mqttgwd}"
	fi
}

is_mosquitto() { [ "$MQTTGW_TEST_BROKER" = mosquitto ]; }
# The broker under test is built with AddressSanitizer. Not `ldd | grep -q`: grep -q exits at
# the first match, ldd then dies of SIGPIPE, and with pipefail the test thought the build was not
# ASan whenever ldd was slower than grep (t_store_1m ran 1M messages instead of 100k in CI).
broker_is_asan() {
	case "$(ldd "$(broker_bin)" 2>/dev/null)" in
	*libasan*) return 0 ;;
	esac
	return 1
}

# write_config FILE [extra lines...]
write_config() {
	local f=$1
	shift
	{
		echo "# written by $TEST_NAME"
		echo "listener $BROKER_PORT $BROKER_HOST"
		echo "allow_anonymous true"
		echo "log_dest stderr"
		echo "log_type all"
		echo "sys_interval $SYS_INTERVAL"
		# as started (root); a test of the privilege drop sets BROKER_USER
		echo "user ${BROKER_USER:-root}"
		if ! is_mosquitto && [ -n "${MQTTGW_FASTPATH:-}" ]; then
			echo "fastpath $MQTTGW_FASTPATH"
		fi
		# MQTTGW_PERSISTENCE=1: the whole suite with the durable store on (one per test)
		if ! is_mosquitto && [ "${MQTTGW_PERSISTENCE:-0}" = 1 ]; then
			mkdir -p "$T/persist"
			echo "persistence true"
			echo "persistence_location $T/persist"
		fi
		local l
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# port_listening PORT [ADDR]: true if something in the broker's namespace listens on PORT.
port_listening() {
	[ -n "$(bns ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# _broker_died PID WHAT: the broker exited before WHAT: fail with its status and log.
_broker_died() {
	local pid=$1 rc=0
	wait "$pid" || rc=$?
	untrack "$pid"
	BROKER_PID=
	# Exit 5: `fastpath on` but no kernel fast path here. A skip, unless BPF is required.
	if [ "$rc" = 5 ] && ! is_mosquitto && [ "${MQTTGW_FASTPATH:-}" = on ] &&
		[ "${MQTTGW_REQUIRE_BPF:-0}" != 1 ]; then
		skip "fastpath on: kernel fast path unavailable (mqttgwd exit 5)"
	fi
	fail "broker exited with status $rc before $2; log: $(tail -n 20 "$BROKER_LOG")"
}

# wait_listening PORT SECS PID: until PORT accepts, or fail (also if PID dies first).
wait_listening() {
	local port=$1 secs=$2 pid=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		port_listening "$port" && return 0
		kill -0 "$pid" 2>/dev/null || _broker_died "$pid" "listening on $port"
		sleep 0.05
	done
	fail "broker not listening on port $port after ${secs}s; log: $(tail -n 20 "$BROKER_LOG")"
}

# wait_running N SECS PID: until $BROKER_LOG has more than N "mqttgwd ... running" lines (the
# end of a start), or fail (also if PID dies first; exit 5, `fastpath on` without a fast path,
# skips as in wait_listening).
wait_running() {
	local n=$1 secs=$2 pid=$3 i c
	for ((i = 0; i < secs * 20; i++)); do
		c=$(grep -c "mqttgw version .* running (" "$BROKER_LOG" 2>/dev/null || true)
		[ "${c:-0}" -gt "$n" ] && return 0
		kill -0 "$pid" 2>/dev/null || _broker_died "$pid" "completing its start"
		sleep 0.05
	done
	fail "broker start not complete after ${secs}s; log: $(tail -n 20 "$BROKER_LOG")"
}

# start_broker [extra config lines...]: write $T/broker.conf, start the broker, wait for the port.
# Sets BROKER_PID BROKER_LOG BROKER_CONF. BROKER_ARGS (array) adds command-line arguments.
start_broker() {
	_broker_config "$@"
	_start_broker_proc
}

# start_broker_auth [extra config lines...]: start_broker without write_config's
# "allow_anonymous true", for the tests of authentication (the lines say how clients log in).
start_broker_auth() {
	_broker_config "$@"
	sed -i 's/^allow_anonymous true$//' "$BROKER_CONF"
	_start_broker_proc
}

_broker_config() {
	local bin
	bin=$(broker_bin)
	[ -x "$bin" ] || fail "broker binary not found or not executable: $bin (build it, or set MQTTGWD / MQTTGW_TEST_BROKER=mosquitto)"
	BROKER_CONF=$T/broker.conf
	BROKER_LOG=$T/broker.log
	BROKER_EXTRA=("$@")
	write_config "$BROKER_CONF" "$@"
}

# scram_secret USER PASSWORD: USER's scram_password_file line (RFC 5803; fixed salt, 4096
# iterations), on stdout.
scram_secret() {
	PYTHONPATH="$TEST_DIR" "$PY" -c "from mqtt5raw import Scram
print('$1:' + Scram.stored_secret('$2', b'mqttgw-salt-0001', 4096))"
}

_start_broker_proc() {
	local bin runs
	bin=$(broker_bin)
	runs=$(grep -c "mqttgw version .* running (" "$BROKER_LOG" 2>/dev/null || true)
	echo "---- start $(date +%T.%3N): ${MQTTGW_BROKER_WRAPPER:-}${MQTTGW_BROKER_WRAPPER:+ }$bin -c $BROKER_CONF ${BROKER_ARGS[*]:-}" >>"$BROKER_LOG"
	# MQTTGW_BROKER_WRAPPER: words put before the broker command, e.g. "valgrind -q" or
	# "env LD_PRELOAD=...". It must exec the broker (keep its PID).
	# shellcheck disable=SC2086
	"${BNS[@]}" ${MQTTGW_BROKER_WRAPPER:-} "$bin" -c "$BROKER_CONF" ${BROKER_ARGS[@]+"${BROKER_ARGS[@]}"} >>"$BROKER_LOG" 2>&1 &
	BROKER_PID=$!
	track "$BROKER_PID"
	wait_listening "$BROKER_PORT" 10 "$BROKER_PID"
	# mqttgwd listens before its kernel fast path is in (issue 15): tests start once the start
	# is complete (fast path settled, privileges dropped); BROKER_NO_WAIT_RUNNING=1: at once
	is_mosquitto || [ "${BROKER_NO_WAIT_RUNNING:-0}" = 1 ] ||
		wait_running "${runs:-0}" 60 "$BROKER_PID"
	log "broker $MQTTGW_TEST_BROKER pid $BROKER_PID on $BROKER_HOST:$BROKER_PORT ($NETMODE)"
}

# broker_alive: fail if the broker process has died.
broker_alive() {
	[ -n "$BROKER_PID" ] || fail "no broker running"
	if ! kill -0 "$BROKER_PID" 2>/dev/null; then
		local rc=0
		wait "$BROKER_PID" || rc=$?
		untrack "$BROKER_PID"
		BROKER_PID=
		fail "broker died (exit status $rc); log: $(tail -n 20 "$BROKER_LOG")"
	fi
}

# _stop_broker_quiet: SIGTERM, bounded wait. Returns 0, or 1 with the reason in $STOP_ERR. Never
# exits (it also runs inside the cleanup trap). Exit status of the broker in $BROKER_RC.
_stop_broker_quiet() {
	local pid=$BROKER_PID i
	STOP_ERR=
	BROKER_RC=
	[ -n "$pid" ] || { STOP_ERR="no broker running"; return 1; }
	BROKER_PID=
	if ! kill -0 "$pid" 2>/dev/null; then
		BROKER_RC=0
		wait "$pid" || BROKER_RC=$?
		untrack "$pid"
		STOP_ERR="broker died during the test (exit status $BROKER_RC)"
		return 1
	fi
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		untrack "$pid"
		STOP_ERR="broker pid $pid did not exit within 10s of SIGTERM"
		return 1
	fi
	BROKER_RC=0
	wait "$pid" || BROKER_RC=$?
	untrack "$pid"
	if ! is_mosquitto && [ "$BROKER_RC" != 0 ]; then
		STOP_ERR="mqttgwd exited with status $BROKER_RC after SIGTERM (expected 0)"
		return 1
	fi
	log "broker stopped (status $BROKER_RC)"
}

# stop_broker: SIGTERM, bounded wait; for mqttgwd the exit status must be 0. Status in $BROKER_RC.
stop_broker() {
	_stop_broker_quiet || fail "$STOP_ERR; log: $(tail -n 20 "$BROKER_LOG")"
}

# restart_broker: stop (if running) and start again with the same config and arguments.
restart_broker() {
	[ -z "$BROKER_PID" ] || stop_broker
	_start_broker_proc
}

# ---- clients ----

CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-10}

# pub ARGS...: mosquitto_pub to the broker, bounded.
pub() {
	run_fg "${CLI[@]}" timeout -k 2 "$CLIENT_TIMEOUT" mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" "$@"
}

# sub ARGS...: mosquitto_sub to the broker, bounded by -W (default CLIENT_TIMEOUT) and timeout.
sub() {
	local w=()
	case " $* " in *" -W "*) ;; *) w=(-W "$CLIENT_TIMEOUT") ;; esac
	run_fg "${CLI[@]}" timeout -k 2 $((CLIENT_TIMEOUT + 20)) mosquitto_sub -h "$BROKER_HOST" -p "$BROKER_PORT" "${w[@]}" "$@"
}

# sub_bg OUTFILE ARGS...: mosquitto_sub -d in the background; returns once its SUBACK arrived.
# Messages: `sub_payloads OUTFILE`; the PUBLISH lines (flags d/q/r): `sub_publish_lines OUTFILE`.
# PID in $SUB_PID; wait for it with wait_pid (use -C N and -W S so it ends by itself).
sub_bg() {
	local out=$1 i
	shift
	local w=()
	case " $* " in *" -W "*) ;; *) w=(-W "$CLIENT_TIMEOUT") ;; esac
	# empty it now: the background job's own redirection may run after the grep below,
	# which would then find a SUBACK of an earlier run in a reused file
	: >"$out"
	bg "$out" "${CLI[@]}" stdbuf -oL mosquitto_sub -d -h "$BROKER_HOST" -p "$BROKER_PORT" "${w[@]}" "$@"
	SUB_PID=$BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -q 'received SUBACK' "$out" 2>/dev/null && return 0
		kill -0 "$SUB_PID" 2>/dev/null || fail "mosquitto_sub exited early: $(cat "$out")"
		sleep 0.05
	done
	fail "mosquitto_sub got no SUBACK within 5s: $(cat "$out")"
}

# Payload lines of a sub_bg output (debug lines removed).
sub_payloads() {
	grep -v -E '^Client .* (sending|received) [A-Z]+|^Subscribed \(mid' "$1" || true
}

# The "received PUBLISH (dD, qQ, rR, mM, 'topic', ... (N bytes))" lines of a sub_bg output.
sub_publish_lines() {
	grep -E 'received PUBLISH' "$1" || true
}

# py [ARGS...]: /usr/bin/python3 on the client side with the helper modules importable and
# BROKER_HOST/BROKER_PORT exported. Script on stdin (`py <<'EOF'`) or as arguments.
py() {
	local tmo=${PY_TIMEOUT:-60}
	if [ $# -eq 0 ]; then set -- -; fi
	run_fg "${CLI[@]}" env PYTHONPATH="$TEST_DIR" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
		BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" BROKER_PORT2="$BROKER_PORT2" \
		timeout -k 2 "$tmo" "$PY" "$@"
}

# ---- py_test (dups2): the start_broker + python test skeleton, written once ----
# py_test MODULE [extra config lines...] <<'PY': start_broker with the lines, then the script on
# stdin under MODULE's harness (mqtt5raw, mqttraw or mqttc): `from MODULE import *`, the script
# (which defines t()), `main(t)` (mqttraw.main: a TestFailure is "FAIL: ..." and exit 1).
py_test() {
	local mod=$1
	shift
	start_broker "$@"
	{
		printf 'from %s import *\n' "$mod"
		cat
		printf 'main(t)\n'
	} >"$T/py_test.py"
	py "$T/py_test.py"
}
# ---- end py_test ----

# py_ready MESSAGE [ARGS...] <<'PY': a python client in the background, the script on stdin and
# "$T/ready" its first argument (it writes the file once it is set up); returns once the file is
# there, the client's pid in PY_PID (tracked); fails the test with MESSAGE after 10 s.
py_ready() {
	local msg=$1 i
	shift
	py - "$T/ready" "$@" <&0 &
	PY_PID=$!
	track "$PY_PID"
	for ((i = 0; i < 200; i++)); do [ -s "$T/ready" ] && return 0; sleep 0.05; done
	fail "$msg"
}

# py_done SECS WHAT: the client of py_ready exits within SECS with status 0, else the test fails
# ("WHAT failed (exit N)").
py_done() {
	wait_pid "$PY_PID" "$1"
	[ "$WAIT_RC" = 0 ] || fail "$2 failed (exit $WAIT_RC)"
}

# ---- kernel log guard (ARCHITECTURE invariant 6: no new BUG/WARNING/Oops) ----

# The mark is the last line of the log at the start; what follows it is new. When the ring
# buffer has rotated the mark away, the lines stamped later than it are new (a log without
# timestamps falls back to the whole log: better a spurious failure than a missed BUG).
_dmesg_mark() {
	_DMESG_MARK=$(dmesg 2>/dev/null | tail -n 1 || true)
}

_dmesg_new() {
	dmesg 2>/dev/null | awk -v m="$_DMESG_MARK" '
		function ts(l) { return match(l, /^\[ *[0-9]+\.[0-9]+\]/) ? substr(l, 2, RLENGTH - 2) + 0 : -1 }
		BEGIN { mt = ts(m) }
		{ lines[NR] = $0; if ($0 == m) at = NR }
		END {
			for (i = 1; i <= NR; i++)
				if (at ? i > at : (mt < 0 || ts(lines[i]) > mt)) print lines[i]
		}' || true
}

_dmesg_check() {
	[ -n "$_DMESG_MARK" ] || return 0
	local new
	new=$(_dmesg_new)
	if grep -Eq 'BUG:|WARNING:|Oops|general protection fault|kernel BUG' <<<"$new"; then
		printf 'FAIL: %s: new kernel warnings:\n%s\n' "$TEST_NAME" "$(grep -E -A5 'BUG:|WARNING:|Oops|general protection' <<<"$new" | head -n 40)" >&2
		return 1
	fi
}

# ---- setup and cleanup ----

_cleanup() {
	local rc=$? p ns
	set +e
	trap - EXIT INT TERM
	# A test that passed must also leave a healthy broker: alive, and (mqttgwd) exit 0 on SIGTERM.
	if [ "$rc" = 0 ] && [ -n "$BROKER_PID" ]; then
		if ! _stop_broker_quiet; then
			printf 'FAIL: %s: at exit: %s\n' "$TEST_NAME" "$STOP_ERR" >&2
			rc=1
		fi
	fi
	for p in "${_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	# Up to 3 s in all for them to go, then SIGKILL what is left.
	for ((i = 0; i < 30; i++)); do
		local alive=0
		for p in "${_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# Anything else still inside our own namespaces was started by this test.
	for ns in "${_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	for ns in "${_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	for p in "${_AT_CLEANUP[@]}"; do eval "$p"; done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${BROKER_LOG:-}" ] && [ -s "$BROKER_LOG" ]; then
		echo "---- broker log (last 30 lines): $BROKER_LOG" >&2
		tail -n 30 "$BROKER_LOG" >&2
	fi
	if [ "$rc" = 0 ] && ! _dmesg_check; then rc=1; fi
	if [ "${MQTTGW_KEEP_TMP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${MQTTGW_KEEP_TMP:-}" != 0 ]; }; then
		echo "kept temp dir: $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/mqttgw-$TEST_NAME.XXXXXX")
chmod 755 "$T"
BROKER_LOG=$T/broker.log
trap _cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
_dmesg_mark
setup_network
