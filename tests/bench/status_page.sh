#!/usr/bin/env bash
# status_page.sh - time the status page and `list` with 10,000 certificates (issue #16): prints
# numbers, never passes or fails on time. usage: tests/bench/status_page.sh [BUILD_DIR]
# SPDX-License-Identifier: MIT
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
L=${1:-$src/build}/localacme
[ -x "$L" ] || { echo "status_page: no $L (build first)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/localacme-bench-page.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export LOCALACME_HOME=$work/state
"$L" init >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$L" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -skf -o /dev/null "https://127.0.0.1:$port/directory" && break; sleep 0.1; done
# 10,000 rows beside serve's own certificate, as tests/e2e/status_page.sh puts them.
python3 "$src/tests/lib/bulk_certs.py" "$LOCALACME_HOME/localacme.db"
# time_starttransfer - time_appconnect: the request alone (query, render, send), no TLS set-up.
t='%{time_starttransfer} %{time_appconnect} %{size_download}'
ms() { awk '{ printf "%.1f ms, %d bytes\n", ($1 - $2) * 1000, $3 }'; }
u=https://127.0.0.1:$port
for i in 1 2 3 4 5; do echo "GET / (newest 100 of 10,001): $(curl -sk -o /dev/null -w "$t" "$u/" | ms)"; done
last=$(( $(date +%s) - 86400 * 400 - 9899 ))
for i in 1 2 3; do
	echo "GET page 100: $(curl -sk -o /dev/null -w "$t" "$u/?before=$last.$(printf '%032x' $((0xb0000000 + 9899)))" | ms)"
done
for a in "--source server" "--expiring" "" "--json"; do
	# shellcheck disable=SC2086
	/usr/bin/time -f "list $a: %e s" "$L" list $a >/dev/null
done
