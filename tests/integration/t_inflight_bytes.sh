#!/usr/bin/env bash
# `max_inflight_bytes N` (Mosquitto's manual): outgoing QoS 1/2 messages go in flight to a
# client while the payload bytes it has not acknowledged yet are below N; a message larger
# than N still goes, but alone. Alongside max_inflight_messages (the lower bound wins); a QoS 2
# message counts until its PUBCOMP.
#  - 6 QoS 1 messages of 40 bytes, limit 100: 3 in flight (0, 40, 80 < 100), one more per
#    PUBACK; with max_inflight_messages 2 only 2;
#  - 150-byte messages: one at a time;
#  - QoS 2: the PUBREC does not free its bytes, the PUBCOMP does;
#  - SIGHUP reloads it (Mosquitto: "Reloaded on reload signal").
# broker: mqttgwd
# (Mosquitto 2.0.11 does not keep to its own manual here, measured with this scenario: with
# limit 100 it puts 10 messages of 150 bytes in flight at once, 11 of 40 bytes, 15 of 10
# bytes, and after one PUBACK sends the whole rest of the queue, past max_inflight_messages too.)
# timeout: 300
. "$(dirname "$0")/lib.sh"
start_broker "max_inflight_bytes 100"
run() {
	py - "$1" "$BROKER_PID" "$BROKER_CONF" "$BROKER_LOG" <<'PY'
import os
import signal
import sys
import time
from mqttraw import *

MODE = sys.argv[1]


def got(c, n, quiet=0.7):
    """n PUBLISHes (waiting up to 20 s: the machine may be loaded), then whatever else arrives
    within `quiet` seconds, unacknowledged: [(payload prefix, pid, qos)]."""
    out = []
    deadline = time.monotonic() + 20
    while True:
        wait = deadline - time.monotonic() if len(out) < n else quiet
        p = c.recv(max(wait, 0.01))
        if p is None:
            return out
        check_eq("PUBLISH", p.name, "packet type")
        m = p.publish()
        out.append((m["payload"].decode().rstrip("."), m["pid"], m["qos"]))


def feed(topic, n, size, qos=1):
    pb, _ = client("pub-" + topic)
    for i in range(1, n + 1):
        pb.send(publish(topic, ("m%d" % i).ljust(size, "."), qos=qos, pid=i))
        pb.expect(PUBACK if qos == 1 else PUBREC)
        if qos == 2:
            pb.send(pubrel(i))
            pb.expect(PUBCOMP)
    pb.close()


def names(ms):
    return [m[0] for m in ms]


def t():
    if MODE == "reload":
        # SIGHUP reloads it (as Mosquitto): 3 of 6 in flight at 100, then 1000 after the reload
        s = subscriber("sr", [("tr", 1)])
        feed("tr", 6, 40)
        a = got(s, 3)
        check_eq(["m1", "m2", "m3"], names(a), "in flight before the reload (limit 100)")
        conf, logf = sys.argv[3], sys.argv[4]
        text = open(conf).read().replace("max_inflight_bytes 100", "max_inflight_bytes 1000")
        open(conf, "w").write(text)
        os.kill(int(sys.argv[2]), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while "max_inflight_bytes: 1000 (was 100)." not in open(logf).read():
            check(time.monotonic() < deadline, "no reload of max_inflight_bytes within 30 s")
            time.sleep(0.1)
        s.send(puback(a[0][1]))
        check_eq(["m4", "m5", "m6"], names(got(s, 3)), "after the reload and one PUBACK")
        return
    if MODE == "both":
        # max_inflight_messages 2 as well: both limits hold, 2 messages of 10 bytes
        s = subscriber("s10", [("t10", 1)])
        feed("t10", 4, 10)
        a = got(s, 2)
        check_eq(["m1", "m2"], names(a), "max_inflight_messages 2 with max_inflight_bytes 100")
        s.send(puback(a[0][1]))
        check_eq(["m3"], names(got(s, 1)), "after one PUBACK")
        return
    # 40 bytes each: 3 in flight, then one per PUBACK
    s = subscriber("s40", [("t40", 1)])
    feed("t40", 6, 40)
    a = got(s, 3)
    check_eq(["m1", "m2", "m3"], names(a), "in flight at first (40-byte messages, limit 100)")
    s.send(puback(a[0][1]))
    b = got(s, 1)
    check_eq(["m4"], names(b), "after one PUBACK (80 bytes left in flight)")
    s.send(puback(a[1][1]))
    s.send(puback(a[2][1]))
    c = got(s, 2)
    check_eq(["m5", "m6"], names(c), "after two more PUBACKs")
    s.close()

    # larger than the limit: one at a time
    s = subscriber("s150", [("t150", 1)])
    feed("t150", 3, 150)
    for i in range(1, 4):
        a = got(s, 1)
        check_eq(["m%d" % i], names(a), "150-byte message %d alone in flight" % i)
        s.send(puback(a[0][1]))
    check_eq([], got(s, 0, 0.3), "nothing more")
    s.close()

    # QoS 2: 60 bytes each; the PUBREC keeps the bytes in flight, the PUBCOMP frees them
    s = subscriber("s60", [("t60", 2)])
    feed("t60", 3, 60, qos=2)
    a = got(s, 2)
    check_eq(["m1", "m2"], names(a), "QoS 2 in flight at first (60 + 60)")
    s.send(pubrec(a[0][1]))
    s.expect(PUBREL)
    check_eq([], got(s, 0, 0.7), "after PUBREC: still 120 bytes in flight")
    s.send(pubcomp(a[0][1]))
    check_eq(["m3"], names(got(s, 1)), "after PUBCOMP")
    s.close()


main(t)
PY
}
run bytes || fail "max_inflight_bytes 100"
stop_broker
# in a listener block it is still the global value (Mosquitto: "applies globally")
start_broker "max_inflight_messages 2" "listener $BROKER_PORT2" "max_inflight_bytes 100"
run both || fail "max_inflight_bytes 100 with max_inflight_messages 2"
stop_broker
start_broker "max_inflight_bytes 100"
run reload || fail "max_inflight_bytes reloaded by SIGHUP"
