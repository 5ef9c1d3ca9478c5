#!/usr/bin/env bash
# User Properties are forwarded unaltered [MQTT-3.3.2-17] and in order [MQTT-3.3.2-18], repeated
# keys and non-ASCII text included. Real clients: mosquitto_pub -V mqttv5 -D publish user-property,
# paho MQTTv5 subscriber.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "the python client did not get ready" <<'PY'
from mqtt5raw import *
import sys
def t():
    s = Paho5("fup-sub"); s.connect()
    s.subscribe("fup/t", qos=1)
    open(sys.argv[1], "w").write("ready\n")
    m = s.get(10)
    check_eq(b"payload", m["payload"], "payload")
    check_eq([("b", "1"), ("a", "2"), ("b", "3"), ("clé", "välue ✓"), ("empty", "")],
             m["props"].get("UserProperty"), "User Properties (order and content)")
main(t)
PY
pub -V mqttv5 -t fup/t -q 1 -m payload -D publish user-property b 1 -D publish user-property a 2 \
	-D publish user-property b 3 -D publish user-property 'clé' 'välue ✓' -D publish user-property empty ''
py_done 15 "subscriber check"
