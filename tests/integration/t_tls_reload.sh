#!/usr/bin/env bash
# SIGHUP reloads certfile and keyfile: new connections get the new certificate (here from
# another CA), while a connection made before keeps working on its own session. (mqttgwd: a
# certificate that fails to load is logged and the previous one stays in use.)
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
cp "$TLS/server.crt" "$TLS/live.crt"
cp "$TLS/server.key" "$TLS/live.key"
start_broker "certfile $TLS/live.crt" "keyfile $TLS/live.key"
tls_require_wired
tsub_bg "$T/sub.out" -t reload/x -C 2 -W 20
tpub -t reload/x -m before
cp "$TLS/server2.crt" "$TLS/live.crt"
cp "$TLS/server2.key" "$TLS/live.key"
kill -HUP "$BROKER_PID"
for ((i = 0; i < 50; i++)); do
	pub --cafile "$TLS/ca2.crt" -t reload/probe -m probe >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "the new certificate is not served 5 s after SIGHUP"
tls_fails tpub -t reload/x -m old-ca
pub --cafile "$TLS/ca2.crt" -t reload/x -m after
wait_pid "$SUB_PID" 22
assert_eq "before
after" "$(sub_payloads "$T/sub.out")" "the subscriber from before the reload"
if ! is_mosquitto; then
	# a certificate that does not load: logged, and the listener keeps the one it has
	echo garbage >"$TLS/live.crt"
	kill -HUP "$BROKER_PID"
	for ((i = 0; i < 50; i++)); do
		grep -q "keeping the previous TLS settings" "$BROKER_LOG" && break
		sleep 0.1
	done
	assert_match "$(cat "$BROKER_LOG")" "Error: reload: listener $BROKER_PORT: certfile .*live.crt: .*; keeping the previous TLS settings"
	pub --cafile "$TLS/ca2.crt" -t reload/x -m still-served
fi
broker_alive
