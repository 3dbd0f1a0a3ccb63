#!/usr/bin/env bash
# layering_selftest.sh - proves tests/layering.sh can fail: copies the tree,
# checks the copy passes, then injects each forbidden #include (and a status
# literal in the store's SQL) in turn and expects the check to fail naming
# the file it was put in.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/layering-selftest.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
for d in acme acme/include/acme store store/include/store tests/unit \
    $(cd "$top" && ls -d src/*/); do
  d=${d%/}
  mkdir -p "$tmp/$d" && cp -p "$top/$d"/*.[ch] "$tmp/$d"/ 2>/dev/null
done
check="$top/tests/layering.sh"

out=$("$check" "$tmp") || { echo "selftest: the unmodified copy fails:"; echo "$out"; exit 1; }

# file <TAB> the line injected
cases=$(cat <<'EOT'
acme/jws.c	#include "store/store.h"
acme/jws.c	#include <sqlite3.h>
acme/csr.c	#include <pthread.h>
acme/include/acme/jws.h	#include <sqlite3.h>
acme/include/acme/url.h	#include "store/store.h"
acme/ident.c	#include <curl/curl.h>
store/store.c	#include <jansson.h>
store/store_cert.c	#include <openssl/evp.h>
store/store_order.c	#include "ra.h"
store/store_txn.c	#include "acme/jws.h"
store/include/store/store.h	#include <openssl/evp.h>
store/store_sync.c	#include "store/store_internal.h"
src/wfe/wfe.c	#include <microhttpd.h>
src/wfe/wfe.c	#include "store/store.h"
src/admin/admin.c	#include "store/store.h"
src/base/config.c	#include <sqlite3.h>
tests/unit/test_wfe_jws.c	#include <microhttpd.h>
src/ca/ca.c	#include "store/store.h"
src/ca/ca.c	#include "ra.h"
src/ca/keys.c	#include "wfe.h"
src/va/va_http01.c	#include "store/store.h"
src/va/va.c	#include "ra.h"
src/ra/ra.c	#include <jansson.h>
src/ra/ra.c	#include "httpd.h"
src/httpd/httpd.c	#include "wfe.h"
src/httpd/httpd.c	#include "acme/acme.h"
src/wfe/wfe.c	#include "../ra/ra.h"
src/crl/crl.c	#include "src/ra/ra.h"
store/store_order.c	static const char *inj = "UPDATE orders SET status = 'valid' WHERE id = ?1";
src/crl/crl.c	#include "ca_internal.h"
src/ra/ra.c	#include "va_internal.h"
src/wfe/wfe.c	#include "ra_internal.h"
src/page/page_render.c	#include "store/store.h"
src/page/page.c	#include <jansson.h>
src/dnsmock/dnsmock.c	#include "acme/acme.h"
src/dnsmock/dnsmock_wire.c	#include <jansson.h>
src/va/va_resolve.c	#include "dnsmock.h"
src/ocsp/ocsp.c	#include "store/store.h"
src/ocsp/ocsp.c	#include <jansson.h>
src/ocsp/ocsp_der.c	#include "ra.h"
src/ocsp/ocsp_der.h	#include "httpd.h"
EOT
)
fail=0 n=0
while IFS=$'\t' read -r f line; do
  n=$((n + 1))
  cp -p "$tmp/$f" "$tmp/$f.orig"
  printf '%s\n' "$line" >>"$tmp/$f"
  if out=$("$check" "$tmp"); then
    echo "selftest: NOT caught: '$line' in $f"; fail=1
  elif ! grep -q "^layering: $f:" <<<"$out"; then
    echo "selftest: '$line' in $f failed, but not naming $f:"; echo "$out"; fail=1
  else
    echo "selftest: caught: '$line' in $f"
  fi
  mv "$tmp/$f.orig" "$tmp/$f"
done <<<"$cases"
[ $fail -eq 0 ] && echo "layering selftest: all $n injections caught"
exit $fail
