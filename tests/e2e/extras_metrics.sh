#!/usr/bin/env bash
# extras_metrics.sh - the management API after a lego run: /metrics parsed as Prometheus text
# (requests by endpoint and status, issuances, validations by type and result, latency
# histograms), /roots/0, /intermediates/0, /cert-status-by-serial, keys only when exposed.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego openssl curl python3

HTTP01=$(e2e_free_port)
ADMIN=$(e2e_free_port)
acme_start --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN"
grep -q "management API on https://127.0.0.1:$ADMIN" "$E2E_TMP/serve.log" ||
    e2e_fail "the management API was not announced"
lg=$(e2e_tmpdir)
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" --accept-tos \
    --email dev@example.test --path "$lg" --domains m.localhost --http \
    --http.port "127.0.0.1:$HTTP01" run >"$E2E_TMP/lego.out" 2>&1 ||
    e2e_fail "lego: $(tail -20 "$E2E_TMP/lego.out")"

acme_admin /metrics >"$E2E_TMP/metrics.txt" || e2e_fail "GET /metrics"
python3 - "$E2E_TMP/metrics.txt" <<'PY' || e2e_fail "metrics: $(head -40 "$E2E_TMP/metrics.txt")"
import re, sys
line = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([0-9.eE+-]+|\+Inf)$')
m = {}
types = {}
for l in open(sys.argv[1]):
    l = l.rstrip("\n")
    if l.startswith("# TYPE "):
        _, _, name, t = l.split(" ", 3)
        types[name] = t
        continue
    if l.startswith("#") or not l:
        continue
    g = line.match(l)
    assert g, "not Prometheus text: %r" % l
    labels = dict(re.findall(r'(\w+)="([^"]*)"', g.group(3) or ""))
    m[(g.group(1), tuple(sorted(labels.items())))] = float(g.group(4))
def get(name, **lab):
    return m.get((name, tuple(sorted(lab.items()))), 0)
assert types["localacme_http_requests_total"] == "counter"
assert types["localacme_http_request_duration_seconds"] == "histogram"
assert get("localacme_http_requests_total", endpoint="new-order", status="201") >= 1
assert get("localacme_http_requests_total", endpoint="new-account", status="201") >= 1
assert get("localacme_http_requests_total", endpoint="finalize", status="200") >= 1
assert get("localacme_issuances_total", profile="default") == 1
assert get("localacme_validations_total", type="http-01", result="valid") == 1
inf = get("localacme_http_request_duration_seconds_bucket", endpoint="new-order", le="+Inf")
cnt = get("localacme_http_request_duration_seconds_count", endpoint="new-order")
assert inf == cnt >= 1, (inf, cnt)
PY
e2e_ok "/metrics parses: requests, issuances, validations, latency histograms"

acme_admin /roots/0 | cmp -s - "$ACME_ROOT" || e2e_fail "/roots/0 is not root.pem"
acme_admin /intermediates/0 | openssl x509 -noout 2>/dev/null || e2e_fail "/intermediates/0"
code=$(acme_admin /intermediate-keys/0 -s -o /dev/null -w '%{http_code}' || true)
[ "$code" = 404 ] || e2e_fail "keys are served without --admin-expose-keys ($code)"
openssl x509 -in "$lg/certificates/m.localhost.crt" -out "$E2E_TMP/leaf.pem"
serial=$(acme_cert_serial "$E2E_TMP/leaf.pem")
acme_admin "/cert-status-by-serial/$serial" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "valid" and "notAfter" in j and "reason" not in j, j' ||
    e2e_fail "cert-status-by-serial of a valid certificate"
"$LOCALACME" revoke --reason 4 "$serial" >/dev/null
acme_admin "/cert-status-by-serial/$serial" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["status"] == "revoked" and j["reason"] == 4 and "revokedAt" in j, j' ||
    e2e_fail "cert-status-by-serial of a revoked certificate"
e2e_ok "/roots/0, /intermediates/0, /cert-status-by-serial; keys hidden by default"

acme_restart --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN" --admin-expose-keys
acme_admin /intermediate-keys/0 | grep -q 'PRIVATE KEY' || e2e_fail "--admin-expose-keys"
e2e_ok "--admin-expose-keys serves the intermediate key"
# (plain HTTP off loopback, Host, Origin and token refusals: admin_security.sh)
echo "1 passed, 0 failed"
