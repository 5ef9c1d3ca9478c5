#!/usr/bin/env bash
# broker: mqttgwd
# Shared subscription filters must be $share/{ShareName}/{filter} with a non-empty ShareName
# without '/', '+', '#' [MQTT-4.8.2-1], [MQTT-4.8.2-2]. A filter that breaks this rule makes the
# SUBSCRIBE malformed: DISCONNECT 0x81 and the close, even with a valid filter in the same packet. Mosquitto 2.0.11 grants $share//sif/t (empty ShareName), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    for i, bad in enumerate(("$share//sif/t", "$share/g+/sif/t", "$share/g#/sif/t", "$share/g/", "$share/g")):
        c, _ = client5("sif-%d" % i)
        c.send(subscribe5(1, [("sif/ok", 1), (bad, 1)]))
        expect_disconnect(c, RC_MALFORMED)
PY
