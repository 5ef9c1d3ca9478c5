#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 150
# What never touches the disk: clean sessions (3.1.1 CleanSession 1, v5 Session Expiry 0), their
# subscriptions and the QoS 1/2 messages only they get, QoS 0 messages (even to a persistent
# session), $SYS topics. Checked in the database after a SIGTERM (everything committed); then a
# QoS 1 message for the offline persistent session is stored (the check can see rows). And with
# `persistence false` nothing is written at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
SYS_INTERVAL=1
py_test mqttraw "${STORE_CONF[@]}" <<'PY'
import mqtt5raw as m5
def t():
    s = subscriber("ns-persist", [("ns/p", 1), ("ns/zero", 0)], clean=False)
    s.send(disconnect())
    c = subscriber("ns-clean", [("ns/c/#", 2)], clean=True)
    v, _ = m5.client5("ns-v5-zero", clean=False, props=[(m5.SESSION_EXPIRY, 0)])
    m5.subscribe5_ok(v, [("ns/c/#", m5.sub_opts(qos=1))])
    p, _ = client("ns-pub")
    for i in range(20):
        p.send(publish("ns/c/%d" % i, "c%d" % i, qos=1 + i % 2, pid=1 + i))
        a = p.expect(PUBACK if i % 2 == 0 else PUBREC)
        if i % 2:
            p.send(pubrel(1 + i))
            p.expect(PUBCOMP)
        p.send(publish("ns/zero", "z%d" % i, qos=0))
        p.send(publish("ns/p", "q0-%d" % i, qos=0))
    for i in range(20):
        c.expect(PUBLISH)
    time.sleep(1.5)  # $SYS published (retained) at least once
    p.send(disconnect())
    c.send(disconnect())
    v.send(m5.disconnect5())
PY
stop_broker
counts=$(store_sql "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM subs), (SELECT count(*) FROM messages), (SELECT count(*) FROM out), (SELECT count(*) FROM retained);")
log "sessions|subs|messages|out|retained: $counts"
[ "$counts" = "1|2|0|0|0" ] ||
	fail "expected only ns-persist and its 2 subscriptions stored, got sessions|subs|messages|out|retained = $counts"
restart_broker
pub -q 1 -t ns/p -m stored
stop_broker
counts=$(store_sql "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM out);")
[ "$counts" = "1|1" ] || fail "a QoS 1 message for the offline persistent session: messages|out = $counts"

# persistence false: nothing at all in the directory
mkdir -p "$T/off"
start_broker "persistence false" "persistence_location $T/off" "fastpath off"
sub -q 1 -c -i ns-off -t ns/p -W 1 >/dev/null || true
pub -q 1 -t ns/p -m x
stop_broker
[ -z "$(ls -A "$T/off")" ] || fail "persistence false wrote: $(ls -A "$T/off")"
