#!/usr/bin/env bash
# broker: mqttgwd
# persistent_client_expiration removes an offline clean-0 session after the period: reconnecting
# after it has session present 0 and gets neither the queued messages nor the old subscriptions;
# reconnecting before it finds the session. Needs a seconds value ("2s"): Mosquitto 2.0.11 only
# takes h/d/w/m/y (minimum 1 hour), so this cannot run against it in test time. The logic was
# checked against Mosquitto with its clock sped up 1800 times (1h = 2 s):
#   MQTTGW_TEST_FORCE=1 MQTTGW_TEST_BROKER=mosquitto MQTTGW_TEST_EXPIRY=1h \
#   MQTTGW_BROKER_WRAPPER=/tmp/ftwrap.sh bash tests/integration/t_session_expiry.sh
# with /tmp/ftwrap.sh: exec env LD_PRELOAD=.../faketime/libfaketime.so.1 FAKETIME="+0 x1800" \
#   FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"      (Debian package libfaketime)
# timeout: 60
. "$(dirname "$0")/lib.sh"
py_test mqttc "persistent_client_expiration ${MQTTGW_TEST_EXPIRY:-2s}" <<'PY'
import time
def t():
    s = Client("ex-sub", clean_session=False)
    s.connect()
    s.subscribe([("ex/t", 1)])
    s.disconnect()
    time.sleep(0.5)
    s = Client("ex-sub", clean_session=False)
    check_eq(True, s.connect(), "reconnect within the period: session present")
    s.disconnect()
    p = Client("ex-pub")
    p.connect()
    p.publish("ex/t", "queued", qos=1)
    time.sleep(4.0)  # 2 s period, plus slack for a periodic expiry check
    s = Client("ex-sub", clean_session=False)
    check_eq(False, s.connect(), "reconnect after expiry: session present")
    s.expect_none(1.0)
    p.publish("ex/t", "after", qos=1)
    s.expect_none(1.0)  # the subscription went with the session
PY
