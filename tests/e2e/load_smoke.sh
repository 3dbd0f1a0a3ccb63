#!/usr/bin/env bash
# load_smoke.sh - tests/bench/load.sh with tiny numbers, so CI runs the load and
# slow-client harness (X24, X26, X27) without its cost. The real run's command is in
# the README: LOCALACME=build/localacme tests/bench/load.sh
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
LOAD_CONNS=${LOAD_CONNS:-60} LOAD_ISSUES=${LOAD_ISSUES:-4} LOAD_SECS=${LOAD_SECS:-3} \
ATTACK_CONNS=${ATTACK_CONNS:-60} ATTACK_SECS=${ATTACK_SECS:-8} ATTACK_ISSUES=${ATTACK_ISSUES:-2} \
    exec bash "$here/../bench/load.sh"
