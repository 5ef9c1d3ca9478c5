"""Invariant 4 of the kernel fast path, one rule per function (t_fastpath_spec_<rule>.sh).

Each rule first shows that an eligible flow does take the kernel path (the broker's
$SYS/broker/fastpath/redirected/frames moves), then sends what the rule excludes and shows
that it took the daemon's path (redirected does not move; where the verdict itself decides,
the passed/<reason> counter does) and arrived exactly as MQTT requires.

    fpspec.py RULE        FP_EXPECT=1: the broker runs with the kernel fast path (counters are
                          checked); FP_EXPECT=0: fastpath off, only what the clients see is.
"""

import os
import sys
import time

import fpload
from mqtt5raw import (MAX_PACKET_SIZE, SUBSCRIPTION_ID, TOPIC_ALIAS, client5, publish5,
                      publish_of, sub_opts, subscribe5_ok, unsubscribe5_ok)
from mqttraw import (PUBLISH, TestFailure, check, check_eq, client, log, publish, subscribe,
                     unsubscribe)

FP = os.environ.get("FP_EXPECT", "1") == "1"


def counters():
    if not FP:
        return {}
    v = fpload.sys_cycle()
    check_eq("1", v.get("fastpath/active"), "$SYS/broker/fastpath/active")
    return {k[len("fastpath/"):]: int(x) for k, x in v.items() if k.startswith("fastpath/")}


def delta(a, b, key):
    return b.get(key, 0) - a.get(key, 0)


def expect_redirected(a, b, what, at_least=1):
    if FP:
        d = delta(a, b, "redirected/frames")
        check(d >= at_least, "%s: %d frames took the kernel path, expected >= %d" % (what, d, at_least))
        log("%s: %d frames relayed in the kernel" % (what, d))


def expect_daemon(a, b, what, reason=None, at_least=1):
    if FP:
        d = delta(a, b, "redirected/frames")
        check_eq(0, d, "%s: frames relayed in the kernel" % what)
        if reason:
            p = delta(a, b, "passed/%s/frames" % reason)
            check(p >= at_least, "%s: passed/%s/frames moved by %d, expected >= %d"
                  % (what, reason, p, at_least))
        log("%s: daemon's path" % what)


def recv_v3(c, timeout=5.0):
    m = c.expect(PUBLISH, timeout).publish()
    m["payload"] = bytes(m["payload"])
    return m


def recv5(c, timeout=5.0):
    return publish_of(c.expect(PUBLISH, timeout))


def send_many(pub, topic, payloads, v5=False, gap=0.03, **kw):
    for pl in payloads:
        pub.send(publish5(topic, pl, **kw) if v5 else publish(topic, pl, **kw))
        time.sleep(gap)


def pl(tag, i):
    return ("%s-%03d" % (tag, i)).encode()


def establish(pub, sub, topic, v5_pub=False, v5_sub=False, tag="warm", n=6):
    """Eligible traffic pub -> sub on topic: every message arrives, and (with the fast path)
    some after the first take the kernel path. Returns the counters afterwards."""
    a = counters()
    msgs = [pl(tag, i) for i in range(n)]
    send_many(pub, topic, msgs, v5=v5_pub)
    for m in msgs:
        got = recv5(sub) if v5_sub else recv_v3(sub)
        check_eq((topic, m), (got["topic"], got["payload"]), "eligible message")
        if v5_sub:
            check_eq([], list(got["props"]), "properties of a plain message")
    b = counters()
    expect_redirected(a, b, "eligible %s -> %s" % ("v5" if v5_pub else "v3", "v5" if v5_sub else "v3"))
    return b


# ---- the rules ----

def rule_retain():
    """RETAIN=1 is the daemon's: it stores the message, and a live subscriber gets RETAIN 0."""
    s, _ = client("fs-retain-s")
    s.send(subscribe(1, [("fp/r", 0)]))
    s.expect(9)
    p, _ = client("fs-retain-p")
    a = establish(p, s, "fp/r")
    p.send(publish("fp/r", b"kept", retain=True))
    m = recv_v3(s)
    check_eq((b"kept", False), (m["payload"], m["retain"]),
             "live delivery of a retained PUBLISH: RETAIN cleared [MQTT-3.3.1-12]")
    b = counters()
    expect_daemon(a, b, "RETAIN=1", reason="retain")
    s2, _ = client("fs-retain-s2")
    s2.send(subscribe(1, [("fp/r", 0)]))
    s2.expect(9)
    m = recv_v3(s2)
    check_eq((b"kept", True), (m["payload"], m["retain"]), "stored retained message")


