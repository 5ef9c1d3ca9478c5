#!/usr/bin/env bash
# Server Keep Alive (3.2.2.3.14): with max_keepalive 10, a client asking for 60 s gets Server Keep
# Alive 10 in the CONNACK; a client asking for 5 s keeps its value (no Server Keep Alive, or 5).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw "max_keepalive 10" <<'PY'
def t():
    _, ack = client5("ska-60", keepalive=60)
    check_eq(10, ack["props"].get(SERVER_KEEPALIVE), "Server Keep Alive for keepalive 60")
    _, ack = client5("ska-5", keepalive=5)
    check(ack["props"].get(SERVER_KEEPALIVE, 5) == 5, "Server Keep Alive for keepalive 5: %r" % ack["props"])
PY
