#!/usr/bin/env bash
# Shared subscription $share/g/shr/t with two members: each message goes to exactly one member
# (4.8.2), alternating (round robin): ten QoS 1 messages, five each, none twice, none lost.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("shr-a"); b, _ = client5("shr-b")
    check_eq([1], subscribe5_ok(a, [("$share/g/shr/t", 1)]), "SUBACK a")
    check_eq([1], subscribe5_ok(b, [("$share/g/shr/t", 1)]), "SUBACK b")
    p, _ = client5("shr-pub")
    for i in range(10):
        publish5_ok(p, "shr/t", "m%d" % i, qos=1, pid=i + 1)
    ga = [m["payload"].decode() for m in collect_publishes(a, 1.0)]
    gb = [m["payload"].decode() for m in collect_publishes(b, 0.3)]
    check_eq(sorted("m%d" % i for i in range(10)), sorted(ga + gb), "every message exactly once")
    check_eq((5, 5), (len(ga), len(gb)), "split between the members (a=%r b=%r)" % (ga, gb))
    check(ga in (["m%d" % i for i in range(0, 10, 2)], ["m%d" % i for i in range(1, 10, 2)]),
          "round robin: a got %r" % ga)
PY
