#!/usr/bin/env bash
# pebble_admin.sh - the management API answers in Pebble's shapes (issue #15
# item 2), differentially: real Pebble and `localacme serve` on loopback, a
# lego issuance and a keyCompromise revocation on each, then the same
# cert-status-by-serial calls; every member Pebble sends is there with the
# same type and form (Status, Serial, Certificate, Reason, RevokedAt), and our
# own members stay. set-renewal-info takes Pebble's body ({"Certificate",
# "ARIResponse"}) and renewalInfo then answers its window (the Pebble here,
# 2.4.0, predates that endpoint). About 30 s wall (four lego runs).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_extras.sh"
e2e_init
e2e_require pebble lego openssl curl python3

# Pebble, with a TLS certificate of its own for 127.0.0.1/localhost.
pb=$(e2e_tmpdir)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    -keyout "$pb/key.pem" -out "$pb/cert.pem" 2>/dev/null ||
    e2e_fail "cannot make Pebble's certificate"
PB_ACME=$(e2e_free_port) PB_MGMT=$(e2e_free_port)
cat >"$pb/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$PB_ACME",
  "managementListenAddress": "127.0.0.1:$PB_MGMT",
  "certificate": "$pb/cert.pem", "privateKey": "$pb/key.pem",
  "httpPort": $(e2e_free_port), "tlsPort": $(e2e_free_port),
  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    e2e_start pebble pebble -config "$pb/pebble.json"
e2e_wait_port "$PB_MGMT" 20

ADMIN=$(e2e_free_port)
HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN"

# Issue and revoke (keyCompromise) with lego on both. $1 = name, $2 = dir URL, $3 = CA file.
issue_revoke() {
	local d="$E2E_TMP/lego-$1"
	LEGO_CA_CERTIFICATES="$3" timeout 120 lego --server "$2" --accept-tos \
	    --email dev@example.test --path "$d" --domains "$1.localhost" \
	    --http --http.port "127.0.0.1:$HTTP01" run >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego run on $1: $(tail -5 "$E2E_TMP/lego.out")"
	openssl x509 -in "$d/certificates/$1.localhost.crt" -out "$E2E_TMP/$1.pem"
}
revoke() {
	LEGO_CA_CERTIFICATES="$3" timeout 120 lego --server "$2" --accept-tos \
	    --email dev@example.test --path "$E2E_TMP/lego-$1" \
	    --domains "$1.localhost" revoke --reason 1 >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego revoke on $1: $(tail -5 "$E2E_TMP/lego.out")"
}
issue_revoke pebble "https://localhost:$PB_ACME/dir" "$pb/cert.pem"
issue_revoke ours "$ACME_DIR" "$ACME_ROOT"
pserial=$(acme_cert_serial "$E2E_TMP/pebble.pem")
oserial=$(acme_cert_serial "$E2E_TMP/ours.pem")
status() {	# NAME STATE -> $E2E_TMP/NAME-STATE.json
	if [ "$1" = pebble ]; then
		curl -fsS --cacert "$pb/cert.pem" \
		    "https://127.0.0.1:$PB_MGMT/cert-status-by-serial/$pserial"
	else
		acme_admin "/cert-status-by-serial/$oserial"
	fi >"$E2E_TMP/$1-$2.json" || e2e_fail "cert-status-by-serial on $1 ($2)"
}
status pebble valid
status ours valid
revoke pebble "https://localhost:$PB_ACME/dir" "$pb/cert.pem"
revoke ours "$ACME_DIR" "$ACME_ROOT"
status pebble revoked
status ours revoked

python3 - "$E2E_TMP" <<'PY' || e2e_fail "cert-status-by-serial differs from Pebble's"
import json, re, sys
from cryptography import x509
t = sys.argv[1]
def load(n):
    return json.load(open(f"{t}/{n}.json"))
def leaf(n):
    return open(f"{t}/{n}.pem").read()
