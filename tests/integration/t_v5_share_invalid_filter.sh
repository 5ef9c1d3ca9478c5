#!/usr/bin/env bash
# broker: mqttgwd
# Shared subscription filters must be $share/{ShareName}/{filter} with a non-empty ShareName
# without '/', '+', '#' [MQTT-4.8.2-1], [MQTT-4.8.2-2]. The spec names no reaction; the server
# refuses each bad filter either in the SUBACK (0x8F Topic Filter invalid, the other filters of the
# packet still granted) or as a Malformed Packet / Protocol Error (DISCONNECT 0x81/0x82). Never a
# grant. Mosquitto 2.0.11 grants $share//sif/t (empty ShareName), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
start_broker
py <<'PY'
from mqtt5raw import *
def t():
    for i, bad in enumerate(("$share//sif/t", "$share/g+/sif/t", "$share/g#/sif/t", "$share/g/")):
        c, _ = client5("sif-%d" % i)
        c.send(subscribe5(1, [("sif/ok", 1), (bad, 1)]))
        p = c.recv(3.0)
        check(p is not None, "%r: no answer" % bad)
        if p.type == SUBACK:
            check_eq([1, RC_TOPIC_FILTER_INVALID], suback_of(p)["codes"], "SUBACK for %r" % bad)
        else:
            c.buf = raw_of(p) + c.buf
            rc = disconnect_of(p)["rc"]
            check(rc in (RC_MALFORMED, RC_PROTOCOL_ERROR), "%r: DISCONNECT 0x%02x" % (bad, rc))
            expect_disconnect(c, rc)
main(t)
PY
