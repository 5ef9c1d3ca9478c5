#!/usr/bin/env bash
# `allow_duplicate_messages true|false` is accepted; either way a client with overlapping
# subscriptions (a/+ and a/#) gets one copy of a message on a/b (Mosquitto 2.0 does the same).
# timeout: 60
. "$(dirname "$0")/lib.sh"
for v in true false; do
	start_broker "allow_duplicate_messages $v"
	sub_bg "$T/sub.out" -t 'a/+' -t 'a/#' -q 1 -W 3
	pub -t a/b -m once -q 1
	wait_pid "$SUB_PID" 10 || true
	assert_eq "once" "$(sub_payloads "$T/sub.out" | grep -v "^Timed out")" "allow_duplicate_messages $v: one copy"
	stop_broker
done
