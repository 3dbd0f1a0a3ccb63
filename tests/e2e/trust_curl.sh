#!/usr/bin/env bash
# trust_curl.sh - `trust install --stores system` makes curl (OpenSSL, the system bundle) trust a
# localacme leaf, and `trust uninstall` undoes it; an interrupted install (anchor copied,
# update-ca-certificates not run, or SIGTERM while it runs) is reported as not trusted,
# exit 1 (also with --json), leaves no temp file, and is repaired by `trust install`. All of
# it runs in a private mount namespace whose /etc/ssl/certs, /usr/local/share/ca-certificates,
# /etc/ca-certificates.conf and update hooks are temp copies, dropped with the namespace, so
# the machine's real store is never touched (checked at the end).
# SPDX-License-Identifier: MIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib_browser.sh
. "$here/lib_browser.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- inside the namespace (the script runs itself with --inner) ----
if [ "${1:-}" = "--inner" ]; then
	private_system_store "$work/ns"
	anchor=/usr/local/share/ca-certificates/$name.crt
	bundle=/etc/ssl/certs/ca-certificates.crt

	curl_rc() {
		set +e
		curl -sS -o /dev/null "$url" 2>"$work/curl.err"
		local rc=$?
		set -e
		echo "$rc"
	}
	# `trust status`: its output in $work/status.txt, its exit code printed.
	status_rc() {
		set +e
		"$LOCALACME" trust status --stores system "$@" >"$work/status.txt" 2>&1
		local rc=$?
		set -e
		cat "$work/status.txt" >&2
		echo "$rc"
	}
	json_field() {	# json_field KEY: stores.system.KEY of the last --json status
		python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["stores"]["system"][sys.argv[2]]))' \
			"$work/status.txt" "$1"
	}

	rc=$(curl_rc)
	echo "before install: curl exit $rc"
	[ "$rc" -eq 60 ] || fail "curl exit $rc before install, expected 60: $(cat "$work/curl.err")"
	ls /usr/local/share/ca-certificates >"$work/local.before"

	# 1. An interrupted install (issue 12 item 15): the anchor copied,
	#    update-ca-certificates never run. curl still fails, so status must say
	#    "not trusted" and fail, and install must finish the job.
	openssl x509 -in "$FIX_ROOT" -out "$work/root-only.pem"
	install -m 644 "$work/root-only.pem" "$anchor"
	rc=$(curl_rc)
	[ "$rc" -eq 60 ] || fail "curl exit $rc with only the anchor copied, expected 60"
	rc=$(status_rc)
	[ "$rc" -eq 1 ] || fail "status exit $rc for a half-done install, expected 1"
	grep -q "^system: found, not trusted: $anchor is there but $bundle lacks the root" "$work/status.txt" ||
		fail "status does not say the half-done install is not trusted"
	rc=$(status_rc --json)
	[ "$rc" -eq 1 ] || fail "status --json exit $rc, expected 1"
	[ "$(json_field present)" = true ] && [ "$(json_field trusted)" = false ] ||
		fail "status --json: $(cat "$work/status.txt")"
	"$LOCALACME" trust install --stores system | tee "$work/install.txt"
	grep -q "already installed" "$work/install.txt" && fail "install skipped the half-done install"
	grep -q "lacks the root: running update-ca-certificates" "$work/install.txt" ||
		fail "install did not say it repairs"
	out=$(curl -sS "$url") || fail "curl failed after the repairing install"
	echo "after repair: $out"
	[ "$out" = "Hello, World!" ] || fail "unexpected body: $out"
	rc=$(status_rc)
	[ "$rc" -eq 0 ] || fail "status exit $rc once installed"
	grep -q "^system: found, trusted: $bundle (anchor $anchor; " "$work/status.txt" ||
		fail "status does not say trusted"
	rc=$(status_rc --json)
	[ "$rc" -eq 0 ] && [ "$(json_field trusted)" = true ] || fail "status --json once installed"
	# KP9: exactly one file more, named after the root, holding only the root certificate.
	diff <({ cat "$work/local.before"; echo "$name.crt"; } | LC_ALL=C sort) <(ls /usr/local/share/ca-certificates | LC_ALL=C sort) ||
		fail "install changed more than $name.crt"
	[ "$(grep -c -- '-----BEGIN' "$anchor")" -eq 1 ] || fail "$anchor holds more than one PEM block"
	grep -q -- 'PRIVATE KEY' "$anchor" && fail "$anchor holds a private key"
	cmp -s <(openssl x509 -in "$anchor" -outform DER) <(openssl x509 -in "$FIX_ROOT" -outform DER) ||
		fail "$anchor is not the root certificate"
	"$LOCALACME" trust install --stores system | grep -q "already installed" ||
		fail "second install was not a no-op"

	"$LOCALACME" trust uninstall --stores system
	rc=$(curl_rc)
	echo "after uninstall: curl exit $rc"
	[ "$rc" -eq 60 ] || fail "curl exit $rc after uninstall, expected 60"
	diff "$work/local.before" <(ls /usr/local/share/ca-certificates) ||
		fail "uninstall did not restore the directory exactly"
	grep -q "$(sed -n 2p "$FIX_ROOT")" "$bundle" && fail "the root is still in the bundle"
	rc=$(status_rc)
	[ "$rc" -eq 1 ] || fail "status exit $rc after uninstall, expected 1"

	# 2. SIGTERM while update-ca-certificates runs (a slow stand-in first on
	#    PATH): no temporary file anywhere, and what is left is the half-done
	#    install of step 1, which status reports and install repairs.
	mkdir -p "$work/slow" "$work/tmp"
	printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 30\n' "$work/slow.pid" >"$work/slow/update-ca-certificates"
	chmod 755 "$work/slow/update-ca-certificates"
	ls -A "$LOCALACME_HOME" >"$work/state.before"
	TMPDIR=$work/tmp PATH=$work/slow:$PATH "$LOCALACME" trust install --stores system \
		>"$work/slow.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -s "$work/slow.pid" ] && break; sleep 0.1; done
	[ -s "$work/slow.pid" ] || fail "the slow update-ca-certificates never ran: $(cat "$work/slow.out")"
	kill -TERM "$pid"
	wait "$pid" || true
	kill -TERM "$(cat "$work/slow.pid")" 2>/dev/null || true
	[ -z "$(ls -A "$work/tmp")" ] || fail "SIGTERM left in TMPDIR: $(ls -A "$work/tmp")"
	diff <(cat "$work/state.before") <(ls -A "$LOCALACME_HOME") ||
		fail "SIGTERM left a file in the state directory"
	diff <({ cat "$work/local.before"; echo "$name.crt"; } | LC_ALL=C sort) <(ls /usr/local/share/ca-certificates | LC_ALL=C sort) ||
		fail "SIGTERM left something in /usr/local/share/ca-certificates"
	rc=$(status_rc)
	[ "$rc" -eq 1 ] || fail "status exit $rc after the interrupted install, expected 1"
	"$LOCALACME" trust install --stores system | grep -q "running update-ca-certificates" ||
		fail "install did not repair after SIGTERM"
	out=$(curl -sS "$url") || fail "curl failed after repairing the interrupted install"
	[ "$out" = "Hello, World!" ] || fail "unexpected body: $out"
	"$LOCALACME" trust uninstall --stores system
	diff "$work/local.before" <(ls /usr/local/share/ca-certificates) ||
		fail "the last uninstall did not restore the directory exactly"
	exit 0
fi

# ---- outside ----
: "${LOCALACME:?LOCALACME must point at the built binary}"
for t in unshare curl update-ca-certificates openssl python3; do
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
