#!/usr/bin/env bash
# The event loop never blocks on password hashing (issue #15): while 1,500 CONNECTs with hashed
# passwords (password_file written by mqttgw-passwd's defaults: $7$, PBKDF2-SHA512, 5,000
# iterations, ~2.6 ms each) arrive from 64 parallel connections, an established QoS 1 flow at
# 500 msg/s between two other clients keeps its latency: p99 over the storm's window under
# max(STALL_P99_MS, 20 x the same flow's p99 in the 2.7 s before the storm: what the machine's
# other load costs it), nothing lost, nothing duplicated or reordered, and every storm CONNECT
# gets CONNACK 0.
# Measured (SAN=1, 2 vCPUs at load average 18 from other builds, 5,000-iteration hashes then
# costing ~50 ms of CPU each): main, hashing on the loop: QoS 1 p99 43.5 s and 87.6 s (storm
# 50-89 s); the issue measured 253 ms (QoS 0) on an idle machine. With the worker pool: p99
# 10.9 ms, max 36 ms (storm 18 s); 187 ms once with three test suites running beside it, hence
# the bound scales with the baseline, and the storm client (other devices, in reality) runs at
# nice 10: main fails it idle (253 ms > 150 ms) and loaded (seconds).
# mqttgwd only: Mosquitto 2.0.11 hashes on its loop: p99 about 3.5 s in the same storm.
# broker: mqttgwd
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/stall_lib.sh"
TOOL=$BUILD/mqttgw-passwd
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL"
P99_MS=${STALL_P99_MS:-150}
"$TOOL" -c -b "$T/passwd" storm storm-pw >/dev/null
"$TOOL" -b "$T/passwd" flow flow-pw >/dev/null
grep -q '^storm:\$7\$5000\$' "$T/passwd" || fail "mqttgw-passwd default is not \$7\$ 5000: $(cat "$T/passwd")"
# a 64-deep queue of 2.6 ms hashes (far more on a loaded CI machine): give them time
# every client gives a user name and password: the password file decides
start_broker "password_file $T/passwd" "connect_timeout 60"
# The broker and the flow client run at nice -5 (as root), so that other load on a shared CI
# machine does not measure as loop stalls; it does not help a loop that hashes by itself (main).
# The hashing thread sets its own nice +5 (absolute), below everyone here.
renice -n -5 -p "$BROKER_PID" >/dev/null 2>&1 || true

stall_flow_start --user flow --password flow-pw
PY_TIMEOUT=120 py "$TEST_DIR/stallload.py" storm --count 1500 --parallel 64 \
	--user storm --password storm-pw --nice 10 --json "$T/storm.tmp.json" >"$T/storm.out" 2>&1 ||
	fail "storm client failed: $(tail -n 5 "$T/storm.out")"
stall_flow_check 1500 "$P99_MS" storm
