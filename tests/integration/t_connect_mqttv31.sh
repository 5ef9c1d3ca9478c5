#!/usr/bin/env bash
# MQTT 3.1 (protocol name MQIsdp, level 3) clients: raw CONNECT gets CONNACK 0, and
# mosquitto_pub/mosquitto_sub -V mqttv31 exchange QoS 0, 1 and 2 messages; a 3.1 subscriber also
# receives from a 3.1.1 publisher and vice versa.
. "$(dirname "$0")/lib.sh"
py_test mqttraw <<'PY'
def t():
    c, sp = client("v31raw", proto_level=3)
    check_eq(False, sp, "session present")
    check_eq([2], subscribe_ok(c, [("v31/raw", 2)]), "SUBACK")
    c.send(publish("v31/raw", "self", qos=1, pid=4))
    seen = {}
    for _ in range(2):
        p = c.recv(3)
        check(p is not None, "expected PUBACK and PUBLISH")
        seen[p.type] = p
    check_eq(4, seen[PUBACK].pid(), "PUBACK id")
    m = seen[PUBLISH].publish()
    check_eq((b"self", 1), (m["payload"], m["qos"]), "payload, qos")
    c.send(puback(m["pid"]))
    c.send(disconnect())
PY
for q in 0 1 2; do
	out=$T/sub31_$q.out
	sub_bg "$out" -V mqttv31 -q "$q" -t "v31/q$q" -C 2 -W 10
	pub -V mqttv31 -q "$q" -t "v31/q$q" -m "from31-q$q"
	pub -V mqttv311 -q "$q" -t "v31/q$q" -m "from311-q$q"
	wait_pid "$SUB_PID" 12
	assert_eq 0 "$WAIT_RC" "mosquitto_sub -V mqttv31 exit status"
	assert_eq "from31-q$q
from311-q$q" "$(sub_payloads "$out")" "payloads at QoS $q"
	assert_eq 2 "$(sub_publish_lines "$out" | grep -c "q$q, r0")" "QoS $q flags"
done
# 3.1.1 subscriber, 3.1 publisher
sub_bg "$T/sub311.out" -V mqttv311 -q 1 -t v31/x -C 1 -W 10
pub -V mqttv31 -q 1 -t v31/x -m cross
wait_pid "$SUB_PID" 12
assert_eq cross "$(sub_payloads "$T/sub311.out")"
