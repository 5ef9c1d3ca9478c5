#!/usr/bin/env bash
# A QoS 2 message of a shared subscription whose delivery to the chosen member was interrupted is
# completed to that member when it reconnects [MQTT-4.8.2-4] (DUP resend), never given to another
# member [MQTT-4.8.2-5].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    a, _ = client5("sq2-a", clean=False, props=SEI)
    b, _ = client5("sq2-b")
    subscribe5_ok(a, [("$share/g/sq2/t", 2)])
    subscribe5_ok(b, [("$share/g/sq2/t", 2)])
    p, _ = client5("sq2-pub")
    publish5_ok(p, "sq2/t", "m0", qos=2, pid=1)
    publish5_ok(p, "sq2/t", "m1", qos=2, pid=2)
    ga = collect_publishes(a, 1.0, ack=False)
    gb = collect_publishes(b, 0.3)
    check_eq(1, len(ga), "member a's share (a=%r b=%r)" % ([m["payload"] for m in ga], [m["payload"] for m in gb]))
    a.close()  # before PUBREC
    b.expect_nothing(1.0)
    a, _ = client5("sq2-a", clean=False, props=SEI, expect_present=True)
    m = recv_publish(a)
    check_eq((ga[0]["payload"], True), (m["payload"], m["dup"]), "resent to the same member")
    b.expect_nothing(0.3)
PY
