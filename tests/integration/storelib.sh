# shellcheck shell=bash
# Sourced after lib.sh by the t_store_*.sh restart tests: a broker with the durable store in
# $T/store (created here), and a hard kill that leaves no chance to flush anything.
STORE_DIR=$T/store
mkdir -p "$STORE_DIR"
MQTTGW_PERSISTENCE=0 # the store settings are the test's own
STORE_CONF=("persistence true" "persistence_location $STORE_DIR" "fastpath off")

# kill_broker: SIGKILL, reaped; the next restart_broker starts it again.
kill_broker() {
	[ -n "$BROKER_PID" ] || fail "no broker running"
	kill -KILL "$BROKER_PID"
	wait "$BROKER_PID" 2>/dev/null || true
	untrack "$BROKER_PID"
	BROKER_PID=
	log "broker killed (SIGKILL)"
}

# stop_how term|kill: end the broker one way or the other.
stop_how() {
	case $1 in
	term) stop_broker ;;
	kill) kill_broker ;;
	*) fail "stop_how: $1" ;;
	esac
}

# restored_line: the last "Restored ..." line of the broker log (empty if none).
restored_line() {
	grep -o 'Restored [0-9]* sessions, [0-9]* queued messages, [0-9]* retained in [0-9]* ms\.' \
		"$BROKER_LOG" | tail -n 1 || true
}

# store_sql SQL: run a query on the store file (read-only).
store_sql() {
	sqlite3 -readonly "$STORE_DIR/mqttgw.db" "$1"
}
