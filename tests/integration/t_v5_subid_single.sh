#!/usr/bin/env bash
# A subscription with a Subscription Identifier gets it in every PUBLISH it causes
# [MQTT-3.3.4-3]; a subscription without one gets none. Real clients: paho MQTTv5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = Paho5("sis"); s.connect()
    check_eq([1], s.subscribe("sis/with/#", qos=1, sub_id=268435455), "SUBACK")
    check_eq([1], s.subscribe("sis/without/#", qos=1), "SUBACK")
    p = Paho5("sis-pub"); p.connect()
    p.publish("sis/with/a", "1", qos=1)
    p.publish("sis/without/a", "2", qos=1)
    got = {m["topic"]: m["props"].get("SubscriptionIdentifier") for m in s.collect(1.0)}
    check_eq({"sis/with/a": [268435455], "sis/without/a": None}, got, "Subscription Identifiers")
PY
