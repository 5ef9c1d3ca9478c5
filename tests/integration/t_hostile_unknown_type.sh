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
start_broker
py <<'PY'
from mqtt5raw import *

from hostile import bystander, bystander_alive, closed_v3, disconnected_v5

V3 = [("type 0", b"\x00\x00"), ("type 0 flags 0xf with a body", b"\x0f\x03abc"),
      ("type 15", b"\xf0\x00"), ("type 15 with a body", b"\xf0\x02\x00\x00")]
V5 = [("type 0", b"\x00\x00"), ("type 0 flags 0x5 with a body", b"\x05\x03abc")]

def t():
    b = bystander()
    for i, (what, raw) in enumerate(V3):
        closed_v3("ut3-%d" % i, raw, "3.1.1 %s" % what)
        bystander_alive(b, "v3-%d" % i)
    for i, (what, raw) in enumerate(V5):
        disconnected_v5("ut5-%d" % i, raw, RC_MALFORMED, "5.0 %s" % what)
        bystander_alive(b, "v5-%d" % i)
    b.expect_nothing(0.3)
main(t)
PY
