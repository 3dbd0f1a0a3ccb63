#!/usr/bin/env bash
# valgrind.sh - issue #5 item 8: `localacme serve` (creating its CA) and one lego issuance with
# --validation skip, then a clean stop, all under valgrind memcheck: zero errors and no definite
# leaks (--error-exitcode=99). The ASan build skips it (label nosan; and checked here, since
# valgrind cannot run an ASan binary).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require valgrind lego curl openssl

if [ -n "${LOCALACME_BUILD_DIR:-}" ] &&
    grep -q '^LOCALACME_SANITIZE:BOOL=ON' "$LOCALACME_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	echo "skip: a sanitizer build (valgrind runs the normal build)"
	exit 77
fi
if ldd "$LOCALACME" 2>/dev/null | grep -qE 'lib(a|ub|t)san'; then
	echo "skip: $LOCALACME is built with a sanitizer"
	exit 77
fi

supp=()
[ -f "$here/valgrind.supp" ] && supp=(--suppressions="$here/valgrind.supp")
ACME_PORT=$(e2e_free_port)
HTTP01=$(e2e_free_port)
vlog=$E2E_TMP/valgrind.txt
# valgrind runs serve in its own process: the PID we start is the server.
e2e_start serve valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=40 \
	--log-file="$vlog" "${supp[@]}" \
	"$LOCALACME" serve --listen "127.0.0.1:$ACME_PORT" --validation skip \
	--http01-port "$HTTP01" --log-level debug
pid=$E2E_PID
ACME_DIR="https://localhost:$ACME_PORT/directory"
ACME_ROOT="$LOCALACME_HOME/root.pem"
for i in $(seq 1200); do
	[ -f "$ACME_ROOT" ] && curl -fsS --cacert "$ACME_ROOT" -o /dev/null "$ACME_DIR" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || e2e_fail "serve exited: $(tail -20 "$E2E_TMP/serve.log") $(tail -40 "$vlog")"
	[ "$i" -lt 1200 ] || e2e_fail "the directory did not answer under valgrind in 120 s"
	sleep 0.1
done
e2e_ok "serve answers under valgrind"

lg=$(e2e_tmpdir)
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 300 lego --server "$ACME_DIR" --accept-tos \
	--email vg@example.test --path "$lg" --domains vg.localhost --domains www.vg.localhost \
	--http --http.port "127.0.0.1:$HTTP01" run >"$E2E_TMP/lego.out" 2>&1 ||
	e2e_fail "lego under valgrind: $(tail -20 "$E2E_TMP/lego.out")"
openssl x509 -in "$lg/certificates/vg.localhost.crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$lg/certificates/vg.localhost.issuer.crt" \
	vg.localhost www.vg.localhost
e2e_ok "lego issued through the server under valgrind"

# A clean stop (SIGTERM): the exit code is valgrind's verdict.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
E2E_PIDS=()
[ "$rc" -ne 99 ] || e2e_fail "valgrind found errors: $(grep -A30 -m1 -E '(Invalid|uninitialised|definitely lost|Mismatched|overlap)' "$vlog")"
[ "$rc" -eq 0 ] || e2e_fail "serve exited $rc under valgrind: $(tail -30 "$vlog")"
grep -q 'ERROR SUMMARY: 0 errors' "$vlog" || e2e_fail "valgrind summary: $(grep 'ERROR SUMMARY' "$vlog")"
if grep -q 'definitely lost: [1-9]' "$vlog"; then
	e2e_fail "definite leaks: $(grep 'definitely lost' "$vlog")"
fi
e2e_ok "valgrind: $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$vlog" | head -1); $(grep -o 'definitely lost: .*' "$vlog" || echo 'no leaks possible')"
echo "PASS"
