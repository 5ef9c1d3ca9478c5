# shellcheck shell=bash disable=SC2034
# (SC2034: variables set here are used by the tests that source this file)
# Sourced after lib.sh by the durable store's fault-injection tests (t_store_crash, _powercut,
# _diskfull, _corrupt, _old_schema, _unwritable, _1m; storelib.sh serves the restart tests). Gives:
#   store_conf DIR [SYNC]     the config lines of a store in DIR (persistence_file store.db)
#   store_start DIR [SYNC] [extra lines...]
#                             start mqttgwd on that store; skips the test (77) when this mqttgwd
#                             does not use the store at all (no start-up line, no database file)
#   store_restored            the last "Restored N sessions, ..." line of the broker log; its
#                             numbers in RESTORED_SESSIONS RESTORED_QUEUED RESTORED_RETAINED
#                             RESTORED_MS
#   broker_kill9              SIGKILL the broker (a crash) and reap it
#   broker_signal SIG         the same with another signal (bounded wait)
#   broker_start_again        start it again with the same config (after a kill), wait for the
#                             port, and check that it logged a new start-up line
#   load_bg OUT ARGS...       tests/integration/storeload.py ARGS on the client side, in the
#                             background (tracked; PID in $BG_PID)
#   load ARGS...              the same in the foreground
#   store_fill_check DIR FILE whether a file can still be written in DIR (for disk-full tests)
#
# STORE_DEBUG=1 (debugging a stall of the load tests): the broker gets a control socket
# ($T/ctl.sock) and a metrics listener, every load client writes a timed trace
# ($T/TAG-*.trace), store_metrics appends the store's figures to $T/store.metrics (each
# broker_signal does, before the signal), load_end snapshots the clients (mqttgwctl) and the
# store's figures every 0.5 s while the online subscribers drain ($T/TAG.watch), and
# when the check fails it dumps the broker's state (mqttgwctl, every thread's backtrace) and
# keeps the broker alive while $T/hold exists (at most STORE_DEBUG_HOLD seconds, default 300).

STORE_FILE=store.db
MQTTGW_PERSISTENCE=0 # lib.sh's whole-suite store: these tests configure their own
RESTORED_RE='[Rr]estored ([0-9]+) sessions, ([0-9]+) queued messages, ([0-9]+) retained in ([0-9]+) ms'

store_conf() { # dir [sync]
	echo "persistence true"
	echo "persistence_file $STORE_FILE"
	# MQTTGW_TEST_BROKER=mosquitto MQTTGW_TEST_FORCE=1: Mosquitto with `persistence true`
	# (snapshots every autosave_interval), to see the tests fail on a broker that loses data
	if is_mosquitto; then
		echo "persistence_location $1/"
	else
		echo "persistence_location $1"
		echo "persistence_sync ${2:-full}"
	fi
	# the kernel fast path (QoS 0 only) takes seconds to load on a busy machine, at every
	# restart; off unless the run asks for it (MQTTGW_FASTPATH, the CI matrix)
	if ! is_mosquitto && [ -z "${MQTTGW_FASTPATH:-}" ]; then echo "fastpath off"; fi
	# the load generators queue thousands of messages for offline sessions: none may be
	# dropped for a queue limit (that would be a legitimate loss, not the store's)
	echo "max_queued_messages 1000000"
	if [ "${STORE_DEBUG:-0}" = 1 ] && ! is_mosquitto; then
		echo "control_socket $T/ctl.sock"
		echo "metrics_listener $BROKER_HOST:$STORE_DEBUG_MPORT"
	fi
}
STORE_DEBUG_MPORT=21886

# Lines of the broker log that say the store was loaded.
_restored_lines() {
	grep -E "$RESTORED_RE" "$BROKER_LOG" 2>/dev/null || true
}

