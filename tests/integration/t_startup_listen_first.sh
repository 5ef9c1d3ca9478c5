#!/usr/bin/env bash
# broker: mqttgwd
# needs: bpf
# timeout: 180
# Start-up listens first (issue 15): mqttgwd opens its listeners, then loads the kernel fast
# path on a thread. Asserted by order, not time (the load takes 0.3-7 s here, by load):
#   - clients that connect as soon as the port is open get their CONNACK before the fast path
#     is ready (the log says "Kernel fast path active" after their "New client connected"),
#     and before the start is complete ("mqttgw version ... running (" says so);
#   - $SYS/broker/fastpath/active, retained, reads 0 for them, then 1 as soon as the fast path
#     is in, with sys_interval 600 (it read 0 for a whole sys_interval after start before);
#   - the flow between those early clients then joins the fast path: the kernel relays it
#     (--fastpath-status: redirected frames), and every message arrives, in order.
# The `off` leg of the matrix: the same clients and messages through the daemon; active stays
# 0 and the running line says the fast path is off. `# broker: mqttgwd`: the fast path, its
# $SYS topics and the log lines are mqttgwd's.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
SYS_INTERVAL=600
[ "$(id -u)" = 0 ] || skip "needs root"
mkdir -p "$T/bpf"
mount -t bpf bpf "$T/bpf" || skip "cannot mount a bpffs"
at_cleanup "umount $T/bpf"

BROKER_NO_WAIT_RUNNING=1 start_broker "fastpath_pin_dir $T/bpf/mqttgw"
FP_ON=$FP_ON py - >"$T/clients.out" <<'PY'
import os, queue, sys, time
import paho.mqtt.client as mqtt

host, port = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT"])
fp_on = os.environ["FP_ON"] == "1"
N = 300
active, data = queue.Queue(), queue.Queue()

def on_message(c, u, m):
    (active if m.topic.startswith("$SYS") else data).put(m.payload.decode())

def connect(cid):
    c = mqtt.Client(cid, protocol=mqtt.MQTTv311)
    c.on_message = on_message
    c.connect(host, port, 60)
    c.loop_start()
    t0 = time.time()
    while not c.is_connected():
        if time.time() - t0 > 30:
            sys.exit("no CONNACK for " + cid)
        time.sleep(0.005)
    return c

s = connect("early-sub")
p = connect("early-pub")
print("connected", flush=True)
s.subscribe([("tele/a", 0), ("$SYS/broker/fastpath/active", 0)])
first = active.get(timeout=30)
print("active-first", first, flush=True)
if fp_on:
    # the fast path comes in behind the listeners: 1 without waiting for sys_interval (600 s)
    v = active.get(timeout=90)
    print("active-then", v, flush=True)
else:
    time.sleep(1)
for i in range(N):
    p.publish("tele/a", str(i), qos=0)
    time.sleep(0.002)
got = []
try:
    while len(got) < N:
        got.append(data.get(timeout=10))
except queue.Empty:
    pass
print("received", len(got), "in-order", got == [str(i) for i in range(len(got))], flush=True)
p.disconnect()
s.disconnect()
PY
broker_alive
out=$(cat "$T/clients.out")
assert_contains "$out" "connected"
assert_contains "$out" "received 300 in-order True" "every message, in order"
# the start completes (lib.sh's start_broker waits for this line when not told otherwise)
wait_running 0 90 "$BROKER_PID"
L=$BROKER_LOG
line_of() { grep -n -m1 -- "$1" "$L" | cut -d: -f1; }
conn=$(line_of "New client connected .* as early-sub")
run=$(line_of "mqttgw version .* running (")
if [ -z "$conn" ] || [ -z "$run" ]; then fail "log lines missing: $(cat "$L")"; fi
if [ "$FP_ON" = 1 ]; then
	[ "$conn" -lt "$run" ] || fail "the early client was served only after the start completed"
	ready=$(line_of "Kernel fast path active")
	[ -n "$ready" ] || fail "no fast path line: $(cat "$L")"
	[ "$conn" -lt "$ready" ] || fail "CONNACK came after the fast path was ready: $(cat "$L")"
	[ "$ready" -lt "$run" ] || fail "running before the fast path was in"
	assert_contains "$out" "active-first 0" "\$SYS fastpath/active before the fast path is in"
	assert_contains "$out" "active-then 1" "\$SYS fastpath/active once it is in"
	assert_contains "$(sed -n "${run}p" "$L")" "kernel fast path on)"
	"$(broker_bin)" --fastpath-status --json --pin-dir "$T/bpf/mqttgw" >"$T/status.json" ||
		fail "--fastpath-status: $(cat "$T/status.json")"
	redir=$(fp_get "$T/status.json" redirected_frames)
	[ "$redir" -gt 0 ] || fail "the early clients' flow never joined the fast path: $(cat "$T/status.json")"
	log "redirected frames of the early flow: $redir"
else
	assert_contains "$out" "active-first 0"
	assert_contains "$(sed -n "${run}p" "$L")" "kernel fast path off)"
fi
stop_broker
