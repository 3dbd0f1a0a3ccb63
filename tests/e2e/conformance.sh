#!/usr/bin/env bash
# conformance.sh - the client conformance report (GET <admin>/conformance):
# a deliberately sloppy client's deviations, each kind and count asserted
# exactly; the summary lines serve logs at shutdown; --strict refusing each
# tolerated deviation (RFC 8555 §6.1, §6.2, §6.3, §6.5, §7.2-§7.5).
# Wall time: 30 s, up to 60 s on a loaded machine (three 2 s delayed
# validations polled at Retry-After, two server starts).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

HTTP01=$(e2e_free_port)
ADMIN=$(e2e_free_port)
sloppy() {
	python3 "$here/sloppy_client.py" --dir "$ACME_DIR" --ca "$ACME_ROOT" \
	    --http01-port "$HTTP01" "$@"
}

# --- the report, exactly ---
acme_start --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN"
sloppy sloppy >"$E2E_TMP/sloppy.json" 2>"$E2E_TMP/sloppy.err" ||
    e2e_fail "the sloppy client failed: $(tail -5 "$E2E_TMP/sloppy.err")"
sloppy expected >"$E2E_TMP/expected.json"
acme_admin /conformance >"$E2E_TMP/report.json" || e2e_fail "GET /conformance"
python3 - "$E2E_TMP/report.json" "$E2E_TMP/sloppy.json" \
    "$E2E_TMP/expected.json" <<'EOF' || e2e_fail "the report differs"
import json, sys
rep = json.load(open(sys.argv[1]))
accts = json.load(open(sys.argv[2]))["accounts"]
exp = json.load(open(sys.argv[3]))
want = {
    ("user-agent", "sloppy-client/1.0|127.0.0.1"): exp["ua"],
    ("user-agent", "|127.0.0.1"): exp["noua"],
    ("account", accts[0]): exp["acct1"],
    ("account", accts[1]): exp["acct2"],
}
got = {(c["by"], c["client"]): {d["kind"]: d["count"] for d in c["deviations"]}
       for c in rep["clients"]}
if got != want:
    print("want %s\ngot  %s" % (want, got))
    sys.exit(1)
# every deviation has its section, description, times and example path
refused = {"content-type", "get-instead-of-post-as-get", "jwk-instead-of-kid",
           "nonce-invalid", "url-mismatch", "ignored-location", "finalize-not-ready",
           "csr-names-mismatch", "cert-before-valid"}
for c in rep["clients"]:
    for d in c["deviations"]:
        assert d["rfc"].startswith("RFC 8555 §"), d
        assert d["description"] and d["first_seen"] <= d["last_seen"], d
        assert d["example"].startswith("/"), d
        assert d["refused"] == (d["kind"] in refused), d
        if c["by"] == "account":
            assert c["user_agent"] == "sloppy-client/1.0", c
ex = {d["kind"]: d["example"] for c in rep["clients"] for d in c["deviations"]}
assert ex["ignored-location"].startswith("/acme/finalize/") or \
    "finalize" in ex["ignored-location"], ex
assert ex["user-agent-missing"] == "/directory", ex
assert rep["unattributed"] == [] and rep["full"] is False, rep
assert rep["strict"] is False, rep
print("report ok: %d clients" % len(rep["clients"]))
EOF
e2e_ok "the sloppy client's report is exact"

# --- the summary at shutdown: one line per client ---
e2e_stop "$ACME_PID"
acct1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accounts"][0])' \
    "$E2E_TMP/sloppy.json")
grep -F "conformance: $acct1 (User-Agent \"sloppy-client/1.0\"): " \
    "$E2E_TMP/serve.log" | grep -q 'poll-before-retry-after x3' ||
    e2e_fail "no shutdown summary line for $acct1: $(grep conformance: "$E2E_TMP/serve.log")"
n=$(grep -c 'conformance: ' "$E2E_TMP/serve.log" || true)
[ "$n" -eq 4 ] || e2e_fail "want 4 summary lines, got $n"
e2e_ok "serve logged one summary line per client at shutdown"

# --- --strict: each tolerated deviation is refused ---
mv "$E2E_TMP/serve.log" "$E2E_TMP/serve.1.log"
acme_start --http01-port "$HTTP01" --admin-listen "127.0.0.1:$ADMIN" --strict
sloppy strict >"$E2E_TMP/strict.out" 2>&1 ||
    e2e_fail "--strict: $(tail -5 "$E2E_TMP/strict.out")"
acme_admin /conformance | python3 -c '
import json, sys
rep = json.load(sys.stdin)
assert rep["strict"] is True, rep
kinds = {d["kind"] for c in rep["clients"] for d in c["deviations"]}
want = {"user-agent-missing", "newnonce-not-reused", "resource-member",
        "challenge-payload-not-empty", "poll-before-retry-after",
        "new-account-per-run"}
assert kinds == want, kinds
' || e2e_fail "--strict: the report does not list the refused deviations"
e2e_ok "--strict refused each tolerated deviation: $(grep -c '^ok:' "$E2E_TMP/strict.out") checks"
echo "1 passed, 0 failed"
