#!/usr/bin/env bash
# conformance_clients.sh - the conformance report (GET <admin>/conformance)
# for two real clients, Debian's certbot and lego, each issuing once over
# real http-01: the deviations each truly shows, asserted as observed.
# Wall time: about 20 s.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require certbot lego openssl curl python3

HTTP01=$(e2e_free_port)
ADMIN=$(e2e_free_port)
# --challenge-wait-ms 0: the challenge POST answers "processing" with a
# Retry-After, as Pebble's does, so the report can show who honours it (with
# the default wait both clients read a final answer and deviate in nothing).
acme_start --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN" \
    --challenge-wait-ms 0
cb=$(e2e_tmpdir)
lg=$(e2e_tmpdir)

REQUESTS_CA_BUNDLE="$ACME_ROOT" timeout 180 certbot certonly --standalone \
    --http-01-port "$HTTP01" --agree-tos -m dev@example.test \
    -d cb.localhost --cert-name cb --non-interactive --server "$ACME_DIR" \
    --config-dir "$cb/etc" --work-dir "$cb/work" --logs-dir "$cb/logs" \
    >"$E2E_TMP/certbot.out" 2>&1 ||
    e2e_fail "certbot failed: $(tail -20 "$E2E_TMP/certbot.out")"
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" \
    --accept-tos --email dev@example.test --path "$lg" \
    --domains lego.localhost --http --http.port "127.0.0.1:$HTTP01" run \
    >"$E2E_TMP/lego.out" 2>&1 ||
    e2e_fail "lego failed: $(tail -20 "$E2E_TMP/lego.out")"

acme_admin /conformance >"$E2E_TMP/report.json" || e2e_fail "GET /conformance"
python3 - "$E2E_TMP/report.json" <<'EOF' || e2e_fail "unexpected report: $(cat "$E2E_TMP/report.json")"
import json, sys
rep = json.load(open(sys.argv[1]))
by_client = {}
for c in rep["clients"]:
    ua = c["user_agent"]
    who = "certbot" if "certbot" in ua.lower() or "CertbotACMEClient" in ua \
        else "lego" if "lego" in ua.lower() else ua
    kinds = by_client.setdefault(who, {})
    for d in c["deviations"]:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + d["count"]
print("observed:", json.dumps(by_client, sort_keys=True))
# What they truly do, one issuance of one name each (certbot 2.1,
# Debian's lego 4.9), as observed in the server's access log:
# - certbot: nothing. It sends a User-Agent and application/jose+json,
#   one HEAD newNonce on its connection and then the Replay-Nonce of each
#   answer, POST-as-GET everywhere, waits the challenge answer's
#   Retry-After (1 s) before its first authorization poll, finalizes a
#   ready order with its names, downloads the certificate a valid order
#   names.
# - lego: the same, but it polls the authorization about 2 ms after the
#   challenge answer that said Retry-After: 1, then waits between polls:
#   exactly one poll-before-retry-after per challenge answered, here one.
assert "certbot" not in by_client, by_client
assert by_client.get("lego") == {"poll-before-retry-after": 1}, by_client
assert set(by_client) == {"lego"}, by_client
ex = [d["example"] for c in rep["clients"] for d in c["deviations"]]
assert len(ex) == 1 and ex[0].startswith("/acme/authz/"), ex
assert rep["unattributed"] == [] and rep["full"] is False, rep
EOF
e2e_ok "certbot and lego: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sorted({(c["user_agent"].split()[0], d["kind"], d["count"]) for c in r["clients"] for d in c["deviations"]}))' "$E2E_TMP/report.json")"
echo "1 passed, 0 failed"
