#!/usr/bin/env bash
# Topic filters and names with v5 clients (one subscriber per filter): '+' matches one whole level, '#' the rest including the
# parent [MQTT-4.7.1-1], [MQTT-4.7.1-2]; filters starting with a wildcard do not match topics
# starting with '$' [MQTT-4.7.2-1]; the delivered topic name is the published one and matches the
# filter [MQTT-3.3.2-3]; a 65535-byte topic name works [MQTT-4.7.3-3]; a zero-length filter makes
# the SUBSCRIBE malformed: DISCONNECT 0x81 [MQTT-4.7.3-1] (more in t_v5_subscribe_malformed_filter).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    filters = ("tm/+/x", "tm/a/#", "+/dollar", "#")
    subs = []
    for i, f in enumerate(filters):
        c = subscriber5("tm-%d" % i, [(f, 0)])
        subs.append(c)
    p, _ = client5("tm-pub")
    long_topic = "tm/" + "L" * (65535 - 3)
    for tp in ("tm/a/x", "tm/a", "tm/b/c/x", "$tm/dollar", long_topic):
        publish5_ok(p, tp, "m", qos=0)
    short = lambda tp: tp if len(tp) < 100 else "<%d-byte topic, %s>" % (len(tp), "ok" if tp == long_topic else "changed")
    want = {"tm/+/x": ["tm/a/x"], "tm/a/#": ["tm/a/x", "tm/a"], "+/dollar": [],
            "#": ["tm/a/x", "tm/a", "tm/b/c/x", short(long_topic)]}
    for f, c in zip(filters, subs):
        got = [short(m["topic"]) for m in collect_publishes(c, 0.5)]
        check_eq(want[f], got, "deliveries for %s" % f)
    s = subs[0]
    s.send(subscribe5(2, [("", 0)]))
    expect_disconnect(s, RC_MALFORMED)
PY
