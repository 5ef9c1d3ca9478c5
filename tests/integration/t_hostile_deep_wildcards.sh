#!/usr/bin/env bash
# broker: mqttgwd
# Deeply nested wildcard filters (4.7): valid filters with thousands of '+' levels, '#' at the
# end of a 20,001-level filter (matches its parent level too [MQTT-4.7.1-2]), and 4,096
# overlapping filters made of every combination of 'w' and '+' over 12 levels, all matching
# one topic. Whatever the nesting: SUBACK grants each filter, a matching message is delivered
# exactly once per subscriber, at the highest QoS of its matching subscriptions [MQTT-3.3.5-1],
# a non-matching one is not, within 3 s; UNSUBSCRIBE removes them. Filters with misplaced
# wildcards ('a/#/b', '#/#', 'a/+b', '++', 'a#') make the SUBSCRIBE malformed [MQTT-4.7.1-1..3]:
# the connection is closed (5.0: DISCONNECT 0x81), as Mosquitto does. A bystander subscribed
# before keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 sends one copy per overlapping subscription (t_sub_overlap).
# timeout: 90
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw
import itertools, time

from hostile import bystander, bystander_alive

def one_copy(c, topic, payload, qos):
    m = c.expect(PUBLISH, timeout=3).publish()
    check_eq((topic, payload, qos), (m["topic"], m["payload"], m["qos"]), "delivery of %.40s" % topic)
    if qos == 1:
        c.send(mqttraw.puback(m["pid"]))
    elif qos == 2:
        c.send(mqttraw.pubrec(m["pid"]))
        c.expect(PUBREL)
        c.send(mqttraw.pubcomp(m["pid"]))
    c.expect_nothing(0.3)

def pub(p, topic, payload):
    p.send(mqttraw.publish(topic, payload, qos=2, pid=1))
    p.expect(PUBREC, timeout=5)
    p.send(mqttraw.pubrel(1))
    p.expect(PUBCOMP, timeout=5)

def t():
    b = bystander()
    p, _ = mqttraw.client("dw-pub")
    # 1. very deep '+' and '#'
    deep_plus = "/".join(["+"] * 20000)              # 20,000 levels
    deep_hash = "/".join(["+"] * 20000) + "/#"       # 20,001 levels
    topic20k = "/".join(["x"] * 20000)
    topic19k = "/".join(["x"] * 19999)
    c1, _ = mqttraw.client("dw-deep")
    check_eq([1, 0], mqttraw.subscribe_ok(c1, [(deep_plus, 1), (deep_hash, 0)]), "deep SUBACK")
    t0 = time.monotonic()
    pub(p, topic20k, b"20k")
    one_copy(c1, topic20k, b"20k", 1)   # both match: one copy at QoS 1
    pub(p, topic20k + "/y", b"20k+1")
    one_copy(c1, topic20k + "/y", b"20k+1", 0)  # only '+/.../#'
    pub(p, topic19k, b"19k")
    c1.expect_nothing(0.5)              # neither matches 19,999 levels
    print("deep matching: %.2f s" % (time.monotonic() - t0))
    # 2. 4,096 overlapping filters: every w/+ combination over 12 levels
    combos = ["/".join(x) for x in itertools.product(("w", "+"), repeat=12)]
    c2, _ = mqttraw.client("dw-combo")
    qos = [0] * len(combos)
    qos[1234] = 2
    c2.send(mqttraw.subscribe(2, list(zip(combos, qos))))
    pid, codes = c2.expect(SUBACK, timeout=10).suback()
    check_eq((2, qos), (pid, codes), "SUBACK for 4,096 filters")
    t0 = time.monotonic()
    pub(p, "/".join(["w"] * 12), b"all")
    one_copy(c2, "/".join(["w"] * 12), b"all", 2)
    pub(p, "/".join(["v"] * 12), b"plus-only")
    one_copy(c2, "/".join(["v"] * 12), b"plus-only", 0)
    pub(p, "/".join(["w"] * 11), b"short")
    c2.expect_nothing(0.3)
    print("4,096 overlapping filters: %.2f s" % (time.monotonic() - t0))
    c2.send(mqttraw.unsubscribe(3, combos))
    check_eq(3, c2.expect(UNSUBACK, timeout=10).pid(), "UNSUBACK")
    pub(p, "/".join(["w"] * 12), b"gone")
    c2.expect_nothing(0.5)
    # 3. misplaced wildcards: each makes the SUBSCRIBE malformed, whatever valid filters come
    # with it: the connection is closed (5.0: DISCONNECT 0x81), nothing of the packet is granted
    bad = ["a/#/b", "#/#", "a/+b", "++", "a#", "/".join(["+"] * 100) + "#", "#/" * 1000 + "#"]
    good = ["ok/+/#", "/".join(["+"] * 1000)]
    for i, f in enumerate(bad):
        c3, _ = mqttraw.client("dw-bad3-%d" % i)
        c3.send(mqttraw.subscribe(4, [(good[0], 1), (f, 1)]))
        c3.assert_closed(3.0)
        c5, _ = client5("dw-bad5-%d" % i)
        c5.send(subscribe5(5, [(good[0], 1), (f, 1)]))
        expect_disconnect(c5, RC_MALFORMED)
    c3, _ = mqttraw.client("dw-good3")
    c3.send(mqttraw.subscribe(4, [(g, 1) for g in good]))
    pid, codes = c3.expect(SUBACK, timeout=5).suback()
    check_eq((4, [1] * len(good)), (pid, codes), "3.1.1 valid filters granted")
    pub(p, "ok/1/2", b"ok")
    one_copy(c3, "ok/1/2", b"ok", 1)
    bystander_alive(b, "end")
PY
