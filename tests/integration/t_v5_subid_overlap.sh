#!/usr/bin/env bash
# broker: mqttgwd
# Overlapping subscriptions of one client (sio/+ id 1 QoS 0, sio/# id 2 QoS 1, sio/t no id QoS 0):
# one delivery, at the highest granted QoS [MQTT-3.3.4-2], carrying every matching identifier
# [MQTT-3.3.4-3], [MQTT-3.3.4-4]. Mosquitto 2.0.11 sends one copy per subscription, each with its
# own identifier ([MQTT-3.3.4-5] allows that), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("sio", [("sio/+", 0)], sub_pid=1, sub_props=[(SUBSCRIPTION_ID, 1)])
    subscribe5_ok(s, [("sio/#", 1)], pid=2, props=[(SUBSCRIPTION_ID, 2)])
    subscribe5_ok(s, [("sio/t", 0)], pid=3)
    p, _ = client5("sio-pub")
    publish5_ok(p, "sio/t", "once", qos=1)
    got = collect_publishes(s, 1.0)
    check_eq([(b"once", 1)], [(m["payload"], m["qos"]) for m in got], "deliveries")
    check_eq([1, 2], sorted(got[0]["props"].all(SUBSCRIPTION_ID)), "Subscription Identifiers")
    publish5_ok(p, "sio/x/y", "deep", qos=1, pid=2)  # only sio/# matches
    m = recv_publish(s)
    check_eq((b"deep", [2]), (m["payload"], m["props"].all(SUBSCRIPTION_ID)), "single match")
PY
