#!/usr/bin/env bash
# extras_eab.sh - RFC 8555 §7.3.4 with lego: --eab-required refuses a plain account
# (externalAccountRequired), lego --eab --kid --hmac registers and issues over http-01, a wrong
# HMAC is unauthorized, a single-use kid cannot bind a second account; eab list/remove.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3
python3 -c "import cryptography" 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

"$LOCALACME" eab add --kid ci-key --single-use >"$E2E_TMP/eab.out" 2>"$E2E_TMP/eab.err" ||
    e2e_fail "eab add: $(cat "$E2E_TMP/eab.err")"
KID=$(sed -n 's/^KID=//p' "$E2E_TMP/eab.out")
HMAC=$(sed -n 's/^HMAC=//p' "$E2E_TMP/eab.out")
[ "$KID" = ci-key ] && [ ${#HMAC} -eq 43 ] || e2e_fail "eab add printed: $(cat "$E2E_TMP/eab.out")"
"$LOCALACME" eab list | grep -q '^ci-key .* single ' || e2e_fail "eab list does not show ci-key"
"$LOCALACME" eab list | grep -q "$HMAC" && e2e_fail "eab list shows the HMAC key"
e2e_ok "eab add printed kid $KID and a 256-bit HMAC key once"

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --eab-required
curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" | grep -q '"externalAccountRequired":true' ||
    e2e_fail "directory meta lacks externalAccountRequired"

lego_try() {	# path args...
	local p=$1
	shift
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" --accept-tos \
	    --email dev@example.test --path "$p" "$@" >"$E2E_TMP/lego.out" 2>&1
}

lg0=$(e2e_tmpdir)
lego_try "$lg0" --domains eab.localhost --http --http.port "127.0.0.1:$HTTP01" run &&
    e2e_fail "lego without EAB registered against --eab-required"
grep -q 'requires External Account Binding' "$E2E_TMP/lego.out" ||
    e2e_fail "lego did not see externalAccountRequired: $(tail -5 "$E2E_TMP/lego.out")"
# lego checks the directory meta itself; ask the server directly too.
python3 "$here/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" order --out "$E2E_TMP/py" \
    --expect-account-error externalAccountRequired x.localhost >"$E2E_TMP/py.log" 2>&1 ||
    e2e_fail "newAccount without EAB: $(tail -3 "$E2E_TMP/py.log")"
python3 "$here/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" order --out "$E2E_TMP/py" \
    --eab "nosuchkid:$HMAC" --expect-account-error unauthorized x.localhost >"$E2E_TMP/py.log" 2>&1 ||
    e2e_fail "newAccount with an unknown kid: $(tail -3 "$E2E_TMP/py.log")"
e2e_ok "an account without EAB is externalAccountRequired, an unknown kid unauthorized"

lgw=$(e2e_tmpdir)
WRONG=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
lego_try "$lgw" --eab --kid "$KID" --hmac "$WRONG" --domains eab.localhost \
    --http --http.port "127.0.0.1:$HTTP01" run && e2e_fail "lego registered with a wrong HMAC"
grep -q unauthorized "$E2E_TMP/lego.out" || e2e_fail "wrong HMAC: $(tail -5 "$E2E_TMP/lego.out")"
e2e_ok "a MAC under the wrong key is unauthorized"

lg=$(e2e_tmpdir)
lego_try "$lg" --eab --kid "$KID" --hmac "$HMAC" --domains eab.localhost \
    --http --http.port "127.0.0.1:$HTTP01" run || e2e_fail "lego --eab: $(tail -20 "$E2E_TMP/lego.out")"
openssl x509 -in "$lg/certificates/eab.localhost.crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$lg/certificates/eab.localhost.issuer.crt" eab.localhost
grep -q 'bound with EAB kid ci-key' "$E2E_TMP/serve.log" || e2e_fail "the server logged no binding"
e2e_ok "lego --eab --kid --hmac registered and issued"

lg2=$(e2e_tmpdir)
lego_try "$lg2" --eab --kid "$KID" --hmac "$HMAC" --domains eab2.localhost \
    --http --http.port "127.0.0.1:$HTTP01" run && e2e_fail "a single-use kid bound a second account"
grep -q unauthorized "$E2E_TMP/lego.out" || e2e_fail "reused kid: $(tail -5 "$E2E_TMP/lego.out")"
e2e_ok "a reused single-use kid is unauthorized"

# RFC 8555 §7.3.4: the account object echoes the binding as sent
# (acme_cli.py order compares it on the newAccount answer and a re-read).
"$LOCALACME" eab add --kid echo-key >"$E2E_TMP/eab2.out" 2>"$E2E_TMP/eab2.err" ||
    e2e_fail "eab add echo-key: $(cat "$E2E_TMP/eab2.err")"
HMAC2=$(sed -n 's/^HMAC=//p' "$E2E_TMP/eab2.out")
python3 "$here/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" order --out "$E2E_TMP/py" \
    --eab "echo-key:$HMAC2" --account-only x.localhost >"$E2E_TMP/py.log" 2>&1 ||
    e2e_fail "EAB echo: $(tail -3 "$E2E_TMP/py.log")"
e2e_ok "the account object carries externalAccountBinding as sent"

"$LOCALACME" eab list | grep -q '^ci-key .* single .* 1 ' || e2e_fail "eab list: $("$LOCALACME" eab list)"
"$LOCALACME" eab remove ci-key >/dev/null || e2e_fail "eab remove"
e2e_expect_fail "eab remove twice" "$LOCALACME" eab remove ci-key
e2e_ok "eab list counts the use; eab remove deletes the key"
echo "1 passed, 0 failed"
