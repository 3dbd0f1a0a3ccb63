#!/usr/bin/env bash
# extras_ari.sh - RFC 9773: renewalInfo in the directory, a query after issuance with the window
# checked (last third of the lifetime) and Retry-After, malformed certIDs, "replaces" with
# alreadyReplaced, a window set through the management API, and a revoked certificate's window.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_extras.sh"
e2e_init
e2e_require openssl curl python3
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

ADMIN=$(e2e_free_port)
acme_start --validation skip --admin-listen "127.0.0.1:$ADMIN"
RI=$(curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" | python3 -c 'import json,sys; print(json.load(sys.stdin)["renewalInfo"])')
[ -n "$RI" ] || e2e_fail "no renewalInfo in the directory"
e2e_ok "directory has renewalInfo $RI"

KEY="$E2E_TMP/account.pem"
extras_client --account-key "$KEY" --out "$E2E_TMP/c1" ari.localhost >"$E2E_TMP/client.log" 2>&1 ||
    e2e_fail "client: $(tail -5 "$E2E_TMP/client.log")"
ID=$(extras_certid "$E2E_TMP/c1/cert.pem")
curl -fsS -D "$E2E_TMP/h" --cacert "$ACME_ROOT" "$RI/$ID" >"$E2E_TMP/ri.json" ||
    e2e_fail "GET renewalInfo/$ID failed"
grep -qi '^Retry-After: [0-9]' "$E2E_TMP/h" || e2e_fail "no Retry-After on renewalInfo"
check_window() {	# cert json: window inside the last third of the lifetime
	python3 - "$1" "$2" <<'PY'
import json, sys, datetime
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
w = json.load(open(sys.argv[2]))["suggestedWindow"]
p = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
nb, na = c.not_valid_before_utc.timestamp(), c.not_valid_after_utc.timestamp()
s, e = p(w["start"]), p(w["end"])
third = nb + (na - nb) * 2 / 3
assert third - 1 <= s < e <= na, (nb, na, s, e)
PY
}
check_window "$E2E_TMP/c1/cert.pem" "$E2E_TMP/ri.json" || e2e_fail "window $(cat "$E2E_TMP/ri.json") is not in the last third"
e2e_ok "renewalInfo window $(cat "$E2E_TMP/ri.json") is in the last third"

# Malformed certIDs are 400 malformed whatever is wrong (RFC 9773 §4.1; characters a
# path id may not hold were 404 once); an unknown one is 404.
for bad in "abc" "a.b.c" "AAAA.gA" "AAAA.AAE" "===.AQ" "a!b.AQ" "AAAA.AQ==" ""; do
	code=$(curl -s -o "$E2E_TMP/bad.json" -w '%{http_code}' --cacert "$ACME_ROOT" "$RI/$bad")
	[ "$code" = 400 ] && grep -q 'error:malformed' "$E2E_TMP/bad.json" ||
	    e2e_fail "certID '$bad': HTTP $code $(cat "$E2E_TMP/bad.json")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ACME_ROOT" "$RI/${ID%%.*}.AQ")
[ "$code" = 404 ] || e2e_fail "unknown certID: HTTP $code, want 404"
e2e_ok "malformed certIDs are malformed, unknown ones 404"

# replaces (RFC 9773 §5): the first replacement is issued, a second is alreadyReplaced.
extras_client --account-key "$KEY" --out "$E2E_TMP/c2" --replaces "$ID" ari.localhost \
    >"$E2E_TMP/client.log" 2>&1 || e2e_fail "replacement: $(tail -5 "$E2E_TMP/client.log")"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["replaces"]==sys.argv[2]' \
    "$E2E_TMP/c2/order.json" "$ID" || e2e_fail "the order does not show replaces"
extras_client --account-key "$KEY" --out "$E2E_TMP/c3" --replaces "$ID" --expect-error alreadyReplaced \
    ari.localhost >"$E2E_TMP/client.log" 2>&1 || e2e_fail "second replacement: $(tail -3 "$E2E_TMP/client.log")"
extras_client --out "$E2E_TMP/c4" --replaces "$(extras_certid "$E2E_TMP/c2/cert.pem")" \
    --expect-error unauthorized ari.localhost >"$E2E_TMP/client.log" 2>&1 ||
    e2e_fail "another account's replaces: $(tail -3 "$E2E_TMP/client.log")"
e2e_ok "replaces: issued once, then alreadyReplaced; another account's certificate is unauthorized"

# The management API sets a window; renewalInfo answers it.
ID2=$(extras_certid "$E2E_TMP/c2/cert.pem")
acme_admin /set-renewal-info/ -X POST -H "Content-Type: application/json" \
    --data "{\"certID\":\"$ID2\",\"suggestedWindow\":{\"start\":\"2030-01-01T00:00:00Z\",\"end\":\"2030-01-02T00:00:00Z\"}}" \
    >/dev/null || e2e_fail "set-renewal-info"
curl -fsS --cacert "$ACME_ROOT" "$RI/$ID2" | grep -q '"start":"2030-01-01T00:00:00Z"' ||
    e2e_fail "renewalInfo does not answer the window set by the management API"
e2e_ok "set-renewal-info changes the window"

# A revoked certificate's window is in the past: renew now.
serial=$(acme_cert_serial "$E2E_TMP/c1/cert.pem")
"$LOCALACME" revoke "$serial" >/dev/null || e2e_fail "revoke"
curl -fsS --cacert "$ACME_ROOT" "$RI/$ID" >"$E2E_TMP/ri2.json"
python3 - "$E2E_TMP/ri2.json" <<'PY' || e2e_fail "revoked window $(cat "$E2E_TMP/ri2.json") is not in the past"
import json, sys, datetime, time
w = json.load(open(sys.argv[1]))["suggestedWindow"]
e = datetime.datetime.strptime(w["end"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
assert e <= time.time() + 1
PY
e2e_ok "a revoked certificate's window is in the past"
echo "1 passed, 0 failed"
