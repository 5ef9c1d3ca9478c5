#!/usr/bin/env bash
# In a shared subscription a member answering PUBACK with a reason code of 0x80 or more makes the
# server discard the message, not send it to another member [MQTT-4.8.2-6].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("sae-a"); b, _ = client5("sae-b")
    subscribe5_ok(a, [("$share/g/sae/t", 1)])
    subscribe5_ok(b, [("$share/g/sae/t", 1)])
    p, _ = client5("sae-pub")
    for i in range(4):
        publish5_ok(p, "sae/t", "m%d" % i, qos=1, pid=i + 1)
    ga = collect_publishes(a, 1.0, ack=False)
    for m in ga:
        a.send(puback5(m["pid"], RC_IMPL_SPECIFIC))
    gb = collect_publishes(b, 0.3)
    check_eq(4, len(ga) + len(gb), "deliveries (a=%d b=%d)" % (len(ga), len(gb)))
    check(ga, "member a got nothing")
    b.expect_nothing(1.0)  # the refused messages are not passed on
    a.expect_nothing(0.3)
PY
