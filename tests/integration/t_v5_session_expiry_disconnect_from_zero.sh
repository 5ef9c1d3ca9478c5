#!/usr/bin/env bash
# A session that had Session Expiry Interval 0 at CONNECT cannot get a non-zero one at DISCONNECT:
# the server does not treat that DISCONNECT as valid and answers DISCONNECT 0x82 (3.14.2.2.2), so
# the will is published as for any abnormal end [MQTT-3.1.2-8].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = subscriber5("sez-watch", [("sez/will", 1)])
    c, _ = client5("sez", will=("sez/will", "gone", 1, False))
    c.send(disconnect5(0, [(SESSION_EXPIRY, 30)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    m = recv_publish(w, 3)
    check_eq(("sez/will", b"gone"), (m["topic"], m["payload"]), "will")
    client5("sez", clean=False, expect_present=False)  # and the session did not stay
PY
