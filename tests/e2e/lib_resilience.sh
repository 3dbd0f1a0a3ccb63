# lib_resilience.sh - helpers for the crash, fault and concurrency tests (sourced after lib.sh and lib_acme.sh)
# SPDX-License-Identifier: MIT
#
#   res_init                 finds localacme-faults (FAULTS; exit 77 if it was not built),
#                            the Python client (ACMEPY) and the invariant checker
#   res_client CMD ARGS...   runs tests/e2e/acme_cli.py against the running server
#   res_snapshot             records the CA files for I7 (E2E_TMP/ca.snap)
#   res_invariants [ARGS...] HARDENING §4.1 I1-I7 on LOCALACME_HOME, with every
#                            directory of received certificates in RES_RECEIVED
#   res_lego NAME...         lego issues NAME... against the running server (I8)
#   res_faults_start FAULT ARGS...
#                            acme_start with localacme-faults and LOCALACME_FAULT=FAULT
#   res_wait_dead PID [S]    wait up to S s (default 30) for PID (a child of this shell)
#                            to exit; its wait status goes to RES_STATUS

res_init() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	ACMEPY="$here/acme_cli.py"
	INVARIANTS="$here/invariants.py"
	FAULTS=${LOCALACME_FAULTS:-}
	if [ -z "$FAULTS" ]; then
		FAULTS="${LOCALACME_BUILD_DIR:-$(dirname "$LOCALACME")/..}/src/localacme-faults"
		[ -x "$FAULTS" ] || FAULTS="$(dirname "$LOCALACME")/localacme-faults"
	fi
	python3 -c 'import cryptography' 2>/dev/null || {
		echo "skip: python3-cryptography is not installed" >&2
		exit 77
	}
	RES_RECEIVED=()
}

res_need_faults() {
	if [ ! -x "$FAULTS" ]; then
		echo "skip: localacme-faults was not built (LOCALACME_TESTS=OFF?)" >&2
		exit 77
	fi
}

res_client() {
	python3 "$ACMEPY" --dir "$ACME_DIR" --ca "$ACME_ROOT" "$@"
}

res_snapshot() {
	python3 "$INVARIANTS" snapshot --state "$LOCALACME_HOME" >"$E2E_TMP/ca.snap" ||
	    e2e_fail "CA snapshot"
}

res_invariants() {
	local args=() d
	for d in "${RES_RECEIVED[@]}"; do
		args+=(--received "$d")
	done
	python3 "$INVARIANTS" check --state "$LOCALACME_HOME" \
	    --snapshot "$E2E_TMP/ca.snap" "${args[@]}" "$@" ||
	    e2e_fail "invariants violated (see above)"
}

res_lego() {
	local lg port
	lg=$(e2e_tmpdir)
	port=$(e2e_free_port)
	local d args=()
	for d in "$@"; do
		args+=(--domains "$d")
	done
	LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 120 lego --server "$ACME_DIR" \
	    --accept-tos --email dev@example.test --path "$lg" "${args[@]}" \
	    --http --http.port "127.0.0.1:$port" run >"$E2E_TMP/lego.out" 2>&1 ||
	    e2e_fail "lego failed: $(tail -5 "$E2E_TMP/lego.out")"
	RES_RECEIVED+=("$lg/certificates")
}

res_faults_start() {
	local fault=$1 saved=$LOCALACME
	shift
	LOCALACME=$FAULTS
	LOCALACME_FAULT=$fault acme_start "$@"
	LOCALACME=$saved
}

res_wait_dead() {
	local pid=$1 secs=${2:-30} i
	for i in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && e2e_fail "process $pid still runs after ${secs}s"
	RES_STATUS=0
	wait "$pid" 2>/dev/null || RES_STATUS=$?
}
