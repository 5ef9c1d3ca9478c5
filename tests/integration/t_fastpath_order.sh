#!/usr/bin/env bash
# Kernel fast path, invariant 2 (order). Two publishers send sequence-numbered QoS 0 messages
# (bursts of 6000/s alternating with 400/s, one of them of mixed sizes up to 64 KiB, whose large
# frames the daemon holds in part while the rest arrives; so the per-flow policy hands each flow to the
# daemon and back, fastpath_flow_rates 2500 800) to one subscriber while its routes are
# installed and removed over and over: another client subscribes and unsubscribes o/# every
# 300 ms (two subscribers: the route goes; one: it is learned again), the ACL file is reloaded
# (SIGHUP: every route dropped) every 2 s, and the subscriber disconnects and reconnects
# (persistent session). No message may arrive out of order or twice, per publisher and topic,
# at the subscriber (across the reconnect too) and at the churning client. The kernel path and
# the daemon's path must both have carried messages and the policy must have handed flows over
# in both directions. With fastpath off: the same traffic and order checks on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
printf 'topic readwrite o/#\ntopic read $SYS/#\n' >"$T/acl"
chmod 644 "$T/acl"
start_broker "acl_file $T/acl" "fastpath_flow_rates 2500 800"
fpbg() { # OUT CMD... (fpload in the background, on the client side)
	local out=$1
	shift
	bg "$out" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
		timeout 120 "$PY" "$FPLOAD" "$@"
}
fpbg "$T/s1.log" sub --client-id ord-sub --persistent --sub o/1 --sub o/2 --max-secs 9 --idle 0 \
	--ready-file "$T/s1-ready" --json "$T/s1.json"
S1=$BG_PID
fpbg "$T/c.log" sub --client-id ord-churn --sub c/none --resub o/#:300 --idle 3 \
	--until-file "$T/pubs-done" --ready-file "$T/c-ready" --json "$T/c.json"
C=$BG_PID
for ((i = 0; i < 100; i++)); do [ -e "$T/s1-ready" ] && [ -e "$T/c-ready" ] && break; sleep 0.05; done
fpbg "$T/p1.log" pub --id 1 --topic o/1 --duration 20 --sizes mixed --rate-pattern 6000:1,400:1 --json "$T/p1.json"
P1=$BG_PID
fpbg "$T/p2.log" pub --id 2 --topic o/2 --duration 20 --rate-pattern 400:1,6000:1 --json "$T/p2.json"
P2=$BG_PID
for ((i = 0; i < 10; i++)); do
	sleep 2
	kill -HUP "$BROKER_PID"
	if [ "$i" = 4 ]; then
		wait_pid "$S1" 5
		[ "$WAIT_RC" = 0 ] || fail "subscriber (first connection): exit $WAIT_RC: $(tail -5 "$T/s1.log")"
		fpbg "$T/s2.log" sub --client-id ord-sub --persistent --sub o/1 --sub o/2 --idle 3 \
			--until-file "$T/pubs-done" --json "$T/s2.json"
		S2=$BG_PID
	fi
done
wait_pid "$P1" 15
[ "$WAIT_RC" = 0 ] || fail "publisher 1: exit $WAIT_RC: $(tail -5 "$T/p1.log")"
wait_pid "$P2" 15
[ "$WAIT_RC" = 0 ] || fail "publisher 2: exit $WAIT_RC: $(tail -5 "$T/p2.log")"
touch "$T/pubs-done"
wait_pid "$S2" 20
[ "$WAIT_RC" = 0 ] || fail "subscriber (second connection): exit $WAIT_RC: $(tail -5 "$T/s2.log")"
wait_pid "$C" 20
[ "$WAIT_RC" = 0 ] || fail "churning client: exit $WAIT_RC: $(tail -5 "$T/c.log")"
for f in "1 o/1" "2 o/2"; do
	last1=$(fp_json "$T/s1.json" "d['flows']['$f']['last']")
	first2=$(fp_json "$T/s2.json" "d['flows']['$f']['first']")
	n1=$(fp_json "$T/s1.json" "d['flows']['$f']['received']")
	n2=$(fp_json "$T/s2.json" "d['flows']['$f']['received']")
	log "flow $f: first connection $n1 messages up to #$last1, second $n2 from #$first2"
	[ "$first2" -gt "$last1" ] || fail "flow $f: after the reconnect #$first2 arrived, the first connection had #$last1"
	[ "$n1" -gt 1000 ] && [ "$n2" -gt 1000 ] || fail "flow $f: too few messages ($n1, $n2)"
done
log "churning client: $(fp_json "$T/c.json" 'd["flows"]')"
fp_sys "$T/sys.json"
if [ "$FP_ON" = 1 ]; then
	red=$(fp_get "$T/sys.json" fastpath/redirected/frames)
	pas=$(fp_get "$T/sys.json" fastpath/passed/frames)
	up=$(fp_get "$T/sys.json" fastpath/handovers/to_daemon)
	down=$(fp_get "$T/sys.json" fastpath/handovers/to_kernel)
	log "kernel path $red frames, daemon's path $pas; handovers to the daemon $up, to the kernel $down"
	[ "$red" -ge 1000 ] || fail "the kernel relayed only $red frames"
	[ "$up" -ge 1 ] && [ "$down" -ge 1 ] || fail "no policy handover in both directions ($up, $down)"
fi
