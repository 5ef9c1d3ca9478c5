#!/usr/bin/env bash
# PUBACK carries a reason code (3.4.2.1): 0x10 (No matching subscribers) for a QoS 1 message
# nobody subscribed to, 0x00 once a subscription matches; the subscriber gets only the second.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    p, _ = client5("ra-pub")
    check_eq(hexs(RC_NO_MATCHING_SUBSCRIBERS), hexs(publish5_ok(p, "ra/t", "nobody", qos=1, pid=1)),
             "PUBACK reason code without subscribers")
    s = subscriber5("ra-sub", [("ra/#", 1)])
    check_eq(hexs(RC_SUCCESS), hexs(publish5_ok(p, "ra/t", "someone", qos=1, pid=2)),
             "PUBACK reason code with a subscriber")
    m = recv_publish(s)
    check_eq(b"someone", m["payload"], "delivered")
    s.expect_nothing(0.5)
PY
