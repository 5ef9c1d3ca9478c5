#!/usr/bin/env bash
# Durable store, unreadable database (issue #13): a store file of garbage, then a real store
# truncated mid-page. Each time mqttgwd starts anyway (never refuses to start, never deletes
# the file): the file is renamed to store.db.corrupt-YYYYMMDDTHHMMSS with its bytes unchanged,
# exactly one log line names the new file, the start-up line says 0 sessions, 0 queued, 0
# retained, and the new, empty store works (a retained message acknowledged, then SIGKILL and
# restart: still there).
# broker: mqttgwd
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/storeload.sh"

store_probe

# check_moved DIR ORIGINAL: the outcome above, ORIGINAL being a copy of the file as it was
check_moved() {
	local dir=$1 orig=$2 names n
	names=$(moved_aside "$dir")
	[ "$(grep -c . <<<"$names")" = 1 ] || fail "expected one moved-aside file in $dir, got: '$names'"
	assert_match "$names" "^$STORE_FILE\.corrupt-[0-9]{8}T[0-9]{6}$" "moved-aside name"
	cmp -s "$orig" "$dir/$names" || fail "$dir/$names differs from the file that was moved aside"
	[ -s "$dir/$STORE_FILE" ] || fail "no new store file $dir/$STORE_FILE"
	n=$(grep -c -F "$names" "$BROKER_LOG" || true)
	assert_eq 1 "$n" "log lines naming $names"
	log "logged: $(grep -F "$names" "$BROKER_LOG")"
	store_restored
	assert_eq "0 0 0" "$RESTORED_SESSIONS $RESTORED_QUEUED $RESTORED_RETAINED" \
		"restored from the replaced store"
	py - "$3" <<'PY'
import sys
from mqttraw import *
c, _ = client("writer")
c.send(publish("after/corrupt", sys.argv[1], qos=1, retain=True, pid=3))
check_eq(3, c.expect(PUBACK, timeout=10).pid(), "PUBACK on the new store")
PY
	broker_kill9
	broker_start_again
	assert_eq 1 "$RESTORED_RETAINED" "retained messages after the restart"
	py - "$3" <<'PY'
import sys
from mqttraw import *
c = subscriber("reader", [("after/corrupt", 1)])
check_eq(sys.argv[1], c.expect(PUBLISH, timeout=5).publish()["payload"].decode(), "retained")
PY
	stop_broker
}

# ---- garbage ----
mkdir -p "$T/garbage"
head -c 20000 /dev/urandom >"$T/garbage/$STORE_FILE"
cp "$T/garbage/$STORE_FILE" "$T/garbage.orig"
store_start "$T/garbage" full
check_moved "$T/garbage" "$T/garbage.orig" garbage-replaced

# ---- a real store, truncated mid-page ----
store_start "$T/trunc" full
load sub --id keeper --v 4 --filter 't/#' --out "$T/keeper.d" --subscribe-only
load pub --id filler --v 4 --topic t/x --qos 1 --size 1024 --count 600 --rate 0 --window 20 \
	--acked "$T/filler.acked" --deadline 60
assert_eq 600 "$(wc -l <"$T/filler.acked")" "messages stored"
stop_broker
# fold the WAL into the database (with the broker stopped), so that the cut hits real pages
"$PY" - "$T/trunc/$STORE_FILE" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("pragma wal_checkpoint(TRUNCATE)")
db.close()
size = os.path.getsize(sys.argv[1])
assert size > 100 * 4096, size
os.truncate(sys.argv[1], size // 2 + 1000)
PY
rm -f "$T/trunc/$STORE_FILE-wal" "$T/trunc/$STORE_FILE-shm"
cp "$T/trunc/$STORE_FILE" "$T/trunc.orig"
broker_start_again
check_moved "$T/trunc" "$T/trunc.orig" truncated-replaced
