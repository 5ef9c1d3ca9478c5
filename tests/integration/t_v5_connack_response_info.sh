#!/usr/bin/env bash
# Request Response Information 0 (or absent) means no Response Information in the CONNACK
# [MQTT-3.1.2-28]; with 1 the server may send one (a UTF-8 string) or none.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    _, ack = client5("cri-absent")
    check(not ack["props"].has(RESPONSE_INFO), "Response Information without a request: %r" % ack)
    _, ack = client5("cri-0", props=[(REQUEST_RESPONSE_INFO, 0)])
    check(not ack["props"].has(RESPONSE_INFO), "Response Information with request 0: %r" % ack)
    _, ack = client5("cri-1", props=[(REQUEST_RESPONSE_INFO, 1)])
    info = ack["props"].get(RESPONSE_INFO)
    check(info is None or isinstance(info, str), "Response Information %r" % info)
PY
