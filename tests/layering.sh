#!/usr/bin/env bash
# layering.sh - fails when an #include crosses a boundary between the parts
# (docs/ARCHITECTURE.md §5). The build already refuses a header of a part a
# part does not link (each src/<part>/ is an include root only for its
# users); this checks what the compiler cannot see: third-party headers in
# system paths, the store and acme/ reachable through the project root, and
# paths that climb around the include roots. acme/ includes nothing of ours;
# store/ only acme/acme.h (and its own); only src/httpd/httpd.c includes
# microhttpd.h; only store/ includes sqlite3.h; the CA and VA never include
# the store, the RA or the WFE; the WFE never includes the store (it reaches
# state only through the RA), and of src/ only the RA does; the RA handles
# no JSON or HTTP; httpd knows no ACME. tests/layering_selftest.sh proves
# that each rule fails when broken.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
fail=0
bad() { echo "layering: $1"; fail=1; }

# inc PATTERN FILE...: the #include lines of FILEs naming a header that
# matches PATTERN (an ERE for the name between the quotes or angle brackets,
# anchored at its start; alternatives are grouped here, not by the caller).
inc() {
  local pat=$1; shift
  [ $# -gt 0 ] || return 0
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]('"$pat"')[>"]' "$@" 2>/dev/null
}
# rule MESSAGE PATTERN FILE...: every match is a violation.
rule() {
  local msg=$1 pat=$2 line; shift 2
  while IFS= read -r line; do bad "$line ($msg)"; done < <(inc "$pat" "$@")
}
files() { local f; for f in "$@"; do [ -e "$f" ] && echo "$f"; done; }

mapfile -t ACME < <(files acme/*.[ch])
mapfile -t STORE < <(files store/*.[ch])
mapfile -t SRC < <(files src/*/*.[ch])
mapfile -t UNIT < <(files tests/unit/*.[ch])

# acme/: of ours, only acme/*.h; no SQLite, HTTP, threads, curl or c-ares.
while IFS= read -r line; do bad "$line (acme/ may include only acme/*.h of ours)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${ACME[@]}" | grep -vE '"acme/[a-z0-9_]+\.h"')
rule "forbidden in acme/" 'sqlite3\.h|microhttpd\.h|pthread\.h|curl/[a-z]+\.h|ares\.h' "${ACME[@]}"

# store/: acme/acme.h and store/*.h only; no JSON, OpenSSL or HTTP.
while IFS= read -r line; do bad "$line (store/ may include only acme/acme.h and store/*.h)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${STORE[@]}" | grep -vE '"(acme/acme\.h|store/[a-z0-9_]+\.h)"')
rule "forbidden in store/" 'jansson\.h|openssl/[a-z0-9_]+\.h|microhttpd\.h' "${STORE[@]}"

# microhttpd.h: only src/httpd/httpd.c.
rule "only src/httpd/httpd.c may include microhttpd.h" 'microhttpd\.h' \
  "${ACME[@]}" "${STORE[@]}" "${UNIT[@]}" $(printf '%s\n' "${SRC[@]}" | grep -vx 'src/httpd/httpd\.c')

# sqlite3.h: only store/.
rule "only store/ may include sqlite3.h" 'sqlite3\.h' "${SRC[@]}" "${ACME[@]}"

# The CA and VA never see the store, the RA or the WFE.
rule "CA/VA must not include the store, RA or WFE" 'store/store\.h|ra\.h|wfe\.h' \
  $(files src/ca/*.[ch] src/va/*.[ch])

# The WFE reaches ACME state only through the RA.
rule "WFE must not include the store" 'store/store\.h|sqlite3\.h' $(files src/wfe/*.[ch])

# Only the RA reaches the store: the management API, the CRL publisher and
# the operator commands go through it (ARCHITECTURE.md §7.5, one writer).
# Still to convert: the issuance outside orders (cli_issue.c, cli_init.c's
# cli_open_store for it, serve.c's server certificate; issue #13 step 6).
rule "only the RA may include the store" 'store/[a-z0-9_]+\.h' \
  $(printf '%s\n' "${SRC[@]}" | grep -v '^src/ra/' |
    grep -vxE 'src/cli/(cli_issue|cli_init|serve)\.c')

# The RA never handles JSON or HTTP.
rule "RA must not include jansson/httpd" 'jansson\.h|httpd\.h|microhttpd\.h' $(files src/ra/*.[ch])

# httpd knows no ACME.
rule "httpd must not include wfe/ra/acme" 'wfe\.h|ra\.h|acme/[a-z0-9_]+\.h' $(files src/httpd/*.[ch])

# No path around the include roots: a part's header by its directory.
rule "include a part's header by its name, not its path" '(\.\./|src/)[^">]*' \
  "${ACME[@]}" "${STORE[@]}" "${SRC[@]}" "${UNIT[@]}"

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
