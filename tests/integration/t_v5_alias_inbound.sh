#!/usr/bin/env bash
# Inbound topic aliases within the server's Topic Alias Maximum (CONNACK) are accepted
# [MQTT-3.3.2-12]: PUBLISH with topic + alias sets the mapping, PUBLISH with an empty topic + alias
# uses it, a new topic + same alias remaps it; alias 1 and alias = maximum both work. Subscribers
# get the full topic names and no Topic Alias of the publisher.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("ai-sub", [("ai/#", 1)])
    p, ack = client5("ai-pub")
    top = ack["props"].get(TOPIC_ALIAS_MAX, 0)
    check(top >= 2, "Topic Alias Maximum %r: this test needs at least 2" % top)
    seq = (("ai/one", 1, "set 1"), ("", 1, "use 1"), ("ai/max", top, "set max"), ("", top, "use max"),
           ("ai/two", 1, "remap 1"), ("", 1, "use remapped 1"), ("", top, "use max again"))
    for i, (topic, alias, what) in enumerate(seq):
        publish5_ok(p, topic, what, qos=1, pid=i + 1, props=[(TOPIC_ALIAS, alias)])
    want = ["ai/one", "ai/one", "ai/max", "ai/max", "ai/two", "ai/two", "ai/max"]
    got = collect_publishes(s, 1.0)
    check_eq(list(zip(want, [w for _, _, w in seq])), [(m["topic"], m["payload"].decode()) for m in got],
             "delivered topics")
    for m in got:
        check(not m["props"].has(TOPIC_ALIAS), "Topic Alias sent to a client without Topic Alias Maximum")
PY
