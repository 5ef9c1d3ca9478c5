#!/usr/bin/env bash
# The Payload Format Indicator is forwarded unaltered [MQTT-3.3.2-4]: 1 (UTF-8) as 1, an explicit
# 0 as 0, absent as absent.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("fpf-sub", [("fpf/#", 1)])
    p, _ = client5("fpf-pub")
    publish5_ok(p, "fpf/utf8", "héllo", qos=1, pid=1, props=[(PAYLOAD_FORMAT, 1)])
    publish5_ok(p, "fpf/bytes", b"\xff\x00", qos=1, pid=2, props=[(PAYLOAD_FORMAT, 0)])
    publish5_ok(p, "fpf/none", b"\xfe", qos=1, pid=3)
    got = [(m["topic"], m["payload"], m["props"].all(PAYLOAD_FORMAT)) for m in collect_publishes(s, 1.0)]
    check_eq([("fpf/utf8", "héllo".encode(), [1]), ("fpf/bytes", b"\xff\x00", [0]), ("fpf/none", b"\xfe", [])],
             got, "forwarded Payload Format Indicators")
PY
