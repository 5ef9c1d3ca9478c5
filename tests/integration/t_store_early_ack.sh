#!/usr/bin/env bash
# Durable store (issue #13 targets): a QoS 1 PUBACK waits for the store only while the message
# must be held. The store is on a powercut FUSE mount whose daemon is then stopped (SIGSTOP): the
# store thread's next write or fsync hangs, nothing becomes durable. A message whose only
# recipient, an online persistent subscriber, acknowledged it needs no holding: its PUBACK comes
# anyway. A message queued for an offline persistent session gets none until the store is back
# (SIGCONT); after a SIGKILL and a power cut, the offline session still gets every message
# acknowledged to its publisher.
# broker: mqttgwd
# (freezes the store's writes through its filesystem: mqttgw's durable store and its $SYS)
# needs: fuse
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/pclib.sh"

pc_store_broker "$T/mnt"

# an offline persistent session on t/off; an online one on t/on
sub -q 1 -c -i off-sub -t t/off -W 1 >/dev/null 2>&1 || true
sub_bg "$T/on.out" -q 1 -c -i on-sub -t t/on -v -W 60
# acknowledged, so durable: so is everything staged before it (batches are durable in order)
pub -q 1 -t t/off -m before || fail "no PUBACK for a message to an offline session"

kill -STOP "$PC_PID"
log "powercut daemon stopped: the store cannot write"
t0=$(date +%s%N)
pub -q 1 -t t/on -m early ||
	fail "no PUBACK while the store is frozen, for a message its only (online) recipient acknowledged"
log "PUBACK for t/on after $((($(date +%s%N) - t0) / 1000000)) ms with the store frozen"
grep -q '^t/on early$' "$T/on.out" || fail "the online subscriber did not get it: $(cat "$T/on.out")"
rc=0
run_fg "${CLI[@]}" timeout -k 1 3 mosquitto_pub -h "$BROKER_HOST" -p "$BROKER_PORT" -q 1 \
	-t t/off -m held || rc=$?
[ "$rc" != 0 ] || fail "PUBACK for a message held for an offline session while the store cannot write"
kill -CONT "$PC_PID"
log "powercut daemon resumed"
pub -q 1 -t t/off -m after || fail "no PUBACK once the store writes again"

# what was acknowledged survives a crash and a power cut
kill -KILL "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
untrack "$BROKER_PID"
BROKER_PID=
pc_cut
start_broker "${PC_STORE_CONF[@]}"
sub -q 1 -c -i off-sub -t t/off -W 3 >"$T/off.out" 2>&1 || true
log "offline session got: $(tr '\n' ' ' <"$T/off.out")"
for m in before after; do
	grep -qx "$m" "$T/off.out" || fail "acknowledged message '$m' lost: $(cat "$T/off.out")"
done
stop_broker
