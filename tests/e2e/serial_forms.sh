#!/usr/bin/env bash
# serial_forms.sh - issue #12 item 10: a serial is found as people type it. certbot prints
# 0x0510... as 510..., openssl -text as 05:10:..; both must find the certificate through
# the management API's cert-status-by-serial and `localacme revoke`; non-hex is refused.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

ACME_PORT=$(e2e_free_port)
ADMIN=$(e2e_free_port)
acme_start --admin-listen "127.0.0.1:$ADMIN"

# Real issuances until two serials start with a zero nibble (1 in 8.5 do: the first
# octet is 0x01-0x7f); at most 400 tries, so a miss is a 1e-20 event.
OUT=$(e2e_tmpdir)
zeros=()
for i in $(seq 400); do
	(cd "$OUT" && "$LOCALACME" issue "s$i.localhost" >/dev/null) || e2e_fail "issue s$i.localhost"
	s=$(acme_cert_serial "$OUT/s$i.localhost.pem")
	case "$s" in 0*) zeros+=("$i:$s") ;; esac
	[ "${#zeros[@]}" -ge 2 ] && break
done
[ "${#zeros[@]}" -ge 2 ] || e2e_fail "no serial with a leading zero in 400 issuances"
A_N=${zeros[0]%%:*}; A_S=${zeros[0]#*:}
B_N=${zeros[1]%%:*}; B_S=${zeros[1]#*:}
e2e_ok "issued $i certificates; $A_S and $B_S start with 0"

stripped() { echo "$1" | sed 's/^0*//'; }
upper() { echo "$1" | tr 'a-f' 'A-F'; }
# openssl's own colon form (05:10:ca:...), as `openssl x509 -text` prints it
colons() {
	openssl x509 -in "$1" -noout -text | sed -n '/Serial Number:/{n;p}' | tr -d ' '
}
A_COLON=$(colons "$OUT/s$A_N.localhost.pem")
case "$A_COLON" in 0?:*) ;; *) e2e_fail "openssl colon form: '$A_COLON'" ;; esac

status_of() {	# FORM -> the canonical serial and status cert-status-by-serial answers
	curl -sS --cacert "$ACME_ROOT" "https://127.0.0.1:$ADMIN/cert-status-by-serial/$1" \
	    -o "$E2E_TMP/st.json" -w '%{http_code}' >"$E2E_TMP/st.code" || true
	[ "$(cat "$E2E_TMP/st.code")" = 200 ] || { echo "HTTP $(cat "$E2E_TMP/st.code"): $(cat "$E2E_TMP/st.json")"; return; }
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["serial"], j["status"])' "$E2E_TMP/st.json"
}
for form in "$A_S" "$(stripped "$A_S")" "$(upper "$(stripped "$A_S")")" "$A_COLON" \
    "$(upper "$A_COLON")" "000$(upper "$A_S")"; do
	got=$(status_of "$form")
	[ "$got" = "$A_S valid" ] || e2e_fail "cert-status-by-serial/$form: '$got', want '$A_S valid'"
done
e2e_ok "cert-status-by-serial finds $A_S as $(stripped "$A_S"), upper case, $A_COLON, 000..."

code=$(curl -sS --cacert "$ACME_ROOT" -o "$E2E_TMP/bad.txt" -w '%{http_code}' \
    "https://127.0.0.1:$ADMIN/cert-status-by-serial/0510xyz" || true)
[ "$code" = 400 ] && grep -q "not a hex digit" "$E2E_TMP/bad.txt" ||
    e2e_fail "cert-status-by-serial of non-hex: $code $(cat "$E2E_TMP/bad.txt")"
e2e_ok "cert-status-by-serial refuses non-hex: $(cat "$E2E_TMP/bad.txt")"

# localacme revoke: A by the certbot form in upper case, B by openssl's colon form in upper case.
"$LOCALACME" revoke "$(upper "$(stripped "$A_S")")" >"$E2E_TMP/rev.out" 2>&1 ||
    e2e_fail "revoke $(upper "$(stripped "$A_S")"): $(cat "$E2E_TMP/rev.out")"
[ "$(acme_cert_status "$A_S")" = revoked ] || e2e_fail "$A_S is not revoked"
[ "$(status_of "$(stripped "$A_S")")" = "$A_S revoked" ] || e2e_fail "admin does not see $A_S revoked"
B_COLON=$(upper "$(colons "$OUT/s$B_N.localhost.pem")")
"$LOCALACME" revoke --reason 4 "$B_COLON" >"$E2E_TMP/rev.out" 2>&1 ||
    e2e_fail "revoke $B_COLON: $(cat "$E2E_TMP/rev.out")"
[ "$(acme_cert_status "$B_S")" = revoked ] || e2e_fail "$B_S is not revoked"
e2e_expect_fail "revoking $B_S again" "$LOCALACME" revoke "$(stripped "$B_S")"
grep -q "already revoked" "$E2E_TMP/last.err" || e2e_fail "second revoke of $B_S: $(cat "$E2E_TMP/last.err")"
e2e_ok "revoke finds $A_S as $(upper "$(stripped "$A_S")") and $B_S as $B_COLON"

e2e_expect_fail "revoke of non-hex" "$LOCALACME" revoke "05:10:zz"
e2e_one_line "$E2E_ERR"
grep -q "not a hex digit" "$E2E_ERR" || e2e_fail "revoke non-hex: $(cat "$E2E_ERR")"
e2e_ok "revoke refuses non-hex: $(cat "$E2E_ERR")"
echo "1 passed, 0 failed"
