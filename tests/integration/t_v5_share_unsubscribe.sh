#!/usr/bin/env bash
# A member that unsubscribes leaves the group: afterwards every message goes to the remaining
# member; UNSUBACK 0x00 for the shared filter.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("shu-a"); b, _ = client5("shu-b")
    subscribe5_ok(a, [("$share/g/shu/t", 1)])
    subscribe5_ok(b, [("$share/g/shu/t", 1)])
    check_eq([0], unsubscribe5_ok(a, ["$share/g/shu/t"]), "UNSUBACK")
    p, _ = client5("shu-pub")
    for i in range(4):
        publish5_ok(p, "shu/t", "m%d" % i, qos=1, pid=i + 1)
    check_eq([b"m%d" % i for i in range(4)], [m["payload"] for m in collect_publishes(b, 1.0)], "remaining member")
    check_eq([], collect_publishes(a, 0.2), "member that left")
PY
