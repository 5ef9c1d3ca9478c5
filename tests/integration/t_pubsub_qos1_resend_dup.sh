#!/usr/bin/env bash
# Outbound QoS 1 resend: a raw subscriber (CleanSession 0) receives two QoS 1 PUBLISHes, sends no
# PUBACK and drops the connection; on reconnect (session present 1) the broker re-sends both, in
# order, with DUP 1 and the same packet ids [MQTT-4.4.0-1, MQTT-3.3.1-1]; after PUBACK nothing
# more is re-sent.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    r, sp = client("rs-sub", clean=False)
    check_eq([1], subscribe_ok(r, [("rs/t", 1)]), "SUBACK")
    p, _ = client("rs-pub")
    for i, pid in ((1, 3), (2, 4)):
        p.send(publish("rs/t", "m%d" % i, qos=1, pid=pid))
        check_eq(pid, p.expect(PUBACK).pid(), "publisher PUBACK")
    first = [r.expect(PUBLISH).publish() for _ in range(2)]
    check_eq([b"m1", b"m2"], [m["payload"] for m in first], "first delivery")
    check_eq([False, False], [m["dup"] for m in first], "first delivery DUP")
    r.abort()
    r, sp = client("rs-sub", clean=False)
    check_eq(True, sp, "session present")
    again = [r.expect(PUBLISH).publish() for _ in range(2)]
    check_eq([b"m1", b"m2"], [m["payload"] for m in again], "re-sent payloads, in order")
    check_eq([True, True], [m["dup"] for m in again], "re-sent DUP flags")
    check_eq([1, 1], [m["qos"] for m in again], "re-sent QoS")
    check_eq([m["pid"] for m in first], [m["pid"] for m in again], "re-sent packet ids")
    for m in again:
        r.send(puback(m["pid"]))
    r.expect_nothing(1.0)
    r.send(disconnect())
PY
