#!/usr/bin/env bash
# dns01.sh - a wildcard certificate through dns-01 (RFC 8555 §8.4): lego
# publishes the TXT record on a DNS server the test runs (pebble-challtestsrv,
# used only as a DNS server), localacme resolves through it (--dns-resolver).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require lego pebble-challtestsrv openssl curl python3

DNS=$(e2e_free_port)
MGMT=$(e2e_free_port)
e2e_start dns pebble-challtestsrv -dns01 "127.0.0.1:$DNS" \
    -management "127.0.0.1:$MGMT" -http01 "" -https01 "" -tlsalpn01 ""
e2e_wait_port "$MGMT"

acme_start --dns-resolver "127.0.0.1:$DNS"

# lego's exec provider calls this with: present|cleanup FQDN VALUE
hook="$E2E_TMP/dns-hook.sh"
cat >"$hook" <<HOOK
#!/bin/sh
case "\$1" in
present) path=set-txt; body="{\"host\":\"\$2\",\"value\":\"\$3\"}" ;;
cleanup) path=clear-txt; body="{\"host\":\"\$2\"}" ;;
*) exit 0 ;;
esac
exec curl -fsS -X POST -d "\$body" "http://127.0.0.1:$MGMT/\$path"
HOOK
chmod +x "$hook"

lg=$(e2e_tmpdir)
EXEC_PATH="$hook" EXEC_PROPAGATION_TIMEOUT=30 EXEC_POLLING_INTERVAL=1 EXEC_SEQUENCE_INTERVAL=1 \
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" \
    --accept-tos --email dev@example.test --path "$lg" \
    --domains '*.wild.test' --domains wild.test \
    --dns exec --dns.resolvers "127.0.0.1:$DNS" --dns.disable-cp run \
    >"$E2E_TMP/lego.out" 2>&1 || e2e_fail "lego failed: $(tail -20 "$E2E_TMP/lego.out")"

crt="$lg/certificates/_.wild.test.crt"
openssl x509 -in "$crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$lg/certificates/_.wild.test.issuer.crt" \
    '*.wild.test' wild.test
n=$(grep -c 'challenge .* (dns-01) valid' "$E2E_TMP/serve.log" || true)
[ "$n" -eq 2 ] || e2e_fail "expected 2 dns-01 validations, the server logged $n"
e2e_ok "wildcard certificate over dns-01"
echo "1 passed, 0 failed"
