#!/usr/bin/env bash
# A 3.1.1 publisher and a v5 subscriber on the same topic: the v5 client gets the message with
# its topic, payload and QoS, no properties it did not ask for (only its own Subscription
# Identifier), RETAIN per its Retain As Published option; retained 3.1.1 messages reach v5
# subscribers on subscribe with RETAIN 1. Publisher: mosquitto_pub (3.1.1); subscriber: raw v5.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
pub -V mqttv311 -t i3/kept -q 1 -r -m retained-v3
py_ready "subscriber not ready" <<'PY'
from mqtt5raw import *
import sys
def t():
    s = subscriber5("i5-sub", [("i3/#", sub_opts(2, rap=True))], sub_props=[(SUBSCRIPTION_ID, 12)])
    m = recv_publish(s)
    check_eq(("i3/kept", b"retained-v3", 1, True, [(SUBSCRIPTION_ID, 12)]),
             (m["topic"], m["payload"], m["qos"], m["retain"], list(m["props"])), "retained message")
    open(sys.argv[1], "w").write("ready\n")
    m = recv_publish(s, 10)
    check_eq(("i3/t", b"hello-v5", 2, False, [(SUBSCRIPTION_ID, 12)]),
             (m["topic"], m["payload"], m["qos"], m["retain"], list(m["props"])), "live message")
main(t)
PY
pub -V mqttv311 -t i3/t -q 2 -m hello-v5
py_done 15 "subscriber checks"
pub -V mqttv311 -t i3/kept -r -n
