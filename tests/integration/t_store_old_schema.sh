#!/usr/bin/env bash
# Durable store, older schema (issue #13): a version 0 store (user_version 0: tables sessions
# (client_id, proto, expiry) and retained (topic, qos, payload), as tests/unit/test_store.c
# makes one) is migrated in place, not moved aside: its sessions and retained messages are
# restored (start-up line: 2 sessions, 2 retained), a 3.1.1 client of a stored session gets
# Session Present 1, a subscriber gets both retained messages with their payloads and QoS, the
# file is at schema version 2 afterwards (v1 -> v2 adds the retained publisher columns), and the
# migrated store takes new writes that survive a SIGKILL.
# broker: mqttgwd
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

store_probe

mkdir -p "$T/old"
"$PY" - "$T/old/$STORE_FILE" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE sessions(client_id TEXT PRIMARY KEY, proto INTEGER, expiry INTEGER);
CREATE TABLE retained(topic TEXT PRIMARY KEY, qos INTEGER, payload BLOB);
INSERT INTO sessions VALUES('old-1', 4, 600), ('old-5', 5, 600);
INSERT INTO retained VALUES('r/1', 1, x'0102'), ('r/2', 0, 'two');
""")
db.commit()
assert db.execute("pragma user_version").fetchone()[0] == 0
db.close()
PY
store_start "$T/old" full
log "$RESTORED_LINE"
assert_eq "2 2" "$RESTORED_SESSIONS $RESTORED_RETAINED" "sessions and retained messages migrated"
assert_eq "" "$(moved_aside "$T/old")" "files moved aside"
py <<'PY'
from mqttraw import *
c, _ = client("old-1", clean=False, expect_present=True)
c.send(disconnect())
c = subscriber("reader", [("r/#", 1)])
got = {}
for _ in range(2):
    m = c.expect(PUBLISH, timeout=5).publish()
    check(m["retain"], "retained flag on %s" % m["topic"])
    got[m["topic"]] = (m["payload"], m["qos"])
    if m["qos"]:
        c.send(puback(m["pid"]))
check_eq({"r/1": (b"\x01\x02", 1), "r/2": (b"two", 0)}, got, "migrated retained messages")
c.send(publish("r/3", "three", qos=1, retain=True, pid=9))
# The reader is subscribed to r/#: its own message may come back before the PUBACK, which
# waits for the store's fsync (acknowledged means durable) while the forward does not.
p = c.recv(timeout=10)
check(p is not None, "no PUBACK on the migrated store")
if p.type == PUBLISH:
    check_eq("r/3", p.publish()["topic"], "the forwarded message")
    p = c.expect(PUBACK, timeout=10)
check_eq(PUBACK, p.type, "a PUBACK on the migrated store")
check_eq(9, p.pid(), "PUBACK on the migrated store")
PY
broker_kill9
broker_start_again
assert_eq 3 "$RESTORED_RETAINED" "retained messages after a write and a crash"
stop_broker
v=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma user_version").fetchone()[0])' "$T/old/$STORE_FILE")
assert_eq 2 "$v" "schema version after the migration"
