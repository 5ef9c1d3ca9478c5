#!/usr/bin/env bash
# Request Problem Information 0: the server must not send a Reason String or User Property on any
# packet other than PUBLISH, CONNACK or DISCONNECT [MQTT-3.1.2-29]. Every acknowledgement the
# test provokes (PUBACK 0x10, PUBREC, PUBCOMP, PUBREL for unknown ids, SUBACK, UNSUBACK 0x11) comes
# without them; the PUBLISH keeps the publisher's User Properties.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def no_problem_info(p, what):
    props = ack_of(p)["props"] if p.type in (PUBACK, PUBREC, PUBREL, PUBCOMP) else suback_of(p)["props"]
    check(not props.has(REASON_STRING) and not props.has(USER_PROPERTY),
          "%s carries problem information: %r [MQTT-3.1.2-29]" % (what, props))
def t():
    c, _ = client5("rpi0", props=[(REQUEST_PROBLEM_INFO, 0)])
    c.send(publish5("rpi/none", "x", qos=1, pid=1)); no_problem_info(c.expect(PUBACK), "PUBACK")
    c.send(publish5("rpi/none", "x", qos=2, pid=2)); no_problem_info(c.expect(PUBREC), "PUBREC")
    c.send(pubrel5(2)); no_problem_info(c.expect(PUBCOMP), "PUBCOMP")
    c.send(pubrel5(99)); no_problem_info(c.expect(PUBCOMP), "PUBCOMP (unknown id)")
    c.send(pubrec5(98)); no_problem_info(c.expect(PUBREL), "PUBREL (unknown id)")
    c.send(subscribe5(3, [("rpi/t", 1)])); no_problem_info(c.expect(SUBACK), "SUBACK")
    c.send(unsubscribe5(4, ["rpi/nothing"])); no_problem_info(c.expect(UNSUBACK), "UNSUBACK")
    p, _ = client5("rpi-pub")
    publish5_ok(p, "rpi/t", "up", qos=1, props=[(USER_PROPERTY, ("k", "v"))])
    m = recv_publish(c)
    check_eq([("k", "v")], m["props"].all(USER_PROPERTY), "User Property of the PUBLISH")
PY
