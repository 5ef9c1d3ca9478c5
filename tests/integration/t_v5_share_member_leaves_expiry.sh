#!/usr/bin/env bash
# broker: mqttgwd
# A shared-subscription member with a persistent session (Session Expiry 1 s) goes offline
# holding QoS 1 messages in flight and queued (Receive Maximum 2): they stay with its session
# while it lives, and when it expires they go to the other member, in flight first then
# queued, in order (4.8.2). Then, with the other member offline but persistent, a leaving
# member's messages are queued for it and arrive when it reconnects. Last, a take-over with
# Clean Start discards a member's session: its messages go to the group. mqttgwd only (a SHOULD).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    a, _ = client5("she-a", props=[(SESSION_EXPIRY, 1), (RECEIVE_MAX, 2)])
    b, _ = client5("she-b", props=[(SESSION_EXPIRY, 300)])
    subscribe5_ok(a, [("$share/g/she/t", 1)])
    subscribe5_ok(b, [("$share/g/she/t", 1)])
    p, _ = client5("she-pub")
    for i in range(10):
        publish5_ok(p, "she/t", "m%d" % i, qos=1, pid=i + 1)
    held = collect_publishes(a, 1.0, ack=False)
    first = collect_publishes(b, 0.3)
    check_eq([b"m0", b"m2"], payloads(held), "a's window (Receive Maximum 2)")
    check_eq([b"m1", b"m3", b"m5", b"m7", b"m9"], payloads(first), "b's share")
    a.close()
    check_eq([], payloads(collect_publishes(b, 0.5)), "nothing handed over while a's session lives")
    again = collect_publishes(b, 3.0)
    check_eq([b"m0", b"m2", b"m4", b"m6", b"m8"], payloads(again), "a's messages after its expiry")

    # b offline (persistent): a leaving member's messages queue for b
    b.send(disconnect5())
    b.close()
    c = subscriber5("she-c", [("$share/g/she/t", 1)])
    for i in range(3):
        publish5_ok(p, "she/t", "n%d" % i, qos=1, pid=i + 1)
    check_eq([b"n0", b"n1", b"n2"], payloads(collect_publishes(c, 1.0, ack=False)), "c got all")
    c.close()
    b, _ = client5("she-b", clean=False, props=[(SESSION_EXPIRY, 300)], expect_present=True)
    check_eq([b"n0", b"n1", b"n2"], payloads(collect_publishes(b, 1.5)), "queued for offline b")

    # a connected persistent member is taken over with Clean Start: its session is discarded
    d = subscriber5("she-d", [("$share/g/she/t", 1)], props=[(SESSION_EXPIRY, 300)])
    for i in range(4):
        publish5_ok(p, "she/t", "k%d" % i, qos=1, pid=i + 1)
    kept = payloads(collect_publishes(d, 1.0, ack=False))
    check_eq(4, len(kept) + len(payloads(collect_publishes(b, 0.3))), "k0..k3 split between b and d")
    check(kept, "d got none of k0..k3")
    d2, _ = client5("she-d", clean=True)
    expect_disconnect(d, RC_SESSION_TAKEN_OVER)
    check_eq(kept, payloads(collect_publishes(b, 1.5)), "d's messages after the clean take-over")
PY
