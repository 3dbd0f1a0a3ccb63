#!/bin/sh
# setup.sh - install localacme's build and test dependencies from Debian.
# Idempotent and non-interactive: prints what it installs, skips what is
# present. As root it runs apt-get; otherwise through sudo when available.
#   contrib/setup.sh          everything needed to build and run
#   contrib/setup.sh --test   also the test tools and real ACME clients
set -eu

BUILD_PKGS="cmake gcc make pkg-config libssl-dev libmicrohttpd-dev
libgnutls28-dev libjansson-dev uuid-dev libcmocka-dev libsqlite3-dev sqlite3
libcurl4-openssl-dev libc-ares-dev openssl ca-certificates"
TEST_PKGS="clang dpkg-dev systemd libclang-rt-14-dev certbot lego caddy pebble uacme gnutls-bin
libnss3-tools python3 python3-cryptography python3-fastapi python3-uvicorn chromium curl
faketime slowhttptest valgrind strace procps iproute2 util-linux ruby-acme-client
podman runc mmdebstrap netavark aardvark-dns podman-compose iptables help2man tidy
cmd:npm=npm cmd:keytool=default-jre-headless"

want="$BUILD_PKGS"
case "${1:-}" in
--test) want="$BUILD_PKGS $TEST_PKGS" ;;
"") ;;
*) echo "usage: contrib/setup.sh [--test]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	case "$p" in
	cmd:*)	# a command some machines already have from elsewhere
		c=${p#cmd:}; c=${c%%=*}
		command -v "$c" >/dev/null 2>&1 || missing="$missing ${p#*=}"
		continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "setup: all dependencies present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
	echo "setup: not root; using sudo for apt-get"
else
	echo "setup: missing packages:$missing" >&2
	echo "setup: run as root: apt-get install -y$missing" >&2
	exit 1
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "setup: done"
