#!/usr/bin/env bash
# A v5 publisher and a 3.1.1 subscriber on the same topic: the 3.1.1 client gets the exact topic
# and payload at min(QoS) with RETAIN 0 for a live message, and no property block (the payload
# would start with it otherwise): user properties, content type, message expiry, response topic,
# correlation data, and the publisher's topic alias are all stripped/resolved. Publisher:
# mosquitto_pub -V mqttv5 with properties; subscriber: raw 3.1.1 packets.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py_ready "subscriber not ready" <<'PY'
from mqtt5raw import *
import sys
def t():
    s, _ = client3("iv3-sub")
    check_eq([1], mqttraw.subscribe_ok(s, [("iv/#", 1)]), "SUBACK")
    open(sys.argv[1], "w").write("ready\n")
    m = s.expect(PUBLISH, 10).publish()
    check_eq(("iv/t", b"hello-v3", 1, False), (m["topic"], m["payload"], m["qos"], m["retain"]), "first message")
    s.send(mqttraw.puback(m["pid"]))
    # the same through a raw v5 publisher using a topic alias for the second message
    p, _ = client5("iv5-pub")
    publish5_ok(p, "iv/alias", "one", qos=1, pid=1, props=[(TOPIC_ALIAS, 1), (USER_PROPERTY, ("k", "v"))])
    publish5_ok(p, "", "two", qos=0, props=[(TOPIC_ALIAS, 1), (MESSAGE_EXPIRY, 30)])
    m = s.expect(PUBLISH).publish()
    check_eq(("iv/alias", b"one", 1), (m["topic"], m["payload"], m["qos"]), "aliased message 1")
    s.send(mqttraw.puback(m["pid"]))
    m = s.expect(PUBLISH).publish()
    check_eq(("iv/alias", b"two", 0), (m["topic"], m["payload"], m["qos"]), "aliased message 2")
    s.expect_nothing(0.5)
main(t)
PY
pub -V mqttv5 -t iv/t -q 2 -m hello-v3 -D publish user-property k v -D publish content-type text/plain \
	-D publish message-expiry-interval 60 -D publish response-topic iv/r -D publish correlation-data c1 \
	-D publish payload-format-indicator 1
py_done 15 "subscriber checks"
