#!/usr/bin/env bash
# Kernel fast path, invariant 1 (one writer per socket). On one subscriber socket the kernel
# relays QoS 0 while the daemon writes QoS 1 messages, PINGRESP, SUBACK/UNSUBACK and retained
# deliveries to the same socket: 1,000,000 QoS 0 frames of mixed sizes (97% under 256 B, some up
# to 64 KiB: those are cut by TCP and take the daemon's path, so both paths carry the flow) to a
# subscriber that reads slowly. The subscriber parses and checks every frame: nothing malformed
# or corrupt (two writers interleaving mid-frame), QoS 0 strictly in order (gaps allowed: a
# slow subscriber's QoS 0 is dropped and counted), every QoS 1 message in order, every PINGREQ
# answered, every SUBSCRIBE acknowledged, every retained delivery intact. The flow policy is
# pinned to the kernel path (fastpath_flow_rates 0 0) so that the writers meet as often as
# possible; the kernel must have relayed frames to the subscriber and the daemon must have held
# writes back for the kernel's queue (writes_held). The QoS 0 publisher sends in bursts (as fast
# as it can for 0.4 s, then 4,000/s for 0.15 s): a publisher that never pauses keeps the daemon
# behind on its bytes for good on a slow (sanitizer) build, so invariant 2 passes every frame to
# the daemon and the kernel never writes (CI: 0 frames relayed); the slow phases let the daemon
# catch up and hand the flow back to the kernel, so both writers meet every cycle.
# With fastpath off: the same traffic and checks on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
N=${FP_ONE_WRITER_FRAMES:-1000000}
# QoS 1 must all arrive: enough in flight that a slowed-down subscriber (loaded CI machine)
# never holds the QoS 1 publisher back for the 5 s after which the broker drops (README).
start_broker "max_inflight_messages 500" "fastpath_flow_rates 0 0"
py "$FPLOAD" pub --id 3 --topic fp/r --qos 1 --count 1 --retain --json "$T/p3.json"
bg "$T/sub.log" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
	timeout 280 "$PY" "$FPLOAD" sub --client-id ow-sub --sub fp/t --sub fp/q:1 --resub fp/r:100 \
	--ping-ms 20 --read-chunk 8192 --read-pause-us 300 --idle 3 --until-file "$T/pubs-done" \
	--ready-file "$T/sub-ready" --json "$T/sub.json"
SUB=$BG_PID
for ((i = 0; i < 100; i++)); do [ -e "$T/sub-ready" ] && break; sleep 0.05; done
[ -e "$T/sub-ready" ] || fail "subscriber not ready: $(cat "$T/sub.log")"
bg "$T/p2.log" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
	timeout 280 "$PY" "$FPLOAD" pub --id 2 --topic fp/q --qos 1 --window 200 --rate 200 --stop-file "$T/p1-done" --json "$T/p2.json"
P2=$BG_PID
PY_TIMEOUT=260 py "$FPLOAD" pub --id 1 --topic fp/t --count "$N" --sizes mixed --rate-pattern 150000:0.4,4000:0.15 --json "$T/p1.json"
touch "$T/p1-done"
wait_pid "$P2" 20
[ "$WAIT_RC" = 0 ] || fail "QoS 1 publisher: exit $WAIT_RC: $(tail -5 "$T/p2.log")"
touch "$T/pubs-done"
wait_pid "$SUB" 60
[ "$WAIT_RC" = 0 ] || fail "subscriber: exit $WAIT_RC: $(tail -5 "$T/sub.log")"
cat "$T/sub.json" >&2
q1_sent=$(fp_get "$T/p2.json" sent)
assert_eq "$q1_sent" "$(fp_json "$T/sub.json" 'd["flows"]["2 fp/q"]["received"]')" "QoS 1 messages received"
q0=$(fp_json "$T/sub.json" 'd["flows"]["1 fp/t"]["received"]')
log "QoS 0: $q0 of $N received, QoS 1: $q1_sent, retained deliveries: $(fp_get "$T/sub.json" retained_on_subscribe), PINGRESP: $(fp_get "$T/sub.json" pingresp)"
[ "$q0" -gt $((N / 20)) ] || fail "only $q0 of $N QoS 0 frames arrived"
ret=$(fp_get "$T/sub.json" retained_on_subscribe)
[ "$ret" -ge 5 ] || fail "fewer than 5 retained deliveries"
# one retained delivery per SUBSCRIBE of fp/r (the first SUBSCRIBE is the test's own)
[ "$ret" -ge $(($(fp_get "$T/sub.json" suback) - 2)) ] || fail "retained deliveries: $ret for $(fp_get "$T/sub.json" suback) SUBACKs"
[ "$(fp_get "$T/sub.json" pingresp)" -ge 100 ] || fail "fewer than 100 PINGRESP"
fp_sys "$T/sys.json"
cat "$T/sys.json" >&2
if [ "$FP_ON" = 1 ]; then
	red=$(fp_get "$T/sys.json" fastpath/redirected/frames)
	held=$(fp_get "$T/sys.json" fastpath/writes_held)
	busy=$(fp_get "$T/sys.json" fastpath/passed/busy/frames)
	log "kernel path: $red frames relayed; the kernel left $busy frames to the daemon while it wrote;" \
		"daemon writes held back for the kernel's queue: $held;" \
		"retransmitted duplicates cut: $(fp_get "$T/sys.json" fastpath/duplicates/bytes) bytes"
	[ "$red" -ge 1000 ] || fail "the kernel relayed only $red frames"
	[ "$busy" -ge 1 ] || fail "the writers never met (no frame passed because the daemon was writing)"
fi
