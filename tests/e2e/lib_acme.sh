# lib_acme.sh - e2e helpers for tests that run `localacme serve` and real ACME clients
# SPDX-License-Identifier: MIT
# Source after lib.sh and e2e_init.
#
#   acme_start [ARGS...]       start `localacme serve` on a free loopback port with
#                              extra ARGS; sets ACME_PORT, ACME_DIR (directory URL),
#                              ACME_ROOT (root.pem), ACME_PID; waits for the directory
#   acme_restart [ARGS...]     stop the server and start it again on the same port
#   acme_check_cert CERT CHAIN NAME...
#                              the leaf verifies strictly as a TLS server certificate
#                              and its SAN set is exactly NAME... (order-free)
#   acme_cert_serial CERT      prints the serial as `localacme list` shows it
#   acme_cert_status SERIAL    prints the store's status (valid, revoked, ...)

acme_start() {
	ACME_PORT=${ACME_PORT:-$(e2e_free_port)}
	ACME_ARGS=("$@")
	e2e_start serve "$LOCALACME" serve --listen "127.0.0.1:$ACME_PORT" \
	    --log-level debug "$@"
	ACME_PID=$E2E_PID
	ACME_DIR="https://localhost:$ACME_PORT/directory"
	ACME_ROOT="$LOCALACME_HOME/root.pem"
	local i
	for i in $(seq 100); do
		if [ -f "$ACME_ROOT" ] && curl -fsS --cacert "$ACME_ROOT" \
		    -o /dev/null "$ACME_DIR" 2>/dev/null; then
			return 0
		fi
		kill -0 "$ACME_PID" 2>/dev/null ||
		    e2e_fail "serve exited: $(tail -5 "$E2E_TMP/serve.log")"
		sleep 0.1
	done
	e2e_fail "the directory did not answer at $ACME_DIR"
}

acme_restart() {
	e2e_stop "$ACME_PID"
	mv "$E2E_TMP/serve.log" "$E2E_TMP/serve.$(date +%s%N).log"
	acme_start "$@"
}

acme_check_cert() {
	local cert=$1 chain=$2
	shift 2
	openssl verify -x509_strict -purpose sslserver -CAfile "$ACME_ROOT" \
	    -untrusted "$chain" "$cert" >/dev/null ||
	    e2e_fail "$cert does not verify against the localacme root"
	local want got
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(openssl x509 -in "$cert" -noout -ext subjectAltName |
	    tail -n +2 | tr ',' '\n' | sed -e 's/^ *//' -e 's/^DNS://' \
	    -e 's/^IP Address://' | grep -v '^$' | sort | tr '\n' ' ')
	[ "$want" = "$got" ] || e2e_fail "SANs of $cert: want '$want', got '$got'"
}

acme_cert_serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}

acme_cert_status() {
	"$LOCALACME" list --json | python3 -c '
import json, sys
want = sys.argv[1]
for c in json.load(sys.stdin):
    if c["serial"] == want:
        print(c["status"])
        break
else:
    print("absent")' "$1"
}

# acme_admin PATH [CURL ARGS...]
#                            curl -fsS the management API of `acme_start --admin-listen
#                            127.0.0.1:$ADMIN`: HTTPS with root.pem as the CA and the
#                            bearer token of $LOCALACME_HOME/admin.token (issue #12)
acme_admin() {
	local path=$1
	shift
	curl -fsS --cacert "$ACME_ROOT" \
	    -H "Authorization: Bearer $(cat "$LOCALACME_HOME/admin.token")" \
	    "$@" "https://127.0.0.1:$ADMIN$path"
}
