#!/usr/bin/env bash
# broker: mqttgwd
# Retained messages are not sent on a new shared subscription: 3.3.1.3 sends them "when a new
# Non-shared Subscription is made", and 4.8.2 excludes them for shared ones; live messages are
# delivered to the member. Mosquitto 2.0.11 sends the retained message to the shared subscriber,
# hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("shn-pub")
    publish5_ok(p, "shn/t", "kept", qos=1, retain=True)
    s = subscriber5("shn", [("$share/g/shn/#", 1)])
    check_eq([], collect_publishes(s, 1.0), "retained messages on a shared subscription")
    publish5_ok(p, "shn/t", "live", qos=1, pid=2)
    check_eq(b"live", recv_publish(s)["payload"], "live message")
    publish5_ok(p, "shn/t", "", qos=1, pid=3, retain=True)
PY
