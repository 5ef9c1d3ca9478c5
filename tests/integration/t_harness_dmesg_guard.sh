#!/usr/bin/env bash
# The harness (lib.sh) fails a test that passed when a new BUG/WARNING/Oops appears in the
# kernel log during it (ARCHITECTURE invariant 6: every fast-path test relies on this), also when
# the ring buffer rotated past the mark, and leaves a quiet one passing. Checked with a stand-in
# `dmesg` on PATH (the real kernel log is shared with every other test: nothing is written to it).
# timeout: 60
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/bin" "$T/case"
# A stand-in dmesg: the real log, then (from its second call on) the lines of $FAKE_NEW; with
# FAKE_ROTATE=1 the old lines are gone by then (rotation).
cat >"$T/bin/dmesg" <<'SH'
#!/usr/bin/env bash
n=$(cat "$FAKE_STATE" 2>/dev/null || echo 0)
echo $((n + 1)) >"$FAKE_STATE"
if [ "$n" -gt 0 ] && [ "${FAKE_ROTATE:-0}" = 1 ]; then :; else
	printf '[ 100.000001] old line one\n[ 100.000002] WARNING: an old one, before the test\n[ 100.000003] old last line\n'
fi
if [ "$n" -gt 0 ]; then printf '%b' "$FAKE_NEW"; fi
SH
chmod +x "$T/bin/dmesg"
# A test that passes by itself.
cat >"$T/case/t_quiet_case.sh" <<SH
#!/usr/bin/env bash
. "$TEST_DIR/lib.sh"
log "a test that passes"
SH
run_case() { # expected-rc new-lines rotate
	local rc=0
	MQTTGW_TEST_NETNS=0 FAKE_STATE="$T/state.$RANDOM" FAKE_NEW=$2 FAKE_ROTATE=$3 PATH="$T/bin:$PATH" \
		bash "$T/case/t_quiet_case.sh" >"$T/case.out" 2>&1 || rc=$?
	assert_eq "$1" "$rc" "exit status with new kernel lines '$2' (rotate=$3); output: $(cat "$T/case.out")"
}
run_case 0 "" 0
run_case 0 "[ 200.000001] TCP: request_sock_TCP: Possible SYN flooding\n" 0
run_case 1 "[ 200.000001] WARNING: CPU: 0 PID: 1 at net/ipv4/tcp.c:2708 tcp_recvmsg_locked\n" 0
run_case 1 "[ 200.000001] BUG: unable to handle page fault\n" 0
run_case 1 "[ 200.000001] Oops: general protection fault\n" 0
run_case 1 "[ 200.000001] WARNING: CPU: 1 PID: 7 at kernel/foo.c:1 bar\n" 1
run_case 0 "[ 200.000001] nothing to see\n" 1
assert_contains "$(MQTTGW_TEST_NETNS=0 FAKE_STATE="$T/state.x" FAKE_NEW='[ 300.1] BUG: x\n' FAKE_ROTATE=0 \
	PATH="$T/bin:$PATH" bash "$T/case/t_quiet_case.sh" 2>&1 || true)" "new kernel warnings" "the failure says why"
