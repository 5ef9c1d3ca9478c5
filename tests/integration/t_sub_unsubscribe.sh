#!/usr/bin/env bash
# UNSUBSCRIBE stops delivery on that filter only: UNSUBACK echoes the packet id [MQTT-3.10.4-4];
# later publishes to it are not delivered, other subscriptions still are; unsubscribing a filter
# that was never subscribed still gets an UNSUBACK [MQTT-3.10.4-5].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    c, _ = client("unsub")
    check_eq([0, 0], subscribe_ok(c, [("us/a", 0), ("us/+/b", 0)]), "SUBACK")
    p, _ = client("unsub-pub")
    p.send(publish("us/a", "1") + publish("us/x/b", "2"))
    got = sorted(c.expect(PUBLISH).publish()["payload"] for _ in range(2))
    check_eq([b"1", b"2"], got, "before UNSUBSCRIBE")
    c.send(unsubscribe(0x4242, ["us/a"]))
    check_eq(0x4242, c.expect(UNSUBACK).pid(), "UNSUBACK packet id")
    p.send(publish("us/a", "3") + publish("us/x/b", "4"))
    m = c.expect(PUBLISH).publish()
    check_eq(("us/x/b", b"4"), (m["topic"], m["payload"]), "only the remaining subscription")
    c.expect_nothing(1.0)
    c.send(unsubscribe(7, ["never/subscribed"]))
    check_eq(7, c.expect(UNSUBACK).pid(), "UNSUBACK for an unknown filter")
    c.send(unsubscribe(8, ["us/+/b"]))
    check_eq(8, c.expect(UNSUBACK).pid(), "UNSUBACK packet id")
    p.send(publish("us/a", "5") + publish("us/x/b", "6"))
    c.expect_nothing(1.0)
    c.send(pingreq()); c.expect(PINGRESP)
PY
