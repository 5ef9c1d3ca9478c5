#!/usr/bin/env bash
# Durable store, crash (issue #13): mqttgwd with `persistence true`, `persistence_sync full` is
# SIGKILLed at a random moment of each round (STORE_CRASH_ROUNDS, default 20) under a mixed QoS
# 1/2 load from two persistent publishers (3.1.1 and 5.0, resending what was not acknowledged
# after each restart), with two online persistent subscribers (reconnecting after each restart)
# and two offline ones (subscribed once, drained at the end). Afterwards, for each subscriber:
# every message whose PUBACK the publisher received was delivered at least once, every QoS 2
# message whose PUBREC it received exactly once, and no QoS 2 message twice. Each round also
# stores a retained message (acknowledged before the kill) and round 1 leaves a pending will
# (delay 3 s, its client gone 0.5 s before the kill): every retained message and the will
# survive. Each start logs "Restored N sessions, M queued messages, R retained in X ms."
# STORE_DEBUG=1: traces and snapshots to look at a stall, a failed check holds the broker alive
# (storeload.sh).
# broker: mqttgwd
# timeout: 480
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

ROUNDS=${STORE_CRASH_ROUNDS:-20}
# STORE_CRASH_SIGNAL=TERM: the same rounds through a clean shutdown (what Mosquitto passes too)
SIGNAL=${STORE_CRASH_SIGNAL:-KILL}

store_start "$T/store" full
is_mosquitto || assert_eq 0 "$RESTORED_SESSIONS" "sessions restored from an empty store"

load_begin crash 60

for ((r = 1; r <= ROUNDS; r++)); do
	# a retained message, acknowledged (hence durable) before the kill
	put_retained "ret/$r" "retained-$r"
	if [ "$r" = 1 ]; then
		pending_will
		sleep 0.5
	else
		sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + (s % 1200) / 1000 }')"
	fi
	load_alive
	acked=$(load_acked)
	broker_signal "$SIGNAL"
	log "round $r: SIG$SIGNAL after $acked acknowledgements in all"
	broker_start_again
	log "round $r: $RESTORED_LINE"
done

# every check runs, then the test fails with all that went wrong
problems=()
load_end $((ROUNDS * 20)) || problems+=("$(grep FAIL "$T/crash.check")")

# the will, fired once its delay passed (in or after the round it was pending across)
will_received crash || problems+=("never received the pending will:$WILL_MISSING")

# every retained message
py - "$ROUNDS" <<'PY' || problems+=("retained messages lost (see above)")
import sys
from mqttraw import *
rounds = int(sys.argv[1])
c = subscriber("ret-reader", [("ret/#", 1)])
got = {}
while len(got) < rounds:
    p = c.recv(5)
    check(p is not None, "retained: only %d of %d: %s" % (len(got), rounds, sorted(got)))
    if p.type == PUBLISH:
        m = p.publish()
        got[m["topic"]] = m["payload"].decode()
        if m["qos"]:
            c.send(puback(m["pid"]))
for r in range(1, rounds + 1):
    check_eq("retained-%d" % r, got.get("ret/%d" % r), "retained message ret/%d" % r)
print("retained: all %d present" % rounds)
PY
broker_alive
[ ${#problems[@]} = 0 ] || fail "$(printf '%s\n' "${problems[@]}")"
