#!/usr/bin/env bash
# Topic wildcard matrix [MQTT-4.7.1]: one subscriber per filter, one publish per topic; each
# subscriber receives exactly the topics its filter matches (incl. empty levels, '#' matching the
# parent level, '+' matching an empty level).
. "$(dirname "$0")/lib.sh"
py_test mqttc <<'PY'
import time
TOPICS = ["a", "a/b", "a/c", "a/b/c", "a/x/c", "b/b", "/b", "a/", "a//c", "x"]
EXPECT = {
    "a/b":   {"a/b"},
    "a/+":   {"a/b", "a/c", "a/"},
    "a/#":   {"a", "a/b", "a/c", "a/b/c", "a/x/c", "a/", "a//c"},
    "+/+":   {"a/b", "a/c", "b/b", "/b", "a/"},
    "+/b":   {"a/b", "b/b", "/b"},
    "#":     set(TOPICS),
    "a/+/c": {"a/b/c", "a/x/c", "a//c"},
    "+/+/+": {"a/b/c", "a/x/c", "a//c"},
    "a/b/#": {"a/b", "a/b/c"},
    "+":     {"a", "x"},
    "/+":    {"/b"},
    "+/":    {"a/"},
    "a//c":  {"a//c"},
    "+/#":   set(TOPICS),
}
def t():
    subs = {}
    for i, flt in enumerate(EXPECT):
        c = Client("wc%d" % i)
        c.connect()
        check_eq([1], c.subscribe([(flt, 1)]), "SUBACK for %r" % flt)
        subs[flt] = c
    p = Client("wc-pub")
    p.connect()
    for topic in TOPICS:
        p.publish(topic, topic, qos=1)
    time.sleep(1.0)
    bad = []
    for flt, c in subs.items():
        got = [m.topic for m in c.drain()]
        if sorted(got) != sorted(EXPECT[flt]):
            bad.append("%r: expected %s, got %s" % (flt, sorted(EXPECT[flt]), sorted(got)))
    check(not bad, "wildcard mismatches:\n  " + "\n  ".join(bad))
PY
