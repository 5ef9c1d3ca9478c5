#!/usr/bin/env bash
# broker: mqttgwd
# The edges of the SCRAM-SHA-256 enhanced authentication flow (4.12, 3.15):
#  - without a scram_password_file, SCRAM-SHA-256 is an unsupported method: CONNACK 0x8C;
#  - before CONNACK only AUTH and DISCONNECT belong: a PINGREQ, PUBLISH or second CONNECT
#    there is a Protocol Error (CONNACK 0x82), and so is an AUTH with another method or with
#    reason 0x19 (Re-authenticate) [MQTT-4.12.0-5]; the server sends nothing but that CONNACK;
#  - a client-first-message asking for channel binding ("p=...") is refused (CONNACK 0x87), and
#    so is an exchange without Authentication Data (at CONNECT or in the client's AUTH);
#  - connect_timeout bounds the whole exchange: a client that stops after the server-first
#    message is closed without CONNACK;
#  - re-authentication with other packets interleaved (PINGREQ and a QoS 1 PUBLISH between the
#    AUTH steps are answered); AUTH 0x18 with no re-authentication in progress and AUTH 0x00
#    from the client are Protocol Errors (DISCONNECT 0x82); a failed re-authentication
#    carries a Reason String only when the client asked for problem information.
# timeout: 60
. "$(dirname "$0")/lib.sh"
scram_secret alice s3cret >"$T/scram.txt"
py_test mqtt5raw <<'PY'
def t():
    s = Scram("alice", "s3cret")
    c = Conn()
    c.send(connect5("no-file", props=[(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_first())]))
    expect_refused(c, [RC_BAD_AUTH_METHOD], silent_ok=False)
PY
stop_broker
start_broker "scram_password_file $T/scram.txt" "connect_timeout 2"
py <<'PY'
from mqtt5raw import *
import time
M = Scram.METHOD

def begin(cid, user="alice", password="s3cret", problem=None):
    s = Scram(user, password)
    props = [(AUTH_METHOD, M), (AUTH_DATA, s.client_first())]
    if problem is not None:
        props.append((REQUEST_PROBLEM_INFO, problem))
    c = Conn()
    c.send(connect5(cid, props=props))
    a = auth_of(c.expect(AUTH))
    check_eq((hexs(RC_CONTINUE_AUTH), M), (hexs(a["rc"]), a["props"].get(AUTH_METHOD)), "%s: AUTH" % cid)
    return c, s, a["props"].get(AUTH_DATA)

def connected(cid, **kw):
    c, s, sf = begin(cid, **kw)
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s.client_final(sf))]))
    ack = connack5(c.expect(CONNACK))
    check_eq(0, ack["rc"], "%s: CONNACK" % cid)
    s.verify_server_final(ack["props"].get(AUTH_DATA))
    return c

def t():
    for name, pkt in (("PINGREQ", pingreq()), ("PUBLISH", publish5("t/x", b"p")),
                      ("CONNECT", connect5("again")),
                      ("AUTH other method", auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, "PLAIN"), (AUTH_DATA, b"x")])),
                      ("AUTH 0x19", auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, M), (AUTH_DATA, b"n,,n=alice,r=x")]))):
        c, _, _ = begin("pe")
        c.send(pkt)
        expect_refused(c, [RC_PROTOCOL_ERROR], silent_ok=False)
        log("%s before CONNACK: CONNACK 0x82" % name)
    c = Conn()
    c.send(connect5("cb", props=[(AUTH_METHOD, M), (AUTH_DATA, b"p=tls-unique,,n=alice,r=abc")]))
    expect_refused(c, [RC_NOT_AUTHORIZED], silent_ok=False)
    # no Authentication Data: at CONNECT, and in the client's AUTH
    c = Conn()
    c.send(connect5("nodata", props=[(AUTH_METHOD, M)]))
    expect_refused(c, [RC_NOT_AUTHORIZED], silent_ok=False)
    c, _, _ = begin("nodata2")
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M)]))
    expect_refused(c, [RC_NOT_AUTHORIZED], silent_ok=False)
    # connect_timeout 2: the exchange stalls after the server-first-message
    c, _, _ = begin("slow")
    t0 = time.monotonic()
    _, got = c.wait_closed(5.0)
    check_eq([], got, "packets before the connect_timeout close")
    check(time.monotonic() - t0 < 4.5, "closed by connect_timeout")

    # re-authentication with other packets between the steps
    c = connected("re")
    check_eq([1], subscribe5_ok(c, [("re/t", 1)]), "SUBACK")
    s2 = Scram("alice", "s3cret")
    c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, M), (AUTH_DATA, s2.client_first())]) + pingreq())
    a = auth_of(c.expect(AUTH))
    c.expect(PINGRESP)
    publish5_ok(c, "re/t", b"during", qos=1, pid=7)
    check_eq(b"during", recv_publish(c)["payload"], "message during re-authentication")
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s2.client_final(a["props"].get(AUTH_DATA)))]))
    a = auth_of(c.expect(AUTH))
    check_eq(hexs(RC_SUCCESS), hexs(a["rc"]), "re-authentication result")
    s2.verify_server_final(a["props"].get(AUTH_DATA))
    # a continuation with nothing in progress
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, b"c=biws,r=x,p=AAAA")]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)
    c = connected("re0")
    c.send(auth5(RC_SUCCESS, [(AUTH_METHOD, M)]))
    expect_disconnect(c, RC_PROTOCOL_ERROR)

    # failed re-authentication: Reason String by default, none with Request Problem Information 0
    for problem, want in ((None, True), (0, False)):
        c = connected("rf", problem=problem)
        s3 = Scram("alice", "wrong")
        c.send(auth5(RC_REAUTHENTICATE, [(AUTH_METHOD, M), (AUTH_DATA, s3.client_first())]))
        a = auth_of(c.expect(AUTH))
        c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s3.client_final(a["props"].get(AUTH_DATA)))]))
        d = expect_disconnect(c, RC_NOT_AUTHORIZED)
        check_eq(want, d["props"].get(REASON_STRING) is not None, "Reason String (problem info %r)" % problem)
    assert_broker_serves5()
main(t)
PY
