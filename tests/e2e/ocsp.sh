#!/usr/bin/env bash
# ocsp.sh - `serve --ocsp` (issue #15 item 5): leaves carry the AIA OCSP URL;
# openssl ocsp over POST and GET (RFC 6960 §4, appendix A) says good, then
# revoked with time and reason after `localacme revoke`, unknown for a serial
# never issued, malformedRequest for junk; the response verifies through the
# delegated signer (id-kp-OCSPSigning, ocsp-nocheck) to our root; certbot's
# `certificates` shows the revoked certificate REVOKED and `renew` replaces it;
# a Must-Staple CSR gets the TLS Feature (RFC 7633), and without --ocsp it is
# badCSR naming --ocsp. About 45 s wall (seven certbot runs dominate).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require certbot openssl curl python3

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --ocsp
URL="https://localhost:$ACME_PORT/ocsp"
cb=$(e2e_tmpdir)
certbot_run() {
	REQUESTS_CA_BUNDLE="$ACME_ROOT" timeout 180 certbot "$@" \
	    --non-interactive --server "$ACME_DIR" \
	    --config-dir "$cb/etc" --work-dir "$cb/work" --logs-dir "$cb/logs" \
	    >"$E2E_TMP/certbot.out" 2>&1
}
certbot_ok() {
	certbot_run "$@" ||
	    e2e_fail "certbot $1 failed: $(tail -20 "$E2E_TMP/certbot.out")"
}

certbot_ok certonly --standalone --http-01-port "$HTTP01" --agree-tos \
    -m dev@example.test -d ocsp.localhost --cert-name app
live="$cb/etc/live/app"
cert="$live/cert.pem" chain="$live/chain.pem"
serial=$(acme_cert_serial "$cert")

# RFC 5280 §4.2.2.1: the leaf names the responder.
aia=$(openssl x509 -in "$cert" -noout -ocsp_uri)
[ "$aia" = "$URL" ] || e2e_fail "AIA OCSP URL is '$aia', want '$URL'"
e2e_ok "the leaf's AIA names $aia"

# The signer comes from the intermediate; openssl verifies the response
# with only our root trusted (OCSP_basic_verify: delegated signer, EKU).
ocsp_post() {	# CERT-or-serial args... -> $E2E_TMP/ocsp.txt
	openssl ocsp -issuer "$chain" "$@" -url "$URL" -CAfile "$ACME_ROOT" \
	    -verify_other "$chain" -resp_text >"$E2E_TMP/ocsp.txt" 2>&1 ||
	    e2e_fail "openssl ocsp failed: $(cat "$E2E_TMP/ocsp.txt")"
	grep -q 'Response verify OK' "$E2E_TMP/ocsp.txt" ||
	    e2e_fail "the response does not verify: $(cat "$E2E_TMP/ocsp.txt")"
}
ocsp_post -cert "$cert"
grep -q "^$cert: good" "$E2E_TMP/ocsp.txt" ||
    e2e_fail "POST: not good: $(cat "$E2E_TMP/ocsp.txt")"
grep -q 'This Update:' "$E2E_TMP/ocsp.txt" &&
    grep -q 'Next Update:' "$E2E_TMP/ocsp.txt" ||
    e2e_fail "no thisUpdate/nextUpdate: $(cat "$E2E_TMP/ocsp.txt")"
grep -q 'OCSP Signing' "$E2E_TMP/ocsp.txt" &&
    grep -q 'OCSP No Check' "$E2E_TMP/ocsp.txt" ||
    e2e_fail "the signer lacks OCSPSigning or ocsp-nocheck"
grep -q 'Nonce' "$E2E_TMP/ocsp.txt" || e2e_fail "the nonce was not echoed"
e2e_ok "POST: $serial good, signed by the delegated signer"

# The signer is issued by the intermediate and chains to our root.
signer="$E2E_TMP/signer.pem"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$E2E_TMP/ocsp.txt" >"$signer"
openssl verify -CAfile "$ACME_ROOT" -untrusted "$chain" -purpose ocsphelper \
    "$signer" >/dev/null || e2e_fail "the signer does not chain to the root"
[ "$(openssl x509 -in "$signer" -noout -issuer)" = \
    "$(openssl x509 -in "$chain" -noout -subject | sed 's/^subject/issuer/')" ] ||
    e2e_fail "the signer is not issued by the intermediate"
e2e_ok "the signer chains to the root through the intermediate"

