#!/usr/bin/env bash
# extras_crl.sh - RFC 5280 CRLs: --crl puts the CRL URL in leaves, the CRL has a number and the
# AKI, `openssl crl -verify` accepts it, and after lego revokes a leaf `openssl verify
# -crl_check` rejects that leaf while another leaf still verifies.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --crl
CRL_URL="https://localhost:$ACME_PORT/crl/intermediate.crl"
lg=$(e2e_tmpdir)
lego_run() {
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" --accept-tos \
	    --email dev@example.test --path "$lg" "$@" >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego $*: $(tail -20 "$E2E_TMP/lego.out")"
}
for n in keep gone; do
	lego_run --domains "$n.localhost" --http --http.port "127.0.0.1:$HTTP01" run
	openssl x509 -in "$lg/certificates/$n.localhost.crt" -out "$E2E_TMP/$n.pem"
done
ISSUER="$E2E_TMP/issuer.pem"	# lego revoke archives its files
cp "$lg/certificates/gone.localhost.issuer.crt" "$ISSUER"
openssl x509 -in "$E2E_TMP/gone.pem" -noout -ext crlDistributionPoints | grep -qF "URI:$CRL_URL" ||
    e2e_fail "the leaf has no CRL distribution point $CRL_URL"
acme_check_cert "$E2E_TMP/gone.pem" "$ISSUER" gone.localhost
e2e_ok "leaves carry the CRL DP $CRL_URL"

fetch() {
	curl -fsS --cacert "$ACME_ROOT" -o "$E2E_TMP/crl.der" "$CRL_URL" || e2e_fail "GET $CRL_URL"
	openssl crl -inform DER -in "$E2E_TMP/crl.der" -out "$E2E_TMP/crl.pem"
}
fetch
openssl crl -in "$E2E_TMP/crl.pem" -noout -verify -CAfile "$ISSUER" 2>&1 | grep -q 'verify OK' ||
    e2e_fail "openssl crl -verify does not accept the CRL"
openssl crl -in "$E2E_TMP/crl.pem" -noout -text >"$E2E_TMP/crl.txt"
grep -q 'X509v3 CRL Number' "$E2E_TMP/crl.txt" || e2e_fail "the CRL has no CRL number"
grep -q 'X509v3 Authority Key Identifier' "$E2E_TMP/crl.txt" || e2e_fail "the CRL has no AKI"
n1=$(grep -A1 'CRL Number' "$E2E_TMP/crl.txt" | tail -1 | tr -d ' ')
cat "$ACME_ROOT" "$ISSUER" >"$E2E_TMP/cas.pem"
openssl verify -crl_check -CAfile "$E2E_TMP/cas.pem" -CRLfile "$E2E_TMP/crl.pem" \
    "$E2E_TMP/gone.pem" >/dev/null || e2e_fail "verify -crl_check rejects a valid leaf"
e2e_ok "the CRL (number $n1) verifies and a valid leaf passes -crl_check"

lego_run --domains gone.localhost revoke --reason 1
fetch
openssl crl -in "$E2E_TMP/crl.pem" -noout -text >"$E2E_TMP/crl.txt"
n2=$(grep -A1 'CRL Number' "$E2E_TMP/crl.txt" | tail -1 | tr -d ' ')
[ "$n2" -gt "$n1" ] || e2e_fail "CRL number did not grow: $n1 -> $n2"
serial=$(openssl x509 -in "$E2E_TMP/gone.pem" -noout -serial | cut -d= -f2)
grep -q "Serial Number: $serial" "$E2E_TMP/crl.txt" || e2e_fail "the CRL does not list $serial"
grep -q 'Key Compromise' "$E2E_TMP/crl.txt" || e2e_fail "the CRL entry has no reason keyCompromise"
openssl crl -in "$E2E_TMP/crl.pem" -noout -verify -CAfile "$ISSUER" 2>&1 | grep -q 'verify OK' ||
    e2e_fail "openssl crl -verify does not accept the new CRL"
if openssl verify -crl_check -CAfile "$E2E_TMP/cas.pem" -CRLfile "$E2E_TMP/crl.pem" \
    "$E2E_TMP/gone.pem" >"$E2E_TMP/verify.out" 2>&1; then
	e2e_fail "verify -crl_check accepted a revoked leaf"
fi
grep -q 'certificate revoked' "$E2E_TMP/verify.out" || e2e_fail "verify: $(cat "$E2E_TMP/verify.out")"
openssl verify -crl_check -CAfile "$E2E_TMP/cas.pem" -CRLfile "$E2E_TMP/crl.pem" \
    "$E2E_TMP/keep.pem" >/dev/null || e2e_fail "verify -crl_check rejects the other leaf"
e2e_ok "after revocation (CRL $n2) -crl_check rejects $serial and accepts the other leaf"

# `localacme revoke` from another process reaches the CRL through the maintenance loop or a
# restart (which rebuilds it at once).
kserial=$(acme_cert_serial "$E2E_TMP/keep.pem")
"$LOCALACME" revoke "$kserial" >/dev/null || e2e_fail "localacme revoke"
acme_restart --http01-port "$HTTP01" --crl
fetch
openssl verify -crl_check -CAfile "$E2E_TMP/cas.pem" -CRLfile "$E2E_TMP/crl.pem" \
    "$E2E_TMP/keep.pem" >/dev/null 2>&1 && e2e_fail "the CRL misses an operator revocation"
e2e_ok "an operator revocation is on the CRL after a restart"
echo "1 passed, 0 failed"
