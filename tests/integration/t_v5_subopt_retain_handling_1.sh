#!/usr/bin/env bash
# Retain Handling 1: retained messages are sent only if the subscription did not exist
# [MQTT-3.3.1-10]: on the first SUBSCRIBE, not on a repeated one, again after UNSUBSCRIBE.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("rh1-pub")
    publish5_ok(p, "rh1/t", "kept", qos=1, retain=True)
    s = subscriber5("rh1-sub", [("rh1/#", sub_opts(1, rh=1))], sub_pid=1)
    check_eq([b"kept"], [m["payload"] for m in collect_publishes(s, 0.7)], "first SUBSCRIBE")
    subscribe5_ok(s, [("rh1/#", sub_opts(1, rh=1))], pid=2)
    check_eq([], collect_publishes(s, 0.7), "repeated SUBSCRIBE")
    unsubscribe5_ok(s, ["rh1/#"], pid=3)
    subscribe5_ok(s, [("rh1/#", sub_opts(1, rh=1))], pid=4)
    check_eq([b"kept"], [m["payload"] for m in collect_publishes(s, 0.7)], "SUBSCRIBE after UNSUBSCRIBE")
    publish5_ok(p, "rh1/t", "", qos=1, pid=2, retain=True)
PY
