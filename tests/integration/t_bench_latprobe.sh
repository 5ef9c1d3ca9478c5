#!/usr/bin/env bash
# mqttgw-latprobe (issue 15's one-thread light-load latency client, tests/bench/latprobe): at
# 1000 msg/s for 1 s through the broker every message arrives (lost 0, bad 0), one latency sample
# per message sent in the window, percentiles in order, and at most two wake-ups of its one
# thread per message (the timer's and the delivery's: what README "Light-load latency: which
# bench is right" counts on). Bad options exit 2, a broker that is not there exits 1.
# timeout: 60
. "$(dirname "$0")/lib.sh"
PROBE=$BUILD/mqttgw-latprobe
[ -x "$PROBE" ] || skip "no $PROBE (make all)"

start_broker
out=$(cli "$PROBE" --host "$BROKER_HOST" --port "$BROKER_PORT" --rate 1000 --duration 1 \
	--warmup 0.2 --json --label t 2>"$T/probe.err") || fail "exit status $?: $(cat "$T/probe.err")"
v=$("$PY" -c '
import json, sys
r = json.loads(sys.argv[1])
bad = []
if abs(r["samples"] - 1000) > 20: bad.append("%d samples for 1000 messages" % r["samples"])
for k in ("lost", "bad"):
    if r[k]: bad.append("%s %d" % (k, r[k]))
p = [r[k] for k in ("lat_p50_us", "lat_p99_us", "lat_p999_us", "lat_max_us")]
if not 0 < p[0] <= p[1] <= p[2] <= p[3]: bad.append("percentiles out of order: %s" % p)
if r["wakeups_per_msg"] > 2.05: bad.append("%.3f wake-ups per message" % r["wakeups_per_msg"])
print("; ".join(bad) or "ok")' "$out")
assert_eq ok "$v" "latprobe through the broker: $out"

rc=0
"$PROBE" --size 10 >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "a payload below 20 bytes is refused"
port=$(free_port)
rc=0
err=$("$PROBE" --host 127.0.0.1 --port "$port" --duration 0.2 --warmup 0 2>&1) || rc=$?
assert_eq 1 "$rc" "no broker: exit 1"
assert_contains "$err" "setup failed" "no broker: says why"
