#!/usr/bin/env bash
# Durable store, restart with 1,000,000 stored messages (issue #13): a store with one offline
# persistent session (3.1.1, subscription bench/# QoS 1) and STORE_1M_COUNT (default 1,000,000)
# queued QoS 1 messages of 64-byte payloads, written directly through the store API by
# $BUILD/storegen (publishing them over MQTT would take minutes). mqttgwd must be listening
# within 2 s of its start (STORE_1M_MAX_MS; 4x that under AddressSanitizer, whose allocator and
# checks slow the load), log "Restored 1 sessions, 1000000 queued messages, 0 retained in X ms.",
# stay under 1 GiB RSS, and deliver the queue from its head, in order, on the session's return
# (the first 500 checked, DUP 0). Time to listening, the logged load time and the RSS are printed.
# broker: mqttgwd
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storelib.sh"

COUNT=${STORE_1M_COUNT:-1000000}
MAX_MS=${STORE_1M_MAX_MS:-2000}
[ -x "$BUILD/storegen" ] || fail "$BUILD/storegen not built (make unit builds it)"
if ldd "$(broker_bin)" 2>/dev/null | grep -q libasan; then MAX_MS=$((MAX_MS * 4)); fi

store_probe

t0=$(date +%s%N)
"$BUILD/storegen" "$T/big" "$STORE_FILE" "$COUNT" 64 offline-1 bench/queued >&2 ||
	fail "storegen failed"
log "generated $COUNT messages in $((($(date +%s%N) - t0) / 1000000)) ms;" \
	"$(du -b "$T/big/$STORE_FILE" | cut -f1) bytes," \
	"$(($(du -b "$T/big/$STORE_FILE" | cut -f1) / COUNT)) bytes per message"

STORE_DIR=$T/big
BROKER_CONF=$T/broker.conf
write_config "$BROKER_CONF" "$(store_conf "$T/big" full)"
start_broker_timed
store_restored || fail "no start-up line: $(tail -n 5 "$BROKER_LOG")"
rss=$(proc_kb "$BROKER_PID" VmRSS)
hwm=$(proc_kb "$BROKER_PID" VmHWM)
log "listening after $LISTEN_MS ms (limit $MAX_MS); $RESTORED_LINE; RSS $rss KiB, peak $hwm KiB"
echo "store-1m: listen_ms=$LISTEN_MS load_ms=$RESTORED_MS rss_kb=$rss hwm_kb=$hwm count=$COUNT"
assert_eq "1 $COUNT 0" "$RESTORED_SESSIONS $RESTORED_QUEUED $RESTORED_RETAINED" "restored"
assert_int_between "$LISTEN_MS" 0 "$MAX_MS" "milliseconds from start to listening"
assert_int_between "$hwm" 1 1048576 "peak RSS in KiB"

py <<'PY'
from mqttraw import *
c, _ = client("offline-1", clean=False, expect_present=True)
for i in range(500):
    m = c.expect(PUBLISH, timeout=10).publish()
    check_eq("bench/queued", m["topic"], "topic")
    check_eq(1, m["qos"], "QoS")
    check(not m["dup"], "DUP on a message that was never sent: %r" % m)
    check_eq(b"%010d:" % i + b"p" * 53, m["payload"], "message %d" % i)
    c.send(puback(m["pid"]))
print("first 500 queued messages delivered in order")
PY
