#!/usr/bin/env bash
# `max_topic_alias` in a listener block is that listener's (Mosquitto): with 2 on the second
# listener and the default 10 on the first, CONNACK says 2 there and 10 here; alias 3 is
# refused there (DISCONNECT 0x94) and works here.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
start_broker "listener $BROKER_PORT2 $BROKER_HOST" "max_topic_alias 2"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py <<'PY'
import os
from mqtt5raw import *

P2 = int(os.environ["BROKER_PORT2"])

def conn(cid, port):
    c = Conn(port=port)
    c.send(connect5(cid))
    a = connack5(c.recv(3.0))
    check_eq(0, a["rc"], "CONNACK")
    return c, a["props"].get(TOPIC_ALIAS_MAX)

c1, m1 = conn("a1", None)
c2, m2 = conn("a2", P2)
check_eq((10, 2), (m1, m2), "Topic Alias Maximum per listener")
check_eq([0], subscribe5_ok(c1, [("al/#", 0)]), "SUBACK")
c1.send(publish5("al/x", b"via-alias", props=[(TOPIC_ALIAS, 3)]))
check_eq("al/x", publish_of(c1.expect(PUBLISH))["topic"], "alias 3 on the first listener")
c2.send(publish5("al/y", b"no", props=[(TOPIC_ALIAS, 3)]))
check_eq(0x94, disconnect_of(c2.expect(DISCONNECT))["rc"], "alias 3 over the listener's 2")
print("ok")
PY
stop_broker
