#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 60
# A persistence_location that does not exist stops start-up with exit status 3 and one error
# line naming it (Mosquitto refuses too), before any listener opens; `persistence false` does
# not look at it.
. "$(dirname "$0")/lib.sh"
MQTTGW_PERSISTENCE=0
write_config "$T/b.conf" "persistence true" "persistence_location $T/missing" "fastpath off"
rc=0
"${BNS[@]}" timeout -k 2 10 "$(broker_bin)" -c "$T/b.conf" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "exit status $rc, expected 3; output: $(cat "$T/out")"
grep -q "Error: .*$T/missing" "$T/out" || fail "no error naming the directory: $(cat "$T/out")"
grep -q "Opening" "$T/out" && fail "a listener opened before the store was checked"
start_broker "persistence false" "persistence_location $T/missing" "fastpath off"
stop_broker
