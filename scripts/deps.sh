#!/usr/bin/env bash
# Install the Debian packages mqttgw needs to build and test, if any are missing.
# Idempotent and quiet when nothing is missing. Exit 0 on success, 1 if installing failed,
# 2 if packages are missing and we cannot install them (not root and no sudo).
set -euo pipefail

PKGS=(
	# build
	gcc make pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libssl-dev libmnl-dev libcmocka-dev libargon2-dev libsqlite3-dev
	# mqttgwctl parses the daemon's JSON answers (the daemon only emits JSON)
	libcjson-dev
	# tests, fuzzing, benchmarks
	libclang-rt-14-dev mosquitto mosquitto-clients python3 python3-paho-mqtt
	iproute2 openssl procps psmisc
	# the systemd unit's checks (t_service_caps.sh, t_make_install.sh)
	strace systemd man-db
	# scripts/bench_xdp.sh: the nftables meter the XDP guard is compared with
	nftables
	# tests/tools/powercut (durability tests: a FUSE filesystem)
	libfuse3-dev fuse3
	# t_tls_engine.sh: a SoftHSM2 token and OpenSSL's pkcs11 engine (tls_engine pkcs11)
	softhsm2 libengine-pkcs11-openssl
	# t_ws_browser.sh: MQTT.js in headless Chromium (node modules: npm ci below);
	# `make bench` draws its figures with gnuplot
	chromium gnuplot-nox
)
# node and npm: Debian's, unless a node (e.g. NodeSource's nodejs, which has npm in it and
# conflicts with Debian's npm) is installed already
if [ "${1:-}" != --arch ] && ! { command -v node && command -v npm; } >/dev/null; then
	PKGS+=(nodejs npm)
fi

# `deps.sh --arch arm64`: the cross build instead (scripts/cross-test.sh): Debian's cross
# compiler, the :arm64 -dev packages of the Makefile's LDLIBS plus cmocka for the unit tests,
# and qemu-user to run them. The host's clang and bpftool build the BPF objects.
if [ "${1:-}" = --arch ]; then
	if [ "${2:-}" != arm64 ]; then
		echo "deps.sh: --arch: arm64 is the cross target supported" >&2
		exit 2
	fi
	PKGS=(
		gcc-aarch64-linux-gnu qemu-user-static clang llvm bpftool libbpf-dev mold
		libc6:arm64 libssl-dev:arm64 libargon2-dev:arm64 libmnl-dev:arm64 libsqlite3-dev:arm64
		libcjson-dev:arm64 libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libcmocka-dev:arm64
	)
	# multiarch: apt sees :arm64 packages only once the architecture is added (the install
	# below refreshes the index when it fails)
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$([ "$(id -u)" -eq 0 ] || echo sudo) dpkg --add-architecture arm64 || exit 1
	fi
fi

# The browser test's node modules (tests/integration/browser: package-lock.json pins them), into
# tests/integration/browser/node_modules; again only when the lock file is newer than them.
npm_modules() {
	local d
	d="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/browser"
	[ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ] && return 0
	command -v npm >/dev/null || { echo "deps.sh: npm missing" >&2; return 1; }
	# --ignore-scripts: puppeteer-core downloads nothing anyway (Debian's chromium is used)
	if ! timeout 600 npm ci --prefix "$d" --no-audit --no-fund --ignore-scripts \
		>/tmp/mqttgw-deps-npm.log 2>&1; then
		echo "deps.sh: npm ci in $d failed; see /tmp/mqttgw-deps-npm.log" >&2
		tail -n 20 /tmp/mqttgw-deps-npm.log >&2
		return 1
	fi
}

missing=()
# One status line per installed architecture (multiarch: libssl-dev may be there for amd64 and
# arm64): the one asked for (pkg:arch) or the native one (or all) must be installed.
native=$(dpkg --print-architecture)
for p in "${PKGS[@]}"; do
	want=${p#*:}
	[ "$want" != "$p" ] || want="$native|all"
	dpkg-query -W -f='${Architecture} ${Status}\n' "$p" 2>/dev/null |
		grep -Eq "^($want) install ok installed$" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	[ "${1:-}" = --arch ] || npm_modules || exit 1
	exit 0
fi

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
if ! timeout 1800 $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/mqttgw-deps.log 2>&1; then
	timeout 600 $SUDO apt-get update -q >>/tmp/mqttgw-deps.log 2>&1 || true
	if ! timeout 1800 $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/mqttgw-deps.log 2>&1; then
		echo "deps.sh: apt-get install failed; see /tmp/mqttgw-deps.log" >&2
		tail -n 20 /tmp/mqttgw-deps.log >&2
		exit 1
	fi
fi
[ "${1:-}" = --arch ] || npm_modules || exit 1
