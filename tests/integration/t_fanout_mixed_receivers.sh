#!/usr/bin/env bash
# One QoS 0 PUBLISH fanned out to receivers that need different bytes: MQTT 3.1, 3.1.1 (two of
# each kind, so the frame encoded for one is shared with the next), 5.0 plain, with a
# Subscription Identifier [MQTT-3.3.4-3], with outbound topic aliases allowed, with Retain As
# Published [MQTT-3.3.1-12], with a small Maximum Packet Size [MQTT-3.1.2-25]; payloads of 5 B,
# 5,000 B and 20,000 B (sent from the message by reference) and one with a Message Expiry.
# Every receiver gets exactly its own bytes, in order, and nothing else.
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import hashlib
import mqttraw

def short(payload):
    # what a failure prints: length and digest, not 20,000 bytes
    return "%d:%s" % (len(payload), hashlib.sha1(payload).hexdigest()[:10])

def v3(cid, level):
    c, _ = mqttraw.client(cid, proto_level=level)
    check_eq([0], mqttraw.subscribe_ok(c, [("fo/#", 0)]), "SUBACK " + cid)
    return c

def v5(cid, props=None, opts=0, sub_props=None):
    c, _ = client5(cid, props=props)
    check_eq([opts & 3], subscribe5_ok(c, [("fo/#", opts)], props=sub_props), "SUBACK " + cid)
    return c

def got3(c):
    out = []
    while True:
        p = c.recv(1.5)
        if p is None:
            return out
        m = p.publish()
        out.append((m["topic"], short(m["payload"]), m["qos"], m["retain"]))

def got5(c, aliases=None):
    out = []
    for m in collect_publishes(c, 1.5):
        topic = aliases.resolve(m) if aliases else m["topic"]
        props = [(k, v) for k, v in m["props"] if k not in (TOPIC_ALIAS, MESSAGE_EXPIRY)]
        exp = m["props"].get(MESSAGE_EXPIRY)
        check(exp is None or 90 <= exp <= 100, "Message Expiry %r" % exp)
        out.append((topic, short(m["payload"]), m["qos"], m["retain"], sorted(props, key=repr),
                    exp is not None))
    return out

def t():
    r = {"a31": v3("fo-a31", 3), "b31": v3("fo-b31", 3),
         "a311": v3("fo-a311", 4), "b311": v3("fo-b311", 4),
         "p1": v5("fo-p1"), "p2": v5("fo-p2", opts=1),
         "sid": v5("fo-sid", sub_props=[(SUBSCRIPTION_ID, 42)]),
         "alias": v5("fo-alias", props=[(TOPIC_ALIAS_MAX, 4)]),
         "rap": v5("fo-rap", opts=sub_opts(rap=True)),
         "small": v5("fo-small", props=[(MAX_PACKET_SIZE, 200)])}
    pub, _ = client5("fo-pub")
    up = [(USER_PROPERTY, ("k", "v"))]
    big1, big2 = bytes(range(256)) * 19 + b"x" * 136, b"y" * 20000
    sends = [("fo/x", b"small", True, up), ("fo/x", big1, False, None),
             ("fo/y", big2, False, [(MESSAGE_EXPIRY, 100)]), ("fo/x", b"tail", False, up)]
    for topic, payload, retain, props in sends:
        pub.send(publish5(topic, payload, retain=retain, props=props))
    base = [(s[0], short(s[1])) for s in sends]
    v3want = [(t_, p, 0, False) for t_, p in base]
    for k in ("a31", "b31", "a311", "b311"):
        check_eq(v3want, got3(r[k]), "what the MQTT 3 receiver %s got" % k)
    def want5(extra=(), retain_first=False, only=None):
        out = []
        for i, (t_, p, ret, props) in enumerate(sends):
            if only is not None and i not in only:
                continue
            pr = list(extra) + [(USER_PROPERTY, ("k", "v"))] * (props is up)
            out.append((t_, short(p), 0, retain_first and ret, sorted(pr, key=repr), i == 2))
        return out
    for k in ("p1", "p2"):
        check_eq(want5(), got5(r[k]), "what the MQTT 5 receiver %s got" % k)
    check_eq(want5(extra=[(SUBSCRIPTION_ID, 42)]), got5(r["sid"]), "with a Subscription Identifier")
    check_eq(want5(), got5(r["alias"], AliasMap(4)), "with topic aliases")
    check_eq(want5(retain_first=True), got5(r["rap"]), "with Retain As Published")
    check_eq(want5(only=(0, 3)), got5(r["small"]), "with Maximum Packet Size 200")
PY
