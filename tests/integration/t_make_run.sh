#!/usr/bin/env bash
# broker: mqttgwd
# `make run` from the repository top (deps, build, then mqttgwd with no arguments) serves MQTT on
# 127.0.0.1:1883: a publish/subscribe round trip works, the listener belongs to the make's
# process group, and SIGTERM to that group stops it. Runs in the host namespace (that is what
# `make run` is for); skipped if something else already listens on port 1883.
# timeout: 600
. "$(dirname "$0")/lib.sh"
port_in_use() { [ -n "$(ss -Hltn 'sport = :1883')" ]; }
port_in_use && skip "port 1883 is already in use: $(ss -Hltnp 'sport = :1883' | head -n 1)"
command -v setsid >/dev/null || skip "no setsid"
# Own process group (setsid) so that the whole make -> mqttgwd tree can be signalled at once.
setsid make -C "$REPO_TOP" --no-print-directory run BUILD="$BUILD_ARG" >"$T/make.log" 2>&1 </dev/null &
MAKE_PID=$!
track "$MAKE_PID"
stop_make() {
	kill -TERM -- "-$MAKE_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 -- "-$MAKE_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$MAKE_PID" 2>/dev/null || true
	return 1
}
trap 'stop_make; _cleanup' EXIT
# make may have to install packages and build: allow it a while, but fail if it exits.
for ((i = 0; i < 5000; i++)); do
	port_in_use && break
	kill -0 "$MAKE_PID" 2>/dev/null || fail "make run exited before listening: $(tail -n 30 "$T/make.log")"
	sleep 0.1
done
port_in_use || fail "nothing listens on 1883 after 500 s: $(tail -n 30 "$T/make.log")"
# the listener must be ours (same process group), not something that raced us to the port
ss_out=$(ss -Hltnp 'sport = :1883')
lpid=$(grep -m1 -o 'pid=[0-9]*' <<<"$ss_out" | cut -d= -f2)
[ -n "$lpid" ] || fail "cannot see the listener's pid: $(ss -Hltnp 'sport = :1883')"
assert_eq "$MAKE_PID" "$(ps -o pgid= -p "$lpid" | tr -d ' ')" "process group of the 1883 listener"
grep -q '127.0.0.1:1883' <<<"$(ss -Hltn 'sport = :1883')" || fail "not bound to 127.0.0.1: $(ss -Hltn 'sport = :1883')"
timeout 15 stdbuf -oL mosquitto_sub -h 127.0.0.1 -p 1883 -t make/run -C 1 -W 10 >"$T/sub.out" 2>&1 &
subpid=$!
track "$subpid"
sleep 0.5
timeout 10 mosquitto_pub -h 127.0.0.1 -p 1883 -t make/run -m round-trip -q 1
wait_pid "$subpid" 15
assert_eq 0 "$WAIT_RC" "mosquitto_sub exit status: $(cat "$T/sub.out")"
assert_eq round-trip "$(cat "$T/sub.out")" "round trip"
stop_make || fail "make run did not stop within 10 s of SIGTERM"
untrack "$MAKE_PID"
port_in_use && fail "port 1883 still open after stopping make run"
true
