#!/usr/bin/env bash
# extras_profile.sh - draft-ietf-acme-profiles: meta.profiles, profile-pinned orders with their
# lifetime, EKU and subject checked, invalidProfile for an unknown name, a configured profile,
# a lifetime with a unit (x:90s: notAfter - notBefore + 1 = 90 s, backdated 9 s, not 1 h).
# Wall time: 45-65 s on a loaded 2-core machine (x:90s adds one order and three refused starts).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_extras.sh"
e2e_init
e2e_require openssl curl python3
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

acme_start --validation skip --profile 'edge:2:clientauth:nocn' --profile 'x:90s'
curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" >"$E2E_TMP/dir.json"
python3 - "$E2E_TMP/dir.json" <<'PY' || e2e_fail "meta.profiles is not as configured"
import json, sys
p = json.load(open(sys.argv[1]))["meta"]["profiles"]
assert set(p) == {"default", "tlsserver", "shortlived", "edge", "x"}, p
assert p["x"].startswith("90-second certificates"), p["x"]
assert p["edge"].startswith("2-day certificates"), p["edge"]
PY
e2e_ok "meta.profiles lists default, tlsserver, shortlived, edge, x (90-second)"

D=86400
check() {	# name days want_cn(0/1) want_client(0/1) [profile] [expected profile]
	local out="$E2E_TMP/$1"
	extras_client --out "$out" ${5:+--profile "$5"} "$1.localhost" >"$E2E_TMP/client.log" 2>&1 ||
	    e2e_fail "client ($1): $(tail -5 "$E2E_TMP/client.log")"
	local life
	life=$(extras_days "$out/cert.pem")
	# notAfter = notBefore + days*86400 - 1 (HARDENING §5.3)
	[ "$life" -eq $(($2 * D - 1)) ] || e2e_fail "$1: lifetime $life s, want $2 days"
	local subj
	subj=$(openssl x509 -in "$out/cert.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
	if [ "$3" = 1 ]; then
		[ "$subj" = "CN=$1.localhost" ] || e2e_fail "$1: subject '$subj', want CN"
	else
		[ -z "$subj" ] || e2e_fail "$1: subject '$subj', want empty"
		openssl x509 -in "$out/cert.pem" -noout -text | grep -A0 'Subject Alternative Name' |
		    grep -q critical || e2e_fail "$1: SAN not critical with an empty subject"
	fi
	local eku
	eku=$(openssl x509 -in "$out/cert.pem" -noout -ext extendedKeyUsage | tail -n +2)
	if [ "$4" = 1 ]; then
		echo "$eku" | grep -q 'TLS Web Client Authentication' || e2e_fail "$1: no clientAuth"
	else
		echo "$eku" | grep -q 'Client' && e2e_fail "$1: unexpected clientAuth"
	fi
	[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("profile",""))' "$out/order.json")" = \
	    "${6:-${5:-default}}" ] || e2e_fail "$1: order profile is not ${6:-${5:-default}}"
	acme_check_cert "$out/cert.pem" "$out/chain.pem" "$1.localhost"
	e2e_ok "$1: profile ${6:-${5:-default}}: $2 days, CN=$3, clientAuth=$4"
}
check dflt 90 1 0
check tls 45 0 0 tlsserver
check short 6 0 0 shortlived
check edge 2 0 1 edge

# Issue #14: --profile x:90s. What a client (Caddy, certbot, ARI) sees as the
# lifetime, notAfter - notBefore + 1 (both ends count), is 90 s, and the
# backdate is a tenth of it (ca_leaf_backdate), so it is not spent when issued.
before=$(date +%s)
extras_client --out "$E2E_TMP/x" --profile x x.localhost >"$E2E_TMP/client.log" 2>&1 ||
    e2e_fail "client (x:90s): $(tail -5 "$E2E_TMP/client.log")"
after=$(date +%s)
life=$(extras_days "$E2E_TMP/x/cert.pem")
[ $((life + 1)) -eq 90 ] || e2e_fail "x:90s: notAfter - notBefore = $life s, want 89"
nb=$(date -d "$(openssl x509 -in "$E2E_TMP/x/cert.pem" -noout -startdate | cut -d= -f2)" +%s)
[ "$nb" -ge $((before - 9 - 1)) ] && [ "$nb" -le $((after - 9)) ] ||
    e2e_fail "x:90s: notBefore $nb is not 9 s before the order ($before..$after)"
acme_check_cert "$E2E_TMP/x/cert.pem" "$E2E_TMP/x/chain.pem" x.localhost
e2e_ok "x:90s: a 90-second certificate over ACME, backdated 9 s"

extras_client --out "$E2E_TMP/bad" --profile nosuch bad.localhost --expect-error invalidProfile \
    >"$E2E_TMP/client.log" 2>&1 || e2e_fail "unknown profile: $(tail -3 "$E2E_TMP/client.log")"
e2e_ok "an unknown profile is invalidProfile"

# The default profile is configurable.
acme_restart --validation skip --default-profile shortlived
check dflt2 6 0 0 "" shortlived
e2e_expect_fail "--default-profile nosuch" "$LOCALACME" serve --listen 127.0.0.1:0 --default-profile nosuch
# A lifetime outside 60 s..825 d, or with a unit we do not know: one line naming both.
for bad in x:59s x:826d x:1w; do
	rc=0
	"$LOCALACME" serve --listen "127.0.0.1:$(e2e_free_port)" --profile "$bad" 2>"$E2E_TMP/last.err" || rc=$?
	E2E_ERR="$E2E_TMP/last.err"
	[ "$rc" -eq 2 ] || e2e_fail "--profile $bad: exit $rc, want 2 (a usage error)"
	e2e_one_line "$E2E_ERR"
	grep -q "s, m, h or d.*60s to 825d" "$E2E_ERR" || e2e_fail "--profile $bad: $(cat "$E2E_ERR")"
done
e2e_ok "--profile x:59s, x:826d, x:1w: exit 2, one line with the units and the range"
echo "1 passed, 0 failed"
