#!/usr/bin/env bash
# A shared subscription delivers at the member's granted QoS [MQTT-4.8.2-3]: member a granted
# QoS 0 and member b granted QoS 2 share the QoS 2 messages; a gets them at QoS 0, b at QoS 2.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("shq-a"); b, _ = client5("shq-b")
    check_eq([0], subscribe5_ok(a, [("$share/g/shq/t", 0)]), "SUBACK a")
    check_eq([2], subscribe5_ok(b, [("$share/g/shq/t", 2)]), "SUBACK b")
    p, _ = client5("shq-pub")
    for i in range(4):
        publish5_ok(p, "shq/t", "m%d" % i, qos=2, pid=i + 1)
    ga = collect_publishes(a, 1.0)
    gb = collect_publishes(b, 0.3)
    check_eq(4, len(ga) + len(gb), "messages delivered")
    check(ga and gb, "both members got messages (a=%d b=%d)" % (len(ga), len(gb)))
    check_eq({0}, {m["qos"] for m in ga}, "QoS at member a")
    check_eq({2}, {m["qos"] for m in gb}, "QoS at member b")
PY
