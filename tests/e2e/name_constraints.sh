#!/usr/bin/env bash
# name_constraints.sh - the CA's name constraints are real (HARDENING §5.4): leaves force-signed
# with the intermediate key for out-of-policy names fail verification; --permit widens,
# --no-name-constraints removes them.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl

S=$LOCALACME_HOME
W=$(e2e_tmpdir)
"$LOCALACME" init >/dev/null || e2e_fail "init"

# Test-only path: sign with the intermediate key through the openssl CLI.
force_sign() { # NAME SAN-VALUE STATE-DIR
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$W/$1.key" -subj "/CN=$1" -out "$W/$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n' \
	    "$2" >"$W/$1.ext"
	openssl x509 -req -in "$W/$1.csr" -CA "$3/intermediate.pem" -CAkey "$3/intermediate.key" \
	    -CAcreateserial -CAserial "$W/serial" -days 30 -sha256 -extfile "$W/$1.ext" \
	    -out "$W/$1.pem" 2>/dev/null || e2e_fail "force-sign $1"
}
verify() { # LEAF STATE-DIR
	openssl verify -x509_strict -purpose sslserver -CAfile "$2/root.pem" \
	    -untrusted "$2/intermediate.pem" "$1"
}

grep -q "Name Constraints: critical" <(openssl x509 -in "$S/root.pem" -noout -text) || e2e_fail "root has no critical NC"
grep -q "Name Constraints: critical" <(openssl x509 -in "$S/intermediate.pem" -noout -text) || e2e_fail "intermediate has no critical NC"

force_sign in-policy "DNS:www.app.test,IP:127.0.0.1" "$S"
verify "$W/in-policy.pem" "$S" >/dev/null 2>&1 || e2e_fail "in-policy force-signed leaf does not verify"
e2e_ok "in-policy leaf verifies"

for case in "example.com DNS:example.com" "ip8 IP:8.8.8.8" "ip6 IP:2001:db8::1"; do
	set -- $case
	force_sign "$1" "$2" "$S"
	if verify "$W/$1.pem" "$S" >"$W/$1.out" 2>&1; then
		e2e_fail "$2 verified despite the name constraints"
	fi
	grep -q "permitted subtree violation" "$W/$1.out" || e2e_fail "$2: not a name-constraint error: $(cat "$W/$1.out")"
	e2e_ok "$2 refused: permitted subtree violation"
done

if command -v certutil >/dev/null 2>&1; then
	DB=$(e2e_tmpdir)
	certutil -N -d "sql:$DB" --empty-password
	certutil -A -d "sql:$DB" -n root -t "C,," -i "$S/root.pem"
	certutil -A -d "sql:$DB" -n inter -t ",," -i "$S/intermediate.pem"
	certutil -A -d "sql:$DB" -n bad -t ",," -i "$W/example.com.pem"
	certutil -A -d "sql:$DB" -n good -t ",," -i "$W/in-policy.pem"
	certutil -V -d "sql:$DB" -n good -u V >/dev/null 2>&1 || e2e_fail "NSS rejects the in-policy leaf"
	if certutil -V -d "sql:$DB" -n bad -u V >"$W/nss.out" 2>&1; then
		e2e_fail "NSS accepted example.com under the constrained CA"
	fi
	e2e_ok "NSS refuses example.com: $(tail -1 "$W/nss.out")"
fi

# `issue` refuses out-of-policy names before signing anything.
n0=$("$LOCALACME" list --json | grep -c '"serial"' || true)
e2e_expect_fail "issue example.com" "$LOCALACME" issue --out "$W" example.com
e2e_one_line "$E2E_ERR"
e2e_expect_fail "issue 8.8.8.8" "$LOCALACME" issue --out "$W" 8.8.8.8
e2e_one_line "$E2E_ERR"
n1=$("$LOCALACME" list --json | grep -c '"serial"' || true)
[ "$n0" = "$n1" ] || e2e_fail "a refused issue recorded a certificate"
e2e_ok "issue refuses out-of-policy names"

# --permit widens (both DNS and IP).
P=$E2E_TMP/permit
"$LOCALACME" init --state "$P" --permit corp.example --permit 203.0.113.0/24 >"$W/permit.out" || e2e_fail "init --permit"
openssl x509 -in "$P/root.pem" -noout -text | grep -q "DNS:corp.example" || e2e_fail "no corp.example in NC"
openssl x509 -in "$P/intermediate.pem" -noout -text | grep -q "IP:203.0.113.0/255.255.255.0" || e2e_fail "no 203.0.113.0/24 in NC"
"$LOCALACME" issue --state "$P" --out "$W" www.corp.example 203.0.113.7 >/dev/null || e2e_fail "issue under --permit"
awk 'BEGIN{n=0} /BEGIN CERT/{n++} n==1' "$W/www.corp.example+1.pem" >"$W/corp.pem"
verify "$W/corp.pem" "$P" >/dev/null 2>&1 || e2e_fail "permitted leaf does not verify"
e2e_expect_fail "example.com still refused" "$LOCALACME" issue --state "$P" --out "$W" example.com
e2e_ok "--permit widens the constraints"

# --no-name-constraints: no NC extension, any name issues and verifies.
U=$E2E_TMP/unconstrained
"$LOCALACME" init --state "$U" --no-name-constraints >/dev/null || e2e_fail "init --no-name-constraints"
openssl x509 -in "$U/root.pem" -noout -text | grep -q "Name Constraints" && e2e_fail "root has NC"
openssl x509 -in "$U/intermediate.pem" -noout -text | grep -q "Name Constraints" && e2e_fail "intermediate has NC"
"$LOCALACME" issue --state "$U" --out "$W" example.com 8.8.8.8 >/dev/null || e2e_fail "issue unconstrained"
awk 'BEGIN{n=0} /BEGIN CERT/{n++} n==1' "$W/example.com+1.pem" >"$W/u.pem"
verify "$W/u.pem" "$U" >/dev/null 2>&1 || e2e_fail "unconstrained leaf does not verify"
e2e_ok "--no-name-constraints"

# Constraints cannot be changed on an existing CA.
e2e_expect_fail "init --permit on existing CA" "$LOCALACME" init --permit other.example
e2e_one_line "$E2E_ERR"
echo "PASS"
