#!/usr/bin/env bash
# caddy.sh - Caddy obtains a certificate from `localacme serve` for a site it
# serves (real validation, RFC 8555 §8), then curl reaches the site trusting
# only the localacme root.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require caddy openssl curl python3

HTTP=$(e2e_free_port)
HTTPS=$(e2e_free_port)
# Caddy answers http-01 on its HTTP port and tls-alpn-01 on its HTTPS port;
# caddy.test is pinned to loopback for the validation (--resolve).
acme_start --http01-port "$HTTP" --tlsalpn01-port "$HTTPS" \
    --resolve caddy.test=127.0.0.1

cd_=$(e2e_tmpdir)
cat >"$cd_/Caddyfile" <<CADDY
{
	admin off
	storage file_system {
		root $cd_/data
	}
	http_port $HTTP
	https_port $HTTPS
	skip_install_trust
	email dev@example.test
}

caddy.test:$HTTPS {
	tls {
		issuer acme {
			dir $ACME_DIR
			trusted_roots $ACME_ROOT
		}
	}
	respond "hello from caddy"
}
CADDY
XDG_DATA_HOME="$cd_/xdg" XDG_CONFIG_HOME="$cd_/xdg" HOME="$cd_" \
    e2e_start caddy caddy run --config "$cd_/Caddyfile" --adapter caddyfile
CADDY_PID=$E2E_PID

body=""
for i in $(seq 120); do
	body=$(curl -fsS --cacert "$ACME_ROOT" \
	    --resolve "caddy.test:$HTTPS:127.0.0.1" "https://caddy.test:$HTTPS/" \
	    2>/dev/null) && break
	kill -0 "$CADDY_PID" 2>/dev/null ||
	    e2e_fail "caddy exited: $(tail -20 "$E2E_TMP/caddy.log")"
	sleep 0.5
done
[ "$body" = "hello from caddy" ] ||
    e2e_fail "the site did not answer over TLS: $(tail -20 "$E2E_TMP/caddy.log")"

# The certificate Caddy serves is ours, for exactly caddy.test.
echo | openssl s_client -connect "127.0.0.1:$HTTPS" -servername caddy.test \
    2>/dev/null | openssl x509 >"$E2E_TMP/served.pem" ||
    e2e_fail "could not read the served certificate"
crt=$(find "$cd_/data" -name 'caddy.test.crt' | head -1)
[ -n "$crt" ] || e2e_fail "Caddy stored no certificate"
acme_check_cert "$E2E_TMP/served.pem" "$crt" caddy.test
[ "$(acme_cert_status "$(acme_cert_serial "$E2E_TMP/served.pem")")" = valid ] ||
    e2e_fail "the served certificate is not in the store"
grep -Eq 'challenge .* \((http-01|tls-alpn-01)\) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no real validation"
e2e_ok "caddy serves https://caddy.test with a localacme certificate"
echo "1 passed, 0 failed"
