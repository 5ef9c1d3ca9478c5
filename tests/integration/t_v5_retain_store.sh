#!/usr/bin/env bash
# Retained messages with v5 clients: RETAIN 1 stores the message, replacing the previous one
# [MQTT-3.3.1-5]; RETAIN 0 neither stores nor removes [MQTT-3.3.1-8]; an empty retained payload
# removes it and is not stored itself [MQTT-3.3.1-6], [MQTT-3.3.1-7]; a new subscriber gets the
# stored message with RETAIN 1 and the QoS min(stored, granted) [MQTT-3.8.4-8].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def latest(name, flt="rs5/t", q=2):
    s = subscriber5(name, [(flt, q)])
    got = [(m["payload"], m["qos"], m["retain"]) for m in collect_publishes(s, 0.6)]
    s.send(disconnect5()); s.close()
    return got
def t():
    p, _ = client5("rs5-pub")
    publish5_ok(p, "rs5/t", "first", qos=1, pid=1, retain=True)
    publish5_ok(p, "rs5/t", "second", qos=2, pid=2, retain=True)
    check_eq([(b"second", 2, True)], latest("rs5-a"), "after a replacement")
    check_eq([(b"second", 1, True)], latest("rs5-b", q=1), "granted QoS 1")
    publish5_ok(p, "rs5/t", "not-retained", qos=1, pid=3)
    check_eq([(b"second", 2, True)], latest("rs5-c"), "after a RETAIN 0 message")
    publish5_ok(p, "rs5/t", "", qos=1, pid=4, retain=True)
    check_eq([], latest("rs5-d"), "after an empty retained message")
PY
