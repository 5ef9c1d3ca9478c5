#!/usr/bin/env bash
# Durable store, long offline queues across a crash (issue #13): three persistent offline
# subscribers (MQTT 5 and 3.1.1, QoS 2 subscriptions) each collect about 4,000 messages from two
# persistent publishers (mixed QoS 1/2), several pages of a stored session's queue beyond what it
# keeps in memory. SIGKILL, restart; then two drain at once while two more publishers send,
# dropping their connection (no DISCONNECT, nothing acknowledged) every 700 messages and coming
# back; the third drains alone afterwards (nothing else wakes the broker: each page read back
# must go out by itself; a subscriber idle for 3 s ends). Every message acknowledged to a publisher, before or after the
# crash, reaches every subscriber (QoS 2 once), and each publisher's messages of one QoS arrive
# in the order they were published.
# broker: mqttgwd
# SIGKILL: Mosquitto loses everything since its last autosave, which is what the store is for
# timeout: 400
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

TAG=oqr
SUBS=(s5 t3 u5)
PER_PUB=${STORE_OFFLINE_PER_PUB:-2000}

# wait_all WHAT PID...: each exits 0 within 310 s
wait_all() {
	local what=$1 pid
	shift
	for pid in "$@"; do
		wait_pid "$pid" 310
		[ "$WAIT_RC" = 0 ] || fail "$what: exit $WAIT_RC"
	done
}

store_start "$T/store" full
for s in "${SUBS[@]}"; do
	v=${s:1}
	load sub --id "$TAG-$s" --v "$v" --filter 'load/#' --out "$T/$TAG-$s.d" --subscribe-only
done

# before the crash: PER_PUB messages from each publisher, flat out
pids=()
for p in p5 p3; do
	load_bg "$T/$TAG-$p.log" pub --id "$TAG-$p" --v "${p#p}" --topic "load/$TAG/$p" \
		--acked "$T/$TAG-$p.acked" --count "$PER_PUB" --rate 0 --window 20 --deadline 200
	pids+=("$BG_PID")
done
wait_all publisher "${pids[@]}"
acked=$(cat "$T/$TAG-p5.acked" "$T/$TAG-p3.acked" | wc -l)
log "$acked messages acknowledged before the crash"
[ "$acked" -ge $((2 * PER_PUB)) ] || fail "only $acked of $((2 * PER_PUB)) acknowledged"

broker_kill9
broker_start_again
log "$RESTORED_LINE"
is_mosquitto || [ "$RESTORED_QUEUED" -ge $((3 * acked)) ] ||
	fail "restored $RESTORED_QUEUED queued messages, expected at least $((3 * acked))"

# after it: the subscribers drain while two other publishers send 600 each (300/s)
STOP=$T/$TAG.stop
pids=()
for p in p5 p3; do
	load_bg "$T/$TAG-${p}b.log" pub --id "$TAG-${p}b" --v "${p#p}" --topic "load/$TAG/$p" \
		--acked "$T/$TAG-${p}b.acked" --count 600 --rate 300 --window 10 --deadline 200
	pids+=("$BG_PID")
done
# two drain at once while the publishers send; the third alone afterwards, when nothing else
# wakes the broker (each page it reads back must go out by itself)
subs=()
for s in s5 t3; do
	load_bg "$T/$TAG-$s.log" sub --id "$TAG-$s" --v "${s:1}" --filter 'load/#' --resume \
		--out "$T/$TAG-$s.d" --stop "$STOP" --idle 3 --drop-every 700 --deadline 300
	subs+=("$BG_PID")
done
wait_all "publisher after the restart" "${pids[@]}"
touch "$STOP"
wait_all subscriber "${subs[@]}"
load sub --id "$TAG-u5" --v 5 --filter 'load/#' --resume --out "$T/$TAG-u5.d" --idle 3 \
	--drop-every 1500 --deadline 200
for s in s5 t3; do log "$(tail -n 1 "$T/$TAG-$s.log")"; done

outs=()
for s in "${SUBS[@]}"; do outs+=("$T/$TAG-$s.d"); done
load check --acked "$T/$TAG"-p{5,3}{,b}.acked --prefix "$TAG-" --order \
	--deliveries "${outs[@]}" --min-acked $((2 * PER_PUB + 1200)) \
	>"$T/check" 2>&1 || fail "$(cat "$T/check")"
cat "$T/check"
broker_alive
