#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 150
# Acknowledged means durable, with the store's disk full (a 1 MiB tmpfs filled up while the
# broker runs). A QoS 1 message for an offline persistent session gets no PUBACK while it cannot
# be written; once the store says so, new QoS 1/2 are refused: v5 PUBACK 0x97 (Quota exceeded),
# v3 disconnected without an ack, QoS 0 still flows. Space comes back: the held PUBACK arrives
# by itself, new messages are accepted, and the held message reaches the subscriber.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mount -t tmpfs -o size=1m tmpfs "$STORE_DIR" || skip "cannot mount a tmpfs"
at_cleanup "umount -l '$STORE_DIR'"
start_broker "${STORE_CONF[@]}"
sub -q 1 -c -i full-sub -t full/p -W 1 >/dev/null 2>&1 || true
sub -q 0 -i full-q0 -t full/q0 -W 1 >/dev/null 2>&1 || true
dd if=/dev/zero of="$STORE_DIR/filler" bs=64k 2>/dev/null || true # fills it: ENOSPC ends dd
py - "$STORE_DIR/filler" <<'PY'
import os, sys
from mqtt5raw import *
import mqttraw
def t():
    p, _ = client5("full-pub")
    big = "x" * 65536  # needs new pages in the WAL
    p.send(publish5("full/p", big, qos=1, pid=1))
    p.expect_nothing(1.5)  # held: not durable
    deadline = time.monotonic() + 5
    while True:  # the store reports the failure after its first commit fails
        p.send(publish5("full/p", "refused", qos=1, pid=2))
        a = expect_ack(p, PUBACK, 2)
        if a["rc"] == 0x97:
            break
        check(time.monotonic() < deadline, "no 0x97 within 5 s (last reason 0x%02x)" % a["rc"])
        time.sleep(0.2)
    # v3: closed, no ack
    q, _ = mqttraw.client("full-v3")
    q.send(mqttraw.publish("full/p", "v3", qos=1, pid=3))
    q.assert_closed(within=3.0)
    # QoS 0 still flows
    s0 = subscriber5("full-q0b", [("full/q0", sub_opts(qos=0))])
    p.send(publish5("full/q0", "zero", qos=0))
    check_eq([b"zero"], payloads(collect_publishes(s0, 1.0)), "QoS 0 while the store is full")
    # space comes back: the held PUBACK arrives
    os.remove(sys.argv[1])
    a = expect_ack(p, PUBACK, 1, timeout=15)
    check_eq(0, a["rc"], "the held PUBACK, once the store could write it")
    p.send(publish5("full/p", "after", qos=1, pid=4))
    check_eq(0, expect_ack(p, PUBACK, 4)["rc"], "accepted again")
    p.send(disconnect5())
main(t)
PY
[ "$(grep -c "store: commit failed" "$BROKER_LOG")" = 1 ] || fail "the failure not logged exactly once"
[ "$(grep -c "store: commits succeed again" "$BROKER_LOG")" = 1 ] || fail "the recovery not logged exactly once"
sub -q 1 -c -i full-sub -t full/p -C 2 -W 5 >"$T/got" || fail "the subscriber did not get both messages"
[ "$(head -c 10 "$T/got")" = xxxxxxxxxx ] || fail "the held message was not delivered first: $(head -c 40 "$T/got")"
grep -qx after "$T/got" || fail "the message accepted after recovery was not delivered"
stop_broker
