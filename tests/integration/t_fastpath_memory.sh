#!/usr/bin/env bash
# Kernel fast path, invariant 3 (bounded memory). A subscriber that stops reading after 3 s, a
# publisher that sends small QoS 0 messages as fast as it can for 30 s (FP_MEMORY_SECS), the flow pinned to the
# kernel path (fastpath_flow_rates 0 0), max_queued_bytes 1 MiB (the daemon's QoS 0 queue limit
# and the kernel's per-subscriber window). Sampled every second:
#   - the kernel: every byte the verdict redirected is queued towards the subscriber or sits in
#     its receive queue or was read in the first 3 s; the budget keeps redirected <= what the subscriber's
#     socket acknowledged (at most its receive queue) + the window; without it the kernel queued
#     tens of MB per second. Also the machine's TCP memory (sockstat) must not run away.
#   - the daemon: its RSS grows by at most the QoS 0 queue limit plus allocator slack.
#   - the excess is dropped and counted ($SYS publish/messages/dropped, fastpath over_budget).
# With fastpath off: the daemon's bound and the drop count, for the same traffic.
# broker: mqttgwd
# needs: bpf
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
SECS=${FP_MEMORY_SECS:-30}
WINDOW=1048576
start_broker "max_queued_bytes $WINDOW" "fastpath_flow_rates 0 0"
# the subscriber: connects, subscribes, reads for the publisher's first 3 s (until
# $T/stop-reading), then never again. Reading first lets the flow join the kernel path: a
# subscriber that never read from the start could fill its socket with the daemon's first
# messages before the route was in, and then the one-writer rule keeps the flow on the daemon
# for good (the kernel relayed nothing: one run in three in CI)
cat >"$T/sub.py" <<'PY'
import os, select, sys, time, fpload
c = fpload.Conn("mem-sub", keepalive=0)
c.send(fpload.subscribe_pkt(1, [("m/t", 0)]))
t, _ = c.next_packet()
assert t >> 4 == 9, t
print("local port", c.s.getsockname()[1], flush=True)
open(sys.argv[1], "w").close()
d = os.path.dirname(sys.argv[1])
got = 0
while not os.path.exists(os.path.join(d, "stop-reading")):
    if select.select([c.s], [], [], 0.05)[0]:
        try:
            n = len(c.s.recv(1 << 20))
            if not n:
                break
            got += n
        except BlockingIOError:
            pass
open(os.path.join(d, "sub-read"), "w").write("%d\n" % got)
time.sleep(3600)
PY
bg "$T/sub.log" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
	timeout $((SECS + 60)) "$PY" "$T/sub.py" "$T/sub-ready"
SUB=$BG_PID
for ((i = 0; i < 100; i++)); do [ -e "$T/sub-ready" ] && break; sleep 0.05; done
[ -e "$T/sub-ready" ] || fail "subscriber not ready: $(cat "$T/sub.log")"
sport=$(awk '/local port/ {print $3}' "$T/sub.log")
rss() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$BROKER_PID/status"; }
recvq() { cli ss -Htn "sport = :$sport" | awk '{print $2; exit}'; }
sendq() { bns ss -Htn "dport = :$sport" | awk '{print $3; exit}'; }
tcpmem() { awk '/^TCP:/ {for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) * 4096}' /proc/net/sockstat; }
rss0=$(rss)
mem0=$(tcpmem)
fpbg() {
	local out=$1
	shift
	bg "$out" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
		timeout $((SECS + 60)) "$PY" "$FPLOAD" "$@"
}
fpbg "$T/pub.log" pub --id 1 --topic m/t --duration "$SECS" --json "$T/pub.json"
PUB=$BG_PID
rss_max=$rss0
mem_max=$mem0
for ((i = 0; i < SECS + 5; i++)); do
	sleep 1
	[ "$i" != 2 ] || : >"$T/stop-reading"
	kill -0 "$PUB" 2>/dev/null || break
	r=$(rss)
	m=$(tcpmem)
	[ "$r" -gt "$rss_max" ] && rss_max=$r
	[ "$m" -gt "$mem_max" ] && mem_max=$m
	log "t=$((i + 1))s broker RSS $r, subscriber Recv-Q $(recvq), broker Send-Q $(sendq), TCP memory $m"
done
wait_pid "$PUB" 30
[ "$WAIT_RC" = 0 ] || fail "publisher: exit $WAIT_RC: $(tail -5 "$T/pub.log")"
sent=$(fp_get "$T/pub.json" sent)
rq=$(recvq)
fp_sys "$T/sys.json"
dropped=$(fp_get "$T/sys.json" publish/messages/dropped)
log "published $sent messages in ${SECS}s; dropped (counted) $dropped; broker RSS $rss0 -> max $rss_max;" \
	"TCP memory $mem0 -> max $mem_max; subscriber Recv-Q $rq"
[ "$sent" -gt 100000 ] || fail "the publisher sent only $sent messages: no pressure"
[ "$dropped" -gt 0 ] || fail "nothing dropped for a subscriber that never reads"
# the daemon: its QoS 0 queue limit plus allocator slack
[ $((rss_max - rss0)) -le $((WINDOW + 16 * 1048576)) ] ||
	fail "broker RSS grew by $((rss_max - rss0)) bytes (limit: window + 16 MiB)"
# the machine's TCP memory (other tests run too: a generous bound against a runaway queue)
[ $((mem_max - mem0)) -le $((128 * 1048576)) ] || fail "TCP memory grew by $((mem_max - mem0)) bytes"
if [ "$FP_ON" = 1 ]; then
	red=$(fp_get "$T/sys.json" fastpath/redirected/bytes)
	ob=$(fp_get "$T/sys.json" fastpath/over_budget/skbs)
	log "kernel: redirected $red bytes in all, over budget $ob skbs"
	[ "$red" -gt 0 ] || fail "the kernel relayed nothing"
	[ "$ob" -gt 0 ] || fail "the budget never refused an skb"
	got=$(cat "$T/sub-read" 2>/dev/null || echo 0)
	log "the subscriber read $got bytes in its first 3 s"
	[ "$red" -le $((got + rq + WINDOW + 65536)) ] ||
		fail "the kernel redirected $red bytes: more than the subscriber read ($got) + its receive queue ($rq) + the window"
fi
