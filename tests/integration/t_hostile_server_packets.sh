#!/usr/bin/env bash
# broker: mqttgwd
# Packets only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP), well formed, arriving from
# a connected client: a Protocol Error (they parse, but are not allowed client to server).
# 3.1.1: close without a packet (4.8: a violation closes the connection); 5.0: DISCONNECT 0x82
# then close (4.13.2). Also 5.0 AUTH when the CONNECT had no Authentication Method: "It is a
# Protocol Error for the Client or Server to send an AUTH packet if the CONNECT packet did not
# contain the same Authentication Method" (4.12) -> 0x82. Within 3 s; a bystander subscribed
# before keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'

from hostile import attacks_v3_v5, bystander

V3 = [("CONNACK", b"\x20\x02\x00\x00"), ("CONNACK session present", b"\x20\x02\x01\x00"),
      ("SUBACK", b"\x90\x03\x00\x01\x00"), ("UNSUBACK", b"\xb0\x02\x00\x01"),
      ("PINGRESP", b"\xd0\x00")]
V5 = [("CONNACK", b"\x20\x03\x00\x00\x00"), ("SUBACK", b"\x90\x04\x00\x01\x00\x00"),
      ("UNSUBACK", b"\xb0\x04\x00\x01\x00\x00"), ("PINGRESP", b"\xd0\x00"),
      ("AUTH without Authentication Method", b"\xf0\x00"),
      ("AUTH Re-authenticate", auth5(0x19, [(AUTH_METHOD, "SCRAM-SHA-1")]))]

def t():
    b = bystander()
    attacks_v3_v5(b, "sp", V3, V5, RC_PROTOCOL_ERROR, " from a client")
PY
