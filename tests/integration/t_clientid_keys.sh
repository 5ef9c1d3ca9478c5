#!/usr/bin/env bash
# Client-id keys of Mosquitto (issue #16), MQTT 5 and 3.1.1 raw clients:
#  - auto_id_prefix dev-: an empty client id gets an assigned id starting with dev-;
#  - clientid_prefixes dev-: other ids get CONNACK 0x87 (3.1.1: 5, not authorized);
#  - use_username_as_clientid (second listener): the user name is the client id (a second
#    CONNECT with the same user name and another id takes the session over); no user name:
#    not authorized;
#  - allow_zero_length_clientid false in that listener's block under per_listener_settings:
#    an empty id is refused there (0x85) and still assigned on the first listener.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
BROKER_CONF=$T/broker.conf
write_config "$BROKER_CONF" "auto_id_prefix dev-" "clientid_prefixes dev-" \
	"listener $BROKER_PORT2 $BROKER_HOST" "allow_anonymous true" \
	"use_username_as_clientid true" "allow_zero_length_clientid false"
sed -i '1i per_listener_settings true' "$BROKER_CONF"
restart_broker
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py <<'PY'
import os
from mqtt5raw import *
import mqttraw

P2 = int(os.environ["BROKER_PORT2"])

def connack(cid, port=None, **kw):
    c = Conn(port=port)
    c.send(connect5(cid, **kw))
    return c, connack5(c.recv(3.0))

c, a = connack("")
check_eq(0, a["rc"], "empty id accepted")
check(a["props"].get(ASSIGNED_CLIENT_ID, "").startswith("dev-"),
      "assigned id with auto_id_prefix: %r" % a["props"])
c, a = connack("dev-1")
check_eq(0, a["rc"], "dev-1")
c, a = connack("sensor-1")
check_eq(0x87, a["rc"], "an id outside clientid_prefixes (v5)")
c3 = Conn()
c3.send(mqttraw.connect("sensor-2"))
p = c3.recv(3.0)
check_eq(bytes([0, 5]), bytes(p.body[:2]), "an id outside clientid_prefixes (3.1.1)")

# the second listener: user name as client id (clientid_prefixes is global and checks the
# id sent first, as Mosquitto does: dev- ids and users)
u1, a = connack("dev-anything", port=P2, username="dev-alice")
check_eq(0, a["rc"], "user dev-alice")
u2, a = connack("dev-other", port=P2, username="dev-alice")
check_eq(0, a["rc"], "second dev-alice")
p = u1.recv(3.0)  # taken over: the session is dev-alice's, whatever the ids sent
check(p is not None and p.type == DISCONNECT and p.body[:1] == b"\x8e",
      "take-over by user name: %r" % (p,))
c, a = connack("dev-x", port=P2)
check_eq(0x87, a["rc"], "no user name: not authorized")
c, a = connack("", port=P2, username="dev-bob")
check_eq(0x85, a["rc"], "allow_zero_length_clientid false on this listener")
print("ok")
PY
stop_broker
