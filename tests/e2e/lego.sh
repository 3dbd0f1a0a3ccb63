#!/usr/bin/env bash
# lego.sh - lego registers, issues over http-01 and over tls-alpn-01 (RFC 8737),
# renews and revokes against `localacme serve` with real validation.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3

HTTP01=$(e2e_free_port)
TLSALPN=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --tlsalpn01-port "$TLSALPN"
lg=$(e2e_tmpdir)
lego_run() {
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" \
	    --accept-tos --email dev@example.test --path "$lg" "$@" \
	    >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego $* failed: $(tail -20 "$E2E_TMP/lego.out")"
}
leaf() { openssl x509 -in "$1" -out "$2"; }	# first certificate of a bundle

# http-01
lego_run --domains lego.localhost --domains www.lego.localhost \
    --http --http.port "127.0.0.1:$HTTP01" run
crt="$lg/certificates/lego.localhost.crt"
leaf "$crt" "$E2E_TMP/http.pem"
acme_check_cert "$E2E_TMP/http.pem" "$lg/certificates/lego.localhost.issuer.crt" \
    lego.localhost www.lego.localhost
first=$(acme_cert_serial "$E2E_TMP/http.pem")
grep -q 'challenge .* (http-01) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no valid http-01 validation"
e2e_ok "lego issued $first over http-01"

# tls-alpn-01 (RFC 8737): lego answers on its own TLS listener.
lego_run --domains alpn.localhost --tls --tls.port "127.0.0.1:$TLSALPN" run
leaf "$lg/certificates/alpn.localhost.crt" "$E2E_TMP/alpn.pem"
acme_check_cert "$E2E_TMP/alpn.pem" "$lg/certificates/alpn.localhost.issuer.crt" \
    alpn.localhost
grep -q 'challenge .* (tls-alpn-01) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no valid tls-alpn-01 validation"
e2e_ok "lego issued over tls-alpn-01"

# renew (the 90-day certificate is within 100 days of expiry)
lego_run --domains lego.localhost --domains www.lego.localhost \
    --http --http.port "127.0.0.1:$HTTP01" renew --days 100 --no-random-sleep
leaf "$crt" "$E2E_TMP/renewed.pem"
second=$(acme_cert_serial "$E2E_TMP/renewed.pem")
[ "$second" != "$first" ] || e2e_fail "renewal kept the same serial"
acme_check_cert "$E2E_TMP/renewed.pem" "$lg/certificates/lego.localhost.issuer.crt" \
    lego.localhost www.lego.localhost
e2e_ok "lego renewed: $second"

# revoke
lego_run --domains lego.localhost revoke
[ "$(acme_cert_status "$second")" = revoked ] ||
    e2e_fail "revoked certificate is $(acme_cert_status "$second") in the store"
e2e_ok "lego revoked $second"
echo "1 passed, 0 failed"
