#!/usr/bin/env bash
# trust_curl.sh - `trust install --stores system` makes curl (OpenSSL, the system bundle) trust a
# localacme leaf, and `trust uninstall` undoes it; run in a private mount namespace whose
# /etc/ssl/certs, /usr/local/share/ca-certificates, /etc/ca-certificates.conf and update hooks
# are temp copies, so the machine's real store is never touched (checked at the end).
# SPDX-License-Identifier: MIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib_browser.sh
. "$here/lib_browser.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- inside the namespace (the script runs itself with --inner) ----
if [ "${1:-}" = "--inner" ]; then
	private_system_store "$work/ns"

	set +e
	curl -sS -o /dev/null "$url" 2>"$work/curl.err"; rc=$?
	set -e
	echo "before install: curl exit $rc"
	[ "$rc" -eq 60 ] || fail "curl exit $rc before install, expected 60: $(cat "$work/curl.err")"

	ls /usr/local/share/ca-certificates >"$work/local.before"
	"$LOCALACME" trust install --stores system
	out=$(curl -sS "$url") || fail "curl failed after install"
	echo "after install: $out"
	[ "$out" = "Hello, World!" ] || fail "unexpected body: $out"
	"$LOCALACME" trust status --stores system | tee "$work/status.txt"
	grep -q "^system: found, trusted: /usr/local/share/ca-certificates/$name.crt" "$work/status.txt" ||
		fail "status does not say trusted"
	# KP9: exactly one file more, named after the root, holding only the root certificate.
	diff <({ cat "$work/local.before"; echo "$name.crt"; } | LC_ALL=C sort) <(ls /usr/local/share/ca-certificates | LC_ALL=C sort) ||
		fail "install changed more than $name.crt"
	f=/usr/local/share/ca-certificates/$name.crt
	[ "$(grep -c -- '-----BEGIN' "$f")" -eq 1 ] || fail "$f holds more than one PEM block"
	grep -q -- 'PRIVATE KEY' "$f" && fail "$f holds a private key"
	cmp -s <(openssl x509 -in "$f" -outform DER) <(openssl x509 -in "$FIX_ROOT" -outform DER) ||
		fail "$f is not the root certificate"
	"$LOCALACME" trust install --stores system | grep -q "already installed" ||
		fail "second install was not a no-op"

	"$LOCALACME" trust uninstall --stores system
	set +e
	curl -sS -o /dev/null "$url" 2>"$work/curl.err"; rc=$?
	set -e
	echo "after uninstall: curl exit $rc"
	[ "$rc" -eq 60 ] || fail "curl exit $rc after uninstall, expected 60"
	diff "$work/local.before" <(ls /usr/local/share/ca-certificates) ||
		fail "uninstall did not restore the directory exactly"
	grep -q "$(sed -n 2p "$FIX_ROOT")" /etc/ssl/certs/ca-certificates.crt &&
		fail "the root is still in the bundle"
	exit 0
fi

# ---- outside ----
: "${LOCALACME:?LOCALACME must point at the built binary}"
for t in unshare curl update-ca-certificates openssl; do
	command -v "$t" >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
fastapi_python >/dev/null || exit 77
[ "$(id -u)" -eq 0 ] || { echo "needs root for a mount namespace"; exit 77; }
[ -d /usr/local/share/ca-certificates ] || { echo "not a Debian-style system store"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/localacme-trust-curl.XXXXXX")
cleanup() {
	fastapi_stop
	rm -rf "$work"
}
trap cleanup EXIT
export LOCALACME_HOME=$work/state HOME=$work/home
mkdir -p "$HOME"

# A fingerprint of the host's store, compared after the test.
host_store() {
	{
		ls -la --time-style=full-iso /etc/ssl/certs /usr/local/share/ca-certificates
		sha256sum /etc/ssl/certs/ca-certificates.crt
		[ ! -f /etc/ca-certificates.conf ] || sha256sum /etc/ca-certificates.conf
	} 2>&1
}
host_store >"$work/host.before"

tls_fixture "$work/certs"
fastapi_start "$FIX_CERT" "$FIX_KEY"
url=https://localhost:$APP_PORT/
name=localacme-$(openssl x509 -in "$FIX_ROOT" -outform DER | sha256sum | cut -c1-16)
export work url name

unshare --mount --propagation private bash "$0" --inner || fail "inside the namespace"

host_store >"$work/host.after"
diff -u "$work/host.before" "$work/host.after" || fail "the host's real trust store changed"
echo "trust_curl: ok (host store untouched)"
