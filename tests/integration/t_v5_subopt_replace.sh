#!/usr/bin/env bash
# broker: mqttgwd
# A SUBSCRIBE with a filter identical to an existing non-shared subscription replaces it
# [MQTT-3.8.4-3]: QoS 2 without No Local becomes QoS 0 with No Local, so the client's own messages
# stop and others arrive once, at QoS 0 [MQTT-3.8.4-8]. Mosquitto 2.0.11 takes the new QoS but keeps
# No Local 0 (the client still gets its own message), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    c = subscriber5("srp", [("srp/t", sub_opts(2))], sub_pid=1)
    publish5_ok(c, "srp/t", "own-1", qos=2, pid=10)
    m = recv_publish(c)
    check_eq((b"own-1", 2), (m["payload"], m["qos"]), "before the replacement")
    check_eq([0], subscribe5_ok(c, [("srp/t", sub_opts(0, nl=True))], pid=2), "SUBACK")
    publish5_ok(c, "srp/t", "own-2", qos=2, pid=11)
    p, _ = client5("srp-pub")
    publish5_ok(p, "srp/t", "other", qos=2, pid=1)
    got = collect_publishes(c, 1.0)
    check_eq([(b"other", 0)], [(m["payload"], m["qos"]) for m in got], "after the replacement")
PY
