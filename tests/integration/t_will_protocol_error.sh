#!/usr/bin/env bash
# When the server closes a connection because of a protocol error the will is published
# [MQTT-3.1.2-8]: here a SUBSCRIBE with requested QoS 3 (malformed, [MQTT-3-8.3-4]) and a PUBREL
# with reserved flags 0000 [MQTT-3.6.1-1].
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    s = subscriber("wp-watch", [("wp/#", 1)])
    for what, bad in (("subscribe-qos3", subscribe(1, [("a", 3)])),
                      ("pubrel-flags", packet(0x60, b"\x00\x01"))):
        c, _ = client("wp", will=("wp/will", what, 1, False))
        c.send(bad)
        c.assert_closed(within=3)
        m = s.expect(PUBLISH, timeout=3).publish()
        check_eq(("wp/will", what.encode()), (m["topic"], m["payload"]), "will after %s" % what)
        s.send(puback(m["pid"]))
    assert_broker_serves()
PY
