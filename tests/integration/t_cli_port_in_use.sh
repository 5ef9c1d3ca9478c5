#!/usr/bin/env bash
# broker: mqttgwd
# A listener that cannot be opened (the port is taken by another socket) makes mqttgwd exit 4,
# promptly, with a message naming the port.
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
bg "$T/holder.out" "${BNS[@]}" "$PY" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$BROKER_HOST', $BROKER_PORT)); s.listen(1); print('ready', flush=True); time.sleep(60)"
holder=$BG_PID
wait_listening "$BROKER_PORT" 5 "$holder"
write_config "$T/broker.conf"
rc=0
bns timeout 10 "$bin" -c "$T/broker.conf" >"$T/out" 2>"$T/err" || rc=$?
assert_eq 4 "$rc" "exit status; stderr: $(cat "$T/err")"
grep -q -- "$BROKER_PORT" "$T/err" || fail "stderr does not name port $BROKER_PORT: $(cat "$T/err")"
