#!/usr/bin/env bash
# The server accepts client ids of 1 to 23 characters from [0-9a-zA-Z] [MQTT-3.1.3-5] (and here
# longer UTF-8 ones too), and uses the id to find the session [MQTT-3.1.3-2]: ids differing only in
# case are different sessions.
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
SEI = [(SESSION_EXPIRY, 60)]
def t():
    for cid in ("a", "0123456789abcdefghijklm", "ABCDEFGHIJKLMNOPQRSTUVW", "client-with-ünicode-" + "x" * 80):
        c, _ = client5(cid)
        c.send(disconnect5()); c.close()
    c, _ = client5("CaseID", clean=False, props=SEI, expect_present=False)
    c.send(disconnect5()); c.close()
    client5("caseid", clean=False, props=SEI, expect_present=False)
    client5("CaseID", clean=False, props=SEI, expect_present=True)
PY
