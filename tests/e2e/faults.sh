#!/usr/bin/env bash
# faults.sh - HARDENING X10-X13: a full disk, a read-only or failing disk, a locked
# database and a failing certificate INSERT. Requests fail with serverInternal, the
# server keeps serving, nothing is corrupted (I1-I7) and it recovers, without a
# restart, when the fault clears.
# SPDX-License-Identifier: MIT
#
# X10 and X11 (read-only at start) use a real tmpfs when we may mount one
# (root, CAP_SYS_ADMIN); otherwise X10 falls back to localacme-faults'
# ENOSPC write hook. A tmpfs cannot be remounted read-only under a server
# that holds its database open for writing (EBUSY), so X11 while running
# uses the hook (EROFS, EIO).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_resilience.sh"
e2e_init
e2e_require openssl curl python3 sqlite3 lego
res_init
res_need_faults

FS="$E2E_TMP/fs"
mkdir -p "$FS"
TMPFS=0
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=8m,mode=0700 localacme-e2e "$FS" 2>/dev/null; then
	TMPFS=1
	_res_umount() { umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null || true; }
	trap '_res_umount; _e2e_cleanup' EXIT
fi
export LOCALACME_HOME="$FS/state"
DB="$LOCALACME_HOME/localacme.db"
OUT=$(e2e_tmpdir)
RES_RECEIVED+=("$OUT")
ACCT="$E2E_TMP/acct.json"
GATE="$E2E_TMP/gate"

alive() {
	kill -0 "$ACME_PID" 2>/dev/null || e2e_fail "$1: the server died: $(tail -5 "$E2E_TMP/serve.log")"
	res_client --account "$ACCT" health || e2e_fail "$1: directory/newNonce/account read failed"
}

# A fault is on: issuance answers serverInternal, reads keep working.
expect_internal() {
	local what=$1
	shift
	res_client --account "$ACCT" --out "$OUT" "$@" expect-internal "$what.test" \
	    >"$E2E_TMP/x.out" 2>&1 || e2e_fail "$what: $(cat "$E2E_TMP/x.out")"
	alive "$what"
	e2e_ok "$what: $(tail -1 "$E2E_TMP/x.out"); the server keeps serving"
}

# The fault cleared: issuance works again in the same process.
expect_recovered() {
	local what=$1 pid=$ACME_PID
	res_client --account "$ACCT" --out "$OUT" issue "$what-after.test" >/dev/null ||
	    e2e_fail "$what: no issuance after the fault cleared"
	[ "$pid" = "$ACME_PID" ] || e2e_fail "$what: restarted"
	res_invariants >"$E2E_TMP/inv.out" 2>&1 || e2e_fail "$what: $(cat "$E2E_TMP/inv.out")"
	e2e_ok "$what: recovered without a restart; $(tail -1 "$E2E_TMP/inv.out")"
}

acme_start --validation skip
res_snapshot
res_client --account "$ACCT" --out "$OUT" issue baseline.test >/dev/null || e2e_fail "baseline issuance"

# --- X10: disk full ---
if [ $TMPFS = 1 ]; then
	dd if=/dev/zero of="$FS/fill" bs=64k 2>/dev/null || true
	dd if=/dev/zero of="$FS/fill2" bs=4k 2>/dev/null || true
	[ "$(df --output=avail "$FS" | tail -1)" -eq 0 ] || e2e_fail "X10: the tmpfs is not full"
	expect_internal x10-disk-full
	rm -f "$FS/fill" "$FS/fill2"
	expect_recovered x10-disk-full
else
	echo "note: cannot mount a tmpfs; X10 uses the ENOSPC write hook"
	e2e_stop "$ACME_PID"
	LOCALACME_FAULT_GATE=$GATE res_faults_start dbwrite:enospc --validation skip
	touch "$GATE"
	expect_internal x10-enospc
	rm -f "$GATE"
	expect_recovered x10-enospc
fi

