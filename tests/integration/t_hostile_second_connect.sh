#!/usr/bin/env bash
# broker: mqttgwd
# A second CONNECT on a connection is a Protocol Error [MQTT-3.1.0-2]: 3.1.1 closes without a
# second CONNACK; 5.0 sends DISCONNECT 0x82 then closes (4.13.2). Also when both CONNECTs come
# in one segment (one CONNACK, then the close), when the second one is malformed or another
# protocol version, and for a burst of 100 CONNECTs. The will of the first CONNECT is published
# (the close is not a normal disconnection) [MQTT-3.1.2-8]. Within 3 s each; a bystander
# subscribed before keeps receiving.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without the DISCONNECT (a SHOULD) and sends
# no will after a second CONNECT (see t_will_second_connect).
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import mqttraw

from hostile import bystander, bystander_alive

def will_arrives(b, name):
    m = b.expect(PUBLISH, timeout=3).publish()
    check_eq(("sc/will/" + name, b"gone"), (m["topic"], m["payload"]), "will of %s" % name)
    b.send(mqttraw.puback(m["pid"]))

def t():
    b = bystander([("sc/will/#", 1)])
    # 3.1.1, separate segments
    c, _ = mqttraw.client("sc3", will=("sc/will/sc3", "gone", 1, False))
    c.send(mqttraw.connect("sc3"))
    c.assert_closed(within=3)
    will_arrives(b, "sc3")
    bystander_alive(b, "v3")
    # 3.1.1, one segment: one CONNACK, then the close
    c = Conn()
    c.send(mqttraw.connect("sc3b") + mqttraw.connect("sc3b"))
    got = c.assert_closed(within=3, allow=(CONNACK,))
    check_eq(1, len(got), "3.1.1 one segment: packets before the close")
    # 5.0, separate segments, second CONNECT a 3.1.1 one
    c, _ = client5("sc5", will=("sc/will/sc5", "gone", 1, False))
    c.send(mqttraw.connect("sc5"))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    will_arrives(b, "sc5")
    # 5.0, the same CONNECT again
    c, _ = client5("sc5b")
    c.send(connect5("sc5b"))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    # 5.0, second CONNECT malformed: the protocol error (a CONNECT at all) or malformed
    c, _ = client5("sc5c")
    c.send(b"\x10\x03\x00\x01M")
    _, got = c.wait_closed(3)
    check(len(got) == 1 and got[0].type == DISCONNECT and disconnect_of(got[0])["rc"] in
          (RC_PROTOCOL_ERROR, RC_MALFORMED), "5.0 malformed second CONNECT: expected DISCONNECT "
          "0x82 or 0x81, got %r" % got)
    # 5.0, one segment
    c = Conn()
    c.send(connect5("sc5d") + connect5("sc5d"))
    _, got = c.wait_closed(3)
    check_eq(["CONNACK", "DISCONNECT"], [p.name for p in got], "5.0 one segment")
    check_eq(0, connack5(got[0])["rc"], "5.0 one segment: CONNACK")
    check_eq(hexs(RC_PROTOCOL_ERROR), hexs(disconnect_of(got[1])["rc"]), "5.0 one segment: DISCONNECT")
    # a burst: 100 CONNECTs after the first
    c, _ = client5("sc5e")
    c.send(connect5("sc5e") * 100)
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    bystander_alive(b, "v5")
    b.expect_nothing(0.3)
PY
