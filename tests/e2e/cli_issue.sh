#!/usr/bin/env bash
# cli_issue.sh - `init` + `issue` end to end, verified by OpenSSL, GnuTLS certtool and NSS certutil;
# plus the CLI surface: help, version, list, revoke, --csr, --pkcs12, one-line errors.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl certtool certutil

S=$LOCALACME_HOME
OUT=$(e2e_tmpdir)

"$LOCALACME" init >"$E2E_TMP/init.out" || e2e_fail "init"
grep -q "root SHA-256:" "$E2E_TMP/init.out" || e2e_fail "init prints no fingerprint"
fp=$(openssl x509 -in "$S/root.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
grep -q "$fp" "$E2E_TMP/init.out" || e2e_fail "init fingerprint differs from openssl's ($fp)"
grep -q "$S/root.pem" "$E2E_TMP/init.out" || e2e_fail "init does not say where the root is"
e2e_ok "init"

# Idempotent: a second init keeps the same root.
"$LOCALACME" init >"$E2E_TMP/init2.out" || e2e_fail "second init"
grep -q "already exists" "$E2E_TMP/init2.out" || e2e_fail "second init did not say it exists"
grep -q "$fp" "$E2E_TMP/init2.out" || e2e_fail "second init changed the root"
e2e_ok "init is idempotent"

(cd "$OUT" && "$LOCALACME" issue localhost 127.0.0.1 ::1 '*.app.test' >"$E2E_TMP/issue.out") || e2e_fail "issue"
CERT=$OUT/localhost+3.pem
KEY=$OUT/localhost+3-key.pem
[ -f "$CERT" ] && [ -f "$KEY" ] || e2e_fail "mkcert-style file names not written: $(ls "$OUT")"
[ "$(e2e_mode "$KEY")" = 600 ] || e2e_fail "key mode $(e2e_mode "$KEY")"
grep -q "localacme trust install" "$E2E_TMP/issue.out" || e2e_fail "no trust hint"
[ "$(grep -c 'BEGIN CERTIFICATE' "$CERT")" = 2 ] || e2e_fail "cert file is not leaf + intermediate"
openssl pkey -in "$KEY" -pubout >"$E2E_TMP/k.pub"
openssl x509 -in "$CERT" -noout -pubkey >"$E2E_TMP/c.pub"
cmp -s "$E2E_TMP/k.pub" "$E2E_TMP/c.pub" || e2e_fail "key does not match the certificate"
e2e_ok "issue wrote $CERT and its key"

# 1. OpenSSL, strict (Python 3.13's default).
awk 'BEGIN{n=0} /BEGIN CERT/{n++} n==1' "$CERT" >"$E2E_TMP/leaf.pem"
openssl verify -x509_strict -purpose sslserver -CAfile "$S/root.pem" \
    -untrusted "$S/intermediate.pem" "$E2E_TMP/leaf.pem" || e2e_fail "openssl verify"
for n in localhost foo.app.test; do
	openssl verify -x509_strict -purpose sslserver -verify_hostname "$n" \
	    -CAfile "$S/root.pem" -untrusted "$S/intermediate.pem" "$E2E_TMP/leaf.pem" >/dev/null ||
	    e2e_fail "openssl verify -verify_hostname $n"
done
for ip in 127.0.0.1 ::1; do
	openssl verify -x509_strict -purpose sslserver -verify_ip "$ip" \
	    -CAfile "$S/root.pem" -untrusted "$S/intermediate.pem" "$E2E_TMP/leaf.pem" >/dev/null ||
	    e2e_fail "openssl verify -verify_ip $ip"
done
e2e_ok "openssl verify -x509_strict -purpose sslserver (names and IPs)"

# 2. GnuTLS.
certtool --verify --load-ca-certificate "$S/root.pem" --infile "$CERT" \
    --verify-hostname localhost --verify-purpose 1.3.6.1.5.5.7.3.1 >"$E2E_TMP/certtool.out" 2>&1 ||
    e2e_fail "certtool --verify: $(tail -5 "$E2E_TMP/certtool.out")"
grep -q "Chain verification output: Verified" "$E2E_TMP/certtool.out" || e2e_fail "certtool did not verify"
cat "$CERT" "$S/root.pem" >"$E2E_TMP/full.pem"
certtool --verify-chain --infile "$E2E_TMP/full.pem" >"$E2E_TMP/certtool2.out" 2>&1 ||
    e2e_fail "certtool --verify-chain: $(tail -5 "$E2E_TMP/certtool2.out")"
e2e_ok "certtool --verify and --verify-chain"

# 3. NSS.
DB=$(e2e_tmpdir)
certutil -N -d "sql:$DB" --empty-password
certutil -A -d "sql:$DB" -n root -t "C,," -i "$S/root.pem"
certutil -A -d "sql:$DB" -n inter -t ",," -i "$S/intermediate.pem"
certutil -A -d "sql:$DB" -n leaf -t ",," -i "$E2E_TMP/leaf.pem"
certutil -V -d "sql:$DB" -n leaf -u V >"$E2E_TMP/certutil.out" 2>&1 ||
    e2e_fail "certutil -V: $(cat "$E2E_TMP/certutil.out")"
grep -q "certificate is valid" "$E2E_TMP/certutil.out" || e2e_fail "certutil: $(cat "$E2E_TMP/certutil.out")"
e2e_ok "NSS certutil -V -u V"

# list shows it, newest first; --json is JSON with the serial.
serial=$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
"$LOCALACME" list >"$E2E_TMP/list.out" || e2e_fail "list"
grep -q "^$serial .*valid .*cli .*localhost,127.0.0.1,::1,\*.app.test" "$E2E_TMP/list.out" ||
    e2e_fail "list: $(cat "$E2E_TMP/list.out")"
"$LOCALACME" list --json >"$E2E_TMP/list.json" || e2e_fail "list --json"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a[0]["serial"]==sys.argv[2], a; assert a[0]["status"]=="valid"; assert "::1" in a[0]["names"]' \
	    "$E2E_TMP/list.json" "$serial" || e2e_fail "list --json content"
fi
e2e_ok "list and list --json"

# Wildcard first name and a single name: mkcert naming.
(cd "$OUT" && "$LOCALACME" issue '*.app.test' >/dev/null) || e2e_fail "issue wildcard"
[ -f "$OUT/_wildcard.app.test.pem" ] && [ -f "$OUT/_wildcard.app.test-key.pem" ] || e2e_fail "wildcard naming"
"$LOCALACME" issue --out "$OUT" --key-type rsa2048 --days 30 --client rsa.test >/dev/null || e2e_fail "issue rsa"
openssl x509 -in "$OUT/rsa.test.pem" -noout -text >"$E2E_TMP/rsa.txt"
grep -q "Public-Key: (2048 bit)" "$E2E_TMP/rsa.txt" || e2e_fail "rsa2048 leaf key"
grep -q "Digital Signature, Key Encipherment" "$E2E_TMP/rsa.txt" || e2e_fail "rsa KU"
grep -q "TLS Web Server Authentication, TLS Web Client Authentication" "$E2E_TMP/rsa.txt" || e2e_fail "--client EKU"
nb=$(date -d "$(openssl x509 -in "$OUT/rsa.test.pem" -noout -startdate | sed 's/.*=//')" +%s)
na=$(date -d "$(openssl x509 -in "$OUT/rsa.test.pem" -noout -enddate | sed 's/.*=//')" +%s)
[ $((na - nb)) -eq $((30 * 86400 - 1)) ] || e2e_fail "--days 30 gave $((na - nb)) s"
e2e_ok "naming, --key-type, --days, --client"

# --csr: names from the CSR, none of its extensions but the SAN, no key written.
CSRDIR=$(e2e_tmpdir)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CSRDIR/k.pem" \
    -subj "/CN=csr.test/O=Evil Corp" -addext "subjectAltName=DNS:csr.test,DNS:www.csr.test" \
    -addext "basicConstraints=critical,CA:TRUE" -out "$CSRDIR/r.csr" 2>/dev/null
"$LOCALACME" issue --out "$CSRDIR" --csr "$CSRDIR/r.csr" >/dev/null || e2e_fail "issue --csr"
c=$(ls "$CSRDIR"/*.pem | grep -v k.pem)
[ "$(ls "$CSRDIR" | grep -c key)" = 0 ] || e2e_fail "--csr wrote a key file"
openssl x509 -in "$c" -noout -text >"$E2E_TMP/csr.txt"
grep -q "CA:FALSE" "$E2E_TMP/csr.txt" || e2e_fail "--csr copied basicConstraints"
grep -q "Evil" "$E2E_TMP/csr.txt" && e2e_fail "--csr copied the subject O"
grep -q "DNS:csr.test, DNS:www.csr.test" "$E2E_TMP/csr.txt" || e2e_fail "--csr SAN: $(grep DNS "$E2E_TMP/csr.txt")"
e2e_ok "issue --csr"

# --pkcs12: AES-256 + SHA-256 MAC, opens with the default password.
"$LOCALACME" issue --out "$OUT" --pkcs12 p12.test >"$E2E_TMP/p12.out" || e2e_fail "issue --pkcs12"
grep -q changeit "$E2E_TMP/p12.out" || e2e_fail "default p12 password not printed"
openssl pkcs12 -in "$OUT/p12.test.p12" -passin pass:changeit -info -noout >"$E2E_TMP/p12.info" 2>&1 ||
    e2e_fail "openssl pkcs12: $(cat "$E2E_TMP/p12.info")"
grep -q "MAC: sha256" "$E2E_TMP/p12.info" || e2e_fail "p12 MAC not sha256: $(cat "$E2E_TMP/p12.info")"
grep -q "AES-256-CBC" "$E2E_TMP/p12.info" || e2e_fail "p12 not AES-256"
printf 's3cret\n' >"$E2E_TMP/pw"
"$LOCALACME" issue --out "$OUT" --pkcs12 --p12-password-file "$E2E_TMP/pw" pw.test >/dev/null || e2e_fail "p12 password file"
openssl pkcs12 -in "$OUT/pw.test.p12" -passin pass:s3cret -info -noout >/dev/null 2>&1 || e2e_fail "p12 with given password"
e2e_ok "issue --pkcs12"

# revoke shows in list; reason codes are checked.
"$LOCALACME" revoke "$serial" --reason 4 >/dev/null || e2e_fail "revoke"
"$LOCALACME" list | grep -q "^$serial .*revoked" || e2e_fail "list after revoke"
e2e_expect_fail "revoke twice" "$LOCALACME" revoke "$serial"
e2e_one_line "$E2E_ERR"
e2e_expect_fail "revoke reason 7" "$LOCALACME" revoke "$serial" --reason 7
e2e_one_line "$E2E_ERR"
e2e_expect_fail "revoke unknown" "$LOCALACME" revoke 0123abcd
e2e_one_line "$E2E_ERR"
e2e_ok "revoke"

# Errors: one line, non-zero, nothing written.
before=$(ls "$OUT" | wc -l)
e2e_expect_fail "bad name" "$LOCALACME" issue --out "$OUT" 'bad name!'
e2e_one_line "$E2E_ERR"
e2e_expect_fail "out of policy" "$LOCALACME" issue --out "$OUT" example.com
e2e_one_line "$E2E_ERR"
grep -q "example.com" "$E2E_ERR" || e2e_fail "policy error does not name the identifier"
e2e_expect_fail "bad flag" "$LOCALACME" issue --frobnicate x.test
e2e_one_line "$E2E_ERR"
e2e_expect_fail "days 826" "$LOCALACME" issue --days 826 x.test
e2e_one_line "$E2E_ERR"
e2e_expect_fail "p521" "$LOCALACME" issue --key-type ec521 x.test
e2e_one_line "$E2E_ERR"
e2e_expect_fail "no names" "$LOCALACME" issue
e2e_one_line "$E2E_ERR"
: >"$E2E_TMP/notadir"
e2e_expect_fail "unwritable out" "$LOCALACME" issue --out "$E2E_TMP/notadir/dir" x.test
e2e_one_line "$E2E_ERR"
[ "$(ls "$OUT" | wc -l)" = "$before" ] || e2e_fail "a failed issue left files"
e2e_expect_fail "unknown command" "$LOCALACME" frob
e2e_one_line "$E2E_ERR"
e2e_expect_fail "missing CA for list" "$LOCALACME" list --state "$E2E_TMP/none"
e2e_one_line "$E2E_ERR"
e2e_ok "errors are one line and leave nothing"

# Help and version.
"$LOCALACME" --version | grep -q '^localacme [0-9]' || e2e_fail "--version"
"$LOCALACME" help | grep -q issue || e2e_fail "help"
for c in init issue list revoke; do
	"$LOCALACME" "$c" --help | grep -q "usage: localacme $c" || e2e_fail "$c --help"
	"$LOCALACME" help "$c" | grep -q "usage: localacme $c" || e2e_fail "help $c"
done
e2e_ok "help and version"

# issue creates the CA when there is none (like mkcert).
NEW=$(e2e_tmpdir)
"$LOCALACME" issue --state "$NEW/s" --out "$NEW" first.test >"$E2E_TMP/auto.out" || e2e_fail "issue without CA"
grep -q "Created a new local CA" "$E2E_TMP/auto.out" || e2e_fail "issue did not say it created the CA"
[ -f "$NEW/s/root.pem" ] || e2e_fail "no root after issue"
e2e_ok "issue creates the CA"
echo "PASS"
