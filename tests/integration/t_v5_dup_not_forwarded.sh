#!/usr/bin/env bash
# The DUP flag is per hop [MQTT-3.3.1-3]: a publisher's QoS 1 PUBLISH with DUP 1 (a retry) reaches
# the subscriber as a first sending, DUP 0 [MQTT-4.3.2-2], with a non-zero packet id
# [MQTT-2.2.1-4]; the PUBACK echoes the publisher's packet id [MQTT-2.2.1-5].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    s = subscriber5("dnf", [("dnf/t", 1)])
    p, _ = client5("dnf-pub")
    p.send(publish5("dnf/t", "retry", qos=1, pid=0x7777, dup=True))
    check_eq(0x7777, ack_of(p.expect(PUBACK))["pid"], "PUBACK packet id")
    m = recv_publish(s)
    check_eq((b"retry", 1, False), (m["payload"], m["qos"], m["dup"]), "forwarded")
    check(m["pid"] != 0, "packet id 0")
PY
