#!/usr/bin/env bash
# Bridge link faults against a real Mosquitto:
#  - refused credentials: the bridge stays down, says why in its last error, retries with
#    backoff (several attempts, no connection);
#  - failover: the first address refuses, the second (the broker) takes the link;
#  - silent cut: the upstream is SIGSTOPped (no FIN, no RST): keepalive 5 s detects it within
#    1.5 x 5 s (+1 s slack), and the link comes back once the upstream runs again.
# timeout: 90
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bridge_lib.sh"
printf 'gw:secret\n' >"$T/passwd"
mosquitto_passwd -U "$T/passwd"
chmod 644 "$T/passwd"
chmod 755 "$T"
start_broker "allow_anonymous false" "password_file $T/passwd"
# credentials
bridge_conf "$T/bridge.conf" "topic a/# out 1" "remote_username gw" "remote_password wrong"
bridge_bg "$T/br1" -T 6
wait_pid "$BRIDGE_PID" 15
st=$(last_state "$T/br1")
assert_match "$st" 'connects=0 ' "never connected"
assert_contains "$st" "connection refused: not authorized" "last error"
tries=$(grep -c 'STATE handshake' "$T/br1" || true)
assert_int_between "$tries" 2 6 "attempts in 6 s with restart_timeout 1 2"
# failover (and the right credentials)
bridge_conf "$T/bridge.conf" "address $BROKER_HOST:$((BROKER_PORT + 7)) $BROKER_HOST:$BROKER_PORT" \
	"topic a/# out 1" "remote_username gw" "remote_password secret"
bridge_bg "$T/br2" -T 40
wait_line "$T/br2" '^STATE up .* addr=1 ' 5
# silent cut
kill -STOP "$BROKER_PID"
t0=$(date +%s%N)
# (several transitions may fall in one loop iteration: any state but up after the first link)
wait_line "$T/br2" '^STATE (backoff|connecting|handshake) .*connects=1 ' 12
ms=$((($(date +%s%N) - t0) / 1000000))
log "silent cut detected after $ms ms"
assert_int_between "$ms" 0 8500 "detection time"
kill -CONT "$BROKER_PID"
wait_line "$T/br2" '^STATE up .* reconnects=1 ' 15
kill_wait "$BRIDGE_PID"
stop_broker
