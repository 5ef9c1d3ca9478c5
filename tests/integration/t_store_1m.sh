#!/usr/bin/env bash
# Durable store, restart with 1,000,000 stored messages (issue #13): a store with one offline
# persistent session (3.1.1, subscription bench/# QoS 1) and STORE_1M_COUNT queued QoS 1 messages
# of 64-byte payloads (default 1,000,000; 100,000 under AddressSanitizer, whose allocator and
# checks make a million take minutes), written directly through the store API by
# $BUILD/storegen (publishing them over MQTT would take minutes). Beyond what the same start
# takes with an empty store (measured first: e.g. loading the kernel fast path), mqttgwd must
# answer a CONNECT (it listens before it loads: an open port is not enough) within
# STORE_1M_MAX_MS per million messages (default 8000: issue #13's target is 2 s, measured
# 1.4-1.6 s of CPU for 1M in a non-ASan build; the bound is 4x that for a 2-vCPU machine at
# load average ~25, 4x more under AddressSanitizer, never under 2 s), so the test catches a
# regression (a quadratic step, a lost index) without failing on a busy machine. The session's
# queue stays in the store past its first 1024 entries (read back as it drains): the anonymous
# memory after the restore may exceed the empty store's by at most 16 MiB + 32 bytes per stored
# message (building the queue in memory took ~270 bytes per message). It must log
# "Restored 1 sessions, COUNT queued messages, 0 retained in X ms.", stay under 1 GiB peak
# RSS, and deliver the queue from its head, in order, on the session's return (the first 500
# checked, DUP 0). Times, load time and RSS are printed.
# broker: mqttgwd
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

COUNT=1000000
PER_M_MS=${STORE_1M_MAX_MS:-8000}
[ -x "$BUILD/storegen" ] || fail "$BUILD/storegen not built (make unit builds it)"
if broker_is_asan; then
	COUNT=100000
	PER_M_MS=$((PER_M_MS * 4))
fi
COUNT=${STORE_1M_COUNT:-$COUNT}
MAX_MS=$((PER_M_MS * COUNT / 1000000))
[ "$MAX_MS" -ge 2000 ] || MAX_MS=2000

# the same daemon and config on an empty store: what starting costs without the load (the
# kernel fast path, when on, takes seconds on a busy machine)
_store_keys_known "$T/empty"
mkdir -p "$T/empty" "$T/big"
BROKER_CONF=$T/broker.conf
write_config "$BROKER_CONF" "$(store_conf "$T/empty" full)"
start_broker_timed
BASE_MS=$READY_MS
BASE_ANON=$(proc_kb "$BROKER_PID" RssAnon)
_store_require_wired "$T/empty" 0
stop_broker

t0=$(date +%s%N)
"$BUILD/storegen" "$T/big" "$STORE_FILE" "$COUNT" 64 offline-1 bench/queued >&2 ||
	fail "storegen failed"
bytes=$(du -b "$T/big/$STORE_FILE" | cut -f1)
log "generated $COUNT messages in $((($(date +%s%N) - t0) / 1000000)) ms; $bytes bytes," \
	"$((bytes / COUNT)) bytes per message"

write_config "$BROKER_CONF" "$(store_conf "$T/big" full)"
start_broker_timed
store_restored || fail "no start-up line: $(tail -n 5 "$BROKER_LOG")"
rss=$(proc_kb "$BROKER_PID" VmRSS)
hwm=$(proc_kb "$BROKER_PID" VmHWM)
anon=$(proc_kb "$BROKER_PID" RssAnon)
# either difference may come out below 0 (noise on a busy machine): counted as 0
# (assert_int_between takes no sign)
extra=$((READY_MS > BASE_MS ? READY_MS - BASE_MS : 0))
more_anon=$((anon > BASE_ANON ? anon - BASE_ANON : 0))
log "serving (first CONNACK) after $READY_MS ms ($BASE_MS ms with an empty store: +$extra ms, limit" \
	"$MAX_MS); $RESTORED_LINE; RSS $rss KiB, peak $hwm KiB, anonymous $anon KiB (empty" \
	"store $BASE_ANON KiB)"
echo "store-1m: ready_ms=$READY_MS empty_ready_ms=$BASE_MS load_ms=$RESTORED_MS rss_kb=$rss" \
	"hwm_kb=$hwm anon_kb=$anon empty_anon_kb=$BASE_ANON bytes=$bytes count=$COUNT"
assert_eq "1 $COUNT 0" "$RESTORED_SESSIONS $RESTORED_QUEUED $RESTORED_RETAINED" "restored"
assert_int_between "$extra" 0 "$MAX_MS" "milliseconds to the first CONNACK beyond an empty store's"
assert_int_between "$hwm" 1 1048576 "peak RSS in KiB"
assert_int_between "$more_anon" 0 "$((16384 + COUNT * 32 / 1024))" \
	"anonymous KiB beyond the empty store's (the queue stays in the store)"

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
