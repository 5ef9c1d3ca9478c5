#!/usr/bin/env bash
# The server never sends a client a packet larger than its Maximum Packet Size [MQTT-3.1.2-24]: a
# message that would not fit is dropped for that client [MQTT-3.1.2-25] - whether the payload or
# the properties make it too large - while smaller ones still arrive, in order, and the connection
# stays up. Another subscriber without a limit gets everything.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    small = subscriber5("mpc-small", [("mpc/#", 1)], props=[(MAX_PACKET_SIZE, 100)])
    big = subscriber5("mpc-big", [("mpc/#", 1)])
    p, _ = client5("mpc-pub")
    msgs = (("ok1", b"a", None), ("payload", b"P" * 150, None),
            ("props", b"b", [(USER_PROPERTY, ("k", "v" * 120))]), ("ok2", b"c", None))
    for q in (0, 1):
        for i, (name, payload, props) in enumerate(msgs):
            publish5_ok(p, "mpc/%s" % name, payload, qos=q, pid=i + 1, props=props)
        got = collect_publishes(small, 1.0)
        check_eq(["mpc/ok1", "mpc/ok2"], [m["topic"] for m in got], "QoS %d: delivered to the 100-byte client" % q)
        got = collect_publishes(big, 1.0)
        check_eq(["mpc/" + n for n, _, _ in msgs], [m["topic"] for m in got], "QoS %d: delivered without a limit" % q)
    small.send(pingreq())
    small.expect(PINGRESP)
PY
