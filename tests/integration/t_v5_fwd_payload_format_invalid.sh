#!/usr/bin/env bash
# broker: mqttgwd
# A payload marked UTF-8 (Payload Format Indicator 1) that is not valid UTF-8 is refused with
# reason 0x99 (Payload format invalid), 3.3.2.3.2: PUBACK 0x99 at QoS 1, PUBREC 0x99 at QoS 2 (the
# flow ends there, 4.3.3), DISCONNECT 0x99 at QoS 0; never delivered. The same bytes without the
# indicator are delivered. Mosquitto 2.0.11 does not check payloads (the check is a MAY).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
BAD = b"ok\xc3\x28"
def t():
    s = subscriber5("fpi-sub", [("fpi/#", 1)])
    p, _ = client5("fpi-pub")
    p.send(publish5("fpi/t", BAD, qos=1, pid=1, props=[(PAYLOAD_FORMAT, 1)]))
    check_eq((1, hexs(RC_PAYLOAD_FORMAT_INVALID)), (lambda a: (a["pid"], hexs(a["rc"])))(ack_of(p.expect(PUBACK))), "PUBACK")
    p.send(publish5("fpi/t", BAD, qos=2, pid=2, props=[(PAYLOAD_FORMAT, 1)]))
    check_eq((2, hexs(RC_PAYLOAD_FORMAT_INVALID)), (lambda a: (a["pid"], hexs(a["rc"])))(ack_of(p.expect(PUBREC))), "PUBREC")
    publish5_ok(p, "fpi/t", BAD, qos=1, pid=3)  # no indicator: just bytes
    check_eq([b"ok\xc3\x28"], [m["payload"] for m in collect_publishes(s, 1.0)], "delivered")
    p.send(publish5("fpi/t", BAD, props=[(PAYLOAD_FORMAT, 1)]))
    expect_disconnect(p, RC_PAYLOAD_FORMAT_INVALID)
    s.expect_nothing(0.5)
PY