form = {  # how each of Pebble's values looks, whoever sent it
    "Status": lambda v, c: v in ("Valid", "Revoked"),
    "Serial": lambda v, c: v == format(c.serial_number, "x"),
    "Certificate": lambda v, c: x509.load_pem_x509_certificate(v.encode()) == c,
    "Reason": lambda v, c: v == 1,
    "RevokedAt": lambda v, c: re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC", v) is not None,
}
for state in ("valid", "revoked"):
    p, o = load(f"pebble-{state}"), load(f"ours-{state}")
    cp = x509.load_pem_x509_certificate(leaf("pebble").encode())
    co = x509.load_pem_x509_certificate(leaf("ours").encode())
    print(state, "pebble:", sorted(p), "ours:", sorted(o))
    missing = set(p) - set(o)
    assert not missing, f"{state}: Pebble's {missing} missing from ours"
    extra = {k for k in o if k[0].isupper()} - set(p)
    assert not extra, f"{state}: capitalised members Pebble does not send: {extra}"
    for k in p:
        assert type(p[k]) is type(o[k]), f"{state} {k}: {p[k]!r} vs {o[k]!r}"
        assert form[k](p[k], cp), f"{state} {k}: Pebble's own {p[k]!r}?"
        assert form[k](o[k], co), f"{state} {k}: ours {o[k]!r}"
    assert p["Status"] == o["Status"], (p["Status"], o["Status"])
    # our own members stay for existing users
    assert o["status"] == state and o["serial"], o
    assert state == "valid" or ("reason" in o and "revokedAt" in o), o
PY
e2e_ok "cert-status-by-serial: Pebble's members and forms, valid and revoked; ours kept"

# Go's time.String() of the revocation matches what the store says.
ra=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["RevokedAt"], o["revokedAt"])' \
    "$E2E_TMP/ours-revoked.json")
python3 - $ra <<'PY' || e2e_fail "RevokedAt and revokedAt disagree: $ra"
import sys, datetime
a = datetime.datetime.strptime(" ".join(sys.argv[1:3]), "%Y-%m-%d %H:%M:%S")
b = datetime.datetime.strptime(sys.argv[5], "%Y-%m-%dT%H:%M:%SZ")
assert a == b, (a, b)
PY

# set-renewal-info with Pebble's body: Certificate = the leaf's PEM,
# ARIResponse = the renewalInfo JSON as a string.
issue_revoke ari "$ACME_DIR" "$ACME_ROOT"
body=$(python3 -c 'import json,sys
ari = {"suggestedWindow": {"start": "2031-02-03T00:00:00Z", "end": "2031-02-04T00:00:00Z"},
       "explanationURL": "https://example.test/why"}
print(json.dumps({"Certificate": open(sys.argv[1]).read(), "ARIResponse": json.dumps(ari)}))' \
    "$E2E_TMP/ari.pem")
acme_admin /set-renewal-info/ -X POST -H "Content-Type: application/json" \
    --data "$body" >/dev/null || e2e_fail "set-renewal-info with Pebble's body"
RI=$(curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["renewalInfo"])')
curl -fsS --cacert "$ACME_ROOT" "$RI/$(extras_certid "$E2E_TMP/ari.pem")" >"$E2E_TMP/ri.json"
grep -q '"start":"2031-02-03T00:00:00Z"' "$E2E_TMP/ri.json" &&
    grep -q 'https://example.test/why' "$E2E_TMP/ri.json" ||
    e2e_fail "renewalInfo after Pebble's body: $(cat "$E2E_TMP/ri.json")"
# A Pebble body that is not one: 400 naming what is wrong.
code=$(curl -sS --cacert "$ACME_ROOT" -X POST -H "Content-Type: application/json" \
    -H "Authorization: Bearer $(cat "$LOCALACME_HOME/admin.token")" \
    --data '{"Certificate":"junk","ARIResponse":"{}"}' -o "$E2E_TMP/bad.txt" \
    -w '%{http_code}' "https://127.0.0.1:$ADMIN/set-renewal-info/")
[ "$code" = 400 ] && grep -q 'PEM certificate' "$E2E_TMP/bad.txt" ||
    e2e_fail "a bad Pebble body: $code $(cat "$E2E_TMP/bad.txt")"
e2e_ok "set-renewal-info takes Pebble's body; renewalInfo answers its window"
echo "1 passed, 0 failed"
