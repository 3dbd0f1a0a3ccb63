#!/usr/bin/env bash
# concurrency.sh - HARDENING §4.4: X18 concurrent finalizes of one order, X19 concurrent
# newAccount with one key, X21/R13 keyChange races, X21 revoke races, N06 one nonce
# used by many requests at once: exactly one winner each, then I1-I7.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_resilience.sh"
e2e_init
e2e_require openssl curl python3
res_init

# Enough HTTP threads and per-address connections that the races really
# run in parallel inside the server (the defaults: one thread per core, 32
# connections per address).
acme_start --validation skip --threads 16 --per-ip-conn-limit 128
res_snapshot
python3 "$here/concurrency.py" "$ACME_DIR" "$ACME_ROOT" \
    "$LOCALACME_HOME/localacme.db" "${CONCURRENCY_N:-50}" ||
    e2e_fail "a race had more or fewer than one winner (see above)"
kill -0 "$ACME_PID" || e2e_fail "the server died"
res_invariants
