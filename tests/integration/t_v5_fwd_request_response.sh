#!/usr/bin/env bash
# Request/response (4.10) end to end with real clients: mosquitto_rr -V 5 sends a request with a
# Response Topic and Correlation Data; a paho MQTTv5 responder answers on that Response Topic with
# the same Correlation Data; mosquitto_rr prints the answer.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "the python client did not get ready" <<'PY'
from mqtt5raw import *
import sys
def t():
    r = Paho5("frr-responder"); r.connect()
    r.subscribe("frr/request", qos=1)
    open(sys.argv[1], "w").write("ready\n")
    m = r.get(10)
    rt, cd = m["props"].get("ResponseTopic"), m["props"].get("CorrelationData")
    check(rt, "request without Response Topic: %r" % m)
    r.publish(rt, b"answer to " + m["payload"], qos=1,
              props={"CorrelationData": cd} if cd is not None else None)
main(t)
PY
out=$(run_fg "${CLI[@]}" timeout 10 mosquitto_rr -V 5 -h "$BROKER_HOST" -p "$BROKER_PORT" -t frr/request \
	-e frr/response -m question -q 1 -W 5)
py_done 10 "responder"
assert_eq "answer to question" "$out" "mosquitto_rr output"