def rule_proto():
    """v5 -> v3.1.1 and v3.1.1 -> v5 are re-encoded by the daemon; v5 -> v5 plain may be relayed."""
    s3, _ = client("fs-proto-s3")
    s3.send(subscribe(1, [("fp/p3", 0)]))
    s3.expect(9)
    s5, _ = client5("fs-proto-s5")
    subscribe5_ok(s5, [("fp/p5", 0)])
    p5, _ = client5("fs-proto-p5")
    p3, _ = client("fs-proto-p3")
    a = counters()
    msgs = [pl("v5-to-v3", i) for i in range(6)]
    send_many(p5, "fp/p3", msgs, v5=True)
    for m in msgs:
        check_eq(m, recv_v3(s3)["payload"], "v5 PUBLISH to a v3.1.1 subscriber (no property bytes)")
    msgs = [pl("v3-to-v5", i) for i in range(6)]
    send_many(p3, "fp/p5", msgs)
    for m in msgs:
        got = recv5(s5)
        check_eq(m, got["payload"], "v3.1.1 PUBLISH to a v5 subscriber")
    b = counters()
    expect_daemon(a, b, "v5 <-> v3.1.1")
    establish(p5, s5, "fp/p5", v5_pub=True, v5_sub=True)


def rule_subid():
    """A subscription identifier must be added per delivery: the daemon's path."""
    s, _ = client5("fs-subid-s")
    subscribe5_ok(s, [("fp/s", 0)], props=[(SUBSCRIPTION_ID, 7)])
    p, _ = client5("fs-subid-p")
    a = counters()
    msgs = [pl("subid", i) for i in range(6)]
    send_many(p, "fp/s", msgs, v5=True)
    for m in msgs:
        got = recv5(s)
        check_eq(m, got["payload"], "payload")
        check_eq([7], got["props"].all(SUBSCRIPTION_ID), "Subscription Identifier [MQTT-3.3.4-3]")
    b = counters()
    expect_daemon(a, b, "subscription identifier")
    # the same subscription without an identifier is eligible
    subscribe5_ok(s, [("fp/s", 0)], pid=2)
    establish(p, s, "fp/s", v5_pub=True, v5_sub=True)


def rule_maxpacket():
    """A frame over the subscriber's Maximum Packet Size is not sent to it [MQTT-3.1.2-25]."""
    s, _ = client5("fs-maxp-s", props=[(MAX_PACKET_SIZE, 200)])
    subscribe5_ok(s, [("fp/m", 0)])
    p, _ = client5("fs-maxp-p")
    a = establish(p, s, "fp/m", v5_pub=True, v5_sub=True)
    big = b"B" * 300
    p.send(publish5("fp/m", big))
    time.sleep(0.05)
    p.send(publish5("fp/m", b"small-after"))
    got = recv5(s)
    check_eq(b"small-after", got["payload"], "the oversized message is dropped, the next arrives")
    s.expect_nothing(0.3)
    b = counters()
    if FP:
        check_eq(1, delta(a, b, "passed/too_large/frames"), "passed/too_large/frames")
        check(delta(a, b, "redirected/frames") >= 1, "the small message after it was relayed")


def rule_nolocal():
    """No Local: a client's own messages never come back, and never get a route to itself."""
    c, _ = client5("fs-nl-c")
    subscribe5_ok(c, [("fp/n", sub_opts(0, nl=True))])
    a = counters()
    send_many(c, "fp/n", [pl("own", i) for i in range(6)], v5=True)
    c.expect_nothing(0.5)
    b = counters()
    expect_daemon(a, b, "No Local")
    # another publisher's messages to the same subscription are eligible
    p, _ = client5("fs-nl-p")
    establish(p, c, "fp/n", v5_pub=True, v5_sub=True)


def rule_two_subs():
    """Two subscribers: the kernel cannot fan out; the route is dropped when the second comes
    and learned again when it leaves."""
    s1, _ = client("fs-two-s1")
    s1.send(subscribe(1, [("fp/t", 0)]))
    s1.expect(9)
    p, _ = client("fs-two-p")
    establish(p, s1, "fp/t", tag="one")
    s2, _ = client("fs-two-s2")
    s2.send(subscribe(1, [("fp/+", 0)]))
    s2.expect(9)
    a = counters()
    msgs = [pl("two", i) for i in range(6)]
    send_many(p, "fp/t", msgs)
    for m in msgs:
        check_eq(m, recv_v3(s1)["payload"], "first subscriber")
        check_eq(m, recv_v3(s2)["payload"], "second subscriber")
    b = counters()
    expect_daemon(a, b, "two subscribers")
    s2.send(unsubscribe(2, ["fp/+"]))
    s2.expect(11)
    establish(p, s1, "fp/t", tag="again")


