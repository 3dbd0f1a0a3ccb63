# lib.sh - shared e2e helpers (sourced, not run): temp dirs, free ports, processes by PID, checks
# SPDX-License-Identifier: MIT
#
#   e2e_init                  strict mode, cleanup trap, checks $LOCALACME; sets E2E_TMP
#                             (a temp dir removed at exit) and LOCALACME_HOME inside it
#   e2e_tmpdir                prints a new temp dir under E2E_TMP
#   e2e_require CMD...        exit 77 (CTest "skipped") when a command is missing
#   e2e_fail MSG              print "FAIL: MSG" and exit 1
#   e2e_ok MSG                print "ok: MSG"
#   e2e_free_port             prints a free TCP port on 127.0.0.1, below the ephemeral range
#   e2e_start NAME CMD...     start CMD in the background, stdout+stderr to E2E_TMP/NAME.log;
#                             sets E2E_PID; the PID is remembered and killed at exit
#   e2e_stop PID              SIGTERM then SIGKILL after 5 s; only PIDs we started
#   e2e_wait_port PORT [S]    wait up to S seconds (default 10) until 127.0.0.1:PORT listens
#   e2e_expect_fail DESC CMD  run CMD; fail the test if it exits 0; its stderr is in E2E_ERR
#   e2e_one_line FILE         fail unless FILE holds exactly one line starting "localacme: "
#   e2e_mode FILE             prints the octal mode (e.g. 600)
#
# Nothing here kills a process it did not start, and no network but loopback is used.

E2E_PIDS=()
E2E_REAPED=()	# stopped and waited for: stopping them again is a no-op

e2e_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

e2e_ok() {
	echo "ok: $*"
}

# Is PID still a child of this shell? Under `ctest -j`, a PID we started
# and that has exited may be reused by another test's process: never
# signal it then.
_e2e_ours() {
	[ "$(awk '{print $4}' "/proc/$1/stat" 2>/dev/null)" = "$$" ]
}

# On the way out (a failure included): SIGTERM to each process we started,
# SIGKILL to any still running 5 s later, so a server stuck on its way down
# cannot hold a failed test until ctest's timeout.
_e2e_cleanup() {
	local pid i left
	for pid in "${E2E_PIDS[@]}"; do
		_e2e_ours "$pid" && kill -TERM "$pid" 2>/dev/null || true
	done
	for i in $(seq 50); do
		left=0
		for pid in "${E2E_PIDS[@]}"; do
			_e2e_ours "$pid" && kill -0 "$pid" 2>/dev/null && left=1
		done
		[ $left -eq 1 ] || break
		sleep 0.1
	done
	for pid in "${E2E_PIDS[@]}"; do
		_e2e_ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${E2E_TMP:-}" ] && [ -d "$E2E_TMP" ] && [ -z "${E2E_KEEP:-}" ]; then
		chmod -R u+rwX "$E2E_TMP" 2>/dev/null || true
		rm -rf "$E2E_TMP"
	fi
}

e2e_init() {
	set -euo pipefail
	if [ -z "${LOCALACME:-}" ] || [ ! -x "$LOCALACME" ]; then
		echo "e2e: LOCALACME is not set to the built binary" >&2
		exit 1
	fi
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/localacme-e2e.XXXXXX")
	export LOCALACME_HOME="$E2E_TMP/state"
	trap _e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

e2e_tmpdir() {
	mktemp -d "$E2E_TMP/d.XXXXXX"
}

e2e_require() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "skip: $c is not installed" >&2
			exit 77
		fi
	done
}

# A free loopback TCP port, never one this test was already given: a port
# is free only until someone binds it, and the kernel hands the same
# ephemeral port to two probes in a row, so two calls before either server
# starts could otherwise return one port twice. The ports given are
# remembered in $E2E_TMP (each call runs in a $(...) subshell).
e2e_free_port() {
	local p given="${E2E_TMP:-/tmp}/.ports-given" tries=0
	while :; do
		# A port below the kernel's ephemeral range: bind(0) and every
		# outgoing connection take theirs from that range, so a port
		# picked there (as bind(0) does) could be taken by another
		# test's client socket before our server binds it (seen with
		# e2e.loopback_limits' hundreds of connections). Below it only
		# another test drawing the same number can collide.
		if command -v python3 >/dev/null 2>&1; then
			p=$(python3 - <<'PY'
import random, socket
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
lo = lo if lo > 11000 else 32768
for _ in range(200):
    p = random.randrange(10000, lo)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
PY
)
			[ -n "$p" ] || continue
		else
			p=$((10000 + RANDOM % 22000))
			if ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
				continue
			fi
		fi
		tries=$((tries + 1))
		if [ -f "$given" ] && grep -qx "$p" "$given" && [ "$tries" -lt 100 ]; then
			continue
		fi
		echo "$p" >>"$given"
		echo "$p"
		return
	done
}

e2e_start() {
	local name=$1
	shift
	"$@" >"$E2E_TMP/$name.log" 2>&1 &
	E2E_PID=$!
	E2E_PIDS+=("$E2E_PID")
}

e2e_stop() {
	local pid=$1 known=0 p i
	for p in "${E2E_REAPED[@]}"; do
		[ "$p" = "$pid" ] && return 0
	done
	for p in "${E2E_PIDS[@]}"; do
		[ "$p" = "$pid" ] && known=1
	done
	[ $known -eq 1 ] || e2e_fail "e2e_stop: $pid was not started by this test"
	if _e2e_ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			_e2e_ours "$pid" && kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		_e2e_ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	# Reaped: forget it, so the cleanup never signals a reused PID.
	for i in "${!E2E_PIDS[@]}"; do
		[ "${E2E_PIDS[$i]}" = "$pid" ] && unset 'E2E_PIDS[i]'
	done
	E2E_REAPED+=("$pid")
}

e2e_wait_port() {
	local port=$1 secs=${2:-10} i
	for i in $(seq $((secs * 10))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	e2e_fail "nothing listens on 127.0.0.1:$port after ${secs}s"
}

e2e_expect_fail() {
	local desc=$1
	shift
	E2E_ERR="$E2E_TMP/last.err"
	if "$@" >"$E2E_TMP/last.out" 2>"$E2E_ERR"; then
		e2e_fail "$desc: succeeded but should have failed"
	fi
}

e2e_one_line() {
	local f=$1 n
	n=$(grep -c '' "$f" || true)
	[ "$n" -eq 1 ] || e2e_fail "expected one line on stderr, got $n: $(cat "$f")"
	grep -q '^localacme: ' "$f" || e2e_fail "stderr does not start with 'localacme: ': $(cat "$f")"
}

e2e_mode() {
	stat -c %a "$1"
}
