#!/usr/bin/env bash
# SIGTERM shuts the broker down cleanly with clients connected: exit status 0 (both brokers), the
# connected 3.1.1 client sees its socket closed (no packet: 3.1.1 has no server DISCONNECT), and
# a restart on the same port works at once.
. "$(dirname "$0")/lib.sh"
start_broker
bg "$T/raw.out" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" BROKER_PORT="$BROKER_PORT" \
	"$PY" -u -c '
from mqttraw import *
c = subscriber("st-raw", [("st/#", 0)])
print("ready", flush=True)
dt, got = c.wait_closed(within=20)
print("closed", [p.name for p in got], flush=True)'
raw=$BG_PID
for ((i = 0; i < 100; i++)); do grep -q ready "$T/raw.out" && break; sleep 0.05; done
grep -q ready "$T/raw.out" || fail "raw client not ready: $(cat "$T/raw.out")"
pub -t st/x -m before -q 1
stop_broker
assert_eq 0 "$BROKER_RC" "exit status after SIGTERM"
wait_pid "$raw" 5
assert_eq 0 "$WAIT_RC" "raw client: $(cat "$T/raw.out")"
assert_contains "$(cat "$T/raw.out")" "closed ['PUBLISH']" "raw client saw the message, then the close"
restart_broker
sub_bg "$T/sub2.out" -t st/x -C 1 -W 10
pub -t st/x -m after -q 1
wait_pid "$SUB_PID" 12
assert_eq after "$(sub_payloads "$T/sub2.out")" "after restart"
stop_broker
assert_eq 0 "$BROKER_RC" "exit status after the second SIGTERM"
