#!/usr/bin/env bash
# password_file + acl_file end to end, one (user, topic) pair at a time: users alice and bob
# (passwords from the real mosquitto_passwd), anonymous clients (allowed on the first listener),
# and these rules (include/acl.h):
#   anonymous:  topic read public/#
#   alice:      topic write cmd/#
#   bob:        topic read #  +  topic deny secret/#   (deny wins, whatever the order)
#   spy:        topic read #  +  topic read $SYS/#     (the observer)
#   feeder:     topic write #                           (the source for the READ checks)
#   everyone:   pattern readwrite dev/%c/#  +  pattern read users/%u/inbox (%u: not anonymous)
# For each user x topic, in 3.1.1 and 5.0:
#  - PUBLISH: delivered to spy (subscribed to #) iff WRITE allows; a refused one is dropped, the
#    connection stays; v5 QoS 1 PUBACK / QoS 2 PUBREC 0x87 when refused, 0x00 when accepted;
#  - receive: retained and live messages from feeder reach the user iff READ allows;
#  - SUBSCRIBE: a filter the ACL lets deliver nothing is refused, 0x80 (3.1.1) / 0x87 (5.0); one
#    that can deliver something is granted (mqttgwd; Mosquitto 2.0 grants every filter and
#    delivers nothing, so against it the test expects every filter granted).
# Logins: a wrong password gets CONNACK 5 (3.1.1) / 0x86 (5.0) [MQTT-3.1.4-2], [MQTT-3.2.2-6];
# so do an unknown user and a user name without a password; an anonymous client on a listener
# with allow_anonymous false gets 5 / 0x87; after each refusal the broker closes the connection.
# (Mosquitto 2.0.11 answers all four 5.0 refusals with 0x87.)
# $SYS/broker/clients/auth_failed (mqttgwd) counts those 8 failures (sys_interval 1).
# timeout: 90
. "$(dirname "$0")/lib.sh"
command -v mosquitto_passwd >/dev/null || skip "mosquitto_passwd not installed"
SYS_INTERVAL=1

mosquitto_passwd -c -b "$T/passwd" alice alice-pw
mosquitto_passwd -b "$T/passwd" bob bob-pw
mosquitto_passwd -b "$T/passwd" spy spy-pw
mosquitto_passwd -b "$T/passwd" feeder feeder-pw
cat >"$T/acl" <<'EOF'
# anonymous clients: the lines before the first `user`
topic read public/#

user alice
topic write cmd/#

user bob
topic read #
topic deny secret/#

user spy
topic read #
topic read $SYS/#

user feeder
topic write #

# every client
pattern readwrite dev/%c/#
pattern read users/%u/inbox
EOF
chmod 644 "$T/acl"
# Mosquitto started as root reads the files as its own user
if is_mosquitto && id mosquitto >/dev/null 2>&1; then chown mosquitto:mosquitto "$T/passwd"; fi

# Two listeners with their own security settings: per_listener_settings has to come before any
# security key, and write_config starts with `allow_anonymous true` (for the first listener).
BROKER_CONF=$T/broker.conf
write_config "$BROKER_CONF" "password_file $T/passwd" "acl_file $T/acl" \
	"listener $BROKER_PORT2 $BROKER_HOST" "allow_anonymous false" \
	"password_file $T/passwd" "acl_file $T/acl"
sed -i '1i per_listener_settings true' "$BROKER_CONF"
restart_broker
wait_listening "$BROKER_PORT2" 5 "$BROKER_PID"

py - "$MQTTGW_TEST_BROKER" <<'PY'
import os, sys, time
from mqtt5raw import *
import mqttraw

MOSQ = sys.argv[1] == "mosquitto"
PORT2 = int(os.environ["BROKER_PORT2"])
PW = {"alice": "alice-pw", "bob": "bob-pw", "spy": "spy-pw", "feeder": "feeder-pw"}
USERS = ["alice", "bob", None]            # None: anonymous
def cid(u):
    return "%s-c" % (u or "anon")
def name(u):
    return u or "anonymous"

