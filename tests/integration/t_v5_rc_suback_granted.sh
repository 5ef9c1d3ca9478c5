#!/usr/bin/env bash
# SUBACK has one reason code per Topic Filter, in order [MQTT-3.8.4-6], [MQTT-3.9.3-1], showing
# the granted QoS [MQTT-3.8.4-7], with the SUBSCRIBE's packet id [MQTT-3.8.4-2]; one SUBSCRIBE with
# several filters acts as several SUBSCRIBEs [MQTT-3.8.4-5]; delivery QoS is the minimum of the
# published and granted QoS [MQTT-3.8.4-8].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s, _ = client5("rs")
    s.send(subscribe5(0xBEEF, [("rs/two", 2), ("rs/zero", 0), ("rs/one", 1), ("rs/+/w", 2)]))
    a = suback_of(s.expect(SUBACK))
    check_eq((0xBEEF, [2, 0, 1, 2]), (a["pid"], a["codes"]), "SUBACK")
    p, _ = client5("rs-pub")
    for i, (topic, want) in enumerate((("rs/two", 2), ("rs/zero", 0), ("rs/one", 1), ("rs/x/w", 2))):
        publish5_ok(p, topic, topic, qos=2, pid=i + 1)
        m = recv_publish(s)
        check_eq((topic, want), (m["topic"], m["qos"]), "delivery QoS")
PY
