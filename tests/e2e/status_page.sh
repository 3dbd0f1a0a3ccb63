#!/usr/bin/env bash
# status_page.sh - the status page on the ACME listener's / (issue #16): headless Chromium reads
# the root's fingerprint and the certificates issued by `issue` and over ACME, the downloads are
# the root, tidy finds the HTML clean, 10,000 certificates are walked in pages of 100 by the
# "Older" links, and `list --source/--expiring/--json` filter. Wall time: 47-51 s at load 12 (also under ASan), 120 s at load 16.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_extras.sh"
# shellcheck source=lib_browser.sh
. "$here/lib_browser.sh"
e2e_init
e2e_require openssl curl python3 tidy certutil
browser_available || exit 77
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

# Chromium's NSS database is $HOME/.pki/nssdb: the test's own.
export HOME=$E2E_TMP/home
mkdir -p "$HOME"
artifacts=${LOCALACME_BUILD_DIR:-$E2E_TMP}/artifacts
mkdir -p "$artifacts"

"$LOCALACME" init >/dev/null
mkdir -p "$E2E_TMP/cli"
"$LOCALACME" issue cli-one.localhost --out "$E2E_TMP/cli" >/dev/null || e2e_fail "issue"
acme_start --validation skip --crl
extras_client --out "$E2E_TMP/acme" acme-one.localhost >"$E2E_TMP/client.log" 2>&1 ||
	e2e_fail "ACME issuance: $(tail -5 "$E2E_TMP/client.log")"
BASE=https://localhost:$ACME_PORT
get() { curl -fsS --cacert "$ACME_ROOT" "$@"; }

# 1. list: serve's own certificate is marked "server"; each filter keeps its own.
sources() { "$LOCALACME" list --json "$@" | python3 -c '
import json, sys
print(" ".join(sorted(c["source"] + ":" + c["names"][0] for c in json.load(sys.stdin))))'; }
[ "$(sources)" = "acme:acme-one.localhost cli:cli-one.localhost server:localhost" ] ||
	e2e_fail "list --json: $(sources)"
[ "$(sources --source server)" = "server:localhost" ] || e2e_fail "--source server: $(sources --source server)"
[ "$(sources --source cli)" = "cli:cli-one.localhost" ] || e2e_fail "--source cli"
[ "$(sources --source acme)" = "acme:acme-one.localhost" ] || e2e_fail "--source acme"
# serve's certificate lives 30 days, `issue`'s and ACME's longer.
[ "$(sources --expiring)" = "server:localhost" ] || e2e_fail "--expiring: $(sources --expiring)"
[ "$(sources --expiring=3650 | wc -w)" -eq 3 ] || e2e_fail "--expiring=3650"
# The days also as the next argument, as a user types them.
[ "$(sources --expiring 3650 | wc -w)" -eq 3 ] || e2e_fail "--expiring 3650: $(sources --expiring 3650)"
[ "$(sources --expiring 31 --source server)" = "server:localhost" ] || e2e_fail "--expiring 31 --source server"
e2e_expect_fail "--expiring 0" "$LOCALACME" list --expiring 0
e2e_expect_fail "--expiring 30 extra" "$LOCALACME" list --expiring 30 extra
"$LOCALACME" list --source server | grep -q ' server  localhost' || e2e_fail "list --source server (table)"
"$LOCALACME" list --json | grep -q '"renewal": "current"' || e2e_fail "list --json has no renewal"
e2e_expect_fail "--source bogus" "$LOCALACME" list --source bogus
e2e_one_line "$E2E_ERR"
e2e_expect_fail "--expiring=0" "$LOCALACME" list --expiring=0
e2e_ok "list --source acme|cli|server, --expiring, --json"

# 2. The page over curl: HTML that tidy finds clean, the downloads are the root.
get "$BASE/" >"$E2E_TMP/page.html" || e2e_fail "GET /"
tidy -errors -q "$E2E_TMP/page.html" || e2e_fail "tidy: the page is not clean HTML"
grep -q "$BASE/directory" "$E2E_TMP/page.html" || e2e_fail "no directory URL on the page"
grep -q "$BASE/crl/intermediate.crl" "$E2E_TMP/page.html" || e2e_fail "no CRL link with --crl"
get "$BASE/root.pem" | cmp -s - "$ACME_ROOT" || e2e_fail "/root.pem is not the root"
get "$BASE/root.der" | openssl x509 -inform DER | cmp -s - "$ACME_ROOT" || e2e_fail "/root.der"
get "$BASE/root.mobileconfig" >"$E2E_TMP/root.mobileconfig"
python3 - "$E2E_TMP/root.mobileconfig" "$ACME_ROOT" <<'PY' || e2e_fail "the Apple profile does not carry the root"
import plistlib, ssl, sys
p = plistlib.load(open(sys.argv[1], "rb"))
c = p["PayloadContent"][0]
assert p["PayloadType"] == "Configuration" and c["PayloadType"] == "com.apple.security.root"
assert c["PayloadContent"] == ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
PY
code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --cacert "$ACME_ROOT" -X POST "$BASE/")
[ "$code" = "405 application/problem+json" ] || e2e_fail "POST / answered $code, want a 405 problem"
code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --cacert "$ACME_ROOT" "$BASE/?before=x")
[ "$code" = "400 application/problem+json" ] || e2e_fail "a bad cursor answered $code, want a 400 problem"
code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --cacert "$ACME_ROOT" -I "$BASE/")
[ "$code" = "200 text/html; charset=utf-8" ] || e2e_fail "HEAD / answered $code"
e2e_ok "the page is clean HTML; root.pem, root.der and root.mobileconfig are the root"

