#!/usr/bin/env bash
# broker: mqttgwd
# Protocol errors get DISCONNECT 0x82 and the close [MQTT-4.13.1-1]: a second CONNECT
# [MQTT-3.1.0-2]; SUBSCRIBE [MQTT-3.8.3-2] or UNSUBSCRIBE [MQTT-3.10.3-2] without any filter;
# packets only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) coming from a client. Mosquitto
# 2.0.11 closes without the DISCONNECT or answers 0x81, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("second CONNECT", connect5("ppe-x")),
             ("empty SUBSCRIBE", packet(0x82, b"\x00\x01\x00")),
             ("empty UNSUBSCRIBE", packet(0xA2, b"\x00\x01\x00")),
             ("CONNACK", packet(0x20, b"\x00\x00\x00")),
             ("SUBACK", packet(0x90, b"\x00\x01\x00\x00")),
             ("UNSUBACK", packet(0xB0, b"\x00\x01\x00\x00")),
             ("PINGRESP", packet(0xD0, b"")))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("ppe-%d" % i, pkt, RC_PROTOCOL_ERROR, what)
    assert_broker_serves5()
PY