store_restored() {
	local l
	if is_mosquitto; then
		RESTORED_SESSIONS='?' RESTORED_QUEUED='?' RESTORED_RETAINED='?' RESTORED_MS='?'
		RESTORED_LINE="(Mosquitto: no start-up line)"
		return 0
	fi
	l=$(_restored_lines | tail -n 1)
	[ -n "$l" ] || return 1
	[[ $l =~ $RESTORED_RE ]] || return 1
	RESTORED_SESSIONS=${BASH_REMATCH[1]}
	RESTORED_QUEUED=${BASH_REMATCH[2]}
	RESTORED_RETAINED=${BASH_REMATCH[3]}
	RESTORED_MS=${BASH_REMATCH[4]}
	RESTORED_LINE=$l
}

# The feature is absent when mqttgwd neither logs the start-up line nor creates the database:
# `persistence true` accepted and ignored (the state before issue #13 was wired into main).
# Anything in between (one without the other) is a failure, not a skip.
_store_require_wired() { # dir lines_before
	local dir=$1 before=$2 i
	! is_mosquitto || return 0
	for ((i = 0; i < 40; i++)); do
		[ "$(_restored_lines | wc -l)" -gt "$before" ] && return 0
		sleep 0.05
	done
	if [ ! -e "$dir/$STORE_FILE" ]; then
		skip "feature absent: mqttgwd does not use the durable store: with 'persistence true' it logged no" \
			"'Restored N sessions, M queued messages, R retained in X ms.' line and created no" \
			"$dir/$STORE_FILE (store not wired into mqttgwd yet, issue #13)"
	fi
	fail "the store file $dir/$STORE_FILE exists but mqttgwd logged no start-up line" \
		"'Restored N sessions, ...'; log: $(tail -n 20 "$BROKER_LOG")"
}

# A mqttgwd that does not know the store's keys yet (`persistence_sync` is mqttgw's own) refuses
# the config: the feature is absent, skip. Checked with `mqttgwd -t` (test the config, exit).
_store_keys_known() { # dir
	local out
	! is_mosquitto || return 0
	write_config "$T/store-keys.conf" "$(store_conf "$1" full)"
	out=$("$(broker_bin)" -c "$T/store-keys.conf" -t 2>&1) && return 0
	case $out in *"unknown option 'persistence_sync'"*)
		skip "feature absent: mqttgwd does not know 'persistence_sync' (the durable store is not wired into" \
			"mqttgwd yet, issue #13): $out" ;;
	esac
}

store_start() { # dir [sync] [extra lines...]
	local dir=$1 sync=${2:-full}
	shift
	[ $# -eq 0 ] || shift
	mkdir -p "$dir"
	_store_keys_known "$dir"
	STORE_DIR=$dir
	start_broker "$(store_conf "$dir" "$sync")" "$@"
	_store_require_wired "$dir" 0
	store_restored || true
}

broker_kill9() {
	broker_signal KILL
}

# STORE_DEBUG: the running broker's store figures (commits, latency), one timed line.
store_metrics() {
	[ "${STORE_DEBUG:-0}" = 1 ] || return 0
	echo "$(date +%s.%3N) $BROKER_PID $(cli curl -s -m 5 \
		"http://$BROKER_HOST:$STORE_DEBUG_MPORT/metrics" |
		grep -E '^mqttgw_store_(commit|bytes|messages)' | tr '\n' ' ')" >>"$T/store.metrics"
}

# broker_signal SIG: send SIG, reap the broker (bounded: 10 s, then SIGKILL and fail).
broker_signal() {
	local pid=$BROKER_PID i
	[ -n "$pid" ] || fail "broker_signal: no broker running"
	kill -0 "$pid" 2>/dev/null || broker_alive
	store_metrics
	kill "-$1" "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "broker still running 10 s after SIG$1"
	fi
	wait "$pid" 2>/dev/null || true
	untrack "$pid"
	BROKER_PID=
}

broker_start_again() {
	local before
	before=$(_restored_lines | wc -l)
	_start_broker_proc
	_store_require_wired "$STORE_DIR" "$before"
	store_restored || fail "no start-up line after the restart"
}

load_bg() { # out args...
	local out=$1
	shift
	bg "$out" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" PYTHONDONTWRITEBYTECODE=1 \
		PYTHONUNBUFFERED=1 BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
		"$PY" "$TEST_DIR/storeload.py" "$@"
}

load() {
	py "$TEST_DIR/storeload.py" "$@"
}

