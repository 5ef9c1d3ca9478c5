#!/usr/bin/env bash
# The server never sends a Topic Alias above the client's Topic Alias Maximum [MQTT-3.1.2-26],
# [MQTT-3.3.2-11] nor alias 0 [MQTT-3.3.2-8]: with maximum 2 and six topics published twice each,
# every alias is 1 or 2 and every message resolves to the topic it was published on.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("al-sub", [("al/#", 0)], props=[(TOPIC_ALIAS_MAX, 2)])
    p, _ = client5("al-pub")
    topics = ["al/%d" % (i % 6) for i in range(12)]
    for i, tp in enumerate(topics):
        p.send(publish5(tp, "m%d" % i))
    amap = AliasMap(2)
    got = collect_publishes(s, 1.5)
    check_eq(list(zip(topics, ["m%d" % i for i in range(12)])),
             [(amap.resolve(m), m["payload"].decode()) for m in got], "resolved topics")
PY
