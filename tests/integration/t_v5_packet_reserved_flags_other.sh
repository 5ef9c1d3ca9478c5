#!/usr/bin/env bash
# broker: mqttgwd
# More reserved fixed-header flags [MQTT-2.1.3-1]: PUBREL with 0000 [MQTT-3.6.1-1], DISCONNECT with
# 0001 [MQTT-3.14.1-1], PINGREQ with 0001 -> DISCONNECT 0x81 and the close. Mosquitto 2.0.11
# closes without the DISCONNECT (PUBREL, DISCONNECT) or answers the PINGREQ, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (("PUBREL", packet(0x60, b"\x00\x01")), ("DISCONNECT", packet(0xE1, b"")),
             ("PINGREQ", packet(0xC1, b"")))
    for i, (what, pkt) in enumerate(cases):
        disconnected_v5("prfo-%d" % i, pkt, RC_MALFORMED, what)
    assert_broker_serves5()
PY
