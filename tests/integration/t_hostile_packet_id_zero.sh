#!/usr/bin/env bash
# broker: mqttgwd
# Packet Identifier 0 where a non-zero one is required (PUBLISH QoS 1/2, SUBSCRIBE,
# UNSUBSCRIBE) [MQTT-2.3.1-1] (3.1.1), [MQTT-2.2.1-3] (5.0). The packet parses but carries a
# value the protocol forbids: a Protocol Error (1.2 Terminology). 3.1.1: close without a packet
# (no PUBACK/PUBREC/SUBACK/UNSUBACK); 5.0: DISCONNECT 0x82 then close (4.13.2). The message is
# not delivered to the subscriber of its topic. Within 3 s each; a bystander subscribed before
# keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'

from hostile import attacks_v3_v5, bystander

V3 = [("PUBLISH QoS 1", packet(0x32, mstr("pz/a") + u16(0) + b"x")),
      ("PUBLISH QoS 2", packet(0x34, mstr("pz/b") + u16(0) + b"x")),
      ("PUBLISH QoS 1 DUP", packet(0x3a, mstr("pz/c") + u16(0) + b"x")),
      ("SUBSCRIBE", packet(0x82, u16(0) + mstr("pz/s") + b"\x01")),
      ("UNSUBSCRIBE", packet(0xa2, u16(0) + mstr("pz/s")))]
V5 = [("PUBLISH QoS 1", packet(0x32, mstr("pz/a") + u16(0) + b"\x00x")),
      ("PUBLISH QoS 2", packet(0x34, mstr("pz/b") + u16(0) + b"\x00x")),
      ("SUBSCRIBE", packet(0x82, u16(0) + b"\x00" + mstr("pz/s") + b"\x01")),
      ("UNSUBSCRIBE", packet(0xa2, u16(0) + b"\x00" + mstr("pz/s")))]

def t():
    b = bystander([("pz/#", 2)])
    attacks_v3_v5(b, "pz", V3, V5, RC_PROTOCOL_ERROR, " with packet id 0")
PY
