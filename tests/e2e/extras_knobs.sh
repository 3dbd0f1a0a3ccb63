#!/usr/bin/env bash
# extras_knobs.sh - the test knobs client suites need (issue #15 item 4), each off by default and
# on with its flag, through the Python client (tests/e2e/acme_cli.py): --weak-keys (RSA 1024
# account and CSR keys, P-521 CSR keys: badPublicKey / badCSR without it), --delete-revoked (the
# certificate URL 404 after revocation, 200 without; the CRL still lists it), --authz-lifetime
# and --order-lifetime (RFC 8555 §7.1.6: expired / invalid after the lapse, finalize refused),
# --http01-redirect-ports (a redirect to another port fails without it, HARDENING C10) and
# --retry-after (the value on a processing challenge), and --challenge-wait-ms (a challenge
# POST answers with an outcome that comes within the wait, "processing" after it; the
# http-01 target answers late on purpose). Each run checks the directory's meta "x-localacme-test-knobs" lists exactly
# the knobs that are on (absent when none is).
# Wall time: 59-66 s measured on the shared 2-core machine before the wait's four runs (about
# 8 s more), 37 s under ASan when it was idle (ten server starts, two 3-second lapses, four
# RSA-1024 keys, two 1.5-second http-01 answers).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_extras.sh"
e2e_init
e2e_require openssl curl python3
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

# meta_is JSON|absent: the directory's meta member of the test knobs.
meta_is() {
	curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" >"$E2E_TMP/dir.json" ||
	    e2e_fail "GET directory"
	python3 - "$E2E_TMP/dir.json" "$1" <<'PY' || e2e_fail "directory meta: want $1"
import json, sys
got = json.load(open(sys.argv[1])).get("meta", {}).get("x-localacme-test-knobs")
want = None if sys.argv[2] == "absent" else json.loads(sys.argv[2])
if got != want:
    sys.exit("x-localacme-test-knobs: got %r, want %r" % (got, want))
PY
}

# client NAME ARGS...: acme_cli.py order, its output in $E2E_TMP/NAME.out
client() {
	local n=$1
	shift
	extras_client --out "$E2E_TMP/$n" "$@" "$n.localhost" >"$E2E_TMP/$n.out" 2>&1 ||
	    e2e_fail "client $n $*: $(tail -5 "$E2E_TMP/$n.out")"
}
has() {	# NAME TEXT: the client's output has TEXT
	grep -qF -- "$2" "$E2E_TMP/$1.out" ||
	    e2e_fail "client $1: want '$2', got: $(tail -5 "$E2E_TMP/$1.out")"
}
keytype() {	# NAME: the issued leaf's public key algorithm and size
	openssl x509 -in "$E2E_TMP/$1/cert.pem" -noout -text |
	    grep -E 'Public-Key:|NIST CURVE' | tr -s ' ' | tr '\n' ' '
}

# 1. Off by default: weak keys refused, revoked certificates still served.
acme_start --validation skip
meta_is '{"validation": "skip"}'
client a1 --account-key-type rsa1024 --expect-account-error badPublicKey
client c1 --csr-key-type rsa1024 --expect-finalize-error badCSR
client c2 --csr-key-type p521 --expect-finalize-error badCSR
e2e_ok "by default an RSA-1024 account key is badPublicKey, RSA-1024 and P-521 CSR keys badCSR"
client r1 --revoke
has r1 "certificate URL after revocation: 200"
e2e_ok "by default a revoked certificate is still served (200, RFC 8555 §7.4.2)"
for w in 'WEAK KEYS' 'delete-revoked' 'authz-lifetime' 'redirected to port'; do
	grep -qF "$w" "$E2E_TMP/serve.log" && e2e_fail "announced while off: $w"
done

# 2. --weak-keys and --delete-revoked.
acme_restart --validation skip --weak-keys --delete-revoked --crl
meta_is '{"validation": "skip", "weak-keys": true, "delete-revoked": true}'
grep -qF 'WEAK KEYS ACCEPTED (--weak-keys)' "$E2E_TMP/serve.log" ||
    e2e_fail "--weak-keys has no banner at start"
grep -qF 'revoked certificates answer 404' "$E2E_TMP/serve.log" ||
    e2e_fail "--delete-revoked not announced"
curl -fsS --cacert "$ACME_ROOT" -o "$E2E_TMP/page.html" "${ACME_DIR%/directory}/" ||
    e2e_fail "GET / (the status page)"
grep -qF 'WEAK KEYS ACCEPTED' "$E2E_TMP/page.html" ||
    e2e_fail "the status page shows no weak-keys warning"
client a2 --account-key-type rsa1024 --csr-key-type rsa1024
acme_check_cert "$E2E_TMP/a2/cert.pem" "$E2E_TMP/a2/chain.pem" a2.localhost
[[ "$(keytype a2)" == *'(1024 bit)'* ]] || e2e_fail "a2: not an RSA-1024 leaf: $(keytype a2)"
client c3 --account-key-type p521 --csr-key-type p521
acme_check_cert "$E2E_TMP/c3/cert.pem" "$E2E_TMP/c3/chain.pem" c3.localhost
[[ "$(keytype c3)" == *'P-521'* ]] || e2e_fail "c3: not a P-521 leaf: $(keytype c3)"
e2e_ok "--weak-keys: RSA-1024 account and CSR keys and P-521 account and CSR keys are certified"
client r2 --revoke
has r2 "certificate URL after revocation: 404 urn:ietf:params:acme:error:malformed"
serial=$(openssl x509 -in "$E2E_TMP/r2/cert.pem" -noout -serial | cut -d= -f2)
for i in $(seq 50); do
	curl -fsS --cacert "$ACME_ROOT" -o "$E2E_TMP/crl.der" "${ACME_DIR%/directory}/crl/intermediate.crl" &&
	    openssl crl -inform DER -in "$E2E_TMP/crl.der" -noout -text |
	    grep -qi "Serial Number: *$serial" && break
	[ "$i" = 50 ] && e2e_fail "the CRL does not list the deleted certificate $serial"
	sleep 0.1
