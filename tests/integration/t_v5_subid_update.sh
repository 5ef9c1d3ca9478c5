#!/usr/bin/env bash
# Subscribing again to the same filter replaces the subscription [MQTT-3.8.4-3], identifier
# included: id 4 then id 9 -> deliveries carry only 9; then no identifier -> none.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s, _ = client5("siu")
    p, _ = client5("siu-pub")
    for pid, props, want in ((1, [(SUBSCRIPTION_ID, 4)], [4]), (2, [(SUBSCRIPTION_ID, 9)], [9]), (3, None, [])):
        subscribe5_ok(s, [("siu/t", 1)], pid=pid, props=props)
        publish5_ok(p, "siu/t", "m%d" % pid, qos=1, pid=pid)
        got = collect_publishes(s, 0.7)
        check_eq([("m%d" % pid, want)], [(m["payload"].decode(), m["props"].all(SUBSCRIPTION_ID)) for m in got],
                 "after SUBSCRIBE %d" % pid)
PY
