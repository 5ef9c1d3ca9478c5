#!/usr/bin/env bash
# Filters starting with a wildcard do not match topics starting with '$' [MQTT-4.7.2-1]: '#',
# '+/broker/uptime' and '+/+/+' receive no $SYS message (neither retained on subscribe nor the
# periodic updates, sys_interval 1), while '$SYS/#' and '$SYS/broker/uptime' do; a normal topic
# x/broker/uptime proves the wildcard subscribers are live.
. "$(dirname "$0")/lib.sh"
SYS_INTERVAL=1
py_test mqttc <<'PY'
import time
def t():
    subs = {}
    for i, flt in enumerate(["#", "+/broker/uptime", "+/+/+", "$SYS/#", "$SYS/broker/uptime"]):
        c = Client("dl%d" % i)
        c.connect()
        c.subscribe([(flt, 0)])
        subs[flt] = c
    p = Client("dl-pub")
    p.connect()
    p.publish("x/broker/uptime", "sentinel", qos=1)
    time.sleep(2.5)
    got = {flt: c.drain() for flt, c in subs.items()}
    for flt in ("#", "+/broker/uptime", "+/+/+"):
        topics = [m.topic for m in got[flt]]
        check(all(not t.startswith("$") for t in topics), "%r matched $ topics: %s" % (flt, topics))
        check_eq(["x/broker/uptime"], topics, "%r deliveries" % flt)
    sys_all = [m.topic for m in got["$SYS/#"]]
    check("$SYS/broker/uptime" in sys_all, "$SYS/# got no $SYS/broker/uptime: %s" % sys_all)
    check(all(t.startswith("$SYS/") for t in sys_all), "$SYS/# got %s" % sys_all)
    up = [m.topic for m in got["$SYS/broker/uptime"]]
    check(up and set(up) == {"$SYS/broker/uptime"}, "$SYS/broker/uptime got %s" % up)
PY
