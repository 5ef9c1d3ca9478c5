#!/usr/bin/env bash
# broker: mqttgwd
# Re-authentication (4.12.1): a client authenticated with SCRAM-SHA-256 sends AUTH 0x19
# (Re-authenticate) with the same Authentication Method [MQTT-4.12.1-1] and a new
# client-first-message; the server answers AUTH 0x18, the client AUTH 0x18 with the proof, the
# server AUTH 0x00 (Success) with the server-final-message; the connection keeps working. A failed
# re-authentication (wrong password) ends with DISCONNECT 0x87 [MQTT-4.12.1-2]; one with another
# method is a Protocol Error -> DISCONNECT 0x82. Configuration as in
# t_v5_auth_scram_sha256.
# timeout: 30
. "$(dirname "$0")/lib.sh"
scram_secret alice s3cret >"$T/scram.txt"
start_broker_auth "allow_anonymous false" "scram_password_file $T/scram.txt"
py <<'PY'
from mqtt5raw import *
M = Scram.METHOD
def t():
    s = Scram("alice", "s3cret")
    c = Conn()
    c.send(connect5("reauth", props=[(AUTH_METHOD, M), (AUTH_DATA, s.client_first())]))
    a = auth_of(c.expect(AUTH))
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
    ack = connack5(c.expect(CONNACK))
    check_eq(0, ack["rc"], "CONNACK")
    s2 = Scram("alice", "s3cret")
    c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, M), (AUTH_DATA, s2.client_first())]))
    a = auth_of(c.expect(AUTH))
    check_eq((hexs(RC_CONTINUE_AUTH), M), (hexs(a["rc"]), a["props"].get(AUTH_METHOD)), "AUTH during re-authentication")
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s2.client_final(a["props"].get(AUTH_DATA)))]))
    a = auth_of(c.expect(AUTH))
    check_eq((hexs(RC_SUCCESS), M), (hexs(a["rc"]), a["props"].get(AUTH_METHOD)), "final AUTH")
    s2.verify_server_final(a["props"].get(AUTH_DATA))
    c.send(pingreq())
    c.expect(PINGRESP)
    # a failed re-authentication ends the connection: DISCONNECT 0x87 [MQTT-4.12.1-2]
    s3 = Scram("alice", "wrong")
    c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, M), (AUTH_DATA, s3.client_first())]))
    a = auth_of(c.expect(AUTH))
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s3.client_final(a["props"].get(AUTH_DATA)))]))
    expect_disconnect(c, RC_NOT_AUTHORIZED)
    # another method than the one of the CONNECT is a Protocol Error [MQTT-4.12.1-1]
    s4 = Scram("alice", "s3cret")
    c = Conn()
    c.send(connect5("reauth-2", props=[(AUTH_METHOD, M), (AUTH_DATA, s4.client_first())]))
    a = auth_of(c.expect(AUTH))
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s4.client_final(a["props"].get(AUTH_DATA)))]))
    check_eq(0, connack5(c.expect(CONNACK))["rc"], "CONNACK")
    c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, "PLAIN"), (AUTH_DATA, b"x")]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
main(t)
PY