# 3. Headless Chromium trusts the root (NSS) and reads the page's DOM.
"$LOCALACME" trust install --stores nss >/dev/null || e2e_fail "trust install --stores nss"
fp=$(openssl x509 -in "$ACME_ROOT" -noout -fingerprint -sha256 | cut -d= -f2)
shot=$artifacts/status_page.png
out=$(browser_eval "$BASE/" '({
  fp: document.getElementById("fingerprint").textContent,
  dir: document.getElementById("directory").textContent,
  pem: document.getElementById("dl-pem").href,
  rows: Array.from(document.querySelectorAll("#certs tr.cert td.names")).map(e => e.textContent),
  scripts: document.scripts.length,
  older: !!document.getElementById("older")
})' --screenshot "$shot" --size 1200x4200) || e2e_fail "browser: $out"
echo "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
fp, base = sys.argv[1], sys.argv[2]
assert d["fp"] == fp, (d["fp"], fp)
assert d["dir"] == base + "/directory", d["dir"]
assert d["pem"] == base + "/root.pem", d["pem"]
assert "acme-one.localhost" in d["rows"] and "cli-one.localhost" in d["rows"], d["rows"][:5]
assert len(d["rows"]) == 3 and not d["older"], d["rows"]
assert d["scripts"] == 0
' "$fp" "$BASE" || e2e_fail "DOM: $out"
[ -s "$shot" ] || e2e_fail "no screenshot"
# The download link the browser found is the root, byte for byte.
get "$BASE/root.pem" | openssl x509 -noout -fingerprint -sha256 | grep -q "=$fp$" ||
	e2e_fail "the downloaded root's fingerprint differs"
e2e_ok "Chromium: fingerprint, directory, rows and link as expected (screenshot: $shot)"
# 4. 10,000 more certificates, older than these, half of them ended without a
# replacement; rows put straight into the database (serve reads them at its next query).
python3 "$here/../lib/bulk_certs.py" "$LOCALACME_HOME/localacme.db" || e2e_fail "bulk insert"
python3 - "$BASE" "$ACME_ROOT" "$E2E_TMP" <<'PY' || e2e_fail "paging through 10,003 certificates"
import html.parser, ssl, sys, urllib.request
base, root, tmp = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=root)
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = 0; self.older = None; self.flags = 0; self.td = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "tr" and a.get("class") == "cert": self.rows += 1
        if tag == "a" and a.get("id") == "older": self.older = a["href"]
        if tag == "td" and a.get("class") == "flag": self.flags += 1
url, pages, rows, flags = base + "/", 0, 0, 0
while url:
    p = P(); p.feed(urllib.request.urlopen(url, context=ctx).read().decode())
    pages += 1; rows += p.rows; flags += p.flags
    assert p.rows <= 100, p.rows
    assert (p.older is None) == (p.rows < 100 or rows == 10003), (url, p.rows)
    url = base + p.older.split("#")[0] if p.older else None
assert rows == 10003 and pages == 101, (rows, pages)
# 5,000 names, two certificates each: the older one was replaced long before its
# end (renewed in time); the newer one ended 10 days ago with none after it: flagged.
assert flags == 5000, flags
print("pages", pages, "rows", rows, "flagged", flags)
PY
e2e_ok "10,003 certificates in 101 pages of at most 100; 5,000 flagged not renewed"

echo "status_page: screenshot at $shot"
