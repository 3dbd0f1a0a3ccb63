#!/usr/bin/env bash
# request_id.sh - every response of the ACME listener and of the management API
# carries X-Request-Id, a random UUID from libuuid (RFC 9562 §5.4), new per request,
# and the request's log lines (access line, problem line) carry the same id.
# Wall time: about 12 s (CA creation at start).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require curl

UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
reqid() {	# curl args...: the X-Request-Id of the response
	curl -s -o /dev/null -D - "$@" | tr -d '\r' |
	    sed -n 's/^[Xx]-[Rr]equest-[Ii]d: //p'
}

ADMIN=$(e2e_free_port)
acme_start --admin-listen "127.0.0.1:$ADMIN"
a=$(reqid -I --cacert "$ACME_ROOT" "$ACME_DIR")
b=$(reqid -I --cacert "$ACME_ROOT" "$ACME_DIR")
[[ $a =~ $UUID4 ]] || e2e_fail "X-Request-Id '$a' is not a random UUID"
[[ $b =~ $UUID4 ]] || e2e_fail "X-Request-Id '$b' is not a random UUID"
[ "$a" != "$b" ] || e2e_fail "two requests got the same id $a"
e2e_ok "X-Request-Id: a new random UUID per request"

# A problem document: the response's id is on its access and problem log lines.
p=$(reqid --cacert "$ACME_ROOT" -H 'Content-Type: application/jose+json' \
    --data '{}' "https://localhost:$ACME_PORT/acme/new-order")
[[ $p =~ $UUID4 ]] || e2e_fail "a problem response has no X-Request-Id ('$p')"
sleep 0.3
grep -qF "[$a] HEAD /directory 200" "$E2E_TMP/serve.log" ||
    e2e_fail "the access log line lacks the id $a: $(grep -F "$a" "$E2E_TMP/serve.log")"
grep -F "[$p] problem malformed 400" "$E2E_TMP/serve.log" >/dev/null ||
    e2e_fail "the problem log line lacks the id $p: $(tail -5 "$E2E_TMP/serve.log")"
grep -F "[$p] POST /acme/new-order 400" "$E2E_TMP/serve.log" >/dev/null ||
    e2e_fail "the access line of the problem lacks the id $p"
e2e_ok "the log lines of a request carry its X-Request-Id"

# The management API (same httpd): refused or not, the header is there.
m=$(reqid --cacert "$ACME_ROOT" "https://127.0.0.1:$ADMIN/metrics")
[[ $m =~ $UUID4 ]] || e2e_fail "the management API sent no X-Request-Id ('$m')"
e2e_ok "the management API sends X-Request-Id"
echo "3 passed, 0 failed"
