#!/usr/bin/env bash
# Cross-build mqttgw for arm64 and run its unit tests under qemu-user; print the stripped binary
# sizes per architecture. Needs `scripts/deps.sh --arch arm64` (Debian's cross compiler, the
# :arm64 libraries, qemu-user-static). Used by .ci/run after `make test`.
#
#   scripts/cross-test.sh [arm64]      builds into build-arm64/ (BUILD_CROSS to change)
#
# Each test binary runs as `qemu-aarch64-static TEST` with the system's multiarch arm64 libc
# (libc6:arm64): qemu's -L /usr/aarch64-linux-gnu mixes the cross toolchain's loader with the
# multiarch libraries and hangs at the first pthread_create. Exit 77 is a skip (the BPF tests
# skip: qemu-user has no bpf(2)). Exit status 1 if a test failed or the build failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

arch=${1:-arm64}
case $arch in
arm64) CROSS=aarch64-linux-gnu- QEMU=qemu-aarch64-static ;;
*)
	echo "cross-test.sh: unknown architecture '$arch' (arm64)" >&2
	exit 2
	;;
esac
BUILD_CROSS=${BUILD_CROSS:-build-$arch}
# The host's sizes come from a build of its own: $BUILD may be a sanitizer build (CI's is).
HOST_BUILD=${BUILD_HOST:-build-$(uname -m)}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
# qemu-user cannot run these; each with the reason. Everything else must pass or skip by itself.
declare -A QEMU_CANNOT=(
	[test_netlink]="qemu-user opens no NETLINK_SOCK_DIAG socket (EPROTONOSUPPORT: it translates only NETLINK_ROUTE, AUDIT and KOBJECT_UEVENT)"
)

for tool in "${CROSS}gcc" "$QEMU"; do
	command -v "$tool" >/dev/null || {
		echo "cross-test.sh: $tool missing: run scripts/deps.sh --arch $arch" >&2
		exit 1
	}
done

mkdir -p "$BUILD_CROSS" "$HOST_BUILD"
echo "== cross build: $arch (CROSS_COMPILE=$CROSS, $BUILD_CROSS)"
# SAN=0: AddressSanitizer's shadow memory does not work under qemu-user.
if ! make -j2 --no-print-directory CROSS_COMPILE="$CROSS" BUILD="$BUILD_CROSS" SAN=0 all unit-bins \
	>"$BUILD_CROSS/make.log" 2>&1; then
	tail -n 40 "$BUILD_CROSS/make.log"
	echo "cross-test.sh: the $arch build failed (log: $BUILD_CROSS/make.log)" >&2
	exit 1
fi

pass=0 fail=0 skip=0 failed=()
for t in "$BUILD_CROSS"/tests/test_*; do
	name=$(basename "$t")
	if [ -n "${QEMU_CANNOT[$name]:-}" ]; then
		printf 'SKIP %-28s %s\n' "$name" "${QEMU_CANNOT[$name]}"
		skip=$((skip + 1))
		continue
	fi
	start=$(date +%s%N)
	rc=0
	# qemu-user has no bpf(2): the BPF tests skip here by themselves. CI's MQTTGW_REQUIRE_BPF=1
	# (and MQTTGW_REQUIRE_FUSE=1) are for the native run of `make test`, where they must run.
	env -u MQTTGW_REQUIRE_BPF -u MQTTGW_REQUIRE_FUSE timeout -k 5 "$TEST_TIMEOUT" "$QEMU" "$t" \
		>"$BUILD_CROSS/$name.log" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	case $rc in
	0) pass=$((pass + 1)) st=PASS ;;
	77) skip=$((skip + 1)) st=SKIP ;;
	*) fail=$((fail + 1)) st=FAIL failed+=("$name") ;;
	esac
	printf '%s %-28s %6d ms%s\n' "$st" "$name" "$ms" "$([ "$rc" = 0 ] || echo " (exit $rc)")"
	[ "$st" != FAIL ] || tail -n 20 "$BUILD_CROSS/$name.log" | sed 's/^/     | /'
done

# Stripped sizes: what a router stores. The target is 300 KB for mqttgwd.
echo "== stripped sizes (target: mqttgwd <= 300 KB)"
make -j2 --no-print-directory BUILD="$HOST_BUILD" SAN=0 "$HOST_BUILD/mqttgwd" "$HOST_BUILD/mqttgw-passwd" \
	>"$HOST_BUILD/make.log" 2>&1 || echo "cross-test.sh: host build for the sizes failed ($HOST_BUILD/make.log)" >&2
size_of() { # STRIP FILE -> bytes, or "-" without the file
	local tmp
	[ -f "$2" ] || { echo -; return; }
	tmp=$(mktemp)
	"$1" -o "$tmp" "$2" && stat -c %s "$tmp"
	rm -f "$tmp"
}
for b in mqttgwd mqttgw-passwd; do
	printf '%-14s %s %8s B   %s %8s B\n' "$b" "$(uname -m)" "$(size_of strip "$HOST_BUILD/$b")" \
		"$arch" "$(size_of "${CROSS}strip" "$BUILD_CROSS/$b")"
done

echo "$arch unit tests under qemu: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || { echo "failed: ${failed[*]}" >&2; exit 1; }
