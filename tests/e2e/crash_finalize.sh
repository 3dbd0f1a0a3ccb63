#!/usr/bin/env bash
# crash_finalize.sh - HARDENING X01: SIGKILL at each step of finalize (P1-P4) and during
# a WAL checkpoint (P5), restart, check I1-I8 and what the client sees of its order.
# SPDX-License-Identifier: MIT
#
# P2 (after the intent/serial commit) is P1: ra_finalize moves the order to
# processing and reserves the serial in ONE transaction (docs/HARDENING.md §4 step 1),
# so no instant exists between them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
. "$here/lib_resilience.sh"
e2e_init
e2e_require openssl curl python3 sqlite3 lego
res_init
res_need_faults

DB="$LOCALACME_HOME/localacme.db"
OUT=$(e2e_tmpdir)
RES_RECEIVED+=("$OUT")
survived=0

# First run with the normal program: the CA, then its snapshot (I7).
acme_start --validation skip
res_client --out "$OUT" issue before.test >/dev/null || e2e_fail "first issuance"
res_snapshot

# The serial reserved for the order saved in $1 (one at most, I2).
order_serial() {
	local oid
	oid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["order"].rsplit("/",1)[1])' "$1")
	sqlite3 "$DB" "SELECT serial || ' ' || state FROM serials WHERE order_id = '$oid';"
}

# Kill the server at finalize point $1, restart the normal server.
kill_at() {
	local p=$1 st
	e2e_stop "$ACME_PID"
	res_faults_start "finalize.$p:kill" --validation skip
	res_client --account "$E2E_TMP/acct.json" --save "$E2E_TMP/$p.json" \
	    crash-finalize "$p.test" "www.$p.test" ||
	    e2e_fail "$p: the client did not see the connection die"
	res_wait_dead "$ACME_PID"
	[ "$RES_STATUS" = 137 ] ||
	    e2e_fail "$p: the server exited with $RES_STATUS, not SIGKILL"
	grep -q "localacme-faults: finalize.$p: SIGKILL" "$E2E_TMP/serve.log" ||
	    e2e_fail "$p: the server did not die at the fault point"
	acme_restart --validation skip
	res_invariants
}

for p in p1 p3; do
	kill_at "$p"
	grep -q "order(s) interrupted" "$E2E_TMP/serve.log" ||
	    e2e_fail "$p: the restart recovered no processing order"
	st=$(res_client --save "$E2E_TMP/$p.json" check-order) ||
	    e2e_fail "$p: order lookup after the restart"
	[ "$st" = invalid ] || e2e_fail "$p: the order is $st after recovery, not invalid"
	read -r serial state <<<"$(order_serial "$E2E_TMP/$p.json")"
	[ -n "$serial" ] || e2e_fail "$p: no serial was reserved for the order"
	# Killed before the certificate commit: reserved ("may exist") forever.
	[ "$state" = reserved ] || e2e_fail "$p: serial $serial is $state, not reserved"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE serial = '$serial';")" = 0 ] ||
	    e2e_fail "$p: serial $serial has a certificate"
	# A new order for the same names succeeds with a new serial.
	res_client --account "$E2E_TMP/acct.json" --out "$OUT" issue "$p.test" "www.$p.test" \
	    >/dev/null || e2e_fail "$p: new order after the crash"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM serials WHERE serial = '$serial';")" = 1 ] ||
	    e2e_fail "$p: serial $serial reappeared"
	res_lego "lego-$p.test"
	res_invariants
	survived=$((survived + 1))
	e2e_ok "$p: order invalid, serial $serial reserved for good, new orders and lego succeed"
done

# P4: committed, not answered. The order is valid and serves the signed certificate.
kill_at p4
st=$(res_client --save "$E2E_TMP/p4.json" --cert-out "$E2E_TMP/p4.pem" check-order) ||
    e2e_fail "p4: order lookup after the restart"
[ "$st" = valid ] || e2e_fail "p4: the order is $st, not valid"
read -r serial state <<<"$(order_serial "$E2E_TMP/p4.json")"
[ "$state" = issued ] || e2e_fail "p4: serial $serial is $state"
got=$(acme_cert_serial "$E2E_TMP/p4.pem")
[ "$got" = "$serial" ] || e2e_fail "p4: downloaded serial $got, signed $serial"
sqlite3 "$DB" "SELECT pem FROM certificates WHERE serial = '$serial';" >"$E2E_TMP/p4.db.pem"
[ "$(openssl x509 -in "$E2E_TMP/p4.pem" -outform DER | sha256sum)" = \
  "$(openssl x509 -in "$E2E_TMP/p4.db.pem" -outform DER | sha256sum)" ] ||
    e2e_fail "p4: the downloaded certificate is not the stored one"
awk '/BEGIN CERT/{n++} n==1' "$E2E_TMP/p4.pem" >"$E2E_TMP/p4.leaf.pem"
awk '/BEGIN CERT/{n++} n>=2' "$E2E_TMP/p4.pem" >"$E2E_TMP/p4.chain.pem"
acme_check_cert "$E2E_TMP/p4.leaf.pem" "$E2E_TMP/p4.chain.pem" p4.test www.p4.test
cp "$E2E_TMP/p4.pem" "$OUT/p4-received.pem"
res_lego lego-p4.test
res_invariants
survived=$((survived + 1))
e2e_ok "p4: order valid, the certificate signed before the kill is served"

# P5a: killed inside an automatic checkpoint (4000 WAL pages), mid-request.
e2e_stop "$ACME_PID"
res_faults_start "checkpoint:kill:3" --validation skip
res_client --account "$E2E_TMP/acct.json" --out "$OUT" loop --count 200 p5.test \
    >"$E2E_TMP/p5.out" 2>&1 || e2e_fail "p5a: client: $(tail -3 "$E2E_TMP/p5.out")"
res_wait_dead "$ACME_PID" 5
grep -q "localacme-faults: checkpoint: SIGKILL" "$E2E_TMP/serve.log" ||
    e2e_fail "p5a: no checkpoint was reached ($(cat "$E2E_TMP/p5.out"))"
acme_restart --validation skip
res_invariants
res_lego lego-p5a.test
survived=$((survived + 1))
e2e_ok "p5a: killed mid-checkpoint after $(cat "$E2E_TMP/p5.out"); WAL replayed, nothing lost"

# P5b: killed inside the checkpoint sqlite3_close runs at a clean stop.
e2e_stop "$ACME_PID"
res_faults_start "checkpoint:kill:2" --validation skip
res_client --account "$E2E_TMP/acct.json" --out "$OUT" issue p5b.test >/dev/null ||
    e2e_fail "p5b: issuance"
kill -TERM "$ACME_PID"
res_wait_dead "$ACME_PID"
grep -q "localacme-faults: checkpoint: SIGKILL" "$E2E_TMP/serve.log" ||
    e2e_fail "p5b: the stop ran no checkpoint (exit $RES_STATUS)"
acme_restart --validation skip
res_invariants
res_client --account "$E2E_TMP/acct.json" --out "$OUT" issue p5b.test >/dev/null ||
    e2e_fail "p5b: issuance after the restart"
survived=$((survived + 1))
e2e_ok "p5b: killed mid-checkpoint at shutdown; restart and issuance fine"

res_invariants
echo "kill points survived: $survived of 5 (p1=p2, p3, p4, p5 live, p5 at stop)"
