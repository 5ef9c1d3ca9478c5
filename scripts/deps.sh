#!/usr/bin/env bash
# Install the Debian packages mqttgw needs to build and test, if any are missing.
# Idempotent and quiet when nothing is missing. Exit 0 on success, 1 if installing failed,
# 2 if packages are missing and we cannot install them (not root and no sudo).
set -euo pipefail

PKGS=(
	# build
	gcc make pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libssl-dev libmnl-dev libcmocka-dev libargon2-dev libsqlite3-dev
	# tests, fuzzing, benchmarks
	libclang-rt-14-dev mosquitto mosquitto-clients python3 python3-paho-mqtt
	iproute2 openssl procps psmisc
	# scripts/bench_xdp.sh: the nftables meter the XDP guard is compared with
	nftables
	# tests/tools/powercut (durability tests: a FUSE filesystem)
	libfuse3-dev fuse3
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then SUDO=sudo; else
		echo "deps.sh: missing packages and not root: ${missing[*]}" >&2
		exit 2
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index makes installs fail on a fresh machine: refresh once if needed.
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/mqttgw-deps.log 2>&1; then
	$SUDO apt-get update -q >>/tmp/mqttgw-deps.log 2>&1 || true
	if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/mqttgw-deps.log 2>&1; then
		echo "deps.sh: apt-get install failed; see /tmp/mqttgw-deps.log" >&2
		tail -n 20 /tmp/mqttgw-deps.log >&2
		exit 1
	fi
fi
