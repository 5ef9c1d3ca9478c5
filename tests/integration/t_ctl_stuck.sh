#!/usr/bin/env bash
# A stuck control client does not slow MQTT traffic: one connects, sends `trace #` and never
# reads (its receive buffer made small), two more hold connections without finishing a request;
# a QoS 1 flow of 3000 messages of 1 KiB (publisher and subscriber, paho) then takes about as long
# as without them (generous bound: 4x the time without, plus 10 s, on a shared 2-vCPU machine),
# arrives complete and in order, and the daemon drops and counts the trace lines the stuck reader
# does not take (status: trace_dropped > 0) instead of buffering them; other mqttgwctl commands
# are answered meanwhile. Run with and without the fast path (QoS 1 never takes it).
# mqttgwd only: mqttgwctl is mqttgw's own.
# broker: mqttgwd
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
start_broker_ctl
cat >"$T/flow.py" <<'PY'
import os, sys, time, threading
import paho.mqtt.client as mqtt
host, port, n = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT"]), int(sys.argv[1])
tag = sys.argv[2]
got, done = [], threading.Event()
def on_msg(c, u, m):
    got.append(int(m.payload[:8]))
    if len(got) == n:
        done.set()
s = mqtt.Client("flow-sub-" + tag)
s.on_message = on_msg
s.connect(host, port)
s.subscribe("flow/t", qos=1)
s.loop_start()
time.sleep(0.5)
p = mqtt.Client("flow-pub-" + tag)
p.connect(host, port)
p.loop_start()
pad = b"x" * 1016
t0 = time.monotonic()
for i in range(n):
    p.publish("flow/t", b"%08d" % i + pad, qos=1)
if not done.wait(120):
    sys.exit("only %d of %d delivered" % (len(got), n))
dt = time.monotonic() - t0
if got != list(range(n)):
    sys.exit("out of order or duplicated")
print("%.3f" % dt)
PY
flow() { py "$T/flow.py" 3000 "$1" || fail "QoS 1 flow ($1) failed"; }

base=$(flow base)
log "QoS 1 flow without a stuck control client: ${base}s"

# the stuck clients: a tap that never reads, a half request, a connection that says nothing
bg "$T/stuck.out" "$PY" -c '
import socket, sys, time
sock = sys.argv[1]
t = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
t.connect(sock)
t.sendall(b"trace #\n")
h = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); h.connect(sock); h.sendall(b"stat")
q = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); q.connect(sock)
print("stuck", flush=True)
time.sleep(600)' "$CTL_SOCK"
for i in $(seq 100); do
	[ "$(jq_py "$(ctl_json status)" 'j["result"]["traces"]')" = 1 ] && break
	sleep 0.1
done
assert_eq 1 "$(jq_py "$(ctl_json status)" 'j["result"]["traces"]')" "the stuck tap is registered"

stuck=$(flow stuck)
log "QoS 1 flow with a stuck control client: ${stuck}s"
"$PY" -c "import sys; b, s = $base, $stuck; sys.exit(0 if s <= 4 * b + 10 else 1)" ||
	fail "the flow took ${stuck}s with a stuck control client, ${base}s without"
j=$(ctl_json status)
assert_eq true "$(jq_py "$j" 'j["result"]["trace_dropped"] > 0')" \
	"trace lines dropped for the stuck reader: $(jq_py "$j" 'j["result"]["trace_dropped"]')"
log "trace lines dropped: $(jq_py "$j" 'j["result"]["trace_dropped"]')"
ctl clients >/dev/null
assert_eq 0 "$CTL_RC" "other commands answered meanwhile"
