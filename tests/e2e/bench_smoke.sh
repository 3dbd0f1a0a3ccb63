#!/usr/bin/env bash
# bench_smoke.sh - CI smoke test of `localacme bench`: 20 issuances at concurrency 4
# against `serve --validation skip`, then a few with real http-01 validation
# answered by bench itself; zero errors and well-formed JSON results.
# Numbers are printed, never judged (docs/HARDENING.md §4: benchmarks do not pass or fail on time).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

check_json() {	# FILE ORDERS
	python3 - "$1" "$2" <<'PY' || e2e_fail "bench JSON $1 is not as expected"
import json, sys
r = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
assert r["issued"] == want, r["issued"]
assert r["failed"] == 0 and r["errors"] == {}, r["errors"]
assert r["stalled"] is False
assert r["issuances_per_s"] > 0
assert r["issuance"]["count"] == want
for ep in ("newAccount", "newOrder", "authz", "challenge", "finalize", "certificate"):
    assert r["endpoints"][ep]["count"] >= 1, ep
assert r["endpoints"]["certificate"]["count"] == want
assert r["server"]["cpu_s"] >= 0 and r["server"]["rss_kib_peak"] > 0
assert r["client_cpu_s"] > 0
PY
}

HTTP01=$(e2e_free_port)
acme_start --validation skip --http01-port "$HTTP01"
"$LOCALACME" bench --directory "$ACME_DIR" --cacert "$ACME_ROOT" \
    --orders 20 --concurrency 4 --names 2 --server-pid "$ACME_PID" \
    --json "$E2E_TMP/skip.json" >"$E2E_TMP/skip.txt" 2>&1 ||
    e2e_fail "bench against --validation skip failed: $(cat "$E2E_TMP/skip.txt")"
cat "$E2E_TMP/skip.txt"
check_json "$E2E_TMP/skip.json" 20
grep -q 'issuances/s' "$E2E_TMP/skip.txt" || e2e_fail "no text report"
e2e_ok "bench: 20 issuances, no errors, JSON well-formed"

# Real validation: the server fetches the token from bench's own responder.
acme_restart --http01-port "$HTTP01"
"$LOCALACME" bench --directory "$ACME_DIR" --cacert "$ACME_ROOT" \
    --orders 4 --concurrency 2 --domain localhost --http01-port "$HTTP01" \
    --key-type rsa2048 --server-pid "$ACME_PID" \
    --json "$E2E_TMP/http01.json" >"$E2E_TMP/http01.txt" 2>&1 ||
    e2e_fail "bench with http-01 failed: $(cat "$E2E_TMP/http01.txt")"
cat "$E2E_TMP/http01.txt"
check_json "$E2E_TMP/http01.json" 4
grep -q 'http-01 answers served: [1-9]' "$E2E_TMP/http01.txt" ||
    e2e_fail "the server validated nothing against bench's responder"
e2e_ok "bench: 4 issuances over real http-01 with RSA account keys"

# A wrong directory is one line on stderr and exit 1, not a hang.
e2e_expect_fail "bench against a closed port" "$LOCALACME" bench \
    --directory "https://127.0.0.1:$(e2e_free_port)/directory" --orders 1
e2e_one_line "$E2E_ERR"
e2e_ok "bench: an unreachable server is one line"
echo "3 passed, 0 failed"
