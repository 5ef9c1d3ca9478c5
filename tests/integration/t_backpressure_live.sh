#!/usr/bin/env bash
# broker: mqttgwd
# (backpressure is mqttgwd's policy: Mosquitto drops a live subscriber's QoS 1 messages once its
# queue is full)
# A slow but live subscriber is never dropped from, however long it stays behind (README "Slow
# subscribers"): with max_queued_messages 60 and max_inflight_messages 1, a QoS 1 subscriber
# that acknowledges two messages a second keeps its queue above a quarter full for longer than
# 5 s (the time after which a subscriber that takes nothing stops holding publishers back). A
# publisher keeps 20 QoS 1 messages in flight for 9 s. Asserted: the publisher is held back
# instead of the subscriber's messages being dropped ($SYS dropped does not move), and once
# the subscriber speeds up it receives every message the publisher had acknowledged, in order.
# (Before, the 5 s ran from the first time the queue was half full, whether or not the
# subscriber kept taking messages: make bench's fan-in QoS 1 lost 216 acknowledged messages.)
# timeout: 90
. "$(dirname "$0")/lib.sh"
SYS_INTERVAL=1

PYTEST=$(cat <<'PY'
from mqttraw import *
import threading, time

from hostile import Dropped

def t():
    dropped = Dropped("bp-sys")
    d0 = dropped.wait()
    sub, _ = client("bp-slow")
    subscribe_ok(sub, [("bp/live", 1)])
    got, slow, stop = [], [True], [False]

    def subscriber():
        while not stop[0]:
            p = sub.recv(0.5)
            if p is None:
                continue
            m = p.publish()
            got.append(int(m["payload"]))
            if slow[0]:
                time.sleep(0.5)
            sub.send(puback(m["pid"]))

    th = threading.Thread(target=subscriber, daemon=True)
    th.start()
    pub, _ = client("bp-pub")
    inflight, acked, seq = {}, [], 0
    end = time.monotonic() + 9
    while time.monotonic() < end:
        while len(inflight) < 20:
            pid = seq % 60000 + 1
            pub.send(publish("bp/live", b"%d" % seq, qos=1, pid=pid))
            inflight[pid] = seq
            seq += 1
        p = pub.recv(0.2)
        if p is not None:
            acked.append(inflight.pop(p.pid()))
    time.sleep(1.5)
    d1 = Dropped("bp-sys2").wait()  # a fresh reader: the first reader's socket holds old values
    log("published %d, acknowledged %d in 9 s, received %d so far, dropped %d -> %d"
        % (seq, len(acked), len(got), d0, d1))
    check_eq(d0, d1, "$SYS dropped counter while a live subscriber was behind")
    slow[0] = False
    deadline = time.monotonic() + 30
    while inflight and time.monotonic() < deadline:
        p = pub.recv(1.0)
        if p is not None:
            acked.append(inflight.pop(p.pid()))
    check_eq(0, len(inflight), "publisher's messages still unacknowledged")
    deadline = time.monotonic() + 30
    while len(got) < seq and time.monotonic() < deadline:
        time.sleep(0.1)
    stop[0] = True
    th.join(2)
    check_eq(list(range(seq)), got, "what the live subscriber received")
main(t)
PY
)
start_broker "max_inflight_messages 1" "max_queued_messages 60"
PY_TIMEOUT=80 py -c "$PYTEST"
broker_alive || fail "broker died"
stop_broker
