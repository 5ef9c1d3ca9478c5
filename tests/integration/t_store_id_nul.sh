#!/usr/bin/env bash
# Durable store, a session row whose client id holds a NUL byte (a damaged or hand-edited store
# file; MQTT itself refuses U+0000 in a CONNECT). Since struct session lost id_len (420f0f0), a
# session's id length is strlen(): session_create() hashed the 3 bytes "a\0b" the restore gave
# it, and session_destroy() (here: the session expires) hashes strlen's 1 byte: another bucket,
# so the freed session stays linked in the table, and the next walk of it (the shutdown's
# session_table_fini, any lookup in that bucket) reads freed memory. The restore must refuse
# (or skip, as a damaged row) such an id: it skips it (Restored 0 sessions). Needs an ASan
# build to see the use after free.
# broker: mqttgwd
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"

start_broker "${STORE_CONF[@]}"
py <<'PY'
from mqtt5raw import *
def t():
    c, _ = client5("ab", clean=True, props=[(SESSION_EXPIRY, 4)])
    subscribe5_ok(c, [("t/x", sub_opts(qos=1))])
    c.send(disconnect5())
main(t)
PY
stop_broker
n=$(sqlite3 "$STORE_DIR/mqttgw.db" \
	"UPDATE sessions SET client_id = X'610062' WHERE client_id = X'6162'; SELECT changes();")
assert_eq 1 "$n" "session rows rewritten"
restart_broker
log "$(restored_line)"
assert_match "$(restored_line)" '^.*Restored 0 sessions' "the damaged row is skipped, not restored"
sleep 5 # the restored session's 4 s expiry passes: it is destroyed
py <<'PY'
from mqttraw import *
def t():
    for i in range(64):  # sessions in every bucket: each CONNECT walks one
        c, _ = client("fill-%d" % i, clean=False)
        c.send(disconnect())
main(t)
PY
stop_broker
if grep -E "AddressSanitizer|double free|corrupted|Segmentation|Aborted" "$BROKER_LOG"; then
	fail "the broker's heap went wrong (above)"
fi