TOPICS = ["public/news", "cmd/door", "status/door", "secret/plan", "dev/alice-c/t",
          "dev/bob-c/t", "dev/anon-c/t", "users/alice/inbox", "users/bob/inbox"]
WRITE = {"alice": {"cmd/door", "dev/alice-c/t"},
         "bob": {"dev/bob-c/t"},
         None: {"dev/anon-c/t"}}
READ = {"alice": {"dev/alice-c/t", "users/alice/inbox"},
        "bob": set(TOPICS) - {"secret/plan"},
        None: {"public/news", "dev/anon-c/t"}}
# wildcard filters: can the ACL deliver anything through them?
WILD = {"alice": {"#": 1, "cmd/#": 0, "users/+/inbox": 1, "dev/+/t": 1, "secret/#": 0,
                  "public/#": 0, "$SYS/#": 0},
        "bob": {"#": 1, "secret/#": 0, "secret/+": 0, "users/+/inbox": 1, "public/#": 1,
                "$SYS/#": 0},
        None: {"#": 1, "public/#": 1, "users/+/inbox": 0, "cmd/#": 0, "dev/+/t": 1,
               "$SYS/#": 0}}


def creds(u):
    return {} if u is None else {"username": u, "password": PW[u]}


def conn3(u, port=None):
    c, _ = mqttraw.client(cid(u), port=port, **creds(u))
    return c


def conn5(u, port=None):
    c, _ = client5(cid(u), port=port, **creds(u))
    return c


def collect(c, v5, seconds):
    """Every PUBLISH within `seconds` (QoS 0 subscriptions: nothing to acknowledge)."""
    return collect_publishes(c, seconds, ack=False, v5=v5)


def alive(c, who):
    c.send(pingreq())
    p = c.expect(PINGRESP)
    check(p.type == PINGRESP, "%s: connection not alive" % who)


def bye(c):
    c.send(disconnect5())  # the same two bytes in 3.1.1
    c.close()


def fmt(s):
    return sorted(s)


