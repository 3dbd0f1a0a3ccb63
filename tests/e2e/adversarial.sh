#!/usr/bin/env bash
# adversarial.sh - HARDENING.md §3 hostile requests over HTTPS against `localacme serve`
# (tests/adversarial/adversarial.py; its README says what is covered).
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require python3 curl
if ! python3 -c 'import cryptography' 2>/dev/null; then
	echo "skip: python3-cryptography is not installed" >&2
	exit 77
fi

HTTP01=$(e2e_free_port)
# A terms-of-service URL so that A04 applies.
acme_start --http01-port "$HTTP01" --tos-url "https://localhost/tos"
adv() {
	python3 "$here/../adversarial/adversarial.py" --directory "$ACME_DIR" \
	    --cafile "$ACME_ROOT" --http01-port "$HTTP01" \
	    --server-pid "$ACME_PID" "$@" ||
	    e2e_fail "adversarial cases failed (server log: $E2E_TMP/serve.log)"
}
sanitizer_clean() {
	! grep -E 'AddressSanitizer|runtime error:|LeakSanitizer' \
	    "$E2E_TMP"/serve*.log
}

adv ${ADVERSARIAL_ONLY:+--only "$ADVERSARIAL_ONLY"}
kill -0 "$ACME_PID" 2>/dev/null || e2e_fail "the server died under the cases"

# N07: a nonce issued before a restart, used after it.
adv --only N07a --state-file "$E2E_TMP/n07.json"
acme_restart --http01-port "$HTTP01" --tos-url "https://localhost/tos"
adv --only N07b --state-file "$E2E_TMP/n07.json"

# D01b: the newAccount limit asked for on a loopback listener (D01 showed
# that a loopback listener has none by default).
acme_restart --http01-port "$HTTP01" --tos-url "https://localhost/tos" \
    --new-account-rate 30
adv --only D01b

e2e_stop "$ACME_PID"	# sanitizer leak reports come at exit
sanitizer_clean || e2e_fail "sanitizer report in the server log"
e2e_ok "adversarial cases"
