#!/usr/bin/env bash
# cli_profile.sh - root, intermediate and leaf checked field by field against HARDENING §5,
# from `openssl x509 -text` and DER: extensions, criticality, serials, validity arithmetic.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl

S=$LOCALACME_HOME
OUT=$(e2e_tmpdir)
"$LOCALACME" init >/dev/null || e2e_fail "init"
"$LOCALACME" issue --out "$OUT" --days 90 localhost 127.0.0.1 ::1 '*.app.test' >/dev/null || e2e_fail "issue"
awk 'BEGIN{n=0} /BEGIN CERT/{n++} n==1' "$OUT/localhost+3.pem" >"$E2E_TMP/leaf.pem"

txt() { openssl x509 -in "$1" -noout -text; }
# The line after "X509v3 <ext>:" (its value); "critical" is on the name line.
ext_line() { txt "$1" | grep -A1 "X509v3 $2" | head -1; }
ext_val() { txt "$1" | grep -A1 "X509v3 $2" | sed -n 2p | sed 's/^ *//'; }
has_ext() { txt "$1" | grep -q "X509v3 $2"; }
epoch() { date -d "$(openssl x509 -in "$1" -noout "-$2" | sed 's/.*=//')" +%s; }
serial_hex() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//'; }

check_serial() {
	local s
	s=$(serial_hex "$1")
	[ ${#s} -eq 34 ] || e2e_fail "$1: serial $s is not 17 octets"
	case ${s:0:2} in
	00 | [89A-Fa-f]?) e2e_fail "$1: serial prefix ${s:0:2} not in 01..7F" ;;
	esac
}

check_ecdsa_algid() {
	# BR §7.1.3.2: ecdsa-with-SHA256 without parameters, twice (tbs and outer).
	local n
	n=$(openssl x509 -in "$1" -outform DER | od -An -tx1 -v | tr -d ' \n' | grep -o '300a06082a8648ce3d040302' | wc -l)
	[ "$n" -eq 2 ] || e2e_fail "$1: ECDSA AlgorithmIdentifier found $n times, want 2"
}

R=$S/root.pem
I=$S/intermediate.pem
L=$E2E_TMP/leaf.pem

# --- root (§5.1)
txt "$R" | grep -q "Version: 3 (0x2)" || e2e_fail "root not v3"
check_serial "$R"
check_ecdsa_algid "$R"
subj=$(openssl x509 -in "$R" -noout -subject -nameopt RFC2253 | sed 's/subject=//')
iss=$(openssl x509 -in "$R" -noout -issuer -nameopt RFC2253 | sed 's/issuer=//')
[ "$subj" = "$iss" ] || e2e_fail "root issuer != subject"
echo "$subj" | grep -q "CN=localacme root .*,O=localacme" || e2e_fail "root subject $subj"
ext_line "$R" "Basic Constraints" | grep -q critical || e2e_fail "root BC not critical"
[ "$(ext_val "$R" "Basic Constraints")" = "CA:TRUE" ] || e2e_fail "root BC: $(ext_val "$R" "Basic Constraints")"
ext_line "$R" "Key Usage" | grep -q critical || e2e_fail "root KU not critical"
[ "$(ext_val "$R" "Key Usage")" = "Certificate Sign, CRL Sign" ] || e2e_fail "root KU"
has_ext "$R" "Extended Key Usage" && e2e_fail "root has an EKU"
rski=$(ext_val "$R" "Subject Key Identifier")
[ -n "$rski" ] || e2e_fail "root has no SKI"
[ "$(ext_val "$R" "Authority Key Identifier" | sed 's/^keyid://')" = "$rski" ] || e2e_fail "root AKI != SKI"
ext_line "$R" "Name Constraints" | grep -q critical || e2e_fail "root NC not critical"
[ $(($(epoch "$R" enddate) - $(epoch "$R" startdate))) -eq $((3650 * 86400)) ] || e2e_fail "root not 10 years"
[ "$(txt "$R" | grep -c 'X509v3 [A-Z].*:')" -eq 5 ] || e2e_fail "root has other extensions: $(txt "$R" | grep 'X509v3 [A-Z]')"
e2e_ok "root profile"

# --- intermediate (§5.2)
check_serial "$I"
check_ecdsa_algid "$I"
iiss=$(openssl x509 -in "$I" -noout -issuer -nameopt RFC2253 | sed 's/issuer=//')
[ "$iiss" = "$subj" ] || e2e_fail "intermediate issuer != root subject"
[ "$(ext_val "$I" "Basic Constraints")" = "CA:TRUE, pathlen:0" ] || e2e_fail "intermediate BC"
ext_line "$I" "Basic Constraints" | grep -q critical || e2e_fail "intermediate BC not critical"
ext_line "$I" "Key Usage" | grep -q critical || e2e_fail "intermediate KU not critical"
[ "$(ext_val "$I" "Key Usage")" = "Certificate Sign, CRL Sign" ] || e2e_fail "intermediate KU"
[ "$(ext_val "$I" "Extended Key Usage")" = "TLS Web Server Authentication, TLS Web Client Authentication" ] ||
    e2e_fail "intermediate EKU"
iski=$(ext_val "$I" "Subject Key Identifier")
[ "$(ext_val "$I" "Authority Key Identifier" | sed 's/^keyid://')" = "$rski" ] || e2e_fail "intermediate AKI != root SKI"
ext_line "$I" "Name Constraints" | grep -q critical || e2e_fail "intermediate NC not critical"
[ "$(epoch "$I" enddate)" -le "$(epoch "$R" enddate)" ] || e2e_fail "intermediate outlives the root"
[ "$(epoch "$I" startdate)" -ge "$(epoch "$R" startdate)" ] || e2e_fail "intermediate starts before the root"
[ $(($(epoch "$I" enddate) - $(epoch "$I" startdate))) -le $((1095 * 86400)) ] || e2e_fail "intermediate > 3 years"
e2e_ok "intermediate profile"

# --- leaf (§5.3)
check_serial "$L"
check_ecdsa_algid "$L"
[ "$(openssl x509 -in "$L" -noout -issuer -nameopt RFC2253)" = \
  "issuer=$(openssl x509 -in "$I" -noout -subject -nameopt RFC2253 | sed 's/subject=//')" ] || e2e_fail "leaf issuer"
[ "$(openssl x509 -in "$L" -noout -subject -nameopt RFC2253)" = "subject=CN=localhost" ] || e2e_fail "leaf subject"
[ "$(ext_val "$L" "Basic Constraints")" = "CA:FALSE" ] || e2e_fail "leaf BC"
ext_line "$L" "Basic Constraints" | grep -q critical || e2e_fail "leaf BC not critical"
ext_line "$L" "Key Usage" | grep -q critical || e2e_fail "leaf KU not critical"
[ "$(ext_val "$L" "Key Usage")" = "Digital Signature" ] || e2e_fail "leaf KU (ECDSA)"
[ "$(ext_val "$L" "Extended Key Usage")" = "TLS Web Server Authentication" ] || e2e_fail "leaf EKU"
[ "$(ext_val "$L" "Subject Alternative Name")" = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:*.app.test" ] ||
    e2e_fail "leaf SAN: $(ext_val "$L" "Subject Alternative Name")"
ext_line "$L" "Subject Alternative Name" | grep -q critical && e2e_fail "leaf SAN critical with a CN"
[ "$(ext_val "$L" "Authority Key Identifier" | sed 's/^keyid://')" = "$iski" ] || e2e_fail "leaf AKI != intermediate SKI"
has_ext "$L" "Subject Key Identifier" && e2e_fail "leaf has an SKI"
has_ext "$L" "Name Constraints" && e2e_fail "leaf has name constraints"
[ "$(txt "$L" | grep -c 'X509v3 [A-Z].*:')" -eq 5 ] || e2e_fail "leaf has other extensions"
nb=$(epoch "$L" startdate)
na=$(epoch "$L" enddate)
now=$(date +%s)
[ $((na - nb)) -eq $((90 * 86400 - 1)) ] || e2e_fail "leaf validity $((na - nb)) != 90 days - 1 s"
[ "$nb" -le $((now - 3600 + 5)) ] && [ "$nb" -ge $((now - 3600 - 120)) ] || e2e_fail "leaf notBefore not now - 1 h"
e2e_ok "leaf profile"

# IP-only leaf: empty subject, SAN critical.
"$LOCALACME" issue --out "$OUT" 127.0.0.2 >/dev/null || e2e_fail "issue ip"
awk 'BEGIN{n=0} /BEGIN CERT/{n++} n==1' "$OUT/127.0.0.2.pem" >"$E2E_TMP/ip.pem"
[ "$(openssl x509 -in "$E2E_TMP/ip.pem" -noout -subject)" = "subject=" ] || e2e_fail "IP leaf subject not empty"
ext_line "$E2E_TMP/ip.pem" "Subject Alternative Name" | grep -q critical || e2e_fail "SAN not critical with empty subject"
e2e_ok "IP-only leaf"

# P-384 CA: ecdsa-with-SHA384 throughout; RSA CA: sha256WithRSAEncryption with NULL params.
"$LOCALACME" init --state "$E2E_TMP/s384" --key-type ec384 >/dev/null || e2e_fail "init ec384"
openssl x509 -in "$E2E_TMP/s384/intermediate.pem" -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA384" ||
    e2e_fail "P-384 intermediate not signed with SHA-384"
"$LOCALACME" init --state "$E2E_TMP/srsa" --key-type rsa3072 >/dev/null || e2e_fail "init rsa3072"
openssl x509 -in "$E2E_TMP/srsa/root.pem" -noout -text | grep -q "Public-Key: (3072 bit)" || e2e_fail "rsa3072 root"
openssl x509 -in "$E2E_TMP/srsa/root.pem" -noout -text | grep -q "Signature Algorithm: sha256WithRSAEncryption" ||
    e2e_fail "RSA root signature"
e2e_expect_fail "P-521 CA" "$LOCALACME" init --state "$E2E_TMP/s521" --key-type ec521
e2e_one_line "$E2E_ERR"
e2e_ok "CA key types"
echo "PASS"
