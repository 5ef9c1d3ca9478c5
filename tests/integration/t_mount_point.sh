#!/usr/bin/env bash
# mount_point per listener (issue #16, Mosquitto's semantics): a plain listener and one with
# `mount_point site1/`. A client on the mounted listener publishes `temp`: it is `site1/temp`
# for everyone else; its `#` receives `site1/x` as `x` and never `other/secret` from the plain
# listener; its `$SYS/#`, `+/#` and `$share/g/#` stay inside the prefix; retained messages and
# its will are mounted too; the ACL is applied to the full topics (it allows only `site1/#`
# and `other/#`, so the mounted `#` and `temp` are granted as `site1/#` and `site1/temp`,
# and a plain client's `temp` is refused). The kernel fast path never joins a mounted client.
# timeout: 60
. "$(dirname "$0")/lib.sh"
printf 'topic readwrite site1/#\ntopic readwrite other/#\ntopic read $SYS/#\n' >"$T/acl"
start_broker "acl_file $T/acl" "sys_interval 1" \
	"listener $BROKER_PORT2 $BROKER_HOST" "mount_point site1/"
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"
py <<'PY'
import os
from mqttc import *

P2 = int(os.environ["BROKER_PORT2"])

plain = Client("plain"); plain.connect()
plain.subscribe([("#", 1)])  # only what the ACL lets it read: site1/# and other/#
plain.publish("site1/kept", "r", qos=1, retain=True)
plain.drain()

m = Client("m1", port=P2); m.connect()
check_eq(list(m.subscribe([("#", 1)])), [1], "mounted # granted (site1/# is allowed)")
check_eq(m.get(3)[:4], ("kept", b"r", 1, 1), "retained site1/kept delivered as kept")

# the issue's scenario: the mounted `temp` is site1/temp; other/secret stays out of the mount
m.publish("temp", "21", qos=1)
check_eq(plain.get(3)[:2], ("site1/temp", b"21"), "mounted publish reaches the plain listener")
check_eq(m.get(3)[:2], ("temp", b"21"), "its own message comes back without the prefix")
plain.publish("other/secret", "s", qos=1)
plain.publish("site1/x", "in", qos=1)
check_eq(m.get(3)[:2], ("x", b"in"), "site1/x delivered as x")
m.expect_none(0.5)
check_eq([x[:2] for x in plain.collect(0.5)], [("other/secret", b"s"), ("site1/x", b"in")],
         "plain subscriber")

# the ACL sees full topics: a plain client may not publish `temp`
plain.publish("temp", "no", qos=1)
m.expect_none(0.5)

# no way out: $SYS, +/#, $share
m2 = Client("m2", port=P2); m2.connect()
m2.subscribe([("$SYS/#", 0), ("+/#", 0), ("$share/g/#", 0)])
got = m2.collect(2.5)  # two $SYS rounds
check(all(not x.topic.startswith("$SYS/broker") for x in got), "mounted $SYS/#: %r" % got[:3])
check_eq([(x.topic, x.retain) for x in got], [("kept", 1)],
         "only site1/ topics: the retained site1/kept through +/# (no retained for $share)")
plain.publish("site1/a/b", "ab")
plain.publish("other/a", "oa")
got = sorted((x.topic, x.payload) for x in m2.collect(1.0))
check_eq(got, [("a/b", b"ab"), ("a/b", b"ab")], "+/# and $share/g/# inside the mount")
m2.disconnect()

check_eq([x.topic for x in m.collect(0.5)], ["a/b"], "mounted # meanwhile")
# unsubscribe uses the mounted filter too
m.unsubscribe(["#"])
plain.publish("site1/y", "y", qos=1)
m.expect_none(0.5)

# the will is mounted: site1/gone
w = Client("w1", port=P2, will=("gone", "bye", 1, False)); w.connect()
plain.drain()
w.drop()
check_eq(plain.get(3)[:2], ("site1/gone", b"bye"), "mounted will")

# QoS 0 flows a plain broker would give the kernel fast path: the topics still change
# at the mount in both directions (a kernel relay would pass `q0` through unchanged)
sp = Client("sp"); sp.connect(); sp.subscribe([("site1/q0", 0)])
sm = Client("sm", port=P2); sm.connect(); sm.subscribe([("p0", 0)])
pm = Client("pm", port=P2); pm.connect()
pp = Client("pp"); pp.connect()
for i in range(300):
    pm.publish("q0", str(i), wait=False)
    pp.publish("site1/p0", str(i), wait=False)
a = sp.collect(2.0)
b = sm.collect(0.5)
check_eq({x.topic for x in a}, {"site1/q0"}, "mounted -> plain QoS 0 topics")
check_eq({x.topic for x in b}, {"p0"}, "plain -> mounted QoS 0 topics")
check(len(a) == 300 and len(b) == 300, "all QoS 0 messages: %d %d" % (len(a), len(b)))
for c in (sp, sm, pm, pp, m, plain):
    c.disconnect()
print("ok")
PY
stop_broker
