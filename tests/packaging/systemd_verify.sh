#!/bin/bash
# systemd_verify.sh - the systemd units pass systemd-analyze verify, the system
# unit keeps its hardening (offline security score) and names the credential
# localacme reads; --selftest proves each check fails on a broken copy
# SPDX-License-Identifier: MIT
#
#   systemd_verify.sh SRCDIR LOCALACME [--selftest]
#
# systemd is not PID 1 where CI runs, so nothing is started here (the .deb
# test, container.deb, runs the unit's command line as its user): verify
# loads each unit as systemd would, warnings included, and checks that the
# ExecStart program exists; the copies name the built binary instead of
# /usr/bin/localacme. Any line verify prints is a failure: it reports an
# unknown key or a bad value as a warning and still exits 0.
# Wall time: 3 s (selftest 12 s; 4 s of CPU) on the loaded 2-core CI machine.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: systemd_verify.sh SRCDIR LOCALACME [--selftest]" >&2; exit 2; }
SRC=$1 BIN=$(realpath "$2") MODE=${3:-}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (package systemd)"
	exit 77
fi
UNITS=$SRC/contrib/systemd
# The system unit's exposure, out of 10 (systemd-analyze security): 1.7
# today; more than this means some hardening was lost.
MAX_EXPOSURE=2.0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/localacme-sdv.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A user manager's verify wants a runtime directory of its own.
mkdir -m 0700 "$TMP/run"
export XDG_RUNTIME_DIR=$TMP/run

# The credential name localacme looks for in $CREDENTIALS_DIRECTORY.
CRED=$(sed -n 's/^#define PASSPHRASE_CREDENTIAL[[:space:]]*"\(.*\)"$/\1/p' \
    "$SRC/src/ca/passphrase.h")
[ -n "$CRED" ] || { echo "FAIL: no PASSPHRASE_CREDENTIAL in src/ca/passphrase.h" >&2; exit 1; }

# copy DIR: the units as installed, under DIR, with the built binary.
copy() {
	local d=$1
	mkdir -p "$d/system/localacme.service.d" "$d/user"
	sed "s|/usr/bin/localacme|$BIN|g" "$UNITS/system/localacme.service" \
	    >"$d/system/localacme.service"
	cp "$UNITS/system/root-passphrase.conf" "$UNITS/system/low-port.conf" \
	    "$d/system/"
	sed "s|/usr/bin/localacme|$BIN|g" "$UNITS/user/localacme.service" \
	    >"$d/user/localacme.service"
}

