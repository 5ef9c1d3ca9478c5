#!/usr/bin/env bash
# broker: mqttgwd
# Message expiry stops once onward delivery started [MQTT-3.3.2-5], [MQTT-4.3.3-7]: a QoS 2 message
# with expiry 1 s sent but not acknowledged is resent (DUP) on reconnect 2.2 s later, and its QoS 2
# flow completes [MQTT-4.3.3-13]; a QoS 1 one likewise. Mosquitto 2.0.11 drops both at the reconnect,
# hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
SEI = [(SESSION_EXPIRY, 60)]
def t():
    c = subscriber5("eik", [("eik/#", 2)], clean=False, props=SEI)
    p, _ = client5("eik-pub")
    publish5_ok(p, "eik/q2", "two", qos=2, pid=1, props=[(MESSAGE_EXPIRY, 1)])
    publish5_ok(p, "eik/q1", "one", qos=1, pid=2, props=[(MESSAGE_EXPIRY, 1)])
    first = collect_publishes(c, 0.5, ack=False)
    check_eq([b"two", b"one"], [m["payload"] for m in first], "first sending")
    c.close()
    time.sleep(2.2)
    c, _ = client5("eik", clean=False, props=SEI, expect_present=True)
    again = collect_publishes(c, 1.0)
    check_eq([(b"two", True), (b"one", True)], [(m["payload"], m["dup"]) for m in again], "resent")
PY
