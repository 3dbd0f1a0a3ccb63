#!/usr/bin/env bash
# admin_security.sh - issue #12 item 12: the management API cannot be reached from web pages.
# HTTPS from our own intermediate; a foreign Host or any Origin is 403 (logged); POST needs
# application/json (415); a bearer token in <state>/admin.token (0600, reused, replaced when
# unfit, or --admin-token-file) for state changes and keys (401); keys only with
# --admin-expose-keys (404); plain HTTP only when asked and only on loopback.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

ACME_PORT=$(e2e_free_port)
ADMIN=$(e2e_free_port)
TF=$LOCALACME_HOME/admin.token
start() { acme_start --hostname adm.localhost --admin-listen "127.0.0.1:$ADMIN" "$@"; }
restart() { acme_restart --hostname adm.localhost --admin-listen "127.0.0.1:$ADMIN" "$@"; }
start
A="https://127.0.0.1:$ADMIN"
# code URL [CURL ARGS...]: the HTTP status (000: no HTTP answer), the body in $E2E_TMP/body
code() {
	local url=$1
	shift
	curl -sS --cacert "$ACME_ROOT" -o "$E2E_TMP/body" -D "$E2E_TMP/hdrs" -w '%{http_code}' \
	    "$@" "$url" 2>"$E2E_TMP/curl.err" || true
}
expect() {	# WANT DESC URL [CURL ARGS...]
	local want=$1 desc=$2 got
	shift 2
	got=$(code "$@")
	[ "$got" = "$want" ] || e2e_fail "$desc: HTTP $got, want $want ($(head -c 200 "$E2E_TMP/body") $(cat "$E2E_TMP/curl.err"))"
}

# 1. HTTPS with a certificate from our intermediate (curl checks the chain to root.pem and
#    the name); no plain HTTP on that port.
expect 200 "GET /roots/0 over HTTPS" "$A/roots/0"
cmp -s "$E2E_TMP/body" "$ACME_ROOT" || e2e_fail "/roots/0 is not root.pem"
expect 200 "GET /roots/0 by name" "https://localhost:$ADMIN/roots/0"
expect 200 "GET /metrics by the configured name" "https://adm.localhost:$ADMIN/metrics" \
    --resolve "adm.localhost:$ADMIN:127.0.0.1"
openssl s_client -connect "127.0.0.1:$ADMIN" -showcerts </dev/null 2>/dev/null |
    openssl x509 -noout -issuer >"$E2E_TMP/issuer" || e2e_fail "no TLS on the admin port"
grep -q "$(openssl x509 -in "$LOCALACME_HOME/intermediate.pem" -noout -subject | sed 's/^subject=//')" \
    "$E2E_TMP/issuer" || e2e_fail "the admin certificate is not from our intermediate: $(cat "$E2E_TMP/issuer")"
got=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/roots/0" || true)
[ "$got" != 200 ] || e2e_fail "plain HTTP answered on the HTTPS admin port"
grep -q "management API on https://127.0.0.1:$ADMIN" "$E2E_TMP/serve.log" ||
    e2e_fail "the HTTPS management API was not announced"
e2e_ok "HTTPS with a certificate from our intermediate; no plain HTTP"

# 2. The token: created 0600, at least 128 bits, base64url or hex.
[ -f "$TF" ] || e2e_fail "no $TF"
[ "$(e2e_mode "$TF")" = 600 ] || e2e_fail "$TF mode $(e2e_mode "$TF")"
TOKEN=$(cat "$TF")
python3 - "$TOKEN" <<'PY' || e2e_fail "token '$TOKEN' is not 128+ bits of base64url or hex"
import re, sys
t = sys.argv[1]
assert re.fullmatch(r"[0-9a-f]{32,}", t) or re.fullmatch(r"[A-Za-z0-9_-]{22,}", t), t
PY
AUTH="Authorization: Bearer $TOKEN"
e2e_ok "token in $TF (0600, ${#TOKEN} characters)"

# 3. Host: the listen address with its port, localhost, a configured name; nothing else.
for h in "evil.example" "evil.example:$ADMIN" "127.0.0.1:1" "localhost.evil.example:$ADMIN" \
    "127.0.0.1:$ADMIN.evil.example" "127.0.0.2:$ADMIN" "[::1]:$ADMIN"; do
	expect 403 "Host: $h" "$A/roots/0" -H "Host: $h"
	expect 403 "Host: $h on a key endpoint with the token" "$A/root-keys/0" -H "Host: $h" -H "$AUTH"
done
for h in "127.0.0.1:$ADMIN" "127.0.0.1" "localhost:$ADMIN" "LocalHost" "adm.localhost:$ADMIN"; do
	expect 200 "Host: $h" "$A/roots/0" -H "Host: $h"
