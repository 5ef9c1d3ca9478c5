#!/usr/bin/env bash
# broker: mqttgwd
# Per-client memory bounds hold whatever publishers do (README: max_inflight_messages,
# max_queued_messages, max_queued_bytes; slow subscribers):
#  1. max_queued_messages 5: an offline session gets 20 QoS 1 messages; all 20 are acknowledged
#     to the publisher; on reconnect the session gets the first 5, in order, and nothing else;
#     the other 15 are counted as dropped ($SYS/broker/publish/messages/dropped).
#  2. max_inflight_messages 3: an online subscriber that does not acknowledge has exactly 3 QoS 1
#     messages in flight; each PUBACK lets exactly one more out; all 10 arrive, in order
#     (backpressure holds the publisher back instead of dropping for an online subscriber that
#     keeps up).
#  3. max_queued_bytes 10000 (messages unlimited): an offline session keeps the first messages
#     of 2,000 bytes that fit in 10,000 bytes (at least 3, at most 5), in order.
#  4. A subscriber that never reads while 48 MiB of QoS 0 is published to it: the broker's RSS
#     grows by less than 16 MiB (its output to that client is bounded), the excess is counted
#     as dropped, the publisher is never disconnected.
# A bystander keeps receiving throughout.
# timeout: 120
. "$(dirname "$0")/lib.sh"
if grep -q __asan_init "$(broker_bin)" 2>/dev/null; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
fi
SYS_INTERVAL=1

PYTEST=$(cat <<'PY'
from mqttraw import *
import os, socket, time

from hostile import Dropped, bystander, bystander_alive, rss

PID = int(os.environ["BROKER_PID"])
PART = os.environ["PART"]

def offline_then_drain(name, n, payload_len):
    s = subscriber(name, [("ql/%s" % name, 1)], clean=False)
    s.send(disconnect()); s.close()
    time.sleep(0.2)
    p, _ = client(name + "-pub")
    for i in range(n):
        p.send(publish("ql/%s" % name, b"%04d" % i + b"q" * (payload_len - 4), qos=1, pid=i + 1))
        check_eq(i + 1, p.expect(PUBACK).pid(), "PUBACK %d" % (i + 1))
    s, sp = client(name, clean=False, expect_present=True)
    got = []
    while True:
        q = s.recv(1.5)
        if q is None:
            break
        m = q.publish()
        s.send(puback(m["pid"]))
        got.append(int(m["payload"][:4]))
    return got

def t():
    b = bystander()
    if PART == "counts":
        dropped = Dropped("ql-sys")
        d0 = dropped.wait()
        # 1. max_queued_messages 5
        got = offline_then_drain("qm", 20, 10)
        check_eq(list(range(5)), got, "queued for the offline session (max_queued_messages 5)")
        d1 = dropped.wait(d0 + 15)
        print("1: received %r, dropped %d -> %d" % (got, d0, d1))
        bystander_alive(b, "1")
        # 2. max_inflight_messages 3
        s = subscriber("qi", [("ql/qi", 1)])
        p, _ = client("qi-pub")
        for i in range(10):
            p.send(publish("ql/qi", "%d" % i, qos=1, pid=i + 1))
        inflight = [s.expect(PUBLISH, timeout=3).publish() for _ in range(3)]
        s.expect_nothing(1.0)
        order = []
        while inflight:
            m = inflight.pop(0)
            order.append(int(m["payload"]))
            s.send(puback(m["pid"]))
            if len(order) + len(inflight) < 10:
                inflight.append(s.expect(PUBLISH, timeout=6).publish())
                check_eq(3, len(inflight), "in flight after a PUBACK")
                s.expect_nothing(0.2)
        check_eq(list(range(10)), order, "all 10 through a window of 3, in order")
        for i in range(10):
            p.expect(PUBACK, timeout=6)
        print("2: window of 3 held, 10 delivered in order")
        bystander_alive(b, "2")
    elif PART == "bytes":
        # 3. max_queued_bytes 10000
        got = offline_then_drain("qb", 10, 2000)
        check(3 <= len(got) <= 5, "offline session kept %d messages of 2,000 bytes under "
              "max_queued_bytes 10000" % len(got))
        check_eq(list(range(len(got))), got, "the first ones, in order")
        print("3: kept %d" % len(got))
        bystander_alive(b, "3")
        # 4. a subscriber that never reads
        dropped = Dropped("ql-sys")
        d0 = dropped.wait()
        r = socket.create_connection((HOST, PORT))
        r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        r.sendall(connect("qz") + subscribe(1, [("ql/qz", 0)]))
        time.sleep(0.5)
        rss0 = rss(PID)
        p, _ = client("qz-pub")
        chunk = b"".join(publish("ql/qz", b"z" * 16384) for _ in range(64))
        for _ in range(48):  # 48 x 64 x 16 KiB = 48 MiB
            p.send(chunk)
        p.send(pingreq())
        p.expect(PINGRESP, timeout=30)
        grown = rss(PID) - rss0
        d1 = dropped.wait(d0 + 1)
        print("4: RSS grew by %.1f MiB, dropped %d -> %d" % (grown / 2**20, d0, d1))
        check(grown < 16 << 20, "RSS grew by %.1f MiB for a subscriber that never reads" % (grown / 2**20))
        bystander_alive(b, "4")
        r.close()
main(t)
PY
)
start_broker "max_inflight_messages 3" "max_queued_messages 5"
export BROKER_PID
PART=counts PY_TIMEOUT=100 py -c "$PYTEST"
stop_broker
start_broker "max_queued_messages 0" "max_queued_bytes 10000"
export BROKER_PID
PART=bytes PY_TIMEOUT=100 py -c "$PYTEST"
