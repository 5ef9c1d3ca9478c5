#!/usr/bin/env bash
# broker: mqttgwd
# Reserved packet types from a connected client (2.1.2: 0 is "Reserved, Forbidden" in both
# versions; 15 is reserved in 3.1.1) cannot be parsed as any packet: Malformed. 3.1.1: close
# without a packet (4.8); 5.0: DISCONNECT 0x81 then close (4.13.1), whatever the flags, length
# and body. Within 3 s; a bystander subscribed before keeps receiving. (Before CONNECT the first
# byte alone decides: t_hostile_before_connect.)
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'

from hostile import attacks_v3_v5, bystander

V3 = [("type 0", b"\x00\x00"), ("type 0 flags 0xf with a body", b"\x0f\x03abc"),
      ("type 15", b"\xf0\x00"), ("type 15 with a body", b"\xf0\x02\x00\x00")]
V5 = [("type 0", b"\x00\x00"), ("type 0 flags 0x5 with a body", b"\x05\x03abc")]

def t():
    b = bystander()
    attacks_v3_v5(b, "ut", V3, V5, RC_MALFORMED)
PY
