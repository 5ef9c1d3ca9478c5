#!/usr/bin/env bash
# broker: mqttgwd
# `shared_subscription_strategy` (mqttgw's key, EMQX's name; Mosquitto has none), with two members
# a and b of $share/g/ss/# and QoS 1 messages on 11 topics, 5 each, published round by round
# (11: round robin then sends a topic's messages to both members):
#  - hash_topic: every message of a topic goes to the same member, in publish order; both
#    members get some topics;
#  - sticky: every message goes to one member; when that member leaves (session ends), the rest
#    goes to the other;
#  - random: both members get some, each message exactly once;
#  - round_robin (the default): the members alternate message by message (28 and 27).
# Each message reaches the group exactly once (4.8.2) whatever the strategy.
# timeout: 40
. "$(dirname "$0")/lib.sh"
start_broker
run_strategy() {
	sed -i '/^shared_subscription_strategy /d' "$BROKER_CONF"
	[ "$1" = default ] || echo "shared_subscription_strategy $1" >>"$BROKER_CONF"
	restart_broker
	py - "$1" <<'PY'
import sys
from mqtt5raw import *
S = sys.argv[1]
TOPICS = ["ss/t%d" % i for i in range(11)]

def t():
    a, _ = client5("ss-a")
    b, _ = client5("ss-b")
    subscribe5_ok(a, [("$share/g/ss/#", 1)])
    subscribe5_ok(b, [("$share/g/ss/#", 1)])
    p, _ = client5("ss-pub")
    pid = 0
    sent = []
    for r in range(5):
        for tp in TOPICS:
            pid += 1
            publish5_ok(p, tp, "%s:%d" % (tp, r), qos=1, pid=pid)
            sent.append((tp, "%s:%d" % (tp, r)))
        if S == "sticky" and r == 2:
            # the member that has everything so far leaves; the rest goes to the other
            got = {"a": payloads(a), "b": payloads(b)}
            check(bool(got["a"]) != bool(got["b"]), "sticky: one member only: %r" % got)
            first = "a" if got["a"] else "b"
            check_eq(33, len(got[first]), "sticky: messages at %s" % first)
            (a if first == "a" else b).close()
            keep = b if first == "a" else a
            before = got[first]
    if S == "sticky":
        rest = payloads(keep)
        check_eq(22, len(rest), "sticky: the rest at the other member")
        check_eq(sorted(p for _, p in sent), sorted(before + rest), "sticky: each message once")
        return
    ga, gb = payloads(a), payloads(b)
    check_eq(sorted(p for _, p in sent), sorted(ga + gb), "%s: each message exactly once" % S)
    check(ga and gb, "%s: both members get messages: a=%d b=%d" % (S, len(ga), len(gb)))
    if S == "hash_topic":
        for tp in TOPICS:
            at_a = [x for x in ga if x.startswith(tp + ":")]
            at_b = [x for x in gb if x.startswith(tp + ":")]
            check(not at_a or not at_b, "hash_topic: %s at both members: %r %r" % (tp, at_a, at_b))
            check_eq(["%s:%d" % (tp, r) for r in range(5)], at_a or at_b, "hash_topic: %s in order" % tp)
    if S == "default":
        check_eq(28, len(ga), "round robin: a, first in line, gets one more")
        check_eq(27, len(gb), "round robin: b")

def payloads(c):
    return [m["payload"].decode() for m in collect_publishes(c, 0.7)]

main(t)
PY
}
for s in hash_topic sticky random default; do
	run_strategy "$s" || fail "strategy $s"
done
