#!/usr/bin/env bash
# Retain Handling 2: retained messages are never sent on SUBSCRIBE [MQTT-3.3.1-11]; live messages
# on the subscription still are.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("rh2-pub")
    publish5_ok(p, "rh2/t", "kept", qos=1, retain=True)
    s = subscriber5("rh2-sub", [("rh2/#", sub_opts(1, rh=2))])
    check_eq([], collect_publishes(s, 0.7), "retained messages on SUBSCRIBE")
    publish5_ok(p, "rh2/t", "live", qos=1, pid=2)
    check_eq(b"live", recv_publish(s)["payload"], "live message")
    publish5_ok(p, "rh2/t", "", qos=1, pid=3, retain=True)
PY
