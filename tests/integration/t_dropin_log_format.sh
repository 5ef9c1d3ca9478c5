#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 30
# log_timestamp_format (Mosquitto's meaning): the log lines' timestamp is strftime() of the
# local time in that format, instead of seconds since the epoch.
. "$(dirname "$0")/lib.sh"
start_broker "log_timestamp_format %Y-%m-%dT%H:%M:%S"
pub -t lf/x -m hi
stop_broker
line=$(grep -m1 'mqttgw version .* starting' "$BROKER_LOG")
assert_match "$line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}: mqttgw version' \
	"a start line with an ISO 8601 timestamp"
assert_eq "$(date +%Y-%m-%d)" "${line:0:10}" "today's local date"
