#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 90
# SIGHUP changes nothing for the store: messages queued for an offline persistent session before
# and after a reload all survive a SIGKILL that follows it, and the session keeps its
# subscription.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
start_broker "${STORE_CONF[@]}"
sub -q 1 -c -i hup-sub -t hup/t -W 1 >/dev/null 2>&1 || true
pub -q 1 -t hup/t -m before
kill -HUP "$BROKER_PID"
sleep 0.5
broker_alive
pub -q 1 -t hup/t -m after
kill_broker
restart_broker
grep -q "Restored 1 sessions, 2 queued messages" "$BROKER_LOG" || fail "after SIGHUP + SIGKILL: $(restored_line)"
sub -q 1 -c -i hup-sub -t hup/t -C 2 -W 5 >"$T/got" || fail "queued messages not delivered: $(cat "$T/got")"
assert_eq "before after" "$(tr '\n' ' ' <"$T/got" | sed 's/ $//')" "messages from before and after the reload"
stop_broker
