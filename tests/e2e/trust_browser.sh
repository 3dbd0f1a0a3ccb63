#!/usr/bin/env bash
# trust_browser.sh - a real browser trusts a localacme leaf only while the root is in NSS:
# headless Chromium fails with a certificate error before `trust install --stores nss`,
# reads the seed app's "Hello, World!" after it, and fails again after `trust uninstall`.
# SPDX-License-Identifier: MIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib_browser.sh
. "$here/lib_browser.sh"

: "${LOCALACME:?LOCALACME must point at the built binary}"
browser_available || exit 77
fastapi_python >/dev/null || exit 77
command -v certutil >/dev/null 2>&1 || { echo "no certutil (libnss3-tools)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/localacme-trust-browser.XXXXXX")
cleanup() {
	fastapi_stop
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Chromium's NSS database is $HOME/.pki/nssdb: the test's own, never the user's.
export HOME=$work/home
export LOCALACME_HOME=$work/state
mkdir -p "$HOME"
artifacts=${LOCALACME_BUILD_DIR:-$work}/artifacts
mkdir -p "$artifacts"

tls_fixture "$work/certs"
fastapi_start "$FIX_CERT" "$FIX_KEY"
url=https://localhost:$APP_PORT/
nssdb=sql:$HOME/.pki/nssdb
fp16=$(openssl x509 -in "$FIX_ROOT" -outform DER | sha256sum | cut -c1-16)
name=localacme-$fp16

# 1. Negative control: not trusted yet, and for the right reason.
set +e
out=$(browser_fetch_text "$url"); rc=$?
set -e
echo "before install: rc=$rc $out"
[ "$rc" -eq 3 ] || fail "page loaded before the root was installed (rc=$rc): $out"
[ "$out" = "net::ERR_CERT_AUTHORITY_INVALID" ] || fail "expected a certificate authority error, got: $out"

# 2. Install into NSS: the page loads and its text is read back.
"$LOCALACME" trust install --stores nss
"$LOCALACME" trust status --stores nss | tee "$work/status.txt"
grep -q "^nss: found, trusted: $nssdb" "$work/status.txt" || fail "status does not say trusted"
out=$(browser_screenshot "$url" "$artifacts/trust_browser.png") ||
	fail "page did not load after install: $out"
echo "after install: $out"
[ "$out" = "Hello, World!" ] || fail "unexpected page text: $out"
[ -s "$artifacts/trust_browser.png" ] || fail "no screenshot"
# The IP SANs are trusted through the same root.
out=$(browser_fetch_text "https://127.0.0.1:$APP_PORT/") || fail "127.0.0.1: $out"
[ "$out" = "Hello, World!" ] || fail "127.0.0.1: unexpected text: $out"

# KP9: what was written is the root certificate, under our name, and no key.
certutil -L -d "$nssdb" | grep -q "^$name  *C,," || fail "no $name with C,, in $nssdb"
[ "$(certutil -L -d "$nssdb" | grep -c '^localacme-')" -eq 1 ] || fail "more than one localacme entry"
certutil -L -d "$nssdb" -n "$name" -a | openssl x509 -outform DER | cmp -s - <(openssl x509 -in "$FIX_ROOT" -outform DER) ||
	fail "the NSS entry is not the root certificate"
if certutil -K -d "$nssdb" 2>/dev/null | grep -q '^<'; then
	fail "a private key is in $nssdb"
fi
# Idempotent: a second install changes nothing.
"$LOCALACME" trust install --stores nss | grep -q "already installed" || fail "second install was not a no-op"

# 3. Uninstall: the browser refuses again, and nothing of ours is left.
"$LOCALACME" trust uninstall --stores nss
set +e
out=$(browser_fetch_text "$url"); rc=$?
set -e
echo "after uninstall: rc=$rc $out"
[ "$rc" -eq 3 ] || fail "page still loads after uninstall"
[ "$out" = "net::ERR_CERT_AUTHORITY_INVALID" ] || fail "expected a certificate authority error, got: $out"
if certutil -L -d "$nssdb" | grep -q '^localacme-'; then
	fail "uninstall left an entry in $nssdb"
fi
echo "trust_browser: ok (screenshot: $artifacts/trust_browser.png)"
