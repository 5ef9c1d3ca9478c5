#!/usr/bin/env bash
# Ill-formed UTF-8 and U+0000 in the strings of a packet: topic names, topic filters, the
# client identifier, the will topic, the user name. Ill-formed UTF-8 (a stray byte 0xFF, a
# truncated sequence, an overlong encoding, a UTF-16 surrogate U+D800) and U+0000 make the
# packet Malformed [MQTT-1.5.4-1], [MQTT-1.5.4-2] (3.1.1: [MQTT-1.5.3-1], [MQTT-1.5.3-2]).
# After CONNECT: 3.1.1 closes without a packet; 5.0 sends DISCONNECT 0x81 then closes.
# In CONNECT: the connection is closed; at most a CONNACK with an error code comes first
# (3.1.4: a refusal MAY be answered) - never a CONNACK 0x00. Nothing of it reaches a
# subscriber of 'u8/#'. A BOM (U+FEFF) is valid and must not be skipped or stripped
# [MQTT-1.5.4-3]: delivered with the topic byte for byte. Within 3 s each; a bystander
# subscribed before keeps receiving.
# timeout: 90
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

from hostile import bystander, bystander_alive, closed_v3, disconnected_v5, refused_connect

BAD = [("0xFF", b"u8/\xff"), ("truncated 3-byte sequence", b"u8/\xe2\x82"),
       ("overlong '/'", b"u8/\xc0\xaf"), ("overlong 3-byte NUL", b"u8/\xe0\x80\x80"),
       ("surrogate U+D800", b"u8/\xed\xa0\x80"), ("code point above U+10FFFF", b"u8/\xf4\x90\x80\x80"),
       ("continuation byte alone", b"u8/\x80"), ("U+0000", b"u8/a\x00b")]

def raw_publish(topic, v5, qos=0, pid=None):
    body = mstr(topic) + (u16(pid) if qos else b"") + (b"\x00" if v5 else b"") + b"x"
    return packet(0x30 | (qos << 1), body)

def raw_subscribe(flt, v5):
    return packet(0x82, u16(7) + (b"\x00" if v5 else b"") + mstr(flt) + b"\x00")

def raw_unsubscribe(flt, v5):
    return packet(0xa2, u16(8) + (b"\x00" if v5 else b"") + mstr(flt))

def t():
    b = bystander()
    w, _ = mqttraw.client("u8-watch")
    mqttraw.subscribe_ok(w, [("u8/#", 0)])
    for i, (what, bad) in enumerate(BAD):
        for v5 in (False, True):
            ver = "5.0" if v5 else "3.1.1"
            for kind, raw in (("PUBLISH topic", raw_publish(bad, v5)),
                              ("PUBLISH QoS 1 topic", raw_publish(bad, v5, 1, 1)),
                              ("SUBSCRIBE filter", raw_subscribe(bad, v5)),
                              ("UNSUBSCRIBE filter", raw_unsubscribe(bad, v5))):
                name = "u8-%d-%d" % (i, v5)
                msg = "%s %s with %s" % (ver, kind, what)
                if v5:
                    disconnected_v5(name, raw, RC_MALFORMED, msg)
                else:
                    closed_v3(name, raw, msg)
            # in CONNECT: client id, will topic, user name
            cid = packet(0x10, mstr("MQTT") + bytes([5 if v5 else 4, 0x02]) + u16(60) +
                         (b"\x00" if v5 else b"") + mstr(bad))
            will = packet(0x10, mstr("MQTT") + bytes([5 if v5 else 4, 0x06]) + u16(60) +
                          (b"\x00" if v5 else b"") + mstr("u8-w") + (b"\x00" if v5 else b"") +
                          mstr(bad) + mstr("p"))
            user = packet(0x10, mstr("MQTT") + bytes([5 if v5 else 4, 0x82]) + u16(60) +
                          (b"\x00" if v5 else b"") + mstr("u8-u") + mstr(bad))
            refused_connect(cid, "%s CONNECT client id with %s" % (ver, what))
            refused_connect(will, "%s CONNECT will topic with %s" % (ver, what))
            refused_connect(user, "%s CONNECT user name with %s" % (ver, what))
        bystander_alive(b, "bad%d" % i)
    w.expect_nothing(0.3)
    # a BOM is a valid character, delivered as it is [MQTT-1.5.4-3]
    p, _ = mqttraw.client("u8-bom")
    p.send(raw_publish(b"u8/\xef\xbb\xbfbom", False, 1, 1))
    p.expect(PUBACK)
    m = w.expect(PUBLISH, timeout=3)
    check_eq(b"\x00\x09u8/\xef\xbb\xbfbom", m.body[:11], "BOM topic delivered byte for byte")
    bystander_alive(b, "end")
PY
