#!/usr/bin/env bash
# broker: mqttgwd
# max_keepalive 10 over MQTT 3.1.1, which has no Server Keep Alive to impose a smaller value:
# keepalive 10 is accepted, keepalive 11 and 65535 are refused with CONNACK 0x02 (identifier
# rejected) and the connection is closed (Mosquitto >= 2.0.12's behaviour). Mosquitto 2.0.11
# applies max_keepalive to MQTT 5 clients only and accepts 11 with CONNACK 0.
. "$(dirname "$0")/lib.sh"
py_test mqttraw "max_keepalive 10" <<'PY'
def t():
    c, _ = client("mk10", keepalive=10)
    c.send(pingreq()); c.expect(PINGRESP)
    for ka in (11, 65535):
        x = Conn()
        x.send(connect("mk%d" % ka, keepalive=ka))
        sp, rc = x.expect(CONNACK).connack()
        check_eq(0x02, rc, "keepalive %d: CONNACK return code" % ka)
        x.assert_closed(within=3)
PY
