#!/usr/bin/env bash
# broker: mqttgwd
# Our Maximum Packet Size is enforced: with max_packet_size 200, a 201-byte PUBLISH gets DISCONNECT
# 0x95 (Packet too large) and the close [MQTT-3.2.2-15] (client side), 3.2.2.3.6; it is not
# delivered. The limit counts the whole packet (3.2.2.3.6); Mosquitto 2.0.11 compares it with the
# Remaining Length only (201 and 202 bytes pass, 203 gets 0x95), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_packet_size 200" <<'PY'
def t():
    s = subscriber5("mpe-sub", [("mpe/#", 0)])
    c, _ = client5("mpe")
    pkt, _ = publish5_sized("mpe/t", 201)
    c.send(pkt)
    expect_disconnect(c, RC_PACKET_TOO_LARGE)
    s.expect_nothing(0.5)
PY