# Kernel-visible RSS of a process in KiB (VmRSS), and its peak (VmHWM).
proc_kb() { # pid field
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# Start the broker and measure the milliseconds from exec to its first CONNACK (READY_MS):
# mqttgwd opens its listeners before it loads the store (the kernel queues connections, the
# loop serves none before the load is done), so an open port is not yet a serving broker.
# The probe (client side) retries every 2 ms. Sets READY_MS and BROKER_PID.
start_broker_timed() {
	local bin t0
	bin=$(broker_bin)
	echo "---- start (timed) $(date +%T.%3N): $bin -c $BROKER_CONF" >>"$BROKER_LOG"
	t0=$(date +%s%N)
	"${BNS[@]}" "$bin" -c "$BROKER_CONF" >>"$BROKER_LOG" 2>&1 &
	BROKER_PID=$!
	track "$BROKER_PID"
	READY_MS=$(PY_TIMEOUT=120 py - "$t0" <<'PY'
import socket, sys, time
from mqttraw import *
t0 = int(sys.argv[1])
end = time.monotonic() + 110
while time.monotonic() < end:
    try:
        s = socket.create_connection((HOST, PORT), timeout=0.05)
    except OSError:
        time.sleep(0.002)
        continue
    s.settimeout(100)
    s.sendall(connect("ready-probe"))
    b = s.recv(4)
    if len(b) == 4 and b[0] == 0x20 and b[3] == 0:
        print((time.time_ns() - t0) // 1000000)
        s.sendall(disconnect())
        break
    s.close()
    time.sleep(0.002)
PY
)
	[ -n "$READY_MS" ] || { broker_alive; fail "no CONNACK within 110 s of the start"; }
}

# ---- the mixed load of the crash and power-cut tests ----
# load_begin TAG [rate]: four persistent subscribers to load/# and will/# (TAG-on5, TAG-on3
# online, reconnecting after every restart; TAG-off5, TAG-off3 offline until load_end), all
# subscribed before two persistent publishers (TAG-p5 MQTT 5, TAG-p3 3.1.1) start a mixed QoS
# 1/2 load on load/TAG/... at `rate` msg/s each (default 150).
#
# How long the clients run is not a guess at how fast this machine is: the load runs until
# load_end (LOAD_DEADLINE is a safety net under the test's timeout; the rounds of
# t_store_crash took 214 s at load average 40), and a subscriber drains until it has every
# message the publishers saw acknowledged (--expect, read once they are done). LOAD_IDLE, the
# silence after which a subscriber still missing some gives up, only ends a failing run: an
# idle bound of 3 s that also ended passing ones failed them whenever the subscriber's next
# message came later than that, which the daemon may rightly make it wait (a commit's fsync
# took up to 1.85 s here under I/O load; acks and QoS 2 output wait for it, and every client's
# silence ended within 10 ms of the others' when it was done), and the offline drains' 50 s
# did not cover 18,000 messages each at load average 40 (16,878 and 12,243 read; every one of
# the rest delivered to a subscriber that connected again later).
LOAD_DEADLINE=400
LOAD_IDLE=20
load_begin() { # tag [rate]
	local tag=$1 rate=${2:-150} s v
	LOAD_TAG=$tag
	LOAD_STOP=$T/$tag.stop
	LOAD_DRAIN=$T/$tag.drain
	LOAD_PIDS=()
	LOAD_NAMES=()
	for s in off5 off3 on5 on3; do
		v=${s#off}
		load sub --id "$tag-$s" --v "${v#on}" --filter 'load/#' --filter 'will/#' \
			--out "$T/$tag-$s.d" --subscribe-only
	done
	for s in on5 on3; do
		_load_trace "$tag-$s"
		load_bg "$T/$tag-$s.log" sub --id "$tag-$s" --v "${s#on}" --filter 'load/#' --resume \
			--out "$T/$tag-$s.d" --stop "$LOAD_DRAIN" --idle "$LOAD_IDLE" \
			--deadline "$LOAD_DEADLINE" "${LOAD_TRACE[@]}" \
			--expect "$T/$tag-p5.acked" "$T/$tag-p3.acked" "$T/$tag-will.acked"
		LOAD_PIDS+=("$BG_PID")
		LOAD_NAMES+=("$tag-$s")
	done
	for s in p5 p3; do
		_load_trace "$tag-$s"
		load_bg "$T/$tag-$s.log" pub --id "$tag-$s" --v "${s#p}" --topic "load/$tag/$s" \
			--acked "$T/$tag-$s.acked" --stop "$LOAD_STOP" --rate "$rate" --window 10 \
			--deadline "$LOAD_DEADLINE" "${LOAD_TRACE[@]}"
		LOAD_PIDS+=("$BG_PID")
		LOAD_NAMES+=("$tag-$s")
	done
}

# STORE_DEBUG: a load client's trace option, in LOAD_TRACE
_load_trace() { # name
	LOAD_TRACE=()
	[ "${STORE_DEBUG:-0}" != 1 ] || LOAD_TRACE=(--trace "$T/$1.trace")
}

_ctl() {
	timeout -k 2 10 "$BUILD/mqttgwctl" -s "$T/ctl.sock" "$@" 2>&1 || true
}

# STORE_DEBUG: snapshot the broker's clients every 0.5 s while the online subscribers run.
_load_watch() { # tag
	local s
	while kill -0 "${LOAD_PIDS[0]}" 2>/dev/null || kill -0 "${LOAD_PIDS[1]}" 2>/dev/null; do
		for s in on5 on3; do
			echo "$(date +%s.%3N) $1-$s $(_ctl --json client "$1-$s")"
		done
		store_metrics
		sleep 0.5
	done
}

# STORE_DEBUG: the broker's state after a failed check, then hold it alive for a look.
_load_debug_dump() { # tag
	local s i
	[ "${STORE_DEBUG:-0}" = 1 ] && [ -n "$BROKER_PID" ] || return 0
	{
		echo "==== $(date +%s.%3N) status"
		_ctl status
		for s in on5 on3 off5 off3; do
			echo "==== client $1-$s"
			_ctl client "$1-$s"
		done
		echo "==== threads"
		timeout 60 gdb -p "$BROKER_PID" -batch -ex 'thread apply all bt' 2>&1 || true
	} >"$T/$1.dump"
	log "STORE_DEBUG: broker state in $T/$1.dump; broker $BROKER_PID kept alive while" \
		"$T/hold exists (control socket $T/ctl.sock)"
	touch "$T/hold"
	for ((i = 0; i < ${STORE_DEBUG_HOLD:-300} * 2; i++)); do
		[ -e "$T/hold" ] || break
		sleep 0.5
	done
}

# load_alive: every load client still runs (they only end after load_end).
load_alive() {
	local i
	for i in "${!LOAD_PIDS[@]}"; do
		kill -0 "${LOAD_PIDS[$i]}" 2>/dev/null ||
			fail "load client ${LOAD_NAMES[$i]} exited early: $(cat "$T/${LOAD_NAMES[$i]}.log")"
	done
}

# load_acked: acknowledgements received so far (both publishers).
load_acked() {
	# none yet (a publisher still starting on a loaded machine): no file, 0, not a failure
	{ cat "$T/$LOAD_TAG-p5.acked" "$T/$LOAD_TAG-p3.acked" 2>/dev/null || true; } | wc -l
}

# load_end [min_acked]: publishers finish what is in flight; then online subscribers drain and
# offline ones connect and drain (both at once), each until it has every acknowledged message
# (or LOAD_IDLE s without one); then the check (storeload.py check) of every acknowledged
# message against each subscriber's deliveries. Its report in $T/TAG.check; returns its status
# (1: something acknowledged was lost or a QoS 2 message delivered twice). Fails the test if a
# persistent session was lost.
load_end() { # [min_acked]
	local tag=$LOAD_TAG i s rc=0
	touch "$LOAD_STOP"
	if [ "${STORE_DEBUG:-0}" = 1 ]; then
		_load_watch "$tag" >"$T/$tag.watch" &
		track $!
	fi
	# the publishers (LOAD_PIDS 2 and 3) first: their acked files are complete when they exit
	for i in 2 3 0 1; do
		wait_pid "${LOAD_PIDS[$i]}" $((LOAD_IDLE + 60))
		[ "$WAIT_RC" = 0 ] ||
			fail "load client ${LOAD_NAMES[$i]}: exit $WAIT_RC: $(cat "$T/${LOAD_NAMES[$i]}.log")"
		if [ "$i" = 3 ]; then
			touch "$LOAD_DRAIN"
			for s in off5 off3; do
				load_bg "$T/$tag-$s.log" sub --id "$tag-$s" --v "${s#off}" \
					--filter 'load/#' --resume --out "$T/$tag-$s.d" --idle "$LOAD_IDLE" \
					--deadline 150 --expect "$T/$tag-p5.acked" "$T/$tag-p3.acked" \
					"$T/$tag-will.acked"
				LOAD_PIDS+=("$BG_PID")
				LOAD_NAMES+=("$tag-$s")
			done
		fi
	done
	for i in 4 5; do
		wait_pid "${LOAD_PIDS[$i]}" 160
		cat "$T/${LOAD_NAMES[$i]}.log" >&2
		[ "$WAIT_RC" = 0 ] || fail "load client ${LOAD_NAMES[$i]}: exit $WAIT_RC"
	done
	load check --acked "$T/$tag-p5.acked" "$T/$tag-p3.acked" --prefix "$tag-" \
		--deliveries "$T/$tag-on5.d" "$T/$tag-on3.d" "$T/$tag-off5.d" "$T/$tag-off3.d" \
		--min-acked "${1:-0}" >"$T/$tag.check" 2>&1 || rc=$?
	cat "$T/$tag.check" >&2
	for s in on5 on3 off5 off3; do
		! grep -q '^SESSION-LOST' "$T/$tag-$s.d" ||
			echo "FAIL: $tag-$s: its persistent session was gone after a restart" >>"$T/$tag.check"
	done
	grep -q '^FAIL' "$T/$tag.check" && rc=1
	[ "$rc" = 0 ] || _load_debug_dump "$tag"
	return "$rc"
}

# store_probe: skip now (77) when this mqttgwd does not use the store, before a test puts its
# own files (garbage, an old schema) where the broker would otherwise be seen to ignore them.
store_probe() {
	store_start "$T/probe"
	stop_broker
	rm -rf "$T/probe"
}

# moved_aside DIR: the names of the files a corrupt store was moved to (one a line).
moved_aside() {
	find "$1" -maxdepth 1 -name "$STORE_FILE.corrupt-*" -printf '%f\n' | sort
}

# put_retained TOPIC PAYLOAD: a retained QoS 1 message, its PUBACK awaited (durable then).
put_retained() {
	py - "$1" "$2" <<'PY'
import sys
from mqttraw import *
c, _ = client("ret-writer")
c.send(publish(sys.argv[1], sys.argv[2], qos=1, retain=True, pid=7))
check_eq(7, c.expect(PUBACK, timeout=10).pid(), "PUBACK of the retained message")
c.send(disconnect())
PY
}

# pending_will: client "willer" (MQTT 5, session expiry 600 s) with a will on will/willer (QoS 1,
# payload will-of-willer, delay 3 s) vanishes without DISCONNECT: the will is pending for 3 s.
# The load's subscribers (load_begin) expect it too: they drain until it came.
pending_will() {
	[ -z "${LOAD_TAG:-}" ] || echo "will-of-willer 1 0" >>"$T/$LOAD_TAG-will.acked"
	py <<'PY'
from mqtt5raw import *
c, _ = client5("willer", clean=True, props=[(SESSION_EXPIRY, 600)],
               will=dict(topic="will/willer", payload=b"will-of-willer", qos=1,
                         props=[(WILL_DELAY, 3)]))
c.abort()
PY
}

# will_received TAG: each subscriber of load_begin TAG got the will at least once; else the
# ones that did not in WILL_MISSING, status 1.
will_received() {
	local s
	WILL_MISSING=
	for s in on5 on3 off5 off3; do
		[ "$(grep -c '^will-of-willer ' "$T/$1-$s.d" || true)" -ge 1 ] ||
			WILL_MISSING="$WILL_MISSING $1-$s"
	done
	[ -z "$WILL_MISSING" ]
}
