#!/usr/bin/env bash
# Durable store, a persistence_location that cannot be written (issue #13): a missing directory,
# then a read-only filesystem. mqttgwd says so in one log line naming the directory ("cannot
# write to directory DIR", store.h store_open) and then either (a) does not start: non-zero exit
# within 10 s, nothing listening; or (b) runs without a durable store and acknowledges nothing
# it could lose: QoS 0 flows, a QoS 1 PUBLISH that a persistent session would store gets PUBACK
# 0x97 (MQTT 5) or a closed connection without PUBACK (3.1.1), and the offline session gets
# nothing of it. Whichever mqttgwd does, it must do the same for both directories.
# broker: mqttgwd
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storelib.sh"

store_probe

# outcome DIR -> "exit" or "refuse" in $OUTCOME, or fail
outcome() {
	local dir=$1 i n
	BROKER_CONF=$T/broker.conf
	write_config "$BROKER_CONF" "$(store_conf "$dir" full)"
	echo "---- start $(date +%T.%3N) on $dir" >>"$BROKER_LOG"
	"${BNS[@]}" "$(broker_bin)" -c "$BROKER_CONF" >>"$BROKER_LOG" 2>&1 &
	BROKER_PID=$!
	track "$BROKER_PID"
	for ((i = 0; i < 200; i++)); do
		port_listening "$BROKER_PORT" && break
		kill -0 "$BROKER_PID" 2>/dev/null || break
		sleep 0.05
	done
	n=$(sed -n "/^---- start .* on ${dir//\//\\/}\$/,\$p" "$BROKER_LOG" | grep -c -F "$dir" || true)
	if ! kill -0 "$BROKER_PID" 2>/dev/null; then
		local rc=0
		wait "$BROKER_PID" || rc=$?
		untrack "$BROKER_PID"
		BROKER_PID=
		[ "$rc" != 0 ] || fail "$dir: mqttgwd exited with status 0"
		[ "$n" -ge 1 ] || fail "$dir: mqttgwd exited ($rc) without naming the directory"
		OUTCOME=exit
		log "$dir: mqttgwd refused to start (exit $rc): $(tail -n 1 "$BROKER_LOG")"
		return
	fi
	[ "$n" = 1 ] || fail "$dir: expected one log line naming the directory, got $n"
	OUTCOME=refuse
	py <<'PY'
import time
from mqtt5raw import *
import mqttraw
s, _ = client5("offline", clean=True, props=[(SESSION_EXPIRY, 600)])
subscribe5_ok(s, [("u/#", 1)])
s.send(disconnect5())
q0 = Conn()
q0.send(connect5("q0-reader"))
q0.expect(CONNACK)
subscribe5_ok(q0, [("u/#", 0)])
c, _ = client5("writer")
c.send(publish5("u/0", b"qos0"))
check_eq(b"qos0", publish_of(q0.expect(PUBLISH)).get("payload"), "QoS 0 delivered")
c.send(publish5("u/1", b"qos1", qos=1, pid=1))
a = ack_of(c.expect(PUBACK, timeout=5))
check_eq(0x97, a["rc"], "PUBACK reason without a writable store")
v3 = Conn()
v3.send(mqttraw.connect("v3-writer"))
v3.expect(CONNACK)
v3.send(mqttraw.publish("u/3", "v3", qos=1, pid=1))
v3.assert_closed(within=5)
s, _ = client5("offline", clean=False, props=[(SESSION_EXPIRY, 600)])
while True:
    p = s.recv(2)
    if p is None:
        break
    m = publish_of(p)
    check(m["qos"] == 0, "the offline session got a refused message: %r" % m)
PY
	stop_broker
	log "$dir: mqttgwd runs and refuses what it cannot store"
}

outcome "$T/does/not/exist"
first=$OUTCOME
[ "$(id -u)" = 0 ] || skip "mounting a read-only tmpfs needs root (missing directory: $first)"
mkdir -p "$T/ro"
mount -t tmpfs -o ro,size=1m mqttgw-store-ro "$T/ro" || skip "cannot mount a tmpfs here"
at_cleanup "umount -l '$T/ro' 2>/dev/null"
outcome "$T/ro"
assert_eq "$first" "$OUTCOME" "outcome for a read-only directory vs a missing one"
