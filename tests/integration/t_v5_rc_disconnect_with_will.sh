#!/usr/bin/env bash
# A client DISCONNECT with reason 0x04 (Disconnect with Will Message) makes the server publish the
# will (3.14.2.1), with its QoS and payload; a plain close without DISCONNECT does too
# [MQTT-3.1.2-8]. Real client: paho MQTTv5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = Paho5("dw-watch"); w.connect()
    w.subscribe("dw/will", qos=1)
    c = Paho5("dw", will=("dw/will", "by-0x04", 1, False))
    c.connect()
    c.disconnect(rc=RC_DISCONNECT_WITH_WILL)
    m = w.get(3)
    check_eq(("dw/will", b"by-0x04", 1, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "will")
    c = Paho5("dw2", will=("dw/will", "by-close", 1, False))
    c.connect()
    c.drop()
    m = w.get(3)
    check_eq(b"by-close", m["payload"], "will after a close without DISCONNECT")
    w.expect_none(0.5)
PY