# verify [--user] UNIT: fails on any message.
verify() {
	local out user=
	if [ "$1" = --user ]; then
		user=--user
		shift
	fi
	if ! out=$(systemd-analyze $user verify --man=no "$1" 2>&1) ||
	    [ -n "$out" ]; then
		echo "FAIL: systemd-analyze $user verify $1:" >&2
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# want FILE KEY=VALUE: the exact line is in FILE.
want() {
	grep -qxF -- "$2" "$1" || { echo "FAIL: $(basename "$1"): no line $2" >&2; return 1; }
}

# check DIR: every check on the copy in DIR; 0 when all pass.
check() {
	local d=$1 s=$1/system/localacme.service dropins score

	# 1. what the issue asks of the system unit, line by line (cheap
	#    checks first: the selftest's copies stop at the first failure)
	want "$s" "StateDirectory=localacme" || return 1
	want "$s" "NoNewPrivileges=yes" || return 1
	want "$s" "ProtectSystem=strict" || return 1
	want "$s" "ProtectHome=yes" || return 1
	want "$s" "PrivateTmp=yes" || return 1
	want "$s" "CapabilityBoundingSet=" || return 1
	want "$s" "User=localacme" || return 1
	grep -qE "^ExecStart=[^ ]*localacme serve .*--state /var/lib/localacme( |$)" "$s" ||
	    { echo "FAIL: ExecStart is not serve with --state /var/lib/localacme" >&2; return 1; }
	# 2. the credential drop-in names what passphrase.c reads
	grep -qE "^LoadCredential=$CRED:/" "$d/system/root-passphrase.conf" ||
	    { echo "FAIL: root-passphrase.conf does not load the credential $CRED" >&2; return 1; }
	# 3. each unit alone, then the system unit with the example drop-ins
	verify "$s" || return 1
	verify --user "$d/user/localacme.service" || return 1
	dropins=$d/with-dropins
	mkdir -p "$dropins/localacme.service.d"
	cp "$s" "$dropins/"
	cp "$d"/system/*.conf "$dropins/localacme.service.d/"
	verify "$dropins/localacme.service" || return 1
	# 4. hardening as systemd scores it
	score=$(systemd-analyze security --offline=yes "$s" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ -n "$score" ] || { echo "FAIL: no exposure score" >&2; return 1; }
	if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
		echo "FAIL: exposure $score > $MAX_EXPOSURE: hardening was lost" >&2
		return 1
	fi
	echo "system unit exposure: $score (at most $MAX_EXPOSURE)"
}

if [ "$MODE" != --selftest ]; then
	copy "$TMP/good"
	check "$TMP/good"
	echo "ok: units verify, hardening and credential name checked"
	exit 0
fi

# --selftest: each broken copy must fail (and the unbroken one pass).
copy "$TMP/good"
check "$TMP/good" >/dev/null || { echo "FAIL: the unbroken copy fails" >&2; exit 1; }
n=0
# broken NAME FILE SED: a copy with SED applied to FILE must fail check.
broken() {
	local d=$TMP/$1
	copy "$d"
	sed -i "$3" "$d/$2"
	if check "$d" 2>"$d.err" >/dev/null; then
		echo "FAIL: selftest $1: the check passed a broken unit" >&2
		exit 1
	fi
	echo "ok: $1 caught: $(head -2 "$d.err" | tail -1)"
	n=$((n + 1))
}
broken misspelt_key system/localacme.service 's/^NoNewPrivileges=/NoNewPrivilege=/'
broken bad_value system/localacme.service 's/^ProtectSystem=strict/ProtectSystem=sometimes/'
broken missing_program system/localacme.service 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/localacme|'
broken user_unit_typo user/localacme.service 's/^Restart=/Restrat=/'
broken dropin_typo system/low-port.conf 's/^AmbientCapabilities=/AmbientCapability=/'
broken no_state_dir system/localacme.service '/^StateDirectory=/d'
broken caps_allowed system/localacme.service 's/^CapabilityBoundingSet=$/CapabilityBoundingSet=CAP_SYS_ADMIN/'
broken wrong_credential system/root-passphrase.conf 's/localacme-root-passphrase:/root-passphrase:/'
broken hardening_lost system/localacme.service '/^ProtectKernel\|^ProtectC\|^ProtectProc\|^PrivateDevices\|^SystemCall\|^Restrict\|^MemoryDeny\|^LockPersonality/d'
echo "ok: $n broken copies caught"

# syscalls.py (container.deb's SystemCallFilter= check) refuses a call the
# filter denies (mount: in @mount, which @system-service lacks)
# and passes one it allows; calls before the program's execve do not count.
log=$TMP/strace.log
printf '%s\n' '7 mount("x", "y") = 0' '7 execve("/usr/bin/localacme", ["localacme"]) = 0' \
    '7 read(3, "", 1) = 0' '8 futex(0x1, FUTEX_WAIT) = 0' >"$log"
python3 "$SRC/tests/packaging/syscalls.py" "$UNITS/system/localacme.service" "$log" >/dev/null ||
    { echo "FAIL: syscalls.py refused read/futex" >&2; exit 1; }
echo '8 mount("a", "b") = 0' >>"$log"
if python3 "$SRC/tests/packaging/syscalls.py" "$UNITS/system/localacme.service" "$log" \
    >/dev/null 2>&1; then
	echo "FAIL: syscalls.py allowed mount after the execve" >&2
	exit 1
fi
echo "ok: syscalls.py refuses mount after the execve, allows read and futex"
