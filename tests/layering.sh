#!/usr/bin/env bash
# layering.sh - fails when an #include crosses a boundary of DESIGN.md:
# acme/ includes nothing of ours; store/ only acme/acme.h (and its own);
# only src/httpd.c includes microhttpd.h; only store/ includes sqlite3.h;
# VA and CA never include store.h; acme/ never includes pthread.h.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
fail=0
bad() { echo "layering: $1"; fail=1; }

inc() { grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]'"$1" "${@:2}" 2>/dev/null; }

# acme/: only acme/*.h of ours, no sqlite, mhd, pthread, curl, ares
while IFS= read -r line; do bad "$line (acme/ may include only acme/*.h of ours)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' acme/*.[ch] | grep -vE '"acme/[a-z0-9_]+\.h"')
while IFS= read -r line; do bad "$line (forbidden in acme/)"; done < <(
  inc '(sqlite3|microhttpd|pthread|curl/|ares)' acme/*.[ch])

# store/: acme/acme.h, acme/problem.h (pulled by acme.h) and store/*.h only; no jansson or OpenSSL
while IFS= read -r line; do bad "$line (store/ may include only acme/acme.h and store/*.h)"; done < <(
  grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' store/*.[ch] | grep -vE '"(acme/acme\.h|store/[a-z0-9_]+\.h)"')
while IFS= read -r line; do bad "$line (forbidden in store/)"; done < <(
  inc '(jansson|openssl/|microhttpd)' store/*.[ch])

# microhttpd.h: only src/httpd.c
while IFS= read -r line; do bad "$line (only src/httpd.c may include microhttpd.h)"; done < <(
  inc 'microhttpd\.h' $(ls acme/*.[ch] store/*.[ch] src/*.[ch] tests/unit/*.[ch] 2>/dev/null | grep -v '^src/httpd\.c$'))

# sqlite3.h: only store/
while IFS= read -r line; do bad "$line (only store/ may include sqlite3.h)"; done < <(
  inc 'sqlite3\.h' src/*.[ch] acme/*.[ch])

# The CA and VA never see the store, the RA or the WFE (DESIGN.md).
for f in src/ca*.c src/ca*.h src/keys*.[ch] src/va*.[ch]; do
  [ -e "$f" ] || continue
  while IFS= read -r line; do bad "$line (CA/VA must not include the store, RA or WFE)"; done < <(
    inc '"(store/store|ra|wfe)\.h"' "$f")
done

# The RA never handles JSON or HTTP.
for f in src/ra*.[ch]; do
  [ -e "$f" ] || continue
  while IFS= read -r line; do bad "$line (RA must not include jansson/httpd)"; done < <(
    inc '(jansson\.h|"httpd\.h"|microhttpd\.h)' "$f")
done

# httpd knows no ACME.
for f in src/httpd.[ch]; do
  [ -e "$f" ] || continue
  while IFS= read -r line; do bad "$line (httpd must not include wfe/ra/acme)"; done < <(
    inc '"(wfe|ra)\.h"|"acme/' "$f")
done

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
