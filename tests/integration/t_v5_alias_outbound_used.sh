#!/usr/bin/env bash
# broker: mqttgwd
# Outbound topic aliases when the client allows them (Topic Alias Maximum 3 in CONNECT): the first
# PUBLISH on a topic carries topic + alias, later ones on that topic an empty topic + the same
# alias; aliases stay within 1..3 [MQTT-3.1.2-26], [MQTT-3.3.2-11]; every message resolves to its
# topic. Mosquitto 2.0.11 never assigns outbound aliases (the server MAY), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("ao-sub", [("ao/#", 1)], props=[(TOPIC_ALIAS_MAX, 3)])
    p, _ = client5("ao-pub")
    topics = ["ao/a", "ao/b", "ao/a", "ao/a", "ao/b"]
    for i, tp in enumerate(topics):
        publish5_ok(p, tp, "m%d" % i, qos=1, pid=i + 1)
    amap = AliasMap(3)
    got = collect_publishes(s, 1.0)
    check_eq(topics, [amap.resolve(m) for m in got], "resolved topics")
    check_eq([m["payload"] for m in got], [b"m%d" % i for i in range(5)], "order")
    first_a, first_b = got[0], got[1]
    check(first_a["topic"] == "ao/a" and first_a["props"].has(TOPIC_ALIAS), "first ao/a: topic + alias %r" % first_a)
    for m in got[2:]:
        check_eq("", m["topic"], "later PUBLISH uses the alias alone (%r)" % m["payload"])
PY
