#!/usr/bin/env bash
# Durable store, power cut (issue #13): mqttgwd's persistence_location inside a powercut mount
# (tests/tools/powercut: a cut forgets every write that was not fsynced). `persistence_sync
# full`: STORE_PC_ROUNDS rounds (default 3) of mixed QoS 1/2 load (persistent publishers and
# subscribers, online and offline), SIGKILL, cut, restart; then every PUBACKed message was
# delivered at least once to each subscriber, every PUBRECed QoS 2 message exactly once, the
# retained message and the pending will (delay 3 s, pending across the first cut) survive.
# `persistence_sync normal` (WAL written at commit, fsynced only at checkpoints): the same load,
# kill and cut lose acknowledged messages, which shows the assertions above can fail on this
# filesystem (up to 3 attempts: a checkpoint just before the cut can leave nothing to lose).
# broker: mqttgwd
# needs: fuse
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/pclib.sh"
. "$TEST_DIR/storeload.sh"

ROUNDS=${STORE_PC_ROUNDS:-3}
MNT=$T/mnt
pc_start "$MNT"

# STORE_PC_MODES: which parts run ("full normal"; one alone to look at it)
MODES=" ${STORE_PC_MODES:-full normal} "

# ---- full: nothing acknowledged is lost ----
if [[ $MODES == *" full "* ]]; then
store_start "$MNT/full" full
load_begin full 60
for ((r = 1; r <= ROUNDS; r++)); do
	put_retained ret/pc "retained-$r"
	[ "$r" != 1 ] || pending_will
	sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.2f", 0.8 + (s % 1200) / 1000 }')"
	load_alive
	acked=$(load_acked)
	broker_kill9
	pc_cut
	log "full, round $r: killed after $acked acknowledgements, the cut lost" \
		"$(pc_counter cut_lost_bytes) bytes"
	broker_start_again
	log "full, round $r: $RESTORED_LINE"
done
assert_int_between "$(($(pc_counter fsyncs) + $(pc_counter fdatasyncs)))" 1 100000000 \
	"fsyncs and fdatasyncs seen by the powercut filesystem"
problems=()
load_end $((ROUNDS * 50)) || problems+=("$(grep FAIL "$T/full.check")")
will_received full || problems+=("never received the pending will:$WILL_MISSING")
py - "$ROUNDS" <<'PY' || problems+=("the retained message was lost (see above)")
import sys
from mqttraw import *
c = subscriber("ret-reader", [("ret/pc", 1)])
p = c.expect(PUBLISH, timeout=5).publish()
check_eq("retained-%s" % sys.argv[1], p["payload"].decode(), "the last retained message")
PY
stop_broker
[ ${#problems[@]} = 0 ] || fail "sync full: $(printf '%s\n' "${problems[@]}")"
fi

# ---- normal: a power cut does lose acknowledged messages ----
[[ $MODES == *" normal "* ]] || exit 0
# losses are what this part expects: a subscriber that misses some gives up after 3 s of silence
# (storeload.sh: LOAD_IDLE), not 20
LOAD_IDLE=3
lost=
for try in 1 2 3; do
	store_start "$MNT/normal$try" normal
	load_begin "normal$try" 300
	sleep 2
	load_alive
	acked=$(load_acked)
	broker_kill9
	pc_cut
	log "normal, try $try: killed after $acked acknowledgements, the cut lost" \
		"$(pc_counter cut_lost_bytes) bytes"
	broker_start_again
	log "normal, try $try: $RESTORED_LINE"
	if ! load_end 100; then
		if grep -q 'never delivered' "$T/normal$try.check"; then
			lost=$try
			stop_broker
			break
		fi
		fail "sync normal: unexpected failure: $(grep FAIL "$T/normal$try.check")"
	fi
	stop_broker
done
[ -n "$lost" ] || fail "persistence_sync normal: three power cuts lost no acknowledged" \
	"message: the test cannot tell full from normal"
log "persistence_sync normal: acknowledged messages lost by the cut (try $lost), as documented"
