#!/usr/bin/env bash
# uacme.sh - uacme (Debian's C ACME client) registers and gets a certificate for an IP-only
# order (127.0.0.1, RFC 8738) over http-01 from `localacme serve`. Its CSR carries the
# address as CN and SAN: RFC 8555 §7.4 and BR §7.1.4.3 allow that (issue #12 item 1).
# uacme has no CA option (libcurl's default store): each run is in a private mount
# namespace whose /etc/ssl/certs is a temp copy with the localacme root added, so the
# machine's real store is never touched.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require uacme unshare openssl curl python3

# A mount namespace: as root directly, otherwise inside a user namespace.
if [ "$(id -u)" -eq 0 ]; then NS=(unshare --mount --propagation private)
else NS=(unshare --user --map-root-user --mount --propagation private); fi
"${NS[@]}" true 2>/dev/null || { echo "skip: cannot unshare a mount namespace" >&2; exit 77; }

HTTP01=$(e2e_free_port)
acme_start --http01-port "$HTTP01"

# /etc/ssl/certs as uacme will see it: the system's plus our root (bundle and own file).
certs=$(e2e_tmpdir)
cp -a /etc/ssl/certs/. "$certs/"
rm -f "$certs/ca-certificates.crt"
{ cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; cat "$ACME_ROOT"; } \
    >"$certs/ca-certificates.crt"
cp "$ACME_ROOT" "$certs/localacme-e2e-root.pem"

# http-01: the hook writes the key authorization where a plain HTTP server serves it.
web=$(e2e_tmpdir)
mkdir -p "$web/.well-known/acme-challenge"
e2e_start http01 python3 -m http.server --bind 127.0.0.1 --directory "$web" "$HTTP01"
e2e_wait_port "$HTTP01"
hook="$E2E_TMP/hook.sh"
cat >"$hook" <<EOF
#!/bin/sh
# METHOD TYPE IDENT TOKEN AUTH (uacme(1)); only http-01 is accepted
[ "\$2" = http-01 ] || exit 1
f="$web/.well-known/acme-challenge/\$4"
case "\$1" in
begin) printf '%s' "\$5" >"\$f" ;;
*) rm -f "\$f" ;;
esac
EOF
chmod 755 "$hook"

conf=$(e2e_tmpdir)
uacme_run() {
	timeout 120 "${NS[@]}" sh -c 'mount --bind "$1" /etc/ssl/certs && shift && exec "$@"' \
	    sh "$certs" uacme -v -c "$conf" -a "$ACME_DIR" -t EC "$@" \
	    >"$E2E_TMP/uacme.out" 2>&1 ||
	    e2e_fail "uacme $* failed: $(tail -20 "$E2E_TMP/uacme.out")"
}

uacme_run -y new
e2e_ok "uacme registered an account"

uacme_run -h "$hook" issue 127.0.0.1
crt="$conf/127.0.0.1/cert.pem"
[ -s "$crt" ] || e2e_fail "uacme wrote no certificate: $(tail -20 "$E2E_TMP/uacme.out")"
openssl x509 -in "$crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$crt" 127.0.0.1
grep -q 'challenge .* (http-01) valid' "$E2E_TMP/serve.log" ||
    e2e_fail "the server logged no valid http-01 validation"
# The leaf's key is the one uacme generated for the name.
[ "$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -pubkey)" = \
  "$(openssl pkey -in "$conf/private/127.0.0.1/key.pem" -pubout)" ] ||
    e2e_fail "the leaf does not carry uacme's key"
e2e_ok "uacme issued $(acme_cert_serial "$E2E_TMP/leaf.pem") for 127.0.0.1 (CN and SAN in its CSR)"
echo "1 passed, 0 failed"
