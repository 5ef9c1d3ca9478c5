#!/usr/bin/env bash
# A client DISCONNECT with reason 0x00 (Normal disconnection) makes the server discard the will
# without publishing it [MQTT-3.14.4-3], [MQTT-3.1.2-10]. Real client: paho MQTTv5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = Paho5("dn-watch"); w.connect()
    w.subscribe("dn/will", qos=1)
    c = Paho5("dn", will=("dn/will", "gone", 1, False))
    c.connect()
    c.disconnect(rc=0x00)
    w.expect_none(1.5)
PY
