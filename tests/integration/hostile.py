"""Shared pieces of the t_hostile_* tests: a bystander client that must keep working while
another client attacks the broker, and the usual shape of an attack (send bytes, expect the
broker to close the connection, or in 5.0 to send DISCONNECT with a reason code first)."""
import time

from mqtt5raw import (CONNACK, PUBACK, PUBLISH, Conn, TestFailure, check, check_eq,
                      disconnected_v5)  # noqa: F401 (t_hostile_* import it from here)
import mqttraw


def bystander(extra=()):
    """A 3.1.1 client subscribed to by/# at QoS 1 and to the (filter, qos) pairs in extra (a
    test's own topics, e.g. where wills land), connected before the attack. Every filter must
    be granted the QoS it asked for."""
    filters = [("by/#", 1)] + list(extra)
    b, _ = mqttraw.client("bystander")
    check_eq([q for _, q in filters], mqttraw.subscribe_ok(b, filters), "bystander SUBACK")
    return b


def bystander_alive(b, tag, pub=None):
    """A QoS 1 message on by/<tag> is acknowledged to its publisher and reaches the bystander
    within 3 s; returns the round trip in seconds. The publisher is a fresh client, or pub,
    left connected: a test whose broker cannot accept one more client connects it earlier."""
    p = pub or mqttraw.client("by-pub")[0]
    t0 = time.monotonic()
    p.send(mqttraw.publish("by/" + tag, tag, qos=1, pid=1))
    p.expect(PUBACK)
    m = b.expect(PUBLISH, timeout=3).publish()
    check_eq(("by/" + tag, tag.encode()), (m["topic"], m["payload"]), "bystander after %s" % tag)
    b.send(mqttraw.puback(m["pid"]))
    if pub is None:
        p.send(mqttraw.disconnect())
        p.close()
    return time.monotonic() - t0


def closed_v3(name, raw, what):
    """A 3.1.1 client `name` (None: a connection that has sent no CONNECT) sends raw: the
    broker closes the connection within 3 s without sending a packet. Failures name `what`."""
    c = mqttraw.client(name)[0] if name else Conn()
    c.send(raw)
    try:
        c.assert_closed(within=3)
    except TestFailure as e:
        raise TestFailure("%s: %s" % (what, e))


def attacks_v3_v5(b, tag, v3, v5, rc, what=""):
    """Each (what, raw) of v3 from a 3.1.1 client "<tag>3-<i>" (closed_v3), then each of v5 from
    a 5.0 client "<tag>5-<i>" (disconnected_v5 with reason code rc); after each one the
    bystander b still works, and at the end it got nothing else. Failures name the protocol,
    the entry's what and the test's what."""
    for i, (w, raw) in enumerate(v3):
        closed_v3("%s3-%d" % (tag, i), raw, "3.1.1 %s%s" % (w, what))
        bystander_alive(b, "v3-%d" % i)
    for i, (w, raw) in enumerate(v5):
        disconnected_v5("%s5-%d" % (tag, i), raw, rc, "5.0 %s%s" % (w, what))
        bystander_alive(b, "v5-%d" % i)
    b.expect_nothing(0.3)


def refused_connect(raw, what):
    """A new connection sends raw, a CONNECT the server must refuse: it closes the connection
    within 3 s, sending at most a CONNACK that refuses it. Failures name `what`."""
    c = Conn()
    c.send(raw)
    try:
        got = c.assert_closed(within=3, allow=(CONNACK,))
    except TestFailure as e:
        raise TestFailure("%s: %s" % (what, e))
    for p in got:
        check(len(p.body) >= 2 and p.body[1] != 0, "%s: CONNACK accepting it: %r" % (what, p))


def rss(pid, field="VmRSS"):
    """The resident set size of process pid (the broker), in bytes; field="RssAnon": only its
    anonymous memory (heap, stacks), without file pages such as the store's mmapped database."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024


class Dropped:
    """$SYS/broker/publish/messages/dropped, as the broker publishes it (every sys_interval),
    read by a 3.1.1 client `name`."""
    def __init__(self, name):
        self.c, _ = mqttraw.client(name)
        mqttraw.subscribe_ok(self.c, [("$SYS/broker/publish/messages/dropped", 0)])

    def wait(self, at_least=0, secs=4):
        """The first value published within secs that is at least at_least."""
        deadline, v = time.monotonic() + secs, None
        while time.monotonic() < deadline:
            p = self.c.recv(max(0.05, deadline - time.monotonic()))
            if p is not None:
                v = int(p.publish()["payload"])
                if v >= at_least:
                    return v
        raise TestFailure("$SYS dropped counter %r, expected >= %d" % (v, at_least))
