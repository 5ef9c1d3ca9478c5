#!/usr/bin/env bash
# Durable store, a persistence_location that cannot be written (issue #13): a missing directory,
# then a read-only filesystem (root ignores permission bits, so a read-only tmpfs). mqttgwd does
# not start: exit status 3 (a configuration it cannot use, like any other: README "exit
# status"), nothing listening, and exactly one log line naming the directory and saying it
# "cannot write" there with the reason (ENOENT, EROFS). It never falls back to running without
# the store: a broker that acknowledged QoS 1/2 with nowhere to keep them would lose them.
# broker: mqttgwd
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

store_probe

refused() { # dir reason
	local dir=$1 i n rc=0
	BROKER_CONF=$T/broker.conf
	write_config "$BROKER_CONF" "$(store_conf "$dir" full)"
	echo "---- start $(date +%T.%3N) on $dir" >>"$BROKER_LOG"
	"${BNS[@]}" "$(broker_bin)" -c "$BROKER_CONF" >>"$BROKER_LOG" 2>&1 &
	BROKER_PID=$!
	track "$BROKER_PID"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$BROKER_PID" 2>/dev/null || break
		port_listening "$BROKER_PORT" && fail "$dir: mqttgwd listens without a writable store"
		sleep 0.05
	done
	kill -0 "$BROKER_PID" 2>/dev/null && fail "$dir: mqttgwd still running after 10 s"
	wait "$BROKER_PID" || rc=$?
	untrack "$BROKER_PID"
	BROKER_PID=
	assert_eq 3 "$rc" "$dir: exit status"
	sed -n "/^---- start .* on ${dir//\//\\/}\$/,\$p" "$BROKER_LOG" | grep -v "^---- " | grep -F "$dir" >"$T/lines" || true
	n=$(grep -c . "$T/lines" || true)
	assert_eq 1 "$n" "$dir: log lines naming the directory ($(cat "$T/lines"))"
	assert_contains "$(cat "$T/lines")" "cannot write" "$dir: log line"
	assert_contains "$(cat "$T/lines")" "$2" "$dir: log line"
	log "$dir: exit $rc: $(cat "$T/lines")"
}

refused "$T/does/not/exist" "No such file or directory"
[ "$(id -u)" = 0 ] || skip "mounting a read-only tmpfs needs root (missing directory: passed)"
mkdir -p "$T/ro"
mount -t tmpfs -o ro,size=1m mqttgw-store-ro "$T/ro" || skip "cannot mount a tmpfs here"
at_cleanup "umount -l '$T/ro' 2>/dev/null"
refused "$T/ro" "Read-only file system"
