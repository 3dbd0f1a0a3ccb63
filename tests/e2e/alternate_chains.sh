#!/usr/bin/env bash
# alternate_chains.sh - --alternate-roots N (RFC 8555 §7.4.2): the certificate URL
# serves the default chain with one Link rel="alternate" per other chain, each a
# POST-as-GET resource starting with the same leaf and verifying under its own root
# only; lego and certbot get the chain their --preferred-chain names; the management
# API serves roots/N, intermediates/N (and root-keys/N only with --admin-expose-keys
# and the token); a restart keeps the roots; an out-of-range N is a usage error.
# Wall time: about 25 s.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego certbot openssl curl python3

S=$LOCALACME_HOME
cli() { python3 "$here/acme_cli.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" "$@"; }
cn_of() { openssl x509 -in "$1" -noout -subject -nameopt multiline |
    sed -n 's/^ *commonName *= //p'; }
fp_of() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :; }
# the issuer CN of the last certificate of a bundle (what preferred-chain compares)
top_issuer_cn() {
	awk '/BEGIN CERT/{n++} {print > (f "." n)}' f="$E2E_TMP/top" "$1"
	local last
	last=$(ls "$E2E_TMP"/top.* | sort -t. -k2 -n | tail -1)
	openssl x509 -in "$last" -noout -issuer -nameopt multiline |
	    sed -n 's/^ *commonName *= //p'
	rm -f "$E2E_TMP"/top.*
}

# 1. Out of range: one line, exit 2, for the flag and the variable.
for bad in 5 -1 x; do
	set +e
	"$LOCALACME" serve --alternate-roots "$bad" 2>"$E2E_TMP/err"
	rc=$?
	set -e
	[ $rc -eq 2 ] || e2e_fail "--alternate-roots $bad exited $rc, want 2"
	e2e_one_line "$E2E_TMP/err"
	grep -q -- "--alternate-roots" "$E2E_TMP/err" || e2e_fail "$(cat "$E2E_TMP/err")"
done
set +e
LOCALACME_ALTERNATE_ROOTS=9 "$LOCALACME" serve 2>"$E2E_TMP/err"
rc=$?
set -e
[ $rc -eq 2 ] || e2e_fail "LOCALACME_ALTERNATE_ROOTS=9 exited $rc, want 2"
e2e_one_line "$E2E_TMP/err"
[ ! -e "$S/alt1-root.pem" ] || e2e_fail "a refused start created a hierarchy"
e2e_ok "an out-of-range --alternate-roots is one line, exit 2"

# 2. Two alternate hierarchies; one log line per hierarchy with its fingerprint.
ADMIN=$(e2e_free_port)
acme_start --alternate-roots 2 --validation skip --admin-listen "127.0.0.1:$ADMIN"
for k in 0 1 2; do
	pem=$S/root.pem
	[ $k -eq 0 ] || pem=$S/alt$k-root.pem
	grep -q "ca: hierarchy $k.* SHA-256 $(fp_of "$pem")" "$E2E_TMP/serve.log" ||
	    e2e_fail "no start line for hierarchy $k with its fingerprint"
done
[ "$(stat -c %a "$S/alt1-root.key")" = 600 ] || e2e_fail "alt1-root.key is not 0600"
CN0=$(cn_of "$S/root.pem")
CN1=$(cn_of "$S/alt1-root.pem")
CN2=$(cn_of "$S/alt2-root.pem")
[ "$CN0" != "$CN1" ] && [ "$CN1" != "$CN2" ] && [ "$CN0" != "$CN2" ] ||
    e2e_fail "the roots' CNs do not tell the hierarchies apart"
e2e_ok "3 hierarchies logged at start: $CN1, $CN2"
curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" >"$E2E_TMP/dir.json"
python3 - "$E2E_TMP/dir.json" <<'PY' ||
import json, sys
k = json.load(open(sys.argv[1]))["meta"]["x-localacme-test-knobs"]
assert k == {"alternate-roots": 2, "validation": "skip"}, k
PY
    e2e_fail "directory meta: $(cat "$E2E_TMP/dir.json")"
