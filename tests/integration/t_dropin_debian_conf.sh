#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 40
# Debian's own /etc/mosquitto/mosquitto.conf (the mosquitto package's) passes -t and starts:
# it listens on 127.0.0.1:1883 (Mosquitto 2.0's local-only mode, in the test's namespace) and,
# started as root, runs as the mosquitto user. Its `persistence true` puts mqttgw's store in
# /var/lib/mosquitto/mqttgw.db, which the test removes afterwards unless it was there before.
. "$(dirname "$0")/lib.sh"
conf=/etc/mosquitto/mosquitto.conf
[ -r "$conf" ] || skip "no $conf (install mosquitto)"
[ "$NETMODE" = netns ] || skip "needs the broker's own network namespace (binds 127.0.0.1:1883)"
bin=$(broker_bin)
db=/var/lib/mosquitto/mqttgw.db
[ -e "$db" ] || at_cleanup "rm -f '$db' '$db-wal' '$db-shm'"
rc=0
out=$("$bin" -t -c "$conf" 2>&1) || rc=$?
assert_eq 0 "$rc" "-t on Debian's file: $out"
bns "$bin" -c "$conf" >"$T/debian.log" 2>&1 &
pid=$!
track "$pid"
for ((i = 0; i < 100; i++)); do
	[ -n "$(bns ss -Hltn "sport = :1883" 2>/dev/null)" ] && break
	kill -0 "$pid" 2>/dev/null || fail "exited: $(cat "$T/debian.log")"
	sleep 0.1
done
assert_ne "" "$(bns ss -Hltn 'src 127.0.0.1:1883' 2>/dev/null)" "listening on 127.0.0.1:1883"
# the daemon's own pid (\$! is the subshell running bns)
dpid=$(bns ss -Hltnp 'src 127.0.0.1:1883' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
	# the drop comes after the listeners, BPF and pins
	for ((i = 0; i < 50; i++)); do
		[ "$(awk '/^Uid:/{print $3}' "/proc/$dpid/status")" = 0 ] || break
		sleep 0.1
	done
	assert_eq "$(id -u mosquitto)" "$(awk '/^Uid:/{print $3}' "/proc/$dpid/status")" \
		"runs as the mosquitto user"
fi
kill -TERM "$dpid"
rc=0
timeout 10 tail --pid="$dpid" -f /dev/null || rc=$?
assert_eq 0 "$rc" "exits within 10 s of SIGTERM"
wait "$pid" || rc=$?
untrack "$pid"
assert_eq 0 "$rc" "clean shutdown on SIGTERM"
