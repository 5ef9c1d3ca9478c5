#!/usr/bin/env bash
# A client that sent no Topic Alias Maximum (0) never gets a Topic Alias [MQTT-3.1.2-27], not even
# when the publisher used aliases: every PUBLISH has the full topic and no alias property.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("an-sub", [("an/#", 0)])
    p, _ = client5("an-pub")
    for i in range(4):
        p.send(publish5("an/t" if i == 0 else "", "m%d" % i, props=[(TOPIC_ALIAS, 1)]))
    got = collect_publishes(s, 1.0)
    check_eq([("an/t", b"m%d" % i) for i in range(4)], [(m["topic"], m["payload"]) for m in got], "deliveries")
    for m in got:
        check(not m["props"].has(TOPIC_ALIAS), "Topic Alias sent: %r" % m)
PY
