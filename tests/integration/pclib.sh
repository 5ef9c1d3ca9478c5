# shellcheck shell=bash disable=SC2016,SC2034
# (SC2016: sh -c scripts take their arguments as $1..; SC2034: PC_RC is for the test)
# Sourced after lib.sh by tests that run something on the powercut filesystem
# (tests/tools/powercut: forgets every unsynced write on command). Gives:
#   pc_start DIR        mount a new, empty powercut on DIR (created; put it under $T); skips the
#                       test (77) when FUSE is unavailable; unmounted by the cleanup
#   pc_cut              cut the power: DIR is back to what was synced; old descriptors get EIO
#   pc_sync             make everything durable (a clean shutdown)
#   pc_counter NAME     a counter of the control file (fsyncs, cut_lost_bytes, ...)
#   pc_stop             unmount, end the daemon; its exit status in $PC_RC (0 expected)
#   pc_store_broker DIR [LINES...]  pc_start DIR, then mqttgwd with its store in DIR/store
#                       (`persistence_sync full`, `fastpath off`, the LINES), the test's own
#                       store settings (MQTTGW_PERSISTENCE=0); a stopped powercut daemon (kill
#                       -STOP "$PC_PID": the store's writes hang) is resumed before any cleanup
# Kill whatever runs on DIR before a cut (as a power cut would): its descriptors die with it.

PC_MNT=
PC_PID=

pc_start() {
	local i
	[ "$(id -u)" = 0 ] || skip "mounting a FUSE filesystem needs root here"
	[ -c /dev/fuse ] || skip "no /dev/fuse (modprobe fuse, or --device /dev/fuse in a container)"
	command -v fusermount3 >/dev/null || skip "no fusermount3 (Debian package fuse3)"
	[ -x "$BUILD/powercut" ] ||
		fail "$BUILD/powercut not built (make unit builds it, with libfuse3-dev)"
	PC_MNT=$1
	mkdir -p "$PC_MNT"
	# Not tracked: the cleanup kills tracked PIDs first, and the daemon must outlive the
	# processes that use the mount; pc_stop ends it.
	"$BUILD/powercut" -f "$PC_MNT" >"$T/powercut.log" 2>&1 &
	PC_PID=$!
	at_cleanup pc_stop
	for ((i = 0; i < 100; i++)); do
		mountpoint -q "$PC_MNT" && return 0
		kill -0 "$PC_PID" 2>/dev/null || fail "powercut exited: $(cat "$T/powercut.log")"
		sleep 0.05
	done
	fail "powercut did not mount $PC_MNT within 5s"
}

pc_store_broker() { # dir [config lines...]
	local dir=$1
	shift
	MQTTGW_PERSISTENCE=0
	# registered before pc_start's own cleanup, so it runs first: never leave the daemon stopped
	at_cleanup 'kill -CONT "$PC_PID" 2>/dev/null || true'
	pc_start "$dir"
	mkdir -p "$dir/store"
	PC_STORE_CONF=("persistence true" "persistence_location $dir/store" "persistence_sync full"
		"fastpath off" "$@")
	start_broker "${PC_STORE_CONF[@]}"
}

pc_ctl() { # command
	timeout -k 1 10 sh -c 'echo "$1" >"$2/.powercut"' sh "$1" "$PC_MNT" ||
		fail "powercut: '$1' failed"
}

pc_cut() { pc_ctl cut; }
pc_sync() { pc_ctl sync; }

pc_counter() { # name
	awk -v k="$1" '$1 == k { print $2 }' "$PC_MNT/.powercut"
}

# "exit" rather than fusermount3 -u: a mount namespace created meanwhile by any process on the
# machine (ip netns exec) holds a copy of the mount and would keep the daemon alive. The rest is
# for a daemon that does not answer: unmount, SIGTERM, SIGKILL, and detach a dead mount.
pc_stop() {
	local i
	[ -n "$PC_PID" ] || return 0
	timeout -k 1 5 sh -c 'echo exit >"$1/.powercut"' sh "$PC_MNT" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$PC_PID" 2>/dev/null || break
		if [ "$i" = 30 ]; then
			fusermount3 -u "$PC_MNT" 2>/dev/null || kill -TERM "$PC_PID" 2>/dev/null || true
		fi
		sleep 0.1
	done
	kill -KILL "$PC_PID" 2>/dev/null || true
	PC_RC=0
	wait "$PC_PID" 2>/dev/null || PC_RC=$?
	PC_PID=
	if grep -q " $PC_MNT " /proc/self/mounts; then umount -l "$PC_MNT" 2>/dev/null || true; fi
}
