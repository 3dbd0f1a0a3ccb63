#!/usr/bin/env bash
# bench_watch.sh - `localacme bench` a person can watch: Ctrl-C (SIGINT) mid-run
# gives the partial report and JSON and exit 130; an issuance past --deadline
# (a server that leaves its challenge pending) is a reported error, not a
# silent wait; a server certificate bench cannot verify names --cacert; the
# progress line goes to a terminal only. Wall time: about 35 s on a loaded 2-core
# machine (two CA creations, 5 s of SIGKILL wait for the delayed VA worker).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl python3

# 1. Ctrl-C mid-run: no new issuance, the partial report, exit 130.
acme_start --validation skip
"$LOCALACME" bench --directory "$ACME_DIR" --cacert "$ACME_ROOT" \
    --orders 100000000 --concurrency 2 --json "$E2E_TMP/int.json" \
    >"$E2E_TMP/int.txt" 2>"$E2E_TMP/int.err" &
BENCH=$!
E2E_PIDS+=("$BENCH")
# Wait until certificates are being downloaded (the run is under way).
for i in $(seq 600); do
	[ "$(grep -c 'POST /acme/cert/.* 200 ' "$E2E_TMP/serve.log")" -ge 3 ] &&
	    break
	kill -0 "$BENCH" 2>/dev/null || e2e_fail "bench ended early: $(cat "$E2E_TMP/int.err")"
	sleep 0.1
done
kill -INT "$BENCH"
rc=0
wait "$BENCH" || rc=$?
E2E_REAPED+=("$BENCH")
[ "$rc" -eq 130 ] || e2e_fail "bench after SIGINT exited $rc, not 130: $(cat "$E2E_TMP/int.err")"
grep -q 'PARTIAL: interrupted' "$E2E_TMP/int.txt" ||
    e2e_fail "the text report is not marked partial: $(cat "$E2E_TMP/int.txt")"
python3 - "$E2E_TMP/int.json" <<'PY' || e2e_fail "partial JSON not as expected: $(cat "$E2E_TMP/int.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["partial"] is True, r["partial"]
assert r["issued"] >= 3 and r["issued"] < r["orders"], r["issued"]
assert r["failed"] == 0 and r["errors"] == {}, r["errors"]
assert r["issuance"]["count"] == r["issued"]
PY
# Not a terminal: no progress line on stderr.
if grep -q $'\r' "$E2E_TMP/int.err"; then
	e2e_fail "a progress line was written to a non-terminal stderr"
fi
e2e_ok "bench: SIGINT gives a partial report and JSON, exit 130"

# 2. A terminal gets the \r-updated progress line (done/target, rate, errors).
if command -v script >/dev/null 2>&1; then
	script -qec "'$LOCALACME' bench --directory '$ACME_DIR' --cacert \
	    '$ACME_ROOT' --orders 3 --concurrency 1" /dev/null \
	    >"$E2E_TMP/tty.txt" 2>&1 || e2e_fail "bench on a terminal failed: $(cat "$E2E_TMP/tty.txt")"
	grep -q $'\rbench: 3/3 issued, .*/s, 0 errors' "$E2E_TMP/tty.txt" ||
	    e2e_fail "no progress line on a terminal: $(cat -v "$E2E_TMP/tty.txt")"
	e2e_ok "bench: a progress line on a terminal"
else
	echo "skip: no script(1) for a terminal"
fi

# 3. No --cacert against a private CA: the message says to pass it.
e2e_expect_fail "bench without --cacert" env -u CURL_CA_BUNDLE -u SSL_CERT_FILE \
    "$LOCALACME" bench --directory "$ACME_DIR" --orders 1
e2e_one_line "$E2E_ERR"
grep -q 'TLS certificate not trusted; pass --cacert FILE' "$E2E_ERR" ||
    e2e_fail "no --cacert hint: $(cat "$E2E_ERR")"
e2e_ok "bench: an untrusted server certificate names --cacert"

# 4. A challenge left pending (each validation delayed up to 10 min; the
# seed fixes the first delay, far above the deadline): a reported error.
acme_restart --va-delay-ms 600000 --seed 7
rc=0
"$LOCALACME" bench --directory "$ACME_DIR" --cacert "$ACME_ROOT" --orders 1 \
    --deadline 2 --json "$E2E_TMP/dl.json" >"$E2E_TMP/dl.txt" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || e2e_fail "bench past its deadline exited $rc: $(cat "$E2E_TMP/dl.txt")"
grep -q 'deadline: authz-poll: still pending after 2 s (--deadline)' \
    "$E2E_TMP/dl.txt" || e2e_fail "no deadline error reported: $(cat "$E2E_TMP/dl.txt")"
python3 - "$E2E_TMP/dl.json" <<'PY' || e2e_fail "deadline JSON not as expected: $(cat "$E2E_TMP/dl.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["failed"] == 1 and r["issued"] == 0 and r["partial"] is False
assert list(r["errors"]) == ["deadline: authz-poll: still pending after 2 s (--deadline)"], r["errors"]
PY
e2e_ok "bench: an issuance past --deadline is a reported error"

# 5. SIGTERM ends the server while its VA worker waits out the 10-minute
# delay: the delay gives way to shutdown, within seconds, exit 0.
# (Exited: gone from /proc once bash has reaped it, or a zombie, state Z;
# bash keeps its exit status for wait either way.)
exited() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{print $3}' "/proc/$1/stat")" = Z ]
}
kill -TERM "$ACME_PID"
for _ in $(seq 100); do
	exited "$ACME_PID" && break
	sleep 0.1
done
exited "$ACME_PID" ||
    e2e_fail "serve still running 10 s after SIGTERM, in a --va-delay-ms wait"
rc=0
wait "$ACME_PID" || rc=$?
[ "$rc" -eq 0 ] || e2e_fail "serve exited $rc on SIGTERM: $(tail -3 "$E2E_TMP/serve.log")"
e2e_stop "$ACME_PID"	# already reaped: only forgets the PID
e2e_ok "serve: SIGTERM interrupts a validation delay"
echo "5 passed, 0 failed"
