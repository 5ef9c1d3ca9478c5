#!/usr/bin/env bash
# broker: mqttgwd
# SIGHUP re-checks connected clients against the reloaded password files, as Mosquitto 2.0 does
# for password_file (it keeps every client's password; mqttgwd keeps none, only a fingerprint of
# the file entry each client authenticated with):
#  - alice (5.0) deleted from password_file: DISCONNECT 0x87 (Not authorized) with the reason
#    string she asked for, then the close;
#  - bob (3.1.1) whose password changed (mqttgw-passwd -b): closed without a packet, and his
#    new password logs in while the old one is refused;
#  - carol (3.1.1) and dave (5.0), entries unchanged (the file is rewritten with new lines around
#    them): stay connected and keep delivering;
#  - erin (5.0, SCRAM-SHA-256 via scram_password_file) deleted from the SCRAM file: DISCONNECT 0x87;
#  - the log says how many clients were disconnected.
# mqttgwd only: Mosquitto 2.0.11 closes 5.0 clients without a DISCONNECT and has no SCRAM.
# timeout: 40
. "$(dirname "$0")/lib.sh"
TOOL=$BUILD/mqttgw-passwd
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL"
"$TOOL" -c -b "$T/passwd" alice alice-pw >/dev/null
for u in bob carol dave; do "$TOOL" -b "$T/passwd" "$u" "$u-pw" >/dev/null; done
"$TOOL" -H scram-sha-256 -c -b "$T/scram" erin erin-pw >/dev/null
"$TOOL" -H scram-sha-256 -b "$T/scram" frank frank-pw >/dev/null
start_broker_auth "allow_anonymous false" "password_file $T/passwd" "scram_password_file $T/scram"

py - "$T" "$BROKER_PID" "$TOOL" <<'PY'
import os, signal, subprocess, sys, time
from mqtt5raw import *
import mqttraw

T, PID, TOOL = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def creds(u, pw=None):
    return {"username": u, "password": pw or u + "-pw"}

def scram_client(user, pw, cid):
    s = Scram(user, pw)
    c = Conn()
    c.send(connect5(cid, props=[(AUTH_METHOD, Scram.METHOD), (AUTH_DATA, s.client_first()),
                                (REQUEST_PROBLEM_INFO, 1)]))
    a = auth_of(c.expect(AUTH))
    c.send(auth5(RC_CONTINUE_AUTH, [(AUTH_METHOD, Scram.METHOD),
                                    (AUTH_DATA, s.client_final(a["props"].get(AUTH_DATA)))]))
    check_eq(0, connack5(c.expect(CONNACK))["rc"], "SCRAM CONNACK for %s" % user)
    return c

def t():
    alice, _ = client5("alice-c", props=[(REQUEST_PROBLEM_INFO, 1)], **creds("alice"))
    bob, _ = mqttraw.client("bob-c", **creds("bob"))
    carol, _ = mqttraw.client("carol-c", **creds("carol"))
    check_eq([1], mqttraw.subscribe_ok(carol, [("rd/#", 1)]), "carol SUBACK")
    dave, _ = client5("dave-c", **creds("dave"))
    erin = scram_client("erin", "erin-pw", "erin-c")
    frank = scram_client("frank", "frank-pw", "frank-c")
    # alice deleted, bob's password changed, a new user added, carol and dave untouched
    subprocess.run([TOOL, "-D", T + "/passwd", "alice"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([TOOL, "-b", T + "/passwd", "bob", "bob-new"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([TOOL, "-b", T + "/passwd", "zed", "zed-pw"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([TOOL, "-D", T + "/scram", "erin"], check=True, stdout=subprocess.DEVNULL)
    os.kill(PID, signal.SIGHUP)
    d = expect_disconnect(alice, RC_NOT_AUTHORIZED, within=5)
    check("password" in (d["props"].get(REASON_STRING) or ""),
          "alice's DISCONNECT reason string: %r" % d["props"].get(REASON_STRING))
    got = bob.wait_closed(5)[1]
    check_eq([], [p.type for p in got], "bob (3.1.1) closed without a packet")
    expect_disconnect(erin, RC_NOT_AUTHORIZED, within=5)
    for c, who in ((carol, "carol"), (dave, "dave"), (frank, "frank")):
        alive(c, who + " (entry unchanged)")
    # carol still receives: a QoS 1 message from dave
    check_eq(0, publish5_ok(dave, "rd/x", "after", qos=1, pid=1), "dave PUBACK")
    m = carol.expect(PUBLISH, timeout=3).publish()
    check_eq(("rd/x", b"after"), (m["topic"], m["payload"]), "carol after the reload")
    carol.send(mqttraw.puback(m["pid"]))
    # bob: the new password works, the old one does not
    c, _ = mqttraw.client("bob-new", **creds("bob", "bob-new"))
    c = Conn()
    c.send(mqttraw.connect("bob-old", **creds("bob")))
    got = c.assert_closed(within=3, allow=(CONNACK,))
    check_eq([(False, 5)], [p.connack() for p in got], "bob's old password after the reload")
    deadline = time.monotonic() + 3
    while "3 clients disconnected (user deleted or password changed)" not in open(T + "/broker.log").read():
        check(time.monotonic() < deadline, "no reload log line with the count")
        time.sleep(0.1)
main(t)
PY
