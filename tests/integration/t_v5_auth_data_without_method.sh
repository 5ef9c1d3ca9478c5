#!/usr/bin/env bash
# broker: mqttgwd
# Authentication Data without an Authentication Method in CONNECT is a Protocol Error
# (3.1.2.11.10): the connection is refused (CONNACK 0x82 or a bare close), never accepted.
# Mosquitto 2.0.11 accepts it (CONNACK 0x00), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = Conn()
    c.send(connect5("adm", props=[(AUTH_DATA, b"secret")]) + pingreq())
    expect_refused(c, [RC_PROTOCOL_ERROR])
    assert_broker_serves5()
PY
