#!/usr/bin/env bash
# certbot.sh - certbot registers, issues (http-01, real validation), renews and
# revokes against `localacme serve`; every certificate is verified and its SANs
# compared with what was asked (RFC 8555 §7.3, §7.4, §7.6, §8.3).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require certbot openssl curl python3

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01"
cb=$(e2e_tmpdir)
certbot_run() {
	REQUESTS_CA_BUNDLE="$ACME_ROOT" timeout 180 certbot "$@" \
	    --non-interactive --server "$ACME_DIR" \
	    --config-dir "$cb/etc" --work-dir "$cb/work" --logs-dir "$cb/logs" \
	    >"$E2E_TMP/certbot.out" 2>&1 ||
	    e2e_fail "certbot $1 failed: $(tail -20 "$E2E_TMP/certbot.out")"
}

# Issue: two names, real http-01 through certbot's standalone server.
certbot_run certonly --standalone --http-01-port "$HTTP01" --agree-tos \
    -m dev@example.test -d app.localhost -d localhost --cert-name app
live="$cb/etc/live/app"
acme_check_cert "$live/cert.pem" "$live/chain.pem" app.localhost localhost
first=$(acme_cert_serial "$live/cert.pem")
[ "$(acme_cert_status "$first")" = valid ] || e2e_fail "issued cert not in the store"
e2e_ok "certbot issued $first"

# Renew, forced: a new certificate with a new serial, same names.
certbot_run renew --force-renewal --no-random-sleep-on-renew \
    --standalone --http-01-port "$HTTP01"
second=$(acme_cert_serial "$live/cert.pem")
[ "$second" != "$first" ] || e2e_fail "renewal kept the same serial"
acme_check_cert "$live/cert.pem" "$live/chain.pem" app.localhost localhost
e2e_ok "certbot renewed: $second"

# Revoke with the account key.
certbot_run revoke --cert-path "$live/cert.pem" --reason keycompromise \
    --no-delete-after-revoke
[ "$(acme_cert_status "$second")" = revoked ] ||
    e2e_fail "revoked certificate is $(acme_cert_status "$second") in the store"
[ "$(acme_cert_status "$first")" = valid ] || e2e_fail "the first cert changed status"
e2e_ok "certbot revoked $second"

# The server saw real validations, not a skip.
grep -q 'challenge .* (http-01) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no valid http-01 validation"
echo "1 passed, 0 failed"
