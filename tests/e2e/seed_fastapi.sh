#!/usr/bin/env bash
# seed_fastapi.sh - the seed scenario end to end: a FastAPI app on https://localhost
# gets its certificate from `localacme serve` through certbot (ACME, not `issue`);
# after `localacme trust install`, headless Chromium (NSS) and curl (the system
# store, in a private mount namespace) both read "Hello, World!" with no
# certificate error. Before trust, both fail with a certificate error.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)

# ---- inside a private mount namespace: curl and the system store ----
if [ "${1:-}" = "--inner" ]; then
	set -euo pipefail
	. "$here/lib_browser.sh"
	fail() { echo "FAIL: $*" >&2; exit 1; }
	private_system_store "$SEED_WORK/ns"
	set +e
	curl -sS -o /dev/null "$SEED_URL" 2>"$SEED_WORK/curl.err"; rc=$?
	set -e
	[ "$rc" -eq 60 ] || fail "curl exit $rc before trust, expected 60 (unable to get local issuer)"
	"$LOCALACME" trust install --stores system >/dev/null
	out=$(curl -sS "$SEED_URL") || fail "curl failed after trust install"
	[ "$out" = "Hello, World!" ] || fail "curl read '$out'"
	echo "ok: curl reads '$out' with no --cacert"
	"$LOCALACME" trust uninstall --stores system >/dev/null
	exit 0
fi

. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_browser.sh"
e2e_init
e2e_require certbot curl openssl unshare update-ca-certificates
browser_available || exit 77
fastapi_python >/dev/null || exit 77
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for a mount namespace"; exit 77; }
export HOME="$E2E_TMP/home"	# Chromium's NSS database is the test's own
mkdir -p "$HOME"

# 1. the ACME server
HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01"

# 2. certbot obtains the certificate for localhost (real http-01)
cb=$(e2e_tmpdir)
REQUESTS_CA_BUNDLE="$ACME_ROOT" timeout 180 certbot certonly --standalone \
    --non-interactive --agree-tos -m dev@example.test --server "$ACME_DIR" \
    --http-01-port "$HTTP01" -d localhost --cert-name seed \
    --config-dir "$cb/etc" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    >"$E2E_TMP/certbot.out" 2>&1 ||
    e2e_fail "certbot failed: $(tail -20 "$E2E_TMP/certbot.out")"
live="$cb/etc/live/seed"

# 3. the app, exactly as in the blog post: uvicorn with ssl_keyfile/ssl_certfile
fastapi_start "$live/fullchain.pem" "$live/privkey.pem" || e2e_fail "the app did not start"
trap 'fastapi_stop; _e2e_cleanup' EXIT
url="https://localhost:$APP_PORT/"

# 4. before trust: the browser refuses (the negative control)
set +e
err=$(browser_fetch_text "$url"); rc=$?
set -e
[ "$rc" -eq 3 ] && [[ "$err" == net::ERR_CERT_* ]] ||
    e2e_fail "before trust, Chromium gave rc=$rc '$err' (expected a certificate error)"
e2e_ok "before trust: Chromium says $err"

# 5. trust the root in NSS: Chromium loads the page, no warning
"$LOCALACME" trust install --stores nss >/dev/null
art="${LOCALACME_BUILD_DIR:-$E2E_TMP}/artifacts"
mkdir -p "$art"
text=$(browser_screenshot "$url" "$art/seed_fastapi.png") ||
    e2e_fail "after trust, Chromium failed: $text"
[ "$text" = "Hello, World!" ] || e2e_fail "Chromium read '$text'"
e2e_ok "Chromium reads '$text' (screenshot: $art/seed_fastapi.png)"
"$LOCALACME" trust uninstall --stores nss >/dev/null

# 6. curl through the system store, in a private mount namespace
SEED_WORK=$(e2e_tmpdir) SEED_URL=$url \
    unshare --mount --propagation private bash "$0" --inner ||
    e2e_fail "curl through the system store"
echo "1 passed, 0 failed"
