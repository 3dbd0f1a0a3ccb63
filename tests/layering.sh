#!/usr/bin/env bash
# layering.sh - fails when an #include crosses a boundary between the parts
# (docs/ARCHITECTURE.md §5). The build already refuses a header of a part a
# part does not link (each src/<part>/ is an include root only for its
# users, acme/include/ and store/include/ only for those of acme and
# store), so some rules below hold twice (the store in acme/, the WFE, the
# CA and the VA; ra.h in the CA): they stay, and the self-test breaks them.
# This checks what the compiler cannot see: third-party headers in system
# paths, acme/ headers in the store (store links acme), a part's
# *_internal.h included from another directory (a part's directory is an
# include root of every part that links it), and paths that climb around
# the include roots. acme/ includes nothing of ours; store/ only
# acme/acme.h (and its own); only src/httpd/httpd.c includes microhttpd.h;
# only store/ includes sqlite3.h; the DNS mock knows DNS only and the VA
# never includes it; the CA and VA never include the store,
# the RA or the WFE; the WFE never includes the store (it reaches state
# only through the RA), and of src/ only the RA does; nor does the OCSP
# responder, whose DER half does no I/O; the RA handles no
# JSON or HTTP; httpd knows no ACME; and no status is a string literal in the store's UPDATEs (the RA
# binds them). tests/layering_selftest.sh proves that each rule fails when
# broken.
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

mapfile -t ACME < <(files acme/*.[ch] acme/include/acme/*.h)
mapfile -t STORE < <(files store/*.[ch] store/include/store/*.h)
mapfile -t SRC < <(files src/*/*.[ch])
mapfile -t UNIT < <(files tests/unit/*.[ch])

# acme/: of ours, only acme/*.h; no SQLite, HTTP, threads, curl or c-ares.
while IFS= read -r line; do bad "$line (acme/ may include only acme/*.h of ours)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${ACME[@]}" | grep -vE '"acme/[a-z0-9_]+\.h"')
rule "forbidden in acme/" 'sqlite3\.h|microhttpd\.h|pthread\.h|curl/[a-z]+\.h|ares\.h' "${ACME[@]}"

# store/: acme/acme.h, store/*.h and store_internal.h only; no JSON,
# OpenSSL or HTTP.
while IFS= read -r line; do bad "$line (store/ may include only acme/acme.h, store/*.h and store_internal.h)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${STORE[@]}" | grep -vE '"(acme/acme\.h|store/[a-z0-9_]+\.h|store_internal\.h)"')
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
# the operator commands and issuance outside orders go through it
# (ARCHITECTURE.md §7.5, one writer).
rule "only the RA may include the store" 'store/[a-z0-9_]+\.h' \
  $(printf '%s\n' "${SRC[@]}" | grep -v '^src/ra/')

# The status page renders what the RA and the CA give it: no store, no
# JSON, no ACME wire format (the WFE calls it through wfe_opts.page).
rule "page must not include the store, jansson or the WFE" \
  'store/[a-z0-9_]+\.h|sqlite3\.h|jansson\.h|wfe\.h' $(files src/page/*.[ch])

# The test DNS server (issue #15) knows DNS only: no ACME, store, HTTP,
# JSON or c-ares (its clients reach it as a DNS server, the management
# API through dnsmock.h); and the VA asks it over the wire, never calls it.
rule "dnsmock must not include acme/, the store, HTTP, JSON or other parts" \
  'acme/[a-z0-9_]+\.h|store/[a-z0-9_]+\.h|sqlite3\.h|jansson\.h|microhttpd\.h|httpd\.h|ares\.h|ra\.h|va\.h|wfe\.h|admin\.h' \
  $(files src/dnsmock/*.[ch])
rule "VA must not include dnsmock (it asks it over DNS)" 'dnsmock[a-z_]*\.h' $(files src/va/*.[ch])

# The OCSP responder (issue #15) reads status through the RA and gets its
# signer from the CA: no store, no JSON, no WFE; its DER half
# (ocsp_der.[ch]: request parsing, response building) has no I/O at all.
rule "ocsp must not include the store, jansson or the WFE" \
  'store/[a-z0-9_]+\.h|sqlite3\.h|jansson\.h|wfe\.h' $(files src/ocsp/*.[ch])
rule "ocsp_der is pure: no RA, CA, httpd or log" 'ra\.h|ca\.h|httpd\.h|log\.h' \
  $(files src/ocsp/ocsp_der.[ch])

# The RA never handles JSON or HTTP.
rule "RA must not include jansson/httpd" 'jansson\.h|httpd\.h|microhttpd\.h' $(files src/ra/*.[ch])

# httpd knows no ACME.
rule "httpd must not include wfe/ra/acme" 'wfe\.h|ra\.h|acme/[a-z0-9_]+\.h' $(files src/httpd/*.[ch])

# A *_internal.h is private to its part: only the files of its own
# directory include it, and the part's unit tests (tests/unit/test_<part>*).
re='include[[:space:]]*[<"]([^">]*)[">]'
while IFS= read -r line; do
  f=${line%%:*} h= b=; d=${f%/*}
  [[ $line =~ $re ]] && h=${BASH_REMATCH[1]} b=${BASH_REMATCH[1]##*/}
  case $f in
  tests/unit/*) t=${f##*/}; t=${t#test_}
    [ "${t#"${b%_internal.h}"}" != "$t" ] && continue ;;
  *) [ -e "$d/$h" ] && continue ;;	# the header beside the including file
  esac
  bad "$line (a *_internal.h is private to its part's directory)"
done < <(inc '[^">]*_internal\.h' "${ACME[@]}" "${STORE[@]}" "${SRC[@]}" "${UNIT[@]}" $(files bench/*.[ch]))

# No path around the include roots: a part's header by its directory.
rule "include a part's header by its name, not its path" '(\.\./|src/)[^">]*' \
  "${ACME[@]}" "${STORE[@]}" "${SRC[@]}" "${UNIT[@]}"

# The RA decides every status, the store executes (docs/ARCHITECTURE.md
# §7.5): in store/*.c no UPDATE that sets a status column has a string
# literal in its SQL; statuses are bound parameters (acme_*_str). A
# statement is the text of the C string literals from the one holding
# "UPDATE" to the line where the call closes (a ")" or ";" outside them).
while IFS= read -r line; do bad "$line (status literal in an UPDATE ... SET status: bind it)"; done < <(
  awk '
    function lits(s,   out) {
      out = ""
      while (match(s, /"([^"\\]|\\.)*"/)) {
        out = out substr(s, RSTART + 1, RLENGTH - 2)
        s = substr(s, RSTART + RLENGTH)
      }
      return out
    }
    function rest(s) { gsub(/"([^"\\]|\\.)*"/, "", s); return s }
    FNR == 1 { sql = ""; on = 0 }
    {
      if (!on && lits($0) ~ /UPDATE[[:space:]]/) { on = 1; sql = ""; at = FNR }
      if (!on) next
      sql = sql lits($0)
      if (rest($0) !~ /[);]/) next
      on = 0
      if (sql ~ /UPDATE[[:space:]]+[A-Za-z_]+[[:space:]]+SET[[:space:]]+([^;]*,[[:space:]]*)?status[[:space:]]*=/ &&
          index(sql, "\047") > 0)
        print FILENAME ":" at ": " sql
    }
  ' $(files store/*.c))

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
