#!/usr/bin/env bash
# dnsmock.sh - the built-in test DNS server (serve --dns-mock, issue #15),
# with no DNS server of its own: records set through the management API's
# pebble-challtestsrv routes (no token on a loopback listener), answers read
# by a hand-built client, lego's dns-01 (wildcard + base name), CAA (RFC
# 8659: another CA's record forbids, ours allows, the closest set rules),
# SERVFAIL, /add-a and the default A steering http-01, malformed packets.
# Wall time: about 35 s (40 s on a loaded 2-core machine; nine lego runs).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3

# bad settings: one line naming the setting, exit 2
for args in "--dns-mock nope" "--dns-mock 127.0.0.1:1 --dns-resolver 127.0.0.1:53" \
    "--dns-mock 127.0.0.1:1 --dns-mock-default-ipv4 ::1" \
    "--dns-mock 127.0.0.1:1 --dns-mock-default-ipv6 10.0.0.1"; do
	# shellcheck disable=SC2086
	timeout 10 "$LOCALACME" serve $args 2>"$E2E_TMP/err" && e2e_fail "serve $args started"
	[ $? -eq 2 ] || e2e_fail "serve $args: not exit 2"
	e2e_one_line "$E2E_TMP/err"
	grep -q "dns_mock" "$E2E_TMP/err" || e2e_fail "serve $args: $(cat "$E2E_TMP/err")"
done
e2e_ok "bad --dns-mock settings: one line naming the setting, exit 2"

DNS=$(e2e_free_port)
ADMIN=$(e2e_free_port)
HP=$(e2e_free_port)
acme_start --dns-mock "127.0.0.1:$DNS" --admin-listen "127.0.0.1:$ADMIN" \
    --caa-identity localacme.test --http01-port "$HP"

grep -q "warn  serve: DNS MOCK ON (--dns-mock): a test DNS server answers on 127.0.0.1:$DNS" \
    "$E2E_TMP/serve.log" || e2e_fail "no start-up warning naming the DNS mock"
curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" >"$E2E_TMP/dir.json"
python3 - "$E2E_TMP/dir.json" "127.0.0.1:$DNS" <<'PY' ||
import json, sys
k = json.load(open(sys.argv[1]))["meta"]["x-localacme-test-knobs"]
assert k == {"dns-mock": sys.argv[2]}, k
PY
    e2e_fail "directory meta does not list the DNS mock: $(cat "$E2E_TMP/dir.json")"
e2e_ok "the start-up log warns that the DNS mock is on, and where; so does the directory meta"

# mock PATH JSON: POST to the management API over HTTPS, no token (loopback).
mock() {
	curl -fsS --cacert "$ACME_ROOT" -X POST -d "$2" \
	    "https://127.0.0.1:$ADMIN/$1" >/dev/null ||
	    e2e_fail "POST /$1 $2 failed"
}

# 1-3. answers as a plain DNS client sees them, the management API's
# refusals, malformed packets
python3 "$here/dnsmock_query.py" "$DNS" "https://127.0.0.1:$ADMIN" "$ACME_ROOT" ||
    e2e_fail "the DNS mock's answers (above)"
kill -0 "$ACME_PID" || e2e_fail "the server died"

# lego's exec provider calls this with: present|cleanup FQDN VALUE
hook="$E2E_TMP/dns-hook.sh"
cat >"$hook" <<HOOK
#!/bin/sh
case "\$1" in
present) path=set-txt; body="{\"host\":\"\$2\",\"value\":\"\$3\"}" ;;
cleanup) path=clear-txt; body="{\"host\":\"\$2\"}" ;;
*) exit 0 ;;
esac
exec curl -fsS --cacert "$ACME_ROOT" -X POST -d "\$body" "https://127.0.0.1:$ADMIN/\$path"
HOOK
chmod +x "$hook"