done
grep -q "admin: refused .*Host" "$E2E_TMP/serve.log" || e2e_fail "a foreign Host is not logged"
e2e_ok "a foreign Host is 403 and logged; the listen address, localhost and --hostname pass"

# 4. Origin: any request carrying one is refused, same-origin included.
for o in "https://127.0.0.1:$ADMIN" "http://evil.example" "null"; do
	expect 403 "Origin: $o" "$A/roots/0" -H "Origin: $o"
done
grep -q "admin: refused .*Origin" "$E2E_TMP/serve.log" || e2e_fail "an Origin is not logged"
e2e_ok "any Origin is 403 and logged"

# 5. POST: Content-Type application/json, the token; refused requests change nothing.
"$LOCALACME" issue --out "$(e2e_tmpdir)" win.localhost >/dev/null || e2e_fail "issue"
SERIAL=$("$LOCALACME" list --json | python3 -c '
import json, sys
print([c["serial"] for c in json.load(sys.stdin) if "win.localhost" in c["names"]][0])')
win() { echo "{\"serial\":\"$SERIAL\",\"suggestedWindow\":{\"start\":\"$1T00:00:00Z\",\"end\":\"$1T12:00:00Z\"}}"; }
SRI="$A/set-renewal-info/"
expect 415 "POST text/plain" "$SRI" -H "$AUTH" -H "Content-Type: text/plain" --data "$(win 2031-01-01)"
expect 415 "POST form-urlencoded" "$SRI" -H "$AUTH" --data "$(win 2031-01-01)"
expect 415 "POST without Content-Type" "$SRI" -H "$AUTH" -H "Content-Type:" --data "$(win 2031-01-01)"
expect 415 "POST application/jsonx" "$SRI" -H "$AUTH" -H "Content-Type: application/jsonx" --data "$(win 2031-01-01)"
expect 401 "POST without a token" "$SRI" -H "Content-Type: application/json" --data "$(win 2031-01-01)"
grep -qi '^WWW-Authenticate: Bearer' "$E2E_TMP/hdrs" || e2e_fail "401 without WWW-Authenticate: Bearer"
expect 401 "POST with a wrong token" "$SRI" -H "Authorization: Bearer x$TOKEN" \
    -H "Content-Type: application/json" --data "$(win 2031-01-01)"
expect 401 "POST with a token prefix" "$SRI" -H "Authorization: Bearer ${TOKEN%?}" \
    -H "Content-Type: application/json" --data "$(win 2031-01-01)"
expect 401 "POST with Basic" "$SRI" -H "Authorization: Basic $TOKEN" \
    -H "Content-Type: application/json" --data "$(win 2031-01-01)"
expect 403 "POST with an Origin" "$SRI" -H "$AUTH" -H "Origin: http://evil.example" \
    -H "Content-Type: application/json" --data "$(win 2031-01-01)"
expect 403 "POST with a foreign Host" "$SRI" -H "$AUTH" -H "Host: evil.example:$ADMIN" \
    -H "Content-Type: application/json" --data "$(win 2031-01-01)"
[ "$(sqlite3 "$LOCALACME_HOME/localacme.db" "SELECT count(*) FROM renewal_info" 2>/dev/null || echo skip)" != 1 ] ||
    e2e_fail "a refused POST set a renewal window"
expect 200 "POST application/json with the token" "$SRI" -H "$AUTH" \
    -H "Content-Type: application/json; charset=utf-8" --data "$(win 2032-01-01)"
expect 200 "POST with lower-case bearer" "$SRI" -H "authorization: bearer $TOKEN" \
    -H "Content-Type: Application/JSON" --data "$(win 2032-01-01)"
grep -q "renewal window of $SERIAL set" "$E2E_TMP/serve.log" || e2e_fail "the accepted POST was not applied"
[ "$(grep -c "renewal window of $SERIAL set" "$E2E_TMP/serve.log")" = 2 ] ||
    e2e_fail "a refused POST was applied: $(grep "renewal window" "$E2E_TMP/serve.log")"
expect 200 "GET /cert-status-by-serial without a token" "$A/cert-status-by-serial/$SERIAL"
e2e_ok "POST needs application/json (415) and the token (401); reads need no token"

# 6. Keys: 404 without --admin-expose-keys, token or not.
expect 404 "root key without the flag, with the token" "$A/root-keys/0" -H "$AUTH"
expect 404 "intermediate key without the flag" "$A/intermediate-keys/0"
restart --admin-expose-keys
[ "$(cat "$TF")" = "$TOKEN" ] || e2e_fail "the token changed across a restart"
expect 401 "intermediate key without the token" "$A/intermediate-keys/0"
expect 401 "root key with a wrong token" "$A/root-keys/0" -H "Authorization: Bearer ${TOKEN}x"
expect 200 "intermediate key with the token" "$A/intermediate-keys/0" -H "$AUTH"
grep -q 'PRIVATE KEY' "$E2E_TMP/body" || e2e_fail "no key in /intermediate-keys/0"
e2e_ok "keys: 404 without --admin-expose-keys, 401 without the token; the token is reused"

# 6b. IPv6: Host "[::1]:PORT" is the listen address; 127.0.0.1 is not.
restart --admin-listen "[::1]:$ADMIN"
expect 200 "GET over [::1]" "https://[::1]:$ADMIN/roots/0"
expect 200 "GET over [::1] with the token" "https://[::1]:$ADMIN/roots/0" -H "$AUTH"
expect 403 "Host 127.0.0.1 on a [::1] listener" "https://[::1]:$ADMIN/roots/0" -H "Host: 127.0.0.1:$ADMIN"
expect 403 "Host [::1] with a junk suffix" "https://[::1]:$ADMIN/roots/0" -H "Host: [::1]x:$ADMIN"
e2e_ok "an IPv6 listener takes Host [::1]:$ADMIN only"

# 7. An unfit token file is replaced: too short, then readable by others.
printf 'short\n' >"$TF"
restart
NEW=$(cat "$TF")
[ "$NEW" != short ] && [ "${#NEW}" -ge 22 ] || e2e_fail "a short token was kept: $NEW"
chmod 644 "$TF"
restart
[ "$(e2e_mode "$TF")" = 600 ] && [ "$(cat "$TF")" != "$NEW" ] ||
    e2e_fail "a world-readable token was kept ($(e2e_mode "$TF"))"
TOKEN=$(cat "$TF")
e2e_ok "an unfit admin.token is replaced"

# 8. --admin-token-file: that token, not the state one.
GIVEN="$E2E_TMP/given.token"
(umask 077 && openssl rand -hex 16 >"$GIVEN")
restart --admin-expose-keys --admin-token-file "$GIVEN"
expect 200 "key with the --admin-token-file token" "$A/root-keys/0" -H "Authorization: Bearer $(cat "$GIVEN")"
expect 401 "key with the state token under --admin-token-file" "$A/root-keys/0" -H "Authorization: Bearer $TOKEN"
e2e_stop "$ACME_PID"
chmod 644 "$GIVEN"
L="127.0.0.1:$ACME_PORT"
e2e_expect_fail "a world-readable --admin-token-file" timeout 20 "$LOCALACME" serve --listen "$L" \
    --admin-listen "127.0.0.1:$ADMIN" --admin-token-file "$GIVEN"
e2e_one_line "$E2E_ERR"
grep -q "admin_token_file: .*mode 0644" "$E2E_ERR" || e2e_fail "readable token file: $(cat "$E2E_ERR")"
printf 'abc\n' >"$E2E_TMP/weak.token"; chmod 600 "$E2E_TMP/weak.token"
e2e_expect_fail "a weak --admin-token-file" timeout 20 "$LOCALACME" serve --listen "$L" \
    --admin-listen "127.0.0.1:$ADMIN" --admin-token-file "$E2E_TMP/weak.token"
e2e_one_line "$E2E_ERR"
grep -q "admin_token_file: .*128 bits" "$E2E_ERR" || e2e_fail "weak token file: $(cat "$E2E_ERR")"
e2e_ok "--admin-token-file: its token only; a readable or weak file is refused at start"

# 9. Plain HTTP only when asked, and then only on loopback.
acme_start --admin-listen "127.0.0.1:$ADMIN" --admin-insecure-http
expect 200 "plain HTTP GET with --admin-insecure-http" "http://127.0.0.1:$ADMIN/roots/0"
expect 403 "plain HTTP: foreign Host" "http://127.0.0.1:$ADMIN/roots/0" -H "Host: evil.example:$ADMIN"
expect 401 "plain HTTP: POST without the token" "http://127.0.0.1:$ADMIN/set-renewal-info/" \
    -H "Content-Type: application/json" --data "$(win 2033-01-01)"
grep -q "management API on http://127.0.0.1:$ADMIN" "$E2E_TMP/serve.log" || e2e_fail "plain HTTP not announced"
e2e_stop "$ACME_PID"
for l in "0.0.0.0:$ADMIN" "[::]:$ADMIN" "[::ffff:127.0.0.1]:$ADMIN"; do
	e2e_expect_fail "--admin-insecure-http on $l" timeout 20 "$LOCALACME" serve --listen "$L" \
	    --admin-listen "$l" --admin-insecure-http
	e2e_one_line "$E2E_ERR"
	grep -q "admin_insecure_http: plain HTTP only on a loopback" "$E2E_ERR" ||
	    e2e_fail "$l: $(cat "$E2E_ERR")"
done
e2e_ok "plain HTTP on loopback only when asked; elsewhere refused at start: $(cat "$E2E_ERR")"
echo "1 passed, 0 failed"
