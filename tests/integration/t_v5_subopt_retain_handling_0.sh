#!/usr/bin/env bash
# Retain Handling 0: retained messages are sent on every SUBSCRIBE, also when the subscription
# already existed [MQTT-3.3.1-9], [MQTT-3.8.4-4], with RETAIN 1; replacing the subscription does not
# lose live messages [MQTT-3.8.4-4].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("rh0-pub")
    publish5_ok(p, "rh0/t", "kept", qos=1, retain=True)
    s, _ = client5("rh0-sub")
    for n in (1, 2):
        subscribe5_ok(s, [("rh0/#", sub_opts(1, rh=0))], pid=n)
        got = collect_publishes(s, 0.7)
        check_eq([("rh0/t", b"kept", True)], [(m["topic"], m["payload"], m["retain"]) for m in got],
                 "retained message on SUBSCRIBE %d" % n)
    publish5_ok(p, "rh0/t", "live", qos=1, pid=2)
    m = recv_publish(s)
    check_eq((b"live", False), (m["payload"], m["retain"]), "live message after the replacement")
    publish5_ok(p, "rh0/t", "", qos=1, pid=3, retain=True)
PY
