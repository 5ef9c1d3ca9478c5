#!/usr/bin/env bash
# Will Flag 0 with Will QoS != 0 [MQTT-3.1.2-13] or Will Retain 1 [MQTT-3.1.2-15], and Will QoS 3
# [MQTT-3.1.2-14]: malformed CONNECT, the server closes the connection without a CONNACK.
. "$(dirname "$0")/lib.sh"
start_broker
py <<'PY'
from mqttraw import *
def t():
    cases = [
        ("will qos 1, no will flag", connect("w1", flags=0x02 | 0x08)),
        ("will qos 2, no will flag", connect("w2", flags=0x02 | 0x10)),
        ("will retain, no will flag", connect("w3", flags=0x02 | 0x20)),
        ("will qos 3", connect("w4", will=("w/t", "x", 3, False))),
    ]
    for what, data in cases:
        c = Conn()
        c.send(data)
        try:
            c.assert_closed(within=3)
        except TestFailure as e:
            raise TestFailure("%s: %s" % (what, e))
    assert_broker_serves()
main(t)
PY
