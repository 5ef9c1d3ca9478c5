#!/usr/bin/env bash
# broker: mqttgwd
# Oversized packets, with max_packet_size 1024: a packet larger than the server's Maximum Packet
# Size (advertised in the 5.0 CONNACK, 3.2.2.3.6) is refused as soon as its fixed header shows
# the size, without the broker waiting for or buffering the body: 5.0 DISCONNECT 0x95 (Packet
# too large) then close [MQTT-3.2.2-15] / 4.13; 3.1.1 close without a packet. A CONNECT larger
# than anything a CONNECT may legitimately need is closed before CONNACK. Each within 3 s; a
# bystander subscribed before keeps receiving, and nothing oversized reaches it.
# mqttgwd only: Mosquitto 2.0.11 compares max_packet_size with the Remaining Length only (see
# t_v5_maxpkt_exceeded) and closes 5.0 clients without the DISCONNECT.
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_packet_size 1024" <<'PY'
import mqttraw

from hostile import bystander, bystander_alive, closed_v3, disconnected_v5, refused_connect

def hdr(b0, n):
    return bytes([b0]) + varint(n)

# (what, bytes sent): the body is never (or only partly) sent
HEADERS = [("PUBLISH declaring 1025 bytes", hdr(0x30, 1025 - 3) + b"\x00\x04os/t"),
           ("PUBLISH declaring 100 MB", hdr(0x30, 100 << 20) + b"\x00\x04os/t" + b"x" * 1000),
           ("PUBLISH declaring the maximum 268,435,455", b"\x30\xff\xff\xff\x7f"),
           ("SUBSCRIBE declaring 1 MB", hdr(0x82, 1 << 20) + b"\x00\x01"),
           ("PINGREQ declaring 2000 bytes", hdr(0xc0, 2000))]

def t():
    b = bystander([("os/#", 0)])
    c, ack = client5("os-adv")
    check_eq(1024, ack["props"].get(MAX_PACKET_SIZE), "CONNACK Maximum Packet Size")
    c.send(disconnect5())
    for i, (what, raw) in enumerate(HEADERS):
        closed_v3("os3-%d" % i, raw, "3.1.1 %s" % what)
        disconnected_v5("os5-%d" % i, raw, RC_PACKET_TOO_LARGE, "5.0 %s" % what)
        bystander_alive(b, "h%d" % i)
    # whole packets: exactly 1024 bytes passes, 1025 bytes is refused
    c, _ = client5("os5-fit")
    pkt, _ = publish5_sized("os/fit", 1024)
    c.send(pkt)
    m = b.expect(PUBLISH, timeout=3).publish()
    check_eq("os/fit", m["topic"], "a 1024-byte PUBLISH is delivered")
    pkt, _ = publish5_sized("os/big", 1025)
    c.send(pkt)
    expect_disconnect(c, RC_PACKET_TOO_LARGE)
    c, _ = mqttraw.client("os3-big")
    c.send(mqttraw.publish("os/big3", b"x" * 1100))
    c.assert_closed(within=3)
    # CONNECT: 200 MB declared, before any CONNACK
    for what, raw in (("3.1.1", hdr(0x10, 200 << 20) + mqttraw.connect("os-c")[2:40]),
                      ("5.0", hdr(0x10, 200 << 20) + connect5("os-c5")[2:40])):
        refused_connect(raw, "%s CONNECT declaring 200 MB" % what)
    bystander_alive(b, "end")
    b.expect_nothing(0.3)
PY
