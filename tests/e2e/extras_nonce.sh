#!/usr/bin/env bash
# extras_nonce.sh - the fault knobs: with 20% of valid nonces answered badNonce (a fixed seed),
# lego still issues (clients retry badNonce, RFC 8555 §6.5); the knobs are announced;
# Retry-After as an HTTP-date; strict mode refuses a non-empty challenge response.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3

HTTP01=$(e2e_free_port)
ADMIN=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --nonce-reject 20 --seed 7 --va-delay-ms 300 \
    --retry-after-form date --admin-listen "127.0.0.1:$ADMIN"
for w in 'rejecting 20% of valid nonces' 'delaying each validation by 0-300 ms' \
    'Retry-After is sent as an HTTP-date' 'random seed 7'; do
	grep -qF "$w" "$E2E_TMP/serve.log" || e2e_fail "not announced: $w"
done
e2e_ok "the knobs are announced at start"

lg=$(e2e_tmpdir)
for n in 1 2; do
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 300 lego --server "$ACME_DIR" --accept-tos \
	    --email dev@example.test --path "$lg" --domains "n$n.localhost" --http \
	    --http.port "127.0.0.1:$HTTP01" run >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego with 20% nonce rejection: $(tail -20 "$E2E_TMP/lego.out")"
	openssl x509 -in "$lg/certificates/n$n.localhost.crt" -out "$E2E_TMP/leaf.pem"
	acme_check_cert "$E2E_TMP/leaf.pem" "$lg/certificates/n$n.localhost.issuer.crt" "n$n.localhost"
done
rejected=$(acme_admin /metrics | sed -n 's/^localacme_nonces_rejected_total //p')
[ "${rejected:-0}" -ge 1 ] || e2e_fail "no nonce was rejected (metrics: ${rejected:-none})"
e2e_ok "lego issued twice while $rejected nonces were rejected"

# certbot 2.1 is not run here: its acme library retries a badNonce only once per
# request, so two rejections in a row (4% of requests at 20%) abort it.

# strict: a challenge response other than {} is refused (RFC 8555 §7.5.1).
python3 -c 'import cryptography' 2>/dev/null || { echo "1 passed, 0 failed"; exit 0; }
acme_restart --validation skip --strict
grep -qF 'strict mode' "$E2E_TMP/serve.log" || e2e_fail "strict mode not announced"
python3 - "$ACME_DIR" "$ACME_ROOT" "$here/../lib" <<'PY' || e2e_fail "strict mode"
import json, sys
sys.path.insert(0, sys.argv[3])
from acme_client import Client, Key
c = Client(sys.argv[1], sys.argv[2])
c.key = Key()
r = c.post_any(c.directory()["newAccount"], {"termsOfServiceAgreed": True}, embed_jwk=True)
assert r.status == 201, r.status
c.kid = r.header("Location")
r = c.post_any(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "s.localhost"}]})
assert r.status == 201, (r.status, r.body)
o = json.loads(r.body)
ab = c.post_any(o["authorizations"][0], None).body
ch = json.loads(ab)["challenges"][0]["url"]
r = c.post_any(ch, {"keyAuthorization": "x"})
assert r.status == 400 and b"malformed" in r.body, (r.status, r.body)
r = c.post_any(ch, {})
assert r.status == 200, (r.status, r.body)
PY
e2e_ok "strict mode refuses a challenge response other than {}"
echo "1 passed, 0 failed"
