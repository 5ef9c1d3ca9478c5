#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 90
# $SYS/broker/store/...: with persistence on, the store's figures are published (retained, every
# sys_interval); a stored message shows in messages and commits. Without persistence: none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
SYS_INTERVAL=1
start_broker "${STORE_CONF[@]}"
sub -q 1 -c -i sys-sub -t sys/p -W 1 >/dev/null 2>&1 || true
pub -q 1 -t sys/p -m kept
sleep 1.5
sub -t '$SYS/broker/store/#' -v -C 8 -W 5 >"$T/sys" || fail "no \$SYS/broker/store topics: $(cat "$T/sys")"
log "$(tr '\n' ';' <"$T/sys")"
for k in bytes messages commits cancelled commit_latency_us commit_latency_max_us writable last_error; do
	grep -q "^\$SYS/broker/store/$k " "$T/sys" || fail "missing \$SYS/broker/store/$k"
done
grep -qx '$SYS/broker/store/messages 1' "$T/sys" || fail "expected 1 stored message: $(cat "$T/sys")"
grep -qx '$SYS/broker/store/writable true' "$T/sys" || fail "expected writable true"
grep -qx '$SYS/broker/store/last_error none' "$T/sys" || fail "expected no error"
c=$(sed -n 's/^\$SYS\/broker\/store\/commits //p' "$T/sys")
[ "$c" -ge 1 ] || fail "expected commits >= 1, got $c"
stop_broker
start_broker "fastpath off"
if sub -t '$SYS/broker/store/#' -v -C 1 -W 2 >"$T/sys2" 2>/dev/null; then
	fail "\$SYS/broker/store published without persistence: $(cat "$T/sys2")"
fi
stop_broker
