#!/usr/bin/env bash
# broker: mqttgwd
# scram_password_file made by `mqttgw-passwd -H scram-sha-256` (RFC 5803 lines) serves MQTT 5
# enhanced authentication (4.12) with mqtt5raw's SCRAM-SHA-256 client:
#  - users made with -c -b, -b, -I 10000 (the client takes the count from the server-first-
#    message) and a name that needs saslname escaping (",=") authenticate;
#  - the SCRAM user is the session's user name: the ACL's %u pattern lets alice subscribe to
#    users/alice/# and not to users/bob/#; a CONNECT User Name equal to the SCRAM user is fine,
#    another one is refused (0x87) even with alice's right password;
#  - a user only in password_file cannot use SCRAM (0x87), and a SCRAM user cannot log in with
#    a plain password unless it is in password_file too (allow_anonymous false);
#  - `mqttgw-passwd -D` + SIGHUP removes alice: her next exchange is refused (0x87);
#  - the refusals count in $SYS/broker/clients/auth_failed.
# timeout: 60
. "$(dirname "$0")/lib.sh"
TOOL=${MQTTGW_PASSWD:-$BUILD/mqttgw-passwd}
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL (make BUILD=... all)"
"$TOOL" -H scram-sha-256 -c -b "$T/scram" alice 's3cret' || fail "mqttgw-passwd -c -b"
"$TOOL" -H scram-sha-256 -I 10000 -b "$T/scram" bob 'b0b' || fail "mqttgw-passwd -I -b"
"$TOOL" -H scram-sha-256 -b "$T/scram" 'we,ird=' 'w' || fail "mqttgw-passwd -b (escaped name)"
"$TOOL" -c -b "$T/pw" carol 'c4rol' || fail "mqttgw-passwd (\$7\$ file)"
assert_match "$(grep '^alice:' "$T/scram")" '^alice:SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$' "alice's line"
assert_match "$(grep '^bob:' "$T/scram")" '^bob:SCRAM-SHA-256\$10000:' "bob's iteration count"
printf 'pattern readwrite users/%%u/#\npattern read $SYS/#\n' >"$T/acl"
start_broker_auth "allow_anonymous false" "scram_password_file $T/scram" "password_file $T/pw" \
	"acl_file $T/acl" "sys_interval 1"
py <<'PY'
from mqtt5raw import *
M = Scram.METHOD

def scram(cid, user, password, username=None):
    """Run the exchange; the CONNACK dict, or the refusal's reason code."""
    s = Scram(user, password)
    c = Conn()
    c.send(connect5(cid, username=username, props=[(AUTH_METHOD, M), (AUTH_DATA, s.client_first())]))
    p = c.recv(3.0)
    check(p is not None, "%s: no answer to CONNECT" % cid)
    if p.type == AUTH:  # a User Name that differs is refused at once, before any AUTH
        a = auth_of(p)
        check_eq(hexs(RC_CONTINUE_AUTH), hexs(a["rc"]), "%s: AUTH reason" % cid)
        c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
        p = c.recv(3.0)
    ack = connack5(p)
    if ack["rc"] == 0:
        check_eq(M, ack["props"].get(AUTH_METHOD), "%s: CONNACK method" % cid)
        s.verify_server_final(ack["props"].get(AUTH_DATA))
        return c, ack
    c.wait_closed(3.0)
    return None, ack["rc"]

def t():
    c, _ = scram("a1", "alice", "s3cret")
    check_eq([0], subscribe5_ok(c, [("users/alice/#", 0)]), "alice: SUBACK own tree (%u)")
    check_eq([RC_NOT_AUTHORIZED], subscribe5_ok(c, [("users/bob/#", 0)], pid=2), "alice: SUBACK bob's tree")
    publish5_ok(c, "users/alice/x", b"hi")
    check_eq(b"hi", recv_publish(c)["payload"], "alice's own message")
    c.close()
    c, _ = scram("b1", "bob", "b0b")
    c.close()
    c, _ = scram("w1", "we,ird=", "w")
    c.close()
    c, _ = scram("a2", "alice", "s3cret", username="alice")
    c.close()
    # refusals: 4 of them
    check_eq((None, RC_NOT_AUTHORIZED), scram("a3", "alice", "s3cret", username="bob"), "User Name differs")
    check_eq((None, RC_NOT_AUTHORIZED), scram("a4", "alice", "wrong"), "wrong password")
    check_eq((None, RC_NOT_AUTHORIZED), scram("c1", "carol", "c4rol"), "password_file user over SCRAM")
    c = Conn()
    c.send(connect5("a5", username="alice", password=b"s3cret"))
    check_eq(RC_BAD_USERNAME_OR_PASSWORD, expect_refused(c, [RC_BAD_USERNAME_OR_PASSWORD], silent_ok=False)["rc"], "SCRAM user, plain password")
    c, _ = client5("c2", username="carol", password=b"c4rol")
    w, _ = client5("spy", username="carol", password=b"c4rol")
    check_eq([0], subscribe5_ok(w, [("$SYS/broker/clients/auth_failed", 0)]), "spy SUBACK")
    seen = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and seen[-1:] != [b"4"]:
        m = w.recv(0.5)
        if m is not None and m.type == PUBLISH:
            seen.append(publish_of(m)["payload"])
    check_eq(b"4", seen[-1] if seen else None, "$SYS/broker/clients/auth_failed (seen %s)" % seen)
main(t)
PY
"$TOOL" -D "$T/scram" alice || fail "mqttgw-passwd -D"
kill -HUP "$BROKER_PID"
py <<'PY'
from mqtt5raw import *
import time
M = Scram.METHOD
def t():
    deadline = time.monotonic() + 5
    while True:
        s = Scram("alice", "s3cret")
        c = Conn()
        c.send(connect5("a6", props=[(AUTH_METHOD, M), (AUTH_DATA, s.client_first())]))
        a = auth_of(c.expect(AUTH))
        c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
        ack = connack5(c.expect(CONNACK))
        c.close()
        if ack["rc"] == RC_NOT_AUTHORIZED:
            break
        check(time.monotonic() < deadline, "alice still accepted 5 s after -D and SIGHUP")
        time.sleep(0.2)
    s = Scram("bob", "b0b")
    c = Conn()
    c.send(connect5("b2", props=[(AUTH_METHOD, M), (AUTH_DATA, s.client_first())]))
    a = auth_of(c.expect(AUTH))
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, M), (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
    check_eq(0, connack5(c.expect(CONNACK))["rc"], "bob after the reload")
main(t)
PY
assert_contains "$(cat "$BROKER_LOG")" "Reloaded password and ACL files."
