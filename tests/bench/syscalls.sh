#!/usr/bin/env bash
# syscalls.sh - system calls and server CPU per issuance of `localacme serve`
# under `localacme bench`; prints one table (calls per issuance, by name).
# SPDX-License-Identifier: MIT
#
#   tests/bench/syscalls.sh            (from a checkout; builds build-compare/)
#
# Two runs against two fresh servers, each `serve --validation skip`:
#   1. untraced: the server's CPU per issuance (utime + stime from
#      /proc/PID/stat, as `bench --server-pid` reports it), which holds on
#      a busy machine where wall-clock rates do not;
#   2. under `strace -c -f -p PID` (every thread): the calls per issuance.
# strace slows the server several times over; its counts are what matter,
# not the traced run's rate or CPU.
#
# Environment (all optional):
#   LOCALACME=PATH   use this binary instead of building one
#   ORDERS=N         issuances per run (default 1000)
#   CONC=C           bench concurrency (default 4)
#   SERVE_ARGS="..." more `serve` flags
#   KEEP=1           keep the work directory (strace output, JSON, logs)
#   FILES=1          a third run, `strace -y` on the store's calls
#                    (pwrite64, pread64, fcntl, fdatasync): per issuance
#                    by file (the database, its -wal, its -shm)
# Only the PIDs started here are ever signalled. Prints numbers; asserts none.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

for c in strace curl python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "syscalls.sh: needs $c" >&2; exit 77; }
done
if [ -z "${LOCALACME:-}" ]; then
	echo "== building localacme (Release) in $top/build-compare" >&2
	cmake -S "$top" -B "$top/build-compare" -DCMAKE_BUILD_TYPE=Release \
	    -DLOCALACME_TESTS=OFF >/dev/null
	cmake --build "$top/build-compare" --target localacme -j 2 >/dev/null
	LOCALACME="$top/build-compare/src/localacme"
	[ -x "$LOCALACME" ] || LOCALACME="$top/build-compare/localacme"
fi
[ -x "$LOCALACME" ] || { echo "syscalls.sh: no localacme binary" >&2; exit 1; }

ORDERS=${ORDERS:-1000}
CONC=${CONC:-4}
W=$(mktemp -d "${TMPDIR:-/tmp}/localacme-syscalls.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

export LOCALACME_HOME="$W/state"
"$LOCALACME" init >/dev/null

# start: a fresh server (fresh database) in SPID, its directory in SDIR.
start() {
	local port
	rm -f "$LOCALACME_HOME"/*.db "$LOCALACME_HOME"/*.db-wal \
	    "$LOCALACME_HOME"/*.db-shm
	port=$(free_port)
	# shellcheck disable=SC2086
	"$LOCALACME" serve --listen "127.0.0.1:$port" --validation skip \
	    --log-level error --per-ip-conn-limit 4096 \
	    --max-connections 8192 ${SERVE_ARGS:-} >>"$W/serve.log" 2>&1 &
	SPID=$!
	PIDS+=("$SPID")
	SDIR="https://localhost:$port/directory"
	for _ in $(seq 300); do
		curl -fs --cacert "$LOCALACME_HOME/root.pem" -o /dev/null \
		    "$SDIR" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "syscalls.sh: serve did not start" >&2
	exit 1
}

stop() {
	kill -TERM "$SPID" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

bench() {
	"$LOCALACME" bench --directory "$SDIR" \
	    --cacert "$LOCALACME_HOME/root.pem" --orders "$ORDERS" \
	    --concurrency "$CONC" --server-pid "$SPID" \
	    --timeout 60 --max-errors 50 --quiet --json "$1" 2>>"$W/bench.err"
}

echo "== untraced run: $ORDERS issuances, concurrency $CONC, validation skipped" >&2
start
bench "$W/plain.json"
stop

echo "== traced run (strace -c -f -p)" >&2
start
strace -c -f -p "$SPID" -o "$W/strace.txt" 2>>"$W/strace.err" &
TPID=$!
PIDS+=("$TPID")
sleep 1		# attach to every thread before the first request
bench "$W/traced.json"
kill -INT "$TPID" 2>/dev/null || true
wait "$TPID" 2>/dev/null || true
stop

if [ -n "${FILES:-}" ]; then
	echo "== traced run by file (strace -y -e pwrite64,pread64,fcntl,fdatasync)" >&2
	start
	strace -f -y -p "$SPID" -e trace=pwrite64,pread64,fcntl,fdatasync \
	    -o "$W/files.txt" 2>>"$W/strace.err" &
	TPID=$!
	PIDS+=("$TPID")
	sleep 1
	bench "$W/files.json"
	kill -INT "$TPID" 2>/dev/null || true
	wait "$TPID" 2>/dev/null || true
	stop
	python3 - "$W/files.json" "$W/files.txt" <<'PY'
import collections, json, re, sys
n = json.load(open(sys.argv[1])).get("issued", 0) or 1
c = collections.Counter()
for line in open(sys.argv[2]):
    m = re.search(r"(pwrite64|pread64|fcntl|fdatasync)\(\d+<([^>]*)>", line)
    if m:
        c[(m.group(1), m.group(2).rsplit("/", 1)[-1])] += 1
print("%-12s %-20s %8s" % ("call", "file", "/issue"))
for (call, f), k in sorted(c.items(), key=lambda x: -x[1]):
    print("%-12s %-20s %8.1f" % (call, f, k / n))
PY
fi

python3 - "$W/plain.json" "$W/traced.json" "$W/strace.txt" <<'PY'
import json, sys
plain = json.load(open(sys.argv[1]))
traced = json.load(open(sys.argv[2]))
n = traced.get("issued", 0) or 1
rows = []
for line in open(sys.argv[3]):
    f = line.split()
    # % time, seconds, usecs/call, calls, [errors], syscall
    if len(f) < 5 or not f[3].isdigit() or f[-1] == "total":
        continue
    calls = int(f[3])
    errs = int(f[4]) if len(f) == 6 else 0
    rows.append((f[-1], calls, errs))
rows.sort(key=lambda r: -r[1])
total = sum(r[1] for r in rows)
print("issued (traced run): %d of %d, failed %d" %
      (traced.get("issued", 0), traced.get("orders", 0), traced.get("failed", 0)))
print("%-20s %10s %10s %8s" % ("syscall", "calls", "errors", "/issue"))
for name, calls, errs in rows:
    print("%-20s %10d %10d %8.1f" % (name, calls, errs, calls / n))
print("%-20s %10d %10s %8.1f" % ("total", total, "", total / n))
srv = plain.get("server", {})
print("untraced run: issued %d, server CPU %.3f ms per issuance "
      "(utime+stime of the server; holds on a busy machine), "
      "%.0f issuances/s (wall clock: only meaningful on an idle machine)" %
      (plain.get("issued", 0), srv.get("cpu_ms_per_issuance", 0.0),
       plain.get("issuances_per_s", 0.0)))
PY
