#!/usr/bin/env bash
# broker: mqttgwd
# Reserved fixed-header flag bits and reserved payload bits (2.1.3 table 2.2): any other value
# than the table's is a Malformed Packet. 3.1.1: the server closes the connection without
# sending anything [MQTT-2.2.2-2], [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1],
# [MQTT-3.14.1-1], QoS 3 [MQTT-3.3.1-4], SUBSCRIBE requested-QoS reserved bits [MQTT-3-8.3-4];
# 5.0: DISCONNECT 0x81 then close (2.1.3 "If invalid flags are received it is a Malformed
# Packet", [MQTT-3.3.1-4], Subscription Options bits 6-7 [MQTT-3.8.3-5]); a Maximum QoS of 3 in
# the 5.0 Subscription Options is a Protocol Error (3.8.3.1) -> 0x82; a CONNECT with the
# reserved connect flag set is closed, with at most a CONNACK 0x81 first [MQTT-3.1.2-3].
# Every case within 3 s; a bystander subscribed before keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD).
# timeout: 90
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

from hostile import bystander, bystander_alive, closed_v3, disconnected_v5

def first(pkt, b0):
    return bytes([b0]) + pkt[1:]

sub3 = mqttraw.subscribe(1, [("rf/a", 1)])
unsub3 = mqttraw.unsubscribe(2, ["rf/a"])
V3 = [("SUBSCRIBE flags 0", first(sub3, 0x80)), ("SUBSCRIBE flags 0x3", first(sub3, 0x83)),
      ("SUBSCRIBE flags 0xa", first(sub3, 0x8a)), ("UNSUBSCRIBE flags 0", first(unsub3, 0xa0)),
      ("PUBREL flags 0", b"\x60\x02\x00\x01"), ("PUBREL flags 0x3", b"\x63\x02\x00\x01"),
      ("PUBACK flags 1", b"\x41\x02\x00\x01"), ("PUBREC flags 2", b"\x52\x02\x00\x01"),
      ("PUBCOMP flags 8", b"\x78\x02\x00\x01"), ("PINGREQ flags 1", b"\xc1\x00"),
      ("PINGREQ flags 0xf", b"\xcf\x00"), ("DISCONNECT flags 2", b"\xe2\x00"),
      ("PUBLISH QoS 3", b"\x36\x07\x00\x03rf/\x00\x01x"),
      ("PUBLISH QoS 3 + DUP + RETAIN", b"\x3f\x07\x00\x03rf/\x00\x01x"),
      ("SUBSCRIBE requested QoS 3", mqttraw.subscribe(3, [("rf/b", 3)])),
      ("SUBSCRIBE requested-QoS reserved bit 2", mqttraw.subscribe(4, [("rf/b", 0x04)])),
      ("SUBSCRIBE requested-QoS reserved bit 7", mqttraw.subscribe(5, [("rf/b", 0x81)]))]
sub5 = subscribe5(1, [("rf/a", 1)])
unsub5 = unsubscribe5(2, ["rf/a"])
V5 = [("SUBSCRIBE flags 0", first(sub5, 0x80), RC_MALFORMED),
      ("SUBSCRIBE flags 0x3", first(sub5, 0x83), RC_MALFORMED),
      ("UNSUBSCRIBE flags 0", first(unsub5, 0xa0), RC_MALFORMED),
      ("PUBREL flags 0", b"\x60\x02\x00\x01", RC_MALFORMED),
      ("PUBACK flags 1", b"\x41\x02\x00\x01", RC_MALFORMED),
      ("PUBREC flags 4", b"\x54\x02\x00\x01", RC_MALFORMED),
      ("PUBCOMP flags 2", b"\x72\x02\x00\x01", RC_MALFORMED),
      ("PINGREQ flags 1", b"\xc1\x00", RC_MALFORMED),
      ("DISCONNECT flags 1", b"\xe1\x00", RC_MALFORMED),
      ("AUTH flags 1 [MQTT-3.15.1-1]", b"\xf1\x00", RC_MALFORMED),
      ("PUBLISH QoS 3", b"\x36\x08\x00\x03rf/\x00\x01\x00x", RC_MALFORMED),
      ("Subscription Options bit 6", subscribe5(3, [("rf/b", 0x41)]), RC_MALFORMED),
      ("Subscription Options bit 7", subscribe5(4, [("rf/b", 0x80)]), RC_MALFORMED),
      ("Subscription Options Maximum QoS 3", subscribe5(5, [("rf/b", 0x03)]), RC_PROTOCOL_ERROR)]

def t():
    b = bystander()
    for i, (what, raw) in enumerate(V3):
        closed_v3("rf3-%d" % i, raw, "3.1.1 %s" % what)
        bystander_alive(b, "v3-%d" % i)
    for i, (what, raw, rc) in enumerate(V5):
        disconnected_v5("rf5-%d" % i, raw, rc, "5.0 %s" % what)
        bystander_alive(b, "v5-%d" % i)
    for flags in (0x03, 0x01):
        c = Conn()
        c.send(mqttraw.connect("rf3-cf", flags=flags))
        c.assert_closed(within=3)
        c = Conn()
        c.send(connect5("rf5-cf", flags=flags))
        try:
            expect_refused(c, [RC_MALFORMED])
        except TestFailure as e:
            raise TestFailure("5.0 CONNECT flags 0x%02x: %s" % (flags, e))
    bystander_alive(b, "connect-flags")
    b.expect_nothing(0.3)
PY