e2e_ok "the directory meta announces --alternate-roots 2"

# 3. POST-as-GET of the certificate and each alternate (RFC 8555 §7.4.2).
out=$(e2e_tmpdir)
cli --out "$out" alternates alt.localhost >"$E2E_TMP/cli.out" ||
    e2e_fail "acme_cli alternates: $(cat "$E2E_TMP/cli.out")"
for k in 0 1 2; do
	grep -qx "chain $k links 2" "$E2E_TMP/cli.out" ||
	    e2e_fail "chain $k: want 2 Link rel=alternate: $(cat "$E2E_TMP/cli.out")"
done
[ "$(wc -l <"$E2E_TMP/cli.out")" -eq 3 ] || e2e_fail "want 3 chains: $(cat "$E2E_TMP/cli.out")"
openssl x509 -in "$out/chain0.pem" -outform DER -out "$E2E_TMP/leaf0.der"
for k in 0 1 2; do
	openssl x509 -in "$out/chain$k.pem" -outform DER -out "$E2E_TMP/leaf.der"
	cmp -s "$E2E_TMP/leaf.der" "$E2E_TMP/leaf0.der" ||
	    e2e_fail "chain $k does not start with the same end-entity certificate"
	openssl x509 -in "$out/chain$k.pem" -out "$E2E_TMP/leaf.pem"
	# the bundle minus its first certificate
	awk '/BEGIN CERT/{n++} n>1' "$out/chain$k.pem" >"$E2E_TMP/inter.pem"
	for r in 0 1 2; do
		root=$S/root.pem
		[ $r -eq 0 ] || root=$S/alt$r-root.pem
		if openssl verify -x509_strict -purpose sslserver -CAfile "$root" \
		    -untrusted "$E2E_TMP/inter.pem" "$E2E_TMP/leaf.pem" >/dev/null 2>&1; then
			[ $r -eq $k ] || e2e_fail "chain $k verifies under root $r"
		else
			[ $r -ne $k ] || e2e_fail "chain $k does not verify under its root"
		fi
	done
done
e2e_ok "the certificate URL links 2 alternates; every chain starts with the same leaf and verifies under its root alone"

# 4. lego and certbot pick the chain their --preferred-chain names.
lg=$(e2e_tmpdir)
HTTP01=$(e2e_free_port)
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" \
    --accept-tos --email dev@example.test --path "$lg" --domains lego.localhost \
    --http --http.port "127.0.0.1:$HTTP01" run --preferred-chain "$CN2" \
    >"$E2E_TMP/lego.out" 2>&1 || e2e_fail "lego: $(tail -20 "$E2E_TMP/lego.out")"
[ "$(top_issuer_cn "$lg/certificates/lego.localhost.crt")" = "$CN2" ] ||
    e2e_fail "lego --preferred-chain \"$CN2\" got a chain ending under $(top_issuer_cn "$lg/certificates/lego.localhost.crt")"
openssl verify -CAfile "$S/alt2-root.pem" -untrusted "$lg/certificates/lego.localhost.issuer.crt" \
    "$lg/certificates/lego.localhost.crt" >/dev/null || e2e_fail "lego's chain does not verify under alt2"
e2e_ok "lego --preferred-chain got hierarchy 2"

cb=$(e2e_tmpdir)
REQUESTS_CA_BUNDLE="$ACME_ROOT" timeout 180 certbot certonly --non-interactive \
    --server "$ACME_DIR" --config-dir "$cb/etc" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    --standalone --http-01-port "$HTTP01" --agree-tos -m dev@example.test \
    -d certbot.localhost --cert-name cb --preferred-chain "$CN1" \
    >"$E2E_TMP/certbot.out" 2>&1 || e2e_fail "certbot: $(tail -20 "$E2E_TMP/certbot.out")"
