#!/usr/bin/env bash
# A retained message sent because of a new subscription carries that subscription's identifier
# [MQTT-3.3.4-3] and RETAIN 1.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("sir-pub")
    publish5_ok(p, "sir/t", "kept", qos=1, retain=True)
    s = subscriber5("sir", [("sir/#", 1)], sub_props=[(SUBSCRIPTION_ID, 33)])
    m = recv_publish(s)
    check_eq((b"kept", True, [33]), (m["payload"], m["retain"], m["props"].all(SUBSCRIPTION_ID)), "retained message")
    publish5_ok(p, "sir/t", "", qos=1, pid=2, retain=True)
PY