# RFC 6960 appendix A.1: GET with the base64 request in the path.
ocsp_get() {	# CERT -> $E2E_TMP/get.txt
	openssl ocsp -issuer "$chain" -cert "$1" -no_nonce \
	    -reqout "$E2E_TMP/req.der" >/dev/null 2>&1 ||
	    e2e_fail "openssl ocsp -reqout failed"
	local enc
	enc=$(python3 -c 'import base64, sys, urllib.parse
print(urllib.parse.quote(base64.b64encode(open(sys.argv[1], "rb").read()).decode(), safe=""))' \
	    "$E2E_TMP/req.der")
	curl -fsS --cacert "$ACME_ROOT" -D "$E2E_TMP/get.hdr" \
	    -o "$E2E_TMP/get.der" "$URL/$enc" || e2e_fail "GET $URL/... failed"
	grep -qi '^content-type: application/ocsp-response' "$E2E_TMP/get.hdr" ||
	    e2e_fail "GET: wrong content type: $(cat "$E2E_TMP/get.hdr")"
	openssl ocsp -respin "$E2E_TMP/get.der" -issuer "$chain" -cert "$1" \
	    -CAfile "$ACME_ROOT" -verify_other "$chain" >"$E2E_TMP/get.txt" 2>&1 ||
	    e2e_fail "GET response: $(cat "$E2E_TMP/get.txt")"
}
ocsp_get "$cert"
grep -q "^$cert: good" "$E2E_TMP/get.txt" || e2e_fail "GET: not good: $(cat "$E2E_TMP/get.txt")"
e2e_ok "GET: good"

# Never issued: unknown (RFC 6960 §2.2), still signed.
ocsp_post -serial 0x01deadbeef
grep -q ': unknown' "$E2E_TMP/ocsp.txt" ||
    e2e_fail "unissued serial: $(cat "$E2E_TMP/ocsp.txt")"
e2e_ok "a serial never issued is unknown"

# Junk: malformedRequest (§2.3), over POST and GET.
printf 'not der' | curl -sS --cacert "$ACME_ROOT" -o "$E2E_TMP/bad.der" \
    -H 'Content-Type: application/ocsp-request' --data-binary @- "$URL"
curl -sS --cacert "$ACME_ROOT" -o "$E2E_TMP/bad2.der" "$URL/AAAA"
for f in bad bad2; do
	openssl ocsp -respin "$E2E_TMP/$f.der" -resp_text >"$E2E_TMP/$f.txt" 2>&1 || true
	grep -q 'Responder Error: malformedrequest' "$E2E_TMP/$f.txt" ||
	    e2e_fail "junk ($f) was not malformedRequest: $(cat "$E2E_TMP/$f.txt")"
done
e2e_ok "junk is malformedRequest"

# certbot before the revocation: VALID.
certbot_ok certificates
grep -q 'REVOKED' "$E2E_TMP/certbot.out" &&
    e2e_fail "certbot calls a good certificate revoked: $(cat "$E2E_TMP/certbot.out")"

# Revoke (keyCompromise) by the operator; the responder sees it at once.
"$LOCALACME" revoke "$serial" --reason 1 >/dev/null ||
    e2e_fail "localacme revoke failed"
ocsp_post -cert "$cert"
grep -q "^$cert: revoked" "$E2E_TMP/ocsp.txt" ||
    e2e_fail "after revoke: $(cat "$E2E_TMP/ocsp.txt")"
grep -q 'Reason: keyCompromise' "$E2E_TMP/ocsp.txt" &&
    grep -q 'Revocation Time:' "$E2E_TMP/ocsp.txt" ||
    e2e_fail "no reason or time: $(cat "$E2E_TMP/ocsp.txt")"
ocsp_get "$cert"
grep -q "^$cert: revoked" "$E2E_TMP/get.txt" || e2e_fail "GET after revoke: $(cat "$E2E_TMP/get.txt")"
e2e_ok "revoked, keyCompromise, with its time (POST and GET)"

# certbot learns it through OCSP only: certificates says REVOKED, renew renews.
certbot_ok certificates
grep -q 'REVOKED' "$E2E_TMP/certbot.out" ||
    e2e_fail "certbot certificates: $(cat "$E2E_TMP/certbot.out")"
e2e_ok "certbot certificates: REVOKED"
certbot_ok renew --no-random-sleep-on-renew --standalone --http-01-port "$HTTP01"
renewed=$(acme_cert_serial "$cert")
[ "$renewed" != "$serial" ] ||
    e2e_fail "certbot renew kept the revoked certificate: $(cat "$E2E_TMP/certbot.out")"
ocsp_post -cert "$cert"
grep -q "^$cert: good" "$E2E_TMP/ocsp.txt" || e2e_fail "the renewed certificate is not good"
e2e_ok "certbot renew replaced the revoked certificate: $renewed"

# Must-Staple honoured with --ocsp (RFC 7633).
certbot_ok certonly --standalone --http-01-port "$HTTP01" --must-staple \
    -d staple.localhost --cert-name staple
openssl x509 -in "$cb/etc/live/staple/cert.pem" -noout -text |
    grep -A1 'TLS Feature' | grep -q 'status_request' ||
    e2e_fail "the Must-Staple certificate has no TLS Feature status_request"
openssl x509 -in "$cert" -noout -text | grep -q 'TLS Feature' &&
    e2e_fail "a certificate without Must-Staple got the TLS Feature"
e2e_ok "Must-Staple CSR -> TLS Feature status_request"

# Without --ocsp: no responder, no AIA, Must-Staple refused naming --ocsp.
acme_restart --http01-port "$HTTP01"
code=$(curl -sS --cacert "$ACME_ROOT" -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/ocsp-request' --data-binary @"$E2E_TMP/req.der" "$URL")
[ "$code" = 404 ] || e2e_fail "without --ocsp, POST /ocsp answered $code"
certbot_run certonly --standalone --http-01-port "$HTTP01" --must-staple \
    -d nostaple.localhost --cert-name nostaple &&
    e2e_fail "Must-Staple was issued without --ocsp"
# (certbot 2.1 prints an AttributeError for this problem: read the server's log.)
grep -q 'problem badCSR 400: .*Must-Staple.*--ocsp' "$E2E_TMP/serve.log" ||
    e2e_fail "no badCSR naming --ocsp: $(tail -5 "$E2E_TMP/serve.log")"
certbot_ok certonly --standalone --http-01-port "$HTTP01" -d plain.localhost \
    --cert-name plain
[ -z "$(openssl x509 -in "$cb/etc/live/plain/cert.pem" -noout -ocsp_uri)" ] ||
    e2e_fail "a leaf issued without --ocsp names an OCSP URL"
e2e_ok "without --ocsp: 404, no AIA, Must-Staple badCSR naming --ocsp"
echo "1 passed, 0 failed"