[ "$(top_issuer_cn "$cb/etc/live/cb/chain.pem")" = "$CN1" ] ||
    e2e_fail "certbot --preferred-chain \"$CN1\" got a chain ending under $(top_issuer_cn "$cb/etc/live/cb/chain.pem")"
openssl verify -CAfile "$S/alt1-root.pem" -untrusted "$cb/etc/live/cb/chain.pem" \
    "$cb/etc/live/cb/cert.pem" >/dev/null || e2e_fail "certbot's chain does not verify under alt1"
e2e_ok "certbot --preferred-chain got hierarchy 1"

# 5. The management API, over HTTPS with root.pem: roots/N, intermediates/N.
acme_admin /roots/1 >"$E2E_TMP/r1.pem"
cmp -s "$E2E_TMP/r1.pem" "$S/alt1-root.pem" || e2e_fail "roots/1 is not alt1-root.pem"
acme_admin /intermediates/2 >"$E2E_TMP/i2.pem"
cmp -s "$E2E_TMP/i2.pem" "$S/alt2-intermediate.pem" || e2e_fail "intermediates/2 is not alt2-intermediate.pem"
acme_admin /roots/0 | cmp -s - "$S/root.pem" || e2e_fail "roots/0 is not root.pem"
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$ACME_ROOT" "$@"; }
TOKEN=$(cat "$S/admin.token")
A=https://127.0.0.1:$ADMIN
[ "$(code "$A/roots/3")" = 404 ] || e2e_fail "roots/3 of 2 alternates is not 404"
[ "$(code -H "Authorization: Bearer $TOKEN" "$A/root-keys/1")" = 404 ] ||
    e2e_fail "root-keys/1 without --admin-expose-keys is not 404"
acme_restart --alternate-roots 2 --validation skip --admin-listen "127.0.0.1:$ADMIN" --admin-expose-keys
[ "$(code "$A/root-keys/1")" = 401 ] || e2e_fail "root-keys/1 without the token is not 401"
[ "$(code -H "Authorization: Bearer $TOKEN" "$A/root-keys/1")" = 200 ] ||
    e2e_fail "root-keys/1 with the token is not 200"
acme_admin /root-keys/2 | cmp -s - "$S/alt2-root.key" || e2e_fail "root-keys/2 is not alt2-root.key"
acme_admin /intermediate-keys/1 | cmp -s - "$S/intermediate.key" ||
    e2e_fail "intermediate-keys/1 is not the shared intermediate.key"
e2e_ok "admin: roots/N, intermediates/N; root-keys/N 404 without --admin-expose-keys, 401 without the token"

# 6. Restart with one more: the same roots, one new; its chains served at once.
fp1=$(fp_of "$S/alt1-root.pem")
fp2=$(fp_of "$S/alt2-root.pem")
acme_restart --alternate-roots 3 --validation skip --admin-listen "127.0.0.1:$ADMIN"
grep -q "ca: hierarchy 1.* SHA-256 $fp1" "$E2E_TMP/serve.log" || e2e_fail "alt1's root changed on restart"
grep -q "ca: hierarchy 2.* SHA-256 $fp2" "$E2E_TMP/serve.log" || e2e_fail "alt2's root changed on restart"
grep -q "ca: hierarchy 3.* SHA-256 $(fp_of "$S/alt3-root.pem")" "$E2E_TMP/serve.log" ||
    e2e_fail "no hierarchy 3 after growing N"
acme_admin /roots/1 | cmp -s - "$E2E_TMP/r1.pem" || e2e_fail "roots/1 changed on restart"
out=$(e2e_tmpdir)
cli --out "$out" alternates again.localhost >"$E2E_TMP/cli.out" ||
    e2e_fail "acme_cli alternates: $(cat "$E2E_TMP/cli.out")"
grep -qx "chain 0 links 3" "$E2E_TMP/cli.out" || e2e_fail "want 3 links: $(cat "$E2E_TMP/cli.out")"
e2e_ok "restart keeps the alternate roots ($fp1, $fp2); N grew to 3"
echo "1 passed, 0 failed"
