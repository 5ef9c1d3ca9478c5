#!/usr/bin/env bash
# Retained delivery on SUBSCRIBE, the spec's part of it (mqttgwd sends 20,000 retained messages in
# slices over many loop turns, issue 15; Mosquitto sends them in one go): with 20,000 retained
# messages stored, a subscriber to r/# gets the SUBACK first, then every retained message once
# with RETAIN=1 [MQTT-3.3.1-8/-9]. Right after its SUBACK, on topics late in the walk, another
# client publishes a live message (RETAIN 0) on a topic whose retained message is stored, and a
# new retained message on another: the older retained message never arrives after the live one
# of its topic (before it, or for the replaced one not at all; never the new one as retained, the
# subscription existed when it was published). A subscriber that UNSUBSCRIBEs right after its
# SUBACK gets no PUBLISH after the UNSUBACK; one that goes away mid-walk harms nobody.
# timeout: 240
. "$(dirname "$0")/lib.sh"
start_broker
PY_TIMEOUT=220 py <<'PY'
from mqttraw import *
from retwalk import Reader, pub_fields, store_retained
import time
N = 20000
LIVE, REPL = N - 5, N - 3  # late in the walk (the trie keeps insertion order)

def t():
    store_retained(N)
    s, _ = client("order-sub")
    s.send(subscribe(1, [("r/#", 0)]))
    rd = Reader(s)
    p = rd.recv(30)
    check(p is not None and p[0] == SUBACK, "SUBACK first, got %r" % (p,))
    pub, _ = client("order-pub")
    pub.send(publish("r/%d" % LIVE, b"live") + publish("r/%d" % REPL, b"new", retain=True))
    seen, events = {}, []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        p = rd.recv(2 if len(seen) >= N - 1 and len(events) >= 2 else 30)
        if p is None:
            break
        check_eq(PUBLISH, p[0], "packet type")
        topic, payload, retain = pub_fields(p[1], p[2])
        if retain:
            seen[topic] = seen.get(topic, 0) + 1
        if topic in ("r/%d" % LIVE, "r/%d" % REPL):
            events.append((topic, payload, retain))
    log("retained topics %d, events on the two live topics %r" % (len(seen), events))
    dups = [k for k, v in seen.items() if v != 1]
    check(not dups, "retained messages delivered more than once: %r" % dups[:5])
    for i in range(N):
        if i != REPL:
            check("r/%d" % i in seen, "retained r/%d never delivered (%d of %d)" % (i, len(seen), N))
    lt = "r/%d" % LIVE
    check_eq([(lt, b"old-%d" % LIVE, True), (lt, b"live", False)],
             [e for e in events if e[0] == lt], "the retained message before the live one")
    rt = "r/%d" % REPL
    ev = [e for e in events if e[0] == rt]
    check(ev in ([(rt, b"old-%d" % REPL, True), (rt, b"new", False)], [(rt, b"new", False)]),
          "the replaced retained message after the new one, or twice: %r" % ev)

    # UNSUBSCRIBE right after the SUBACK: nothing after the UNSUBACK
    u, _ = client("unsub-sub")
    u.send(subscribe(1, [("r/#", 0)]))
    rd = Reader(u)
    p = rd.recv(30)
    check(p is not None and p[0] == SUBACK, "SUBACK first, got %r" % (p,))
    u.send(unsubscribe(2, ["r/#"]))
    before = 0
    while True:
        p = rd.recv(60)
        check(p is not None, "no UNSUBACK within 60 s")
        if p[0] == UNSUBACK:
            break
        check_eq(PUBLISH, p[0], "packet type")
        before += 1
    check(before <= N, "%d PUBLISH before the UNSUBACK" % before)
    p = rd.recv(1.5)
    check(p is None, "a packet after the UNSUBACK: %r" % (p,))
    log("unsubscribed after %d retained messages" % before)

    # gone mid-walk: with its SUBACK read, the socket closes without a DISCONNECT
    g, _ = client("gone-sub")
    g.send(subscribe(1, [("#", 0)]))
    g.expect(SUBACK, timeout=30)
    g.abort()
    assert_broker_serves()
main(t)
PY
