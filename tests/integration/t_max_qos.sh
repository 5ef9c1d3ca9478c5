#!/usr/bin/env bash
# `max_qos 1` on a listener (Mosquitto): MQTT 5 CONNACK says Maximum QoS 1; SUBSCRIBE at QoS 2
# is granted QoS 1; a QoS 2 PUBLISH gets DISCONNECT 0x9B (3.1.1: the connection is closed);
# a will at QoS 2 gets CONNACK 0x9B; QoS 1 works. The other listener keeps QoS 2.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "max_qos 1"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py <<'PY'
import os
from mqtt5raw import *
import mqttraw

P2 = int(os.environ["BROKER_PORT2"])

def conn(cid, port, **kw):
    c = Conn(port=port)
    c.send(connect5(cid, **kw))
    return c, connack5(c.recv(3.0))

c, a = conn("q1", P2)
check_eq(0, a["rc"], "CONNACK")
check_eq(1, a["props"].get(MAX_QOS), "Maximum QoS in CONNACK")
check_eq([1], subscribe5_ok(c, [("q/#", 2)]), "QoS 2 granted as 1")
c.send(publish5("q/1", b"one", qos=1, pid=7))
check_eq(1, publish_of(c.expect(PUBLISH))["qos"], "its QoS 1 message comes back at 1")
c.expect(PUBACK)
c.send(publish5("q/2", b"two", qos=2, pid=8))
check_eq(0x9B, disconnect_of(c.expect(DISCONNECT))["rc"], "QoS 2 PUBLISH")
c.wait_closed(3)

c, a = conn("w2", P2, will=("w", b"x", 2, False))
check_eq(0x9B, a["rc"], "will at QoS 2")

c = Conn(port=P2)
c.send(mqttraw.connect("v3"))
check_eq(bytes([0, 0]), bytes(c.recv(3.0).body[:2]), "3.1.1 CONNACK")
c.send(mqttraw.publish("q/3", b"three", qos=2, pid=9))
c.wait_closed(3)

c, a = conn("plain", None)
check(not a["props"].has(MAX_QOS), "no Maximum QoS on the other listener")
check_eq([2], subscribe5_ok(c, [("q/#", 2)]), "QoS 2 there")
print("ok")
PY
stop_broker
