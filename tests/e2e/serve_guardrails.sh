#!/usr/bin/env bash
# serve_guardrails.sh - what a stack needs from `serve` (issues #14 item 7, #16): a busy port is
# named, with --listen suggested, before any CA exists; the first start names root.pem and the
# trust command; the --base-url host is in the server certificate, or refused naming the policy;
# plain HTTP on the TLS port gets a readable 400 and a log line.
# Wall time: about 6 s (4 s under ASan).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

# --- a busy port: one line naming it and --listen, exit 1, and no CA created (issue #16)
BUSY=$(e2e_free_port)
e2e_start holder python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("listening", flush=True); time.sleep(60)' "$BUSY"
HOLDER=$E2E_PID
for i in $(seq 100); do
	grep -q listening "$E2E_TMP/holder.log" 2>/dev/null && break
	sleep 0.1
done
e2e_expect_fail "serve on a busy port" "$LOCALACME" serve --listen "127.0.0.1:$BUSY"
e2e_one_line "$E2E_ERR"
grep -q "cannot listen on 127.0.0.1:$BUSY: Address already in use" "$E2E_ERR" ||
    e2e_fail "busy port: $(cat "$E2E_ERR")"
grep -q -- "--listen 127.0.0.1:PORT" "$E2E_ERR" || e2e_fail "busy port: no --listen hint: $(cat "$E2E_ERR")"
[ ! -e "$LOCALACME_HOME/root.pem" ] || e2e_fail "busy port: a CA was created anyway"
e2e_stop "$HOLDER"
e2e_ok "a busy port is named with a --listen hint before any CA is created"

# --- first start: root.pem and the trust command; --base-url host in the certificate
ACME_PORT=$(e2e_free_port)
acme_start --base-url "https://myhost.test:$ACME_PORT"
grep -q "new CA; its root certificate is $LOCALACME_HOME/root.pem" "$E2E_TMP/serve.log" ||
    e2e_fail "first start does not name root.pem: $(grep 'serve:' "$E2E_TMP/serve.log")"
grep -q "trust it with: localacme trust install --state '$LOCALACME_HOME'" "$E2E_TMP/serve.log" ||
    e2e_fail "first start does not give the trust command"
e2e_ok "the first start names root.pem and 'localacme trust install'"

openssl s_client -connect "127.0.0.1:$ACME_PORT" -servername myhost.test </dev/null 2>/dev/null |
    openssl x509 -noout -ext subjectAltName >"$E2E_TMP/san.txt" || e2e_fail "no server certificate"
grep -q "DNS:myhost.test" "$E2E_TMP/san.txt" || e2e_fail "--base-url host not in the SAN: $(cat "$E2E_TMP/san.txt")"
curl -fsS --cacert "$ACME_ROOT" --resolve "myhost.test:$ACME_PORT:127.0.0.1" \
    "https://myhost.test:$ACME_PORT/directory" >"$E2E_TMP/dir.json" ||
    e2e_fail "curl cannot verify https://myhost.test:$ACME_PORT"
grep -q "\"https://myhost.test:$ACME_PORT/" "$E2E_TMP/dir.json" ||
    e2e_fail "directory URLs: $(cat "$E2E_TMP/dir.json")"
e2e_ok "the --base-url host (myhost.test) is in the server certificate; curl verifies it"

# --- plain HTTP sent to the TLS port: a readable 400 and a log line
code=$(curl -sS -o "$E2E_TMP/plain.txt" -w '%{http_code}' "http://127.0.0.1:$ACME_PORT/directory") ||
    e2e_fail "plain HTTP: curl failed: $(cat "$E2E_TMP/plain.txt" 2>/dev/null)"
[ "$code" = 400 ] || e2e_fail "plain HTTP: status $code, want 400"
grep -q "this is an HTTPS port; use https://myhost.test:$ACME_PORT/directory" "$E2E_TMP/plain.txt" ||
    e2e_fail "plain HTTP body: $(cat "$E2E_TMP/plain.txt")"
for i in $(seq 50); do
	grep -qF "plain HTTP request(s) on the HTTPS port with 400" "$E2E_TMP/serve.log" && break
	sleep 0.1
done
grep -qF "plain HTTP request(s) on the HTTPS port with 400" "$E2E_TMP/serve.log" || e2e_fail "plain HTTP: no log line"
# TLS still works on the same port afterwards.
curl -fsS --cacert "$ACME_ROOT" -o /dev/null "$ACME_DIR" || e2e_fail "TLS after plain HTTP"
e2e_ok "plain HTTP on the TLS port: 400 'this is an HTTPS port; use https://...' and a log line"
e2e_stop "$ACME_PID"

# --- a --base-url host the CA may not issue: one line naming the policy
e2e_expect_fail "--base-url outside the policy" "$LOCALACME" serve \
    --listen "127.0.0.1:$(e2e_free_port)" --base-url https://example.com:8555
e2e_one_line "$E2E_ERR"
grep -q "base-url host example.com is outside this CA's name constraints (allowed: .*localhost" "$E2E_ERR" ||
    e2e_fail "--base-url example.com: $(cat "$E2E_ERR")"
grep -q -- "--permit example.com" "$E2E_ERR" || e2e_fail "--base-url example.com: no --permit hint"
e2e_ok "a --base-url host outside the CA's name constraints is refused, naming them"

# --- a --hostname the CA may not issue: one line naming it and what is allowed (issue #16)
e2e_expect_fail "--hostname outside the policy" "$LOCALACME" serve \
    --listen "127.0.0.1:$(e2e_free_port)" --hostname acme.example.com
e2e_one_line "$E2E_ERR"
grep -q "acme.example.com is not allowed by .*(allowed: .*localhost" "$E2E_ERR" ||
    e2e_fail "--hostname acme.example.com: $(cat "$E2E_ERR")"
e2e_ok "a --hostname outside the policy is refused in one line naming it and the allowed names"
echo "1 passed, 0 failed"
