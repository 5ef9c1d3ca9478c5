#!/usr/bin/env bash
# broker: mqttgwd
# Will Delay 30 s with Session Expiry 0: the session ends with the connection, so the will goes out
# at the close (within 1 s), not after 30 s (3.1.3.2.2: the earlier of the delay and the session's
# end). Mosquitto 2.0.11 waits the full Will Delay Interval (measured: 30.3 s), hence mqttgwd only.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    w = subscriber5("wns-watch", [("wns/#", 1)])
    c, _ = client5("wns", will=dict(topic="wns/will", payload="session-ended", qos=1,
                                    props=[(WILL_DELAY, 30)]))
    c.close()
    m = recv_publish(w, 1.0)
    check_eq(("wns/will", b"session-ended"), (m["topic"], m["payload"]), "will at the close")
PY