def t():
    # ---- PUBLISH: WRITE decides, observed by spy ----
    spy = conn3("spy")
    check_eq([0], mqttraw.subscribe_ok(spy, [("#", 0)]), "spy's SUBACK for #")
    for u in USERS:
        want = set()
        c = conn3(u)
        for i, topic in enumerate(TOPICS):
            c.send(mqttraw.publish(topic, "%s|v3|%s" % (name(u), topic), qos=1, pid=i + 1))
            check_eq(i + 1, c.expect(PUBACK).pid(), "%s v3 PUBACK packet id" % name(u))
            if topic in WRITE[u]:
                want.add("%s|v3|%s" % (name(u), topic))
        alive(c, name(u) + " v3 after refused publishes")
        bye(c)
        c = conn5(u)
        pid = 1
        for qos in (1, 2):
            for topic in TOPICS:
                pl = "%s|v5q%d|%s" % (name(u), qos, topic)
                rc = publish5_ok(c, topic, pl, qos=qos, pid=pid)
                pid += 1
                ok = topic in WRITE[u]
                check_eq(hexs(RC_SUCCESS if ok else RC_NOT_AUTHORIZED), hexs(rc),
                         "%s v5 QoS %d %s reason code" % (name(u), qos, topic))
                if ok:
                    want.add(pl)
        alive(c, name(u) + " v5 after refused publishes")
        bye(c)
        got = [m["payload"].decode() for m in collect(spy, False, 1.0)]
        check_eq(fmt(want), sorted(got), "what spy saw of %s's publishes" % name(u))
        mqttraw.log("publish matrix ok for", name(u))
    bye(spy)

    # ---- receive (READ, retained and live) and SUBSCRIBE codes ----
    feeder = conn3("feeder")
    for i, topic in enumerate(TOPICS):
        feeder.send(mqttraw.publish(topic, "retained " + topic, qos=1, retain=True, pid=i + 1))
        feeder.expect(PUBACK)
    pid = 100
    for u in USERS:
        for v5 in (False, True):
            tag = "%s %s" % (name(u), "v5" if v5 else "v3")
            filters = TOPICS + sorted(WILD[u])
            allowed = [t in READ[u] for t in TOPICS] + [bool(WILD[u][f]) for f in sorted(WILD[u])]
            refuse = RC_NOT_AUTHORIZED if v5 else 0x80
            want_codes = [0 if (a or MOSQ) else refuse for a in allowed]
            c = conn5(u) if v5 else conn3(u)
            if v5:
                codes = subscribe5_ok(c, [(f, 0) for f in filters], pid=7)
            else:
                codes = mqttraw.subscribe_ok(c, [(f, 0) for f in filters], pid=7)
            check_eq([(f, hexs(x)) for f, x in zip(filters, want_codes)],
                     [(f, hexs(x)) for f, x in zip(filters, codes)], "%s SUBACK codes" % tag)
            got = collect(c, v5, 1.0)
            check(all(m["retain"] for m in got), "%s: retained phase: %r" % (tag, got))
            check_eq(fmt(READ[u]), sorted({m["topic"] for m in got}), "%s: retained received" % tag)
            alive(c, tag + " after refused filters")
            for topic in TOPICS:
                pid += 1
                feeder.send(mqttraw.publish(topic, "live " + topic, qos=1, pid=pid))
                feeder.expect(PUBACK)
            got = collect(c, v5, 1.0)
            check(not any(m["retain"] for m in got), "%s: live phase: %r" % (tag, got))
            check_eq(fmt(READ[u]), sorted({m["topic"] for m in got}), "%s: live received" % tag)
            alive(c, tag)
            bye(c)
            mqttraw.log("receive/subscribe matrix ok for", tag)
    bye(feeder)

    # ---- logins ----
    def refused3(why, want, port=None, **kw):
        c = Conn(port=port)
        c.send(mqttraw.connect("bad-c", **kw))
        got = c.assert_closed(within=3, allow=(CONNACK,))
        check_eq(1, len(got), "%s (3.1.1): one CONNACK before the close" % why)
        check_eq((False, want), got[0].connack(), "%s (3.1.1): CONNACK" % why)

    def refused5(why, want, port=None, **kw):
        c = Conn(port=port)
        c.send(connect5("bad-c", **kw))
        # Mosquitto 2.0.11 answers every refused login with 0x87 Not authorized
        ack = expect_refused(c, [RC_NOT_AUTHORIZED] if MOSQ else [want], silent_ok=False)
        check(not ack["sp"], "%s: session present on a refusal" % why)
        mqttraw.log("%s (5.0): CONNACK %s" % (why, hexs(ack["rc"])))

    refused3("wrong password", 5, username="alice", password="bob-pw")
    refused5("wrong password", RC_BAD_USERNAME_OR_PASSWORD, username="alice", password=b"bob-pw")
    refused3("unknown user", 5, username="mallory", password="alice-pw")
    refused5("unknown user", RC_BAD_USERNAME_OR_PASSWORD, username="mallory", password=b"alice-pw")
    refused3("no password", 5, username="alice")
    refused5("no password", RC_BAD_USERNAME_OR_PASSWORD, username="alice")
    refused3("anonymous, allow_anonymous false", 5, port=PORT2)
    refused5("anonymous, allow_anonymous false", RC_NOT_AUTHORIZED, port=PORT2)
    # the second listener takes the users, under the same ACL
    for v5 in (False, True):
        c = conn5("alice", PORT2) if v5 else conn3("alice", PORT2)
        alive(c, "alice on the second listener")
        bye(c)
    if MOSQ:
        return  # $SYS/broker/clients/auth_failed is mqttgwd's
    w = conn3("spy")
    check_eq([0], mqttraw.subscribe_ok(w, [("$SYS/broker/clients/auth_failed", 0)]),
             "SUBACK for auth_failed")
    seen = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and seen[-1:] != ["8"]:
        seen += [m["payload"].decode() for m in collect(w, False, 0.5)]
    check_eq("8", seen[-1] if seen else None, "$SYS/broker/clients/auth_failed (seen %s)" % seen)
    bye(w)


main(t)
PY
broker_alive
