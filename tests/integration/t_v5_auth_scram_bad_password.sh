#!/usr/bin/env bash
# broker: mqttgwd
# A SCRAM-SHA-256 exchange with a wrong password is rejected [MQTT-4.12.0-4]: after the
# client-final-message the server answers CONNACK 0x86 (Bad User Name or Password) or 0x87 (Not
# authorized) and closes; an unknown user is rejected the same way (at the first step or after
# the proof). Configuration as in t_v5_auth_scram_sha256.
# timeout: 30
. "$(dirname "$0")/lib.sh"
scram_secret alice s3cret >"$T/scram.txt"
start_broker_auth "allow_anonymous false" "scram_password_file $T/scram.txt"
py <<'PY'
from mqtt5raw import *
def attempt(user, password):
    s = Scram(user, password)
    c = Conn()
    c.send(connect5("scram-" + user, props=[(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_first())]))
    p = c.recv(3.0)
    check(p is not None, "%s: no answer to CONNECT" % user)
    if p.type == AUTH:
        a = auth_of(p)
        check_eq(hexs(RC_CONTINUE_AUTH), hexs(a["rc"]), "%s: AUTH reason" % user)
        c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
    else:
        c.buf = raw_of(p) + c.buf
    ack = expect_refused(c, [RC_BAD_USERNAME_OR_PASSWORD, RC_NOT_AUTHORIZED], silent_ok=False)
    check(not ack["sp"], "Session Present on a refusal")
def t():
    attempt("alice", "wrong")
    attempt("mallory", "s3cret")
main(t)
PY
