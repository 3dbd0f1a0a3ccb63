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
python3 - "$LOCALACME_HOME/localacme.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
now = int(time.time())
pem = db.execute("SELECT pem FROM certificates LIMIT 1").fetchone()[0]
rows = [("%032x" % (0xb0000000 + i), "bulk%d.localhost" % (i % 5000), pem,
         now - 86400 * 400 - i, now - 86400 * 10 - i * 60, now - 86400 * 400 - i)
        for i in range(10000)]
with db:
    db.executemany("INSERT INTO serials (serial, order_id, reserved_at, state) "
                   "VALUES (?, NULL, ?, 'issued')", [(r[0], r[5]) for r in rows])
    db.executemany("INSERT INTO certificates (serial, status, names, pem, source, "
                   "not_before, not_after, issued) VALUES (?, 'valid', ?, ?, 'cli', ?, ?, ?)",
                   [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows])
PY
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
