#!/usr/bin/env bash
# Retained messages: stored per topic and sent to a new subscriber with RETAIN 1
# [MQTT-3.3.1-5, -8]; a newer retained publish replaces the old one; a retained publish with an
# empty payload deletes it [MQTT-3.3.1-10, -11] and is itself forwarded to existing subscribers;
# a wildcard subscription receives every matching retained message; the retained message's QoS
# is capped by the subscription's.
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
def fresh(name, flt, qos=1):
    c = Client(name)
    c.connect()
    c.subscribe([(flt, qos)])
    return c
def t():
    p = Client("rt-pub")
    p.connect()
    p.publish("rt/a", "v1", qos=1, retain=True)
    c = fresh("rt-s1", "rt/a")
    m = c.get(3)
    check_eq(("rt/a", b"v1", True, 1), (m.topic, m.payload, m.retain, m.qos), "stored")
    c.expect_none(0.5)
    c.disconnect()
    p.publish("rt/a", "v2", qos=1, retain=True)
    c = fresh("rt-s2", "rt/a")
    m = c.get(3)
    check_eq(("rt/a", b"v2", True), (m.topic, m.payload, m.retain), "replaced")
    c.expect_none(0.5)  # only the newest
    # QoS cap: stored at QoS 1, subscription at QoS 0
    c0 = fresh("rt-s0", "rt/a", qos=0)
    m = c0.get(3)
    check_eq((b"v2", 0, True), (m.payload, m.qos, m.retain), "QoS 0 subscription")
    # delete: empty retained payload; the existing subscriber c still sees that publish
    p.publish("rt/a", "", qos=1, retain=True)
    m = c.get(3)
    check_eq(("rt/a", b""), (m.topic, m.payload), "empty retained publish forwarded")
    c3 = fresh("rt-s3", "rt/a")
    c3.expect_none(1.0)
    # several retained topics under a wildcard
    for t_ in ("rt/w/1", "rt/w/2", "rt/w/3"):
        p.publish(t_, t_, qos=1, retain=True)
    c4 = fresh("rt-s4", "rt/w/+")
    got = sorted((m.topic, m.payload, m.retain) for m in c4.collect(1.5))
    check_eq([("rt/w/%d" % i, ("rt/w/%d" % i).encode(), True) for i in (1, 2, 3)], got, "wildcard retained")
    # a non-retained publish does not replace the retained message
    p.publish("rt/w/1", "live", qos=1, retain=False)
    c5 = fresh("rt-s5", "rt/w/1")
    m = c5.get(3)
    check_eq((b"rt/w/1", True), (m.payload, m.retain), "non-retained publish left the store alone")
PY