done
e2e_ok "--delete-revoked: the certificate URL answers 404 after revocation; the CRL lists $serial"

# 3. --authz-lifetime: the authorization lapses first, its order with it.
acme_restart --validation skip --authz-lifetime 3s
meta_is '{"validation": "skip", "authz-lifetime": "3s"}'
client l1 --lapse
has l1 "order after expiry: invalid"
has l1 "authorization after expiry: expired"
has l1 "finalize refused: 403 urn:ietf:params:acme:error:orderNotReady"
has l1 "pending order after expiry: invalid"
has l1 "pending authorization after expiry: expired"
has l1 "its challenge answered: 404 urn:ietf:params:acme:error:malformed"
e2e_ok "--authz-lifetime 3s: authorizations expired (a challenge of one: 404), orders invalid, finalize refused (RFC 8555 §7.1.6)"

# 4. --order-lifetime: the order lapses, its valid authorization stays valid.
acme_restart --validation skip --order-lifetime 3s
meta_is '{"validation": "skip", "order-lifetime": "3s"}'
client l2 --lapse
has l2 "order after expiry: invalid"
has l2 "authorization after expiry: valid"
has l2 "finalize refused: 403 urn:ietf:params:acme:error:orderNotReady"
has l2 "pending order after expiry: invalid"
e2e_ok "--order-lifetime 3s: orders invalid (ready and pending), finalize refused (RFC 8555 §7.1.6)"

# 5. Real http-01 redirected to another port: refused by default (HARDENING C10).
HTTP01=$(e2e_free_port)
REDIR=$(e2e_free_port)
redirect() {	# NAME [ARG...]: acme_cli.py redirect, output in $E2E_TMP/NAME.out
	python3 "$here/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" redirect \
	    --http01-port "$HTTP01" --redirect-port "$REDIR" "${@:2}" "$1.localhost" \
	    >"$E2E_TMP/$1.out" 2>&1 || e2e_fail "redirect $1: $(tail -5 "$E2E_TMP/$1.out")"
}
acme_restart --http01-port "$HTTP01" --challenge-wait-ms 0
meta_is absent
redirect h1
has h1 "challenge processing, Retry-After: 1"
has h1 "authorization invalid"
has h1 "port $REDIR is not allowed"
e2e_ok "by default an http-01 redirect to port $REDIR fails; with --challenge-wait-ms 0 the POST answers processing at once, Retry-After 1; no knob in the meta"

# 6. --http01-redirect-ports and --retry-after.
acme_restart --http01-port "$HTTP01" --http01-redirect-ports "$REDIR" --retry-after 7 --challenge-wait-ms 0
meta_is "{\"http01-redirect-ports\": \"$REDIR\", \"retry-after\": 7}"
redirect h2
has h2 "challenge processing, Retry-After: 7"
has h2 "authorization valid"
has h2 "issued valid"
e2e_ok "--http01-redirect-ports $REDIR: the redirected http-01 succeeds; --retry-after 7 is sent"

# 7. The challenge wait (default 100 ms, RFC 8555 §7.5.1): on a server with
# nothing else to do (one client here), a validation that ends in time is
# the POST's answer, valid or invalid with its error; one that outlasts the
# wait is "processing".
ms_of() {	# NAME: the POST's time in ms
	sed -n 's/^challenge answered in \([0-9]*\) ms$/\1/p' "$E2E_TMP/$1.out"
}
acme_restart --http01-port "$HTTP01"
redirect w1
has w1 "challenge invalid, Retry-After: None"
grep -q "^challenge error: .*port $REDIR is not allowed" "$E2E_TMP/w1.out" ||
    e2e_fail "the invalid challenge's answer carries no error: $(cat "$E2E_TMP/w1.out")"
acme_restart --http01-port "$HTTP01" --http01-redirect-ports "$REDIR" --challenge-wait-ms 3000
redirect w2
has w2 "challenge valid, Retry-After: None"
has w2 "issued valid"
# the answer leaves when the result is stored, not when the wait ends
w2ms=$(ms_of w2)
[ -n "$w2ms" ] && [ "$w2ms" -lt 1500 ] ||
    e2e_fail "a quick validation under --challenge-wait-ms 3000: the POST took ${w2ms:-?} ms"
e2e_ok "the challenge POST answers with the outcome: invalid (with its error), and valid in ${w2ms} ms under a 3 s wait, no Retry-After (RFC 8555 §7.5.1)"
redirect w4 --answer-delay-ms 1500
has w4 "challenge valid, Retry-After: None"
w4ms=$(ms_of w4)
[ -n "$w4ms" ] && [ "$w4ms" -ge 1400 ] ||
    e2e_fail "--challenge-wait-ms 3000 with a 1.5 s validation: the POST took ${w4ms:-?} ms"
acme_restart --http01-port "$HTTP01" --http01-redirect-ports "$REDIR"
redirect w3 --answer-delay-ms 1500
has w3 "challenge processing, Retry-After: 1"
has w3 "authorization valid"
w3ms=$(ms_of w3)
[ -n "$w3ms" ] && [ "$w3ms" -ge 90 ] && [ "$w3ms" -lt 1400 ] ||
    e2e_fail "a validation slower than the wait: the POST took ${w3ms:-?} ms (want about 100)"
e2e_ok "a validation slower than the wait answers processing after ${w3ms} ms; --challenge-wait-ms 3000 waits ${w4ms} ms for a 1.5 s one"
echo "1 passed, 0 failed"
