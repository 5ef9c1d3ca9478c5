#!/usr/bin/env bash
# broker: mqttgwd
# A shared-subscription member leaves (Session Expiry 0) holding QoS 2 messages: the ones
# already sent to it (PUBREC or not) are never sent to another member [MQTT-4.8.2-5]; the ones
# still queued for it (beyond its Receive Maximum: never in the process of being sent) go to
# the other member once, in order (4.8.2), with that member's own Subscription Identifier, the
# remaining Message Expiry Interval and the user properties. mqttgwd only (Mosquitto 2.0.11
# does not hand queued messages over).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    a, _ = client5("shq-a", props=[(RECEIVE_MAX, 2)])
    b, _ = client5("shq-b")
    subscribe5_ok(a, [("$share/g/shq/t", 2)], props=[(SUBSCRIPTION_ID, 5)])
    subscribe5_ok(b, [("$share/g/shq/t", 2)], props=[(SUBSCRIPTION_ID, 9)])
    p, _ = client5("shq-pub")
    for i in range(8):
        publish5_ok(p, "shq/t", "m%d" % i, qos=2, pid=i + 1,
                    props=[(MESSAGE_EXPIRY, 60), (USER_PROPERTY, ("k", "v%d" % i))])
    held = collect_publishes(a, 1.0, ack=False)
    first = collect_publishes(b, 0.3)
    check_eq([b"m0", b"m2"], payloads(held), "a's window (Receive Maximum 2); m4, m6 queued")
    check_eq([b"m1", b"m3", b"m5", b"m7"], payloads(first), "b's share")
    # PUBREC for a's first message: delivered; the second stays unacknowledged
    a.send(pubrec5(held[0]["pid"]))
    rel = ack_of(a.expect(PUBREL))
    check_eq(held[0]["pid"], rel["pid"], "PUBREL packet id")
    time.sleep(1.2)  # the expiry interval counts down meanwhile
    a.close()  # session ends (Session Expiry 0)
    again = collect_publishes(b, 2.0)
    check_eq([b"m4", b"m6"], payloads(again),
             "the queued messages once each, in order; none that a was sent [MQTT-4.8.2-5]")
    for m in again:
        check_eq(2, m["qos"], "QoS of a handed-over message")
        check(not m["dup"], "a first delivery to b has DUP 0")
        check_eq([9], m["props"].all(SUBSCRIPTION_ID), "the new member's Subscription Identifier")
        exp = m["props"].get(MESSAGE_EXPIRY)
        check(exp is not None and 55 <= exp <= 59, "remaining Message Expiry %r" % exp)
        i = int(m["payload"][1:])
        check_eq([("k", "v%d" % i)], m["props"].all(USER_PROPERTY), "user property kept")
    check_eq([], collect_publishes(b, 0.5), "nothing more")
PY
