#!/usr/bin/env bash
# crash_loop.sh - HARDENING X02: kill -9 the server at a random moment (0-2 s) while
# several clients issue at once, restart, check I1-I8; repeat.
# SPDX-License-Identifier: MIT
#
# CI runs CRASH_ITERATIONS=15 with CRASH_CLIENTS=4 Python clients plus one
# lego; a long local run: CRASH_ITERATIONS=500 CRASH_CLIENTS=20.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_resilience.sh"
e2e_init
e2e_require openssl curl python3 lego
res_init

ITER=${CRASH_ITERATIONS:-15}
NCLIENT=${CRASH_CLIENTS:-4}
MAXMS=${CRASH_MAX_MS:-2000}

acme_start --validation skip
res_snapshot
for c in $(seq "$NCLIENT"); do
	mkdir -p "$E2E_TMP/c$c"
	RES_RECEIVED+=("$E2E_TMP/c$c")
done
LG=$(e2e_tmpdir)
RES_RECEIVED+=("$LG/certificates")
HTTP01=$(e2e_free_port)

lego_bg() {
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 120 lego --server "$ACME_DIR" \
	    --accept-tos --email dev@example.test --path "$LG" \
	    --domains loop.lego.test --domains www.loop.lego.test \
	    --http --http.port "127.0.0.1:$HTTP01" run >>"$E2E_TMP/lego.out" 2>&1
}

survived=0
lego_ok=0
for i in $(seq "$ITER"); do
	pids=()
	for c in $(seq "$NCLIENT"); do
		res_client --account "$E2E_TMP/acct$c.json" --out "$E2E_TMP/c$c" \
		    loop --count 0 "c$c.loop.test" "i$i.c$c.loop.test" \
		    >>"$E2E_TMP/client$c.out" 2>&1 &
		pids+=($!)
		E2E_PIDS+=($!)
	done
	lego_bg &
	lpid=$!
	E2E_PIDS+=($lpid)
	sleep "$(awk -v r="$RANDOM" -v m="$MAXMS" 'BEGIN { printf "%.3f", (r % (m + 1)) / 1000 }')"
	kill -KILL "$ACME_PID" 2>/dev/null || e2e_fail "iteration $i: the server died by itself"
	res_wait_dead "$ACME_PID"
	for p in "${pids[@]}"; do
		wait "$p" || e2e_fail "iteration $i: a client failed: $(tail -3 "$E2E_TMP"/client*.out)"
	done
	if wait "$lpid"; then lego_ok=$((lego_ok + 1)); fi
	acme_restart --validation skip
	res_invariants >"$E2E_TMP/inv.out" 2>&1 ||
	    e2e_fail "iteration $i: $(cat "$E2E_TMP/inv.out")"
	survived=$((survived + 1))
done
tail -1 "$E2E_TMP/inv.out"
e2e_ok "$survived kill -9 restarts: I1-I7 held after each ($lego_ok lego runs finished before their kill)"

# I8: the clients finish their runs after the last restart.
lego_bg || e2e_fail "lego did not finish after the restart: $(tail -5 "$E2E_TMP/lego.out")"
for c in $(seq "$NCLIENT"); do
	res_client --account "$E2E_TMP/acct$c.json" --out "$E2E_TMP/c$c" \
	    issue "c$c.loop.test" >/dev/null || e2e_fail "client $c after the restart"
done
res_invariants
received=$(find "${RES_RECEIVED[@]}" -name '*.pem' -o -name '*.crt' 2>/dev/null | grep -vc issuer || true)
echo "kills survived: $survived of $ITER; certificates received and found stored: $received"