def rule_shared():
    """A shared subscription (even with one member) is delivered by the daemon."""
    s, _ = client("fs-sh-s")
    s.send(subscribe(1, [("$share/g/fp/h", 0), ("fp/e", 0)]))
    s.expect(9)
    p, _ = client("fs-sh-p")
    a = counters()
    msgs = [pl("shared", i) for i in range(6)]
    send_many(p, "fp/h", msgs)
    for m in msgs:
        check_eq(m, recv_v3(s)["payload"], "shared subscription delivery")
    b = counters()
    expect_daemon(a, b, "shared subscription")
    establish(p, s, "fp/e")


def rule_alias():
    """Topic aliases are resolved by the daemon: frames that carry one are passed."""
    s, _ = client5("fs-alias-s")
    subscribe5_ok(s, [("fp/a", 0)])
    p, _ = client5("fs-alias-p")
    a = establish(p, s, "fp/a", v5_pub=True, v5_sub=True)
    p.send(publish5("fp/a", b"set-alias", props=[(TOPIC_ALIAS, 1)]))
    time.sleep(0.03)
    msgs = [pl("by-alias", i) for i in range(5)]
    for m in msgs:
        p.send(publish5("", m, props=[(TOPIC_ALIAS, 1)]))
        time.sleep(0.03)
    for m in [b"set-alias"] + msgs:
        got = recv5(s)
        check_eq(("fp/a", m), (got["topic"], got["payload"]), "message published by alias")
        check(not got["props"].has(TOPIC_ALIAS), "no alias towards a client that allows none")
    b = counters()
    if FP:
        check_eq(0, delta(a, b, "redirected/frames"), "frames with an alias relayed in the kernel")
        n = delta(a, b, "passed/props/frames") + delta(a, b, "passed/topic_len/frames")
        check(n >= 6, "passed/props + passed/topic_len moved by %d, expected >= 6" % n)
    establish(p, s, "fp/a", v5_pub=True, v5_sub=True, tag="plain-again")


def rule_acl():
    """ACL: a denied write is never relayed; a per-message read check keeps the daemon's
    path; a reload that revokes a right takes effect at once, also for cached routes."""
    acl = os.environ["FP_ACL_FILE"]
    s, _ = client("fs-acl-s")
    s.send(subscribe(1, [("fp/ok/x", 0), ("fp/ro/x", 0)]))
    s.expect(9)
    r, _ = client("fs-acl-r")  # may read only fp/ok/#: its fp/# subscription is checked per message
    r.send(subscribe(1, [("fp/#", 0)]))
    r.expect(9)
    p, _ = client("fs-acl-p")
    a = counters()
    send_many(p, "fp/ro/x", [pl("denied", i) for i in range(5)])
    s.expect_nothing(0.3)
    r.expect_nothing(0.1)
    b = counters()
    expect_daemon(a, b, "write denied")
    # fp/ok/x has two subscribers (s, and r through fp/#): drop r's to make it eligible
    msgs = [pl("checked", i) for i in range(5)]
    a = counters()
    send_many(p, "fp/ok/x", msgs)
    for m in msgs:
        check_eq(m, recv_v3(s)["payload"], "s")
        check_eq(m, recv_v3(r)["payload"], "r (read checked per message)")
    b = counters()
    expect_daemon(a, b, "two subscribers, one with a per-message read check")
    r.send(unsubscribe(2, ["fp/#"]))
    r.expect(11)
    r.send(subscribe(3, [("fp/+/y", 0)]))  # read checked per message, only subscriber of fp/ok/y
    r.expect(9)
    a = counters()
    msgs = [pl("only-r", i) for i in range(5)]
    send_many(p, "fp/ok/y", msgs)
    for m in msgs:
        check_eq(m, recv_v3(r)["payload"], "r alone, read checked per message")
    b = counters()
    expect_daemon(a, b, "per-message read check (BROKER_OPT_ACL_CHECK)")
    establish(p, s, "fp/ok/x", tag="allowed")
    # revoke the write right and reload: the cached route must not relay any more
    with open(acl, "w") as f:
        f.write("topic read fp/#\ntopic read $SYS/#\n")
    os.kill(int(os.environ["FP_BROKER_PID"]), 1)
    time.sleep(0.5)
    a = counters()
    send_many(p, "fp/ok/x", [pl("revoked", i) for i in range(5)])
    s.expect_nothing(0.5)
    b = counters()
    expect_daemon(a, b, "after the reload revoked the write right")


def main():
    rule = sys.argv[1]
    try:
        globals()["rule_" + rule]()
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
    log("rule %s: ok" % rule)


if __name__ == "__main__":
    main()
