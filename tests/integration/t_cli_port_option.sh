#!/usr/bin/env bash
# broker: mqttgwd
# `-p PORT` adds a listener on 127.0.0.1:PORT next to the ones from -c: clients reach both the
# configured listener and 127.0.0.1:PORT (inside the broker's namespace), and a message crosses
# from one listener to the other.
. "$(dirname "$0")/lib.sh"
BROKER_ARGS=(-p "$BROKER_PORT2")
start_broker
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
grep -q "127.0.0.1:$BROKER_PORT2" <<<"$(bns ss -Hltn "sport = :$BROKER_PORT2")" ||
	fail "-p listener not on 127.0.0.1: $(bns ss -Hltn)"
out=$T/sub.out
bg "$out" "${BNS[@]}" stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$BROKER_PORT2" -t p/x -C 1 -W 10
subpid=$BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q 'received SUBACK' "$out" && break
	sleep 0.05
done
grep -q 'received SUBACK' "$out" || fail "no SUBACK on 127.0.0.1:$BROKER_PORT2: $(cat "$out")"
pub -t p/x -m via-config-listener -q 1
wait_pid "$subpid" 12
assert_eq 0 "$WAIT_RC" "subscriber on the -p listener"
assert_contains "$(cat "$out")" via-config-listener
