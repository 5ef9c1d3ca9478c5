#!/usr/bin/env bash
# Each share group and each non-shared subscription gets its own copy (4.8.2): groups g1 (two
# members) and g2 (one member) on shg/#, plus a plain subscriber -> per message one copy in g1,
# one in g2, one plain.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    g1a, _ = client5("shg-1a"); g1b, _ = client5("shg-1b"); g2, _ = client5("shg-2"); pl, _ = client5("shg-plain")
    for c in (g1a, g1b):
        subscribe5_ok(c, [("$share/g1/shg/#", 1)])
    subscribe5_ok(g2, [("$share/g2/shg/#", 1)])
    subscribe5_ok(pl, [("shg/#", 1)])
    p, _ = client5("shg-pub")
    for i in range(6):
        publish5_ok(p, "shg/t", "m%d" % i, qos=1, pid=i + 1)
    want = sorted(b"m%d" % i for i in range(6))
    g1 = [m["payload"] for m in collect_publishes(g1a, 1.0) + collect_publishes(g1b, 0.2)]
    check_eq(want, sorted(g1), "group g1")
    check_eq(want, sorted(m["payload"] for m in collect_publishes(g2, 0.2)), "group g2")
    check_eq(want, sorted(m["payload"] for m in collect_publishes(pl, 0.2)), "plain subscriber")
PY
