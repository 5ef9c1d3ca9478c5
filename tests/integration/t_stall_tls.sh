#!/usr/bin/env bash
# The event loop never blocks on TLS handshakes (issue #15): a server handshake step (the
# certificate's RSA-4096 signature: several ms each) runs on a worker (daemon/io/tls.c). While
# 240 full TLS handshakes (no resumption) arrive from 32 parallel connections on a TLS listener,
# an established QoS 1 flow at 500 msg/s between two clients on the plain listener keeps its
# latency: p99 over the storm's window under max(STALL_P99_MS, 20 x the same flow's p99 in the
# 2.7 s before the storm: what the machine's other load costs it), nothing lost, duplicated or
# reordered, and every storm client gets its CONNACK. And the handshakes' CPU is not the loop's:
# the main thread (the event loop) used less than half of the broker's CPU time over the storm
# (with the handshakes on the loop it uses nearly all of it, whatever the machine's load).
# mqttgwd only: Mosquitto 2.0.11 does its handshakes on its one thread.
# broker: mqttgwd
# timeout: 300
. "$(dirname "$0")/lib.sh"
P99_MS=${STALL_P99_MS:-150}
mkdir -p "$T/tls"
openssl req -x509 -newkey rsa:4096 -nodes -keyout "$T/tls/server.key" -out "$T/tls/server.crt" \
	-days 2 -subj "/CN=mqttgw-test" -addext "subjectAltName=IP:$BROKER_HOST,DNS:localhost" \
	>"$T/tls/req.out" 2>&1 || fail "openssl req: $(tail -n 3 "$T/tls/req.out")"
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "certfile $T/tls/server.crt" \
	"keyfile $T/tls/server.key"
# The broker and the flow client run at nice -5, the storm client (other devices, in reality)
# at nice 10, so that other load on a shared CI machine does not measure as loop stalls.
renice -n -5 -p "$BROKER_PID" >/dev/null 2>&1 || true

PY_TIMEOUT=130 py "$TEST_DIR/stallload.py" flow --qos 1 --rate 500 --duration 100 \
	--nice -5 --until-file "$T/storm.json" --window-file "$T/storm.json" \
	--tail 0.5 --ready-file "$T/flow.ready" --lat "$T/storm-flow.lat" --json "$T/flow.json" >"$T/flow.out" 2>&1 &
FLOW=$!
track "$FLOW"
for ((i = 0; i < 300; i++)); do [ -e "$T/flow.ready" ] && break; sleep 0.1; done
[ -e "$T/flow.ready" ] || fail "flow client not ready: $(tail -n 5 "$T/flow.out")"
sleep 3 # the baseline
cpu_ticks() { awk '{ print $14 + $15 }' "$1"; } # utime + stime of a /proc stat file
main0=$(cpu_ticks "/proc/$BROKER_PID/task/$BROKER_PID/stat")
all0=$(cpu_ticks "/proc/$BROKER_PID/stat")
PY_TIMEOUT=120 py "$TEST_DIR/stallload.py" storm --count 240 --parallel 32 \
	--tls "$T/tls/server.crt" --port "$BROKER_PORT2" --nice 10 --json "$T/storm.tmp.json" \
	>"$T/storm.out" 2>&1 || fail "storm client failed: $(tail -n 5 "$T/storm.out")"
main1=$(cpu_ticks "/proc/$BROKER_PID/task/$BROKER_PID/stat")
all1=$(cpu_ticks "/proc/$BROKER_PID/stat")
mv "$T/storm.tmp.json" "$T/storm.json"
log "broker CPU over the storm: $((all1 - all0)) ticks, of which the loop thread $((main1 - main0))"
[ $((all1 - all0)) -ge 50 ] || fail "the storm cost the broker only $((all1 - all0)) ticks: no RSA-4096 handshakes?"
[ $((2 * (main1 - main0))) -lt $((all1 - all0)) ] ||
	fail "the loop thread did $((main1 - main0)) of the broker's $((all1 - all0)) CPU ticks over the TLS storm: handshakes on the loop"
wait_pid "$FLOW" 20
[ "$WAIT_RC" = 0 ] || fail "flow client failed: $(tail -n 5 "$T/flow.out")"
log "storm: $(cat "$T/storm.json")"
log "flow:  $(cat "$T/flow.json")"
py - "$T" "$P99_MS" <<'PY'
import json, sys
T, floor = sys.argv[1], float(sys.argv[2])
s = json.load(open(T + "/storm.json"))
f = json.load(open(T + "/flow.json"))
assert s["ok"] == 240 and s["refused"] == 0, "storm: %r" % s
assert f["lost"] == 0 and f["dup"] == 0 and f["reordered"] == 0, "flow: %r" % f
w = f["window"]
assert w["n"] >= 0.5 * 500 * s["secs"], "too few flow messages in the storm window: %r" % w
# the machine's own noise: the same flow before the storm (its first 0.3 s left out)
base = sorted(float(l.split()[2]) for l in open(T + "/storm-flow.lat") if l[0] != "#"
              and 0.3 <= float(l.split()[1]) < s["start"] - f["t0"])
assert len(base) >= 500, "too short a baseline: %d messages" % len(base)
b99 = base[int(len(base) * 0.99)]
bound = max(floor, 20 * b99)
print("baseline p99 %.2f ms -> bound %.0f ms; storm %.1f s (%d handshakes); flow p50 %.2f p99 %.2f max %.2f ms" % (
    b99, bound, s["secs"], s["ok"], w["p50"], w["p99"], w["max"]))
assert w["p99"] < bound, "QoS 1 p99 %.1f ms during the TLS storm (bound %.0f ms): %r" % (w["p99"], bound, f)
PY
broker_alive || fail "broker died"