# lego_dns NAME...: a dns-01 order; output in $E2E_TMP/lego.out
lego_dns() {
	local d args=()
	LG=$(e2e_tmpdir)
	for d in "$@"; do args+=(--domains "$d"); done
	EXEC_PATH="$hook" EXEC_PROPAGATION_TIMEOUT=30 EXEC_POLLING_INTERVAL=1 \
	EXEC_SEQUENCE_INTERVAL=1 LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 \
	    lego --server "$ACME_DIR" --accept-tos --email dev@example.test \
	    --path "$LG" "${args[@]}" --dns exec --dns.resolvers "127.0.0.1:$DNS" \
	    --dns.disable-cp run >"$E2E_TMP/lego.out" 2>&1
}
# lego_http NAME: an http-01 order, lego listening on 127.0.0.2:$HP
lego_http() {
	LG=$(e2e_tmpdir)
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" \
	    --accept-tos --email dev@example.test --path "$LG" --domains "$1" \
	    --http --http.port "127.0.0.2:$HP" run >"$E2E_TMP/lego.out" 2>&1
}
problem() { grep -q "urn:ietf:params:acme:error:$1" "$E2E_TMP/lego.out"; }

# 4. dns-01, a wildcard and its base name, through the mock alone
lego_dns '*.wild.test' wild.test || e2e_fail "lego dns-01: $(tail -20 "$E2E_TMP/lego.out")"
openssl x509 -in "$LG/certificates/_.wild.test.crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$LG/certificates/_.wild.test.issuer.crt" \
    '*.wild.test' wild.test
e2e_ok "wildcard + base name certificate over dns-01 through --dns-mock"

# 5. CAA (RFC 8659): another CA's record on the parent forbids (§3 climbing)
mock add-caa '{"host":"caa.test","policies":[{"tag":"issue","value":"other-ca.example"}]}'
lego_dns www.caa.test && e2e_fail "issued although CAA names another CA"
problem caa || e2e_fail "no caa problem: $(tail -5 "$E2E_TMP/lego.out")"
grep -q 'CAA record for caa.test forbids issuance: it names "other-ca.example"' \
    "$E2E_TMP/serve.log" || e2e_fail "the server's reason does not name the record"
e2e_ok "a CAA record on the parent naming another CA: caa problem, no certificate"
# the closest non-empty set rules: ours on the name itself allows
mock add-caa '{"host":"www.caa.test","policies":[{"tag":"issue","value":"localacme.test; account=1"}]}'
lego_dns www.caa.test || e2e_fail "CAA naming --caa-identity refused: $(tail -5 "$E2E_TMP/lego.out")"
e2e_ok "a CAA record naming our --caa-identity allows issuance"
# §4.3: issuewild rules a wildcard, issue the base name
mock add-caa '{"host":"w2.test","policies":[{"tag":"issue","value":"localacme.test"},{"tag":"issuewild","value":";"}]}'
lego_dns '*.w2.test' && e2e_fail "a wildcard issued although issuewild forbids it"
problem caa || e2e_fail "no caa problem for issuewild: $(tail -5 "$E2E_TMP/lego.out")"
lego_dns w2.test || e2e_fail "issue for the base name refused: $(tail -5 "$E2E_TMP/lego.out")"
e2e_ok "issuewild \";\" forbids the wildcard, not the base name"

# 6. SERVFAIL on the name: its CAA lookup fails, a dns problem (§3)
mock set-servfail '{"host":"sf.test"}'
lego_dns sf.test && e2e_fail "issued although the CAA lookup failed"
problem dns || e2e_fail "no dns problem for SERVFAIL: $(tail -5 "$E2E_TMP/lego.out")"
e2e_ok "SERVFAIL: dns problem, no certificate"

# 7. http-01 connects where the mock points: /add-a, then the default A
lego_http web.test && e2e_fail "http-01 passed at 127.0.0.1, where nobody listens"
mock add-a '{"host":"web.test","addresses":["127.0.0.2"]}'
mock set-default-ipv6 '{"ip":""}'
lego_http web.test || e2e_fail "http-01 via /add-a: $(tail -10 "$E2E_TMP/lego.out")"
e2e_ok "/add-a sends http-01 to 127.0.0.2"
mock set-default-ipv4 '{"ip":"127.0.0.2"}'
lego_http other.test || e2e_fail "http-01 via the default A: $(tail -10 "$E2E_TMP/lego.out")"
e2e_ok "/set-default-ipv4 sends http-01 for every other name to 127.0.0.2"
echo "12 passed, 0 failed"
