#!/usr/bin/env bash
# The will goes out at the earlier of its delay and the session's end (3.1.3.2.2): Will Delay 30 s
# with Session Expiry 1 s publishes it when the session expires (within 3 s of the close).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
import time
def t():
    w = subscriber5("wse-watch", [("wse/#", 1)])
    c, _ = client5("wse-1", props=[(SESSION_EXPIRY, 1)],
                   will=dict(topic="wse/one", payload="session-expired", qos=1, props=[(WILL_DELAY, 30)]))
    c.close()
    t0 = time.monotonic()
    m = recv_publish(w, 3.0)
    print("will %.2f s after the close (session expiry 1 s)" % (time.monotonic() - t0))
    check_eq(("wse/one", b"session-expired"), (m["topic"], m["payload"]), "will at session expiry")
PY
