#!/usr/bin/env bash
# broker: mqttgwd
# A second CONNECT is a protocol violation [MQTT-3.1.0-2]; the server closes the connection and,
# as for every close without DISCONNECT, publishes the will [MQTT-3.1.2-8].
# Mosquitto 2.0.11 closes the connection but drops the will in this one case (it publishes it
# for other protocol errors, see t_will_protocol_error): a deviation, hence mqttgwd only.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s = subscriber("w2-watch", [("w2/#", 1)])
    c, _ = client("w2", will=("w2/will", "second-connect", 1, False))
    c.send(connect("w2"))
    c.assert_closed(within=3)
    m = s.expect(PUBLISH, timeout=3).publish()
    check_eq(("w2/will", b"second-connect"), (m["topic"], m["payload"]), "will")
    s.send(puback(m["pid"]))
PY
