#!/usr/bin/env bash
# mqttgwd's bridge, refused and failing uplinks (a real Mosquitto upstream):
#  - an upstream that refuses the credentials: the link never comes up, $SYS says why
#    (last_error) and that it is not up, a few attempts (restart_timeout 1 2), and the
#    gateway itself serves its local clients meanwhile;
#  - failover: the first address refuses connections, the second (the upstream) takes the link
#    and a local message reaches the upstream through it.
# timeout: 60
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gwbridge_lib.sh"
printf 'gw:secret\n' >"$T/passwd"
mosquitto_passwd -U "$T/passwd"
chmod 644 "$T/passwd"
start_broker "allow_anonymous false" "password_file $T/passwd"
# refused credentials
gw_start gw1 "topic a/# out 1" "remote_username gw" "remote_password wrong"
sleep 4
assert_eq 0 "$(count_lines "$T/gw1.log" 'Bridge up: connected')" "never connected"
tries=$(count_lines "$BROKER_LOG" "New connection from")
assert_int_between "$tries" 2 6 "attempts in 4 s with restart_timeout 1 2"
assert_ne up "$(gw_sys state)" "state"
assert_contains "$(gw_sys last_error)" "not authorized" "last_error"
# local service goes on
got=$(gw_sub -t local/x -C 1 -W 5 & sleep 0.5; gw_pub -t local/x -m fine; wait)
assert_eq fine "$got" "the gateway serves local clients while its uplink is refused"
kill_wait "$GW_PID"
# failover (and the right credentials)
gw_start gw2 "address $BROKER_HOST:$((BROKER_PORT + 7)) $BROKER_HOST:$BROKER_PORT" \
	"topic a/# out 1" "remote_username gw" "remote_password secret"
gw_up gw2 10
assert_contains "$(cat "$T/gw2.log")" "connected to $BROKER_HOST:$BROKER_PORT" "second address"
sub_bg "$T/sub" -u gw -P secret -q 1 -t "a/#" -C 1 -W 10 -v
gw_pub -q 1 -t a/b -m through-the-second
wait_pid "$SUB_PID" 10
assert_eq "a/b through-the-second" "$(sub_payloads "$T/sub")" "delivered through the second address"
kill_wait "$GW_PID"
stop_broker
