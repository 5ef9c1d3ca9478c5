#!/usr/bin/env bash
# broker: mqttgwd
# Server redirection (4.11) over its whole life: `use_another_server` set by a reload (SIGHUP)
# sends the connected v5 client DISCONNECT 0x9C with the Server Reference (several references,
# normalised to single spaces) and closes the v3 client; both clients' wills are published (a
# server-side close without DISCONNECT, 3.1.2.5); one log line counts the redirected clients.
# While set, v5 CONNECT gets CONNACK 0x9C and v3 CONNACK 3 (Server unavailable). A reload with
# both keys is refused (the setting stays); a reload without them accepts clients again. Both
# keys at start-up: configuration error, exit 3.
# The redirected clients are gone from $SYS/broker/clients/connected.
# timeout: 40
SYS_INTERVAL=1
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
printf 'listener %s %s\nuse_another_server a:1\nserver_moved b:2\n' "$BROKER_PORT" "$BROKER_HOST" \
	>"$T/both.conf"
rc=0
bns timeout 10 "$bin" -c "$T/both.conf" >"$T/both.out" 2>"$T/both.err" || rc=$?
assert_eq 3 "$rc" "both keys: exit status; stderr: $(cat "$T/both.err")"
assert_contains "$(cat "$T/both.err")" "mutually exclusive" "both keys: message"

start_broker
py_ready "clients not connected" <<'PY'
from mqtt5raw import *
import mqttraw, sys
def t():
    # a persistent subscriber to the wills, offline during the redirection
    s = subscriber5("rr-sub", [("rr/will/#", 1)], props=[(SESSION_EXPIRY, 300)])
    s.send(disconnect5())
    s.close()
    w, _ = client5("rr-w5", will=("rr/will/5", b"gone5", 1, False))
    w3, _ = client3("rr-w3", will=("rr/will/3", b"gone3", 1, False))
    open(sys.argv[1], "w").write("ready\n")
    d = expect_disconnect(w, RC_USE_ANOTHER_SERVER, within=5)
    check_eq("a.example:1883 [fe80::1]:8883", d["props"].get(SERVER_REFERENCE),
             "Server Reference")
    _, got = w3.wait_closed(5)
    check_eq([], got, "v3 client: closed without a packet")
    c = Conn()
    c.send(mqttraw.connect("rr-new3"))
    sp, rc = c.expect(CONNACK).connack()
    check_eq(3, rc, "v3 CONNACK return code while redirecting")
main(t)
PY
echo "use_another_server   a.example:1883    [fe80::1]:8883" >>"$BROKER_CONF"
kill -HUP "$BROKER_PID"
py_done 10 "client checks"
assert_contains "$(cat "$BROKER_LOG")" "use_another_server a.example:1883 [fe80::1]:8883: 2 clients redirected" "reload log line"

# both keys by reload: refused, the redirection stays
echo "server_moved b:2" >>"$BROKER_CONF"
kill -HUP "$BROKER_PID"
for ((i = 0; i < 100; i++)); do grep -q "mutually exclusive" "$BROKER_LOG" && break; sleep 0.05; done
assert_contains "$(cat "$BROKER_LOG")" "mutually exclusive" "reload with both keys: error logged"
py <<'PY'
from mqtt5raw import *
def t():
    c = Conn()
    c.send(connect5("rr-still"))
    ack = expect_refused(c, [RC_USE_ANOTHER_SERVER], silent_ok=False)
    check_eq("a.example:1883 [fe80::1]:8883", ack["props"].get(SERVER_REFERENCE), "Server Reference")
main(t)
PY

# keys removed: clients are accepted again; the wills were published
write_config "$BROKER_CONF"
kill -HUP "$BROKER_PID"
for ((i = 0; i < 100; i++)); do grep -q "Server redirection off" "$BROKER_LOG" && break; sleep 0.05; done
assert_contains "$(cat "$BROKER_LOG")" "Server redirection off" "reload without the keys: logged"
py <<'PY'
from mqtt5raw import *
import time
def t():
    s, _ = client5("rr-sub", clean=False, props=[(SESSION_EXPIRY, 300)], expect_present=True)
    got = sorted(m["payload"] for m in collect_publishes(s, 1.0))
    check_eq([b"gone3", b"gone5"], got, "both wills published")
    subscribe5_ok(s, [("$SYS/broker/clients/connected", 0)], pid=2)
    seen = []
    deadline = time.monotonic() + 4
    while b"1" not in seen and time.monotonic() < deadline:
        seen += [m["payload"] for m in collect_publishes(s, 0.5)]
    check(b"1" in seen, "clients/connected never 1 (only rr-sub) after the redirection: %r" % seen)
    c3, _ = client3("rr-v3-again")
    c5, _ = client5("rr-v5-again")
main(t)
PY
