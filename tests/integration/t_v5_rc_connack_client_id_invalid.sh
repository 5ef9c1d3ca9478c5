#!/usr/bin/env bash
# broker: mqttgwd
# With zero-length client ids refused (allow_zero_length_clientid false), a v5 CONNECT with an
# empty id gets CONNACK 0x85 (Client Identifier not valid) [MQTT-3.1.3-8] with Session Present 0
# [MQTT-3.2.2-6], and the connection closes [MQTT-3.2.2-7]; a PINGREQ sent right behind the
# CONNECT is not answered [MQTT-3.1.4-6]. Mosquitto 2.0.11 answers CONNACK 0x80 (Unspecified error)
# instead of 0x85, hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "allow_zero_length_clientid false" <<'PY'
def t():
    c = Conn()
    c.send(connect5("") + pingreq())
    ack = expect_refused(c, [RC_CLIENT_ID_NOT_VALID], silent_ok=False)
    check_eq((False, hexs(RC_CLIENT_ID_NOT_VALID)), (ack["sp"], hexs(ack["rc"])), "CONNACK")
    assert_broker_serves5()
PY
