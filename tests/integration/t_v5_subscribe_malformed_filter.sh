#!/usr/bin/env bash
# A SUBSCRIBE or UNSUBSCRIBE carrying a syntactically invalid topic filter is a malformed packet
# (issue #12 item 3): a zero-length filter [MQTT-4.7.3-1], a misplaced wildcard [MQTT-4.7.1-1],
# [MQTT-4.7.1-2] ('#/a', 'a/#/b', 'a+'), a malformed shared filter [MQTT-4.8.2-1], [MQTT-4.8.2-2]
# ('$share/g/', '$share//a', '$share/g'). MQTT 5: DISCONNECT 0x81 (Malformed Packet, 4.13) then
# the close; 3.1.1: the close without a SUBACK/UNSUBACK. A valid filter in the same packet does
# not save it, and nothing of the packet is granted: a later publish on the valid filter reaches
# nobody. Mosquitto 2.0 also closes the connection.
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

BAD = ["", "#/a", "a/#/b", "a+", "$share/g/", "$share//a", "$share/g"]

def t():
    p, _ = client5("smf-pub")
    for i, bad in enumerate(BAD):
        c, _ = client5("smf5-%d" % i)
        c.send(subscribe5(1, [("smf/ok", 1), (bad, 1)]))
        expect_disconnect(c, RC_MALFORMED)
        c = subscriber5("smf5u-%d" % i, [("smf/u", 1)])
        c.send(unsubscribe5(2, ["smf/u", bad]))
        expect_disconnect(c, RC_MALFORMED)
        c3, _ = mqttraw.client("smf3-%d" % i)
        c3.send(mqttraw.subscribe(1, [("smf/ok", 1), (bad, 1)]))
        c3.assert_closed(3.0)
        c3, _ = mqttraw.client("smf3u-%d" % i)
        c3.send(mqttraw.unsubscribe(2, ["smf/u", bad]))
        c3.assert_closed(3.0)
    # nothing of the refused packets was granted (their sessions ended with the connections)
    w = subscriber5("smf-watch", [("smf/#", 1)])
    publish5_ok(p, "smf/ok", "m", qos=1)
    check_eq([b"m"], payloads(collect_publishes(w, 0.5)), "the watcher alone gets it")
    assert_broker_serves5()
PY