# --- X11: read-only state at start-up (a real read-only mount) ---
if [ $TMPFS = 1 ]; then
	e2e_stop "$ACME_PID"
	mount -o remount,ro "$FS" || e2e_fail "X11: remount read-only"
	e2e_start ro "$LOCALACME" serve --listen "127.0.0.1:$(e2e_free_port)" --validation skip
	res_wait_dead "$E2E_PID" 20
	mount -o remount,rw "$FS" || e2e_fail "X11: remount read-write"
	[ "$RES_STATUS" -ne 0 ] || e2e_fail "X11: serve ran on a read-only state directory"
	[ "$RES_STATUS" -lt 128 ] || e2e_fail "X11: serve died by signal $((RES_STATUS - 128))"
	grep -q '^localacme: ' "$E2E_TMP/ro.log" ||
	    e2e_fail "X11: no 'localacme: ' error line: $(cat "$E2E_TMP/ro.log")"
	e2e_ok "X11: a read-only state directory is refused: $(grep '^localacme: ' "$E2E_TMP/ro.log" | head -1)"
	acme_restart --validation skip
	res_invariants >/dev/null 2>&1 || e2e_fail "X11: invariants after the read-only start"
fi

# --- X11: the disk turns read-only / fails while serving (write hook) ---
for e in erofs eio; do
	e2e_stop "$ACME_PID"
	rm -f "$GATE"
	LOCALACME_FAULT_GATE=$GATE res_faults_start "dbwrite:$e" --validation skip
	touch "$GATE"
	expect_internal "x11-$e"
	rm -f "$GATE"
	expect_recovered "x11-$e"
done
e2e_stop "$ACME_PID"
acme_start --validation skip

# --- X12: the database locked by another process (BEGIN EXCLUSIVE until we
# create the unlock file, 60 s at most) ---
python3 - "$DB" "$E2E_TMP/unlock" >"$E2E_TMP/lock.out" 2>&1 <<'EOF' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
end = time.monotonic() + 60
while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
    time.sleep(0.05)
db.execute("ROLLBACK")
print("released", flush=True)
EOF
lockpid=$!
E2E_PIDS+=("$lockpid")
for i in $(seq 100); do
	grep -q locked "$E2E_TMP/lock.out" && break
	sleep 0.1
done
grep -q locked "$E2E_TMP/lock.out" || e2e_fail "X12: could not lock the database"
start=$(date +%s)
expect_internal x12-locked --attempts 1
took=$(($(date +%s) - start))
grep -q released "$E2E_TMP/lock.out" && e2e_fail "X12: the lock was gone before the answer"
echo "X12: serverInternal after ${took} s (the busy timeout), while the lock was held"
touch "$E2E_TMP/unlock"
wait "$lockpid" || e2e_fail "X12: the lock holder failed: $(cat "$E2E_TMP/lock.out")"
expect_recovered x12-locked

# --- X13: the certificate INSERT fails (Boulder's TestIssuanceCertStorageFailed) ---
sqlite3 "$DB" "CREATE TRIGGER x13_fail BEFORE INSERT ON certificates
    BEGIN SELECT RAISE(ABORT, 'x13 injected'); END;" || e2e_fail "X13: trigger"
expect_internal x13-insert --attempts 1 --save "$E2E_TMP/x13.json"
st=$(res_client --save "$E2E_TMP/x13.json" check-order) || e2e_fail "X13: order lookup"
[ "$st" = invalid ] || e2e_fail "X13: the order is $st, not invalid"
oid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["order"].rsplit("/",1)[1])' "$E2E_TMP/x13.json")
read -r serial state <<<"$(sqlite3 "$DB" "SELECT serial || ' ' || state FROM serials WHERE order_id = '$oid';")"
[ "$state" = reserved ] || e2e_fail "X13: serial '$serial' is '$state', not reserved (may exist)"
sqlite3 "$DB" "DROP TRIGGER x13_fail;" || e2e_fail "X13: drop trigger"
e2e_ok "X13: order invalid, serial $serial stays reserved (signed, may exist)"
expect_recovered x13-insert

# I8: a real client right after all of it.
res_lego lego-after-faults.test
res_invariants
echo "faults survived: X10 X11 X12 X13 (tmpfs=$TMPFS)"
