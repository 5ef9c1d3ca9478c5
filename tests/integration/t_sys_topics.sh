#!/usr/bin/env bash
# $SYS topics with sys_interval 1: the broker publishes $SYS/broker/{version, uptime,
# clients/connected, clients/total, clients/maximum, messages/received, messages/sent,
# bytes/received, bytes/sent, subscriptions/count, retained messages/count, heap/current}
# within the interval (+ slack), with plausible values: numbers parse, clients/connected equals
# the clients this test holds open, and follows a disconnect; counters cover what the test sent.
. "$(dirname "$0")/lib.sh"
SYS_INTERVAL=1
py_test mqttc <<'PY'
import re, time
NUMERIC = ["clients/connected", "clients/total", "clients/maximum", "messages/received",
           "messages/sent", "bytes/received", "bytes/sent", "subscriptions/count",
           "retained messages/count", "heap/current"]
def latest(msgs):
    out = {}
    for m in msgs:
        out[m.topic[len("$SYS/broker/"):]] = m.payload.decode()
    return out
def t():
    idle = []
    for i in range(3):
        c = Client("sys-idle%d" % i); c.connect(); idle.append(c)
    sub = Client("sys-sub"); sub.connect(); sub.subscribe([("sysdata/#", 1)])
    pub = Client("sys-pub"); pub.connect()
    pub.publish("sysdata/r", "retained", qos=1, retain=True)
    for i in range(5):
        pub.publish("sysdata/x", "payload-%d" % i, qos=1)
    check_eq(6, len(sub.collect(1.0)), "test traffic delivered")
    pub.disconnect()
    w = Client("sys-watch"); w.connect()
    w.subscribe([("$SYS/broker/#", 0)])
    t0 = time.monotonic()
    msgs = w.collect(2.5)   # retained values at once, then updates every second
    v = latest(msgs)
    missing = [k for k in ["version", "uptime"] + NUMERIC if k not in v]
    check(not missing, "missing $SYS/broker/ topics: %s (got %s)" % (missing, sorted(v)))
    check(re.search(r"\d", v["version"]) is not None, "version %r has no number" % v["version"])
    check(re.fullmatch(r"\d+ seconds", v["uptime"]) is not None, "uptime %r" % v["uptime"])
    n = {}
    for k in NUMERIC:
        try:
            n[k] = int(v[k])
        except ValueError:
            raise TestFailure("$SYS/broker/%s is not an integer: %r" % (k, v[k]))
        check(n[k] >= 0, "%s negative" % k)
    ups = [m for m in msgs if m.topic == "$SYS/broker/uptime"]
    check(len(ups) >= 2, "uptime published %d time(s) in 2.5 s with sys_interval 1" % len(ups))
    # idle x3 + sys-sub + sys-watch
    check_eq(5, n["clients/connected"], "clients/connected")
    check(n["clients/total"] >= n["clients/connected"], "clients/total %d < connected" % n["clients/total"])
    check(n["clients/maximum"] >= 5, "clients/maximum %d < 5" % n["clients/maximum"])
    check(n["messages/received"] >= 6, "messages/received %d < 6 publishes" % n["messages/received"])
    check(n["messages/sent"] >= 6, "messages/sent %d < 6 deliveries" % n["messages/sent"])
    check(n["bytes/received"] >= 6 * 9, "bytes/received %d" % n["bytes/received"])
    check(n["bytes/sent"] >= 6 * 9, "bytes/sent %d" % n["bytes/sent"])
    check(n["subscriptions/count"] >= 2, "subscriptions/count %d < 2" % n["subscriptions/count"])
    check(n["retained messages/count"] >= 1, "retained messages/count %d" % n["retained messages/count"])
    check(n["heap/current"] > 0, "heap/current %d" % n["heap/current"])
    # the connected count follows a disconnect within the interval
    idle[0].disconnect()
    deadline = time.monotonic() + 3.0
    seen = []
    while time.monotonic() < deadline:
        for m in w.collect(0.5):
            if m.topic == "$SYS/broker/clients/connected":
                seen.append(int(m.payload))
        if seen and seen[-1] == 4:
            break
    check(seen and seen[-1] == 4, "clients/connected after a disconnect: %s, expected 4" % seen)
PY
