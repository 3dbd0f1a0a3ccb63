#!/usr/bin/env bash
# crash_issue.sh - `issue` killed with SIGKILL at random moments: the database stays intact,
# every certificate file on disk is recorded, no serial repeats, no file is half-written.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl sqlite3

S=$LOCALACME_HOME
OUT=$(e2e_tmpdir)
ITER=${CRASH_ITERATIONS:-40}
# One issue takes ~15 ms here: kill within 0..MAX ms to land inside it often.
MAXMS=${CRASH_MAX_MS:-30}
"$LOCALACME" init >/dev/null || e2e_fail "init"

killed=0
for i in $(seq "$ITER"); do
	"$LOCALACME" issue --out "$OUT" "c$i.test" "127.0.0.$((i % 250 + 1))" >/dev/null 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	sleep "0.$(printf %03d $((RANDOM % MAXMS)))"
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null || true
done
echo "killed $killed of $ITER runs"

[ "$(sqlite3 "$S/localacme.db" 'PRAGMA integrity_check;')" = ok ] || e2e_fail "integrity_check"
e2e_ok "PRAGMA integrity_check = ok"

"$LOCALACME" list --json >"$E2E_TMP/list.json" || e2e_fail "list after crashes"
# Every run may have been killed (a slow ASan build): no serial is not a grep failure.
{ grep -o '"serial": "[0-9a-f]*"' "$E2E_TMP/list.json" || true; } | sed 's/.*: "//; s/"//' |
    sort >"$E2E_TMP/listed"
[ -z "$(uniq -d "$E2E_TMP/listed")" ] || e2e_fail "a serial repeats in list"
# Serials reserved (issued or not) never repeat either.
dups=$(sqlite3 "$S/localacme.db" "SELECT name FROM sqlite_master WHERE type='table' AND name='serials';")
if [ -n "$dups" ]; then
	[ -z "$(sqlite3 "$S/localacme.db" 'SELECT serial FROM serials GROUP BY serial HAVING count(*) > 1;')" ] ||
	    e2e_fail "a reserved serial repeats"
fi
e2e_ok "no serial repeats ($(wc -l <"$E2E_TMP/listed") recorded)"

n=0
for f in "$OUT"/*.pem; do
	case $f in *-key.pem | "$OUT/*.pem") continue ;; esac
	n=$((n + 1))
	awk 'BEGIN{c=0} /BEGIN CERT/{c++} c==1' "$f" >"$E2E_TMP/leaf.pem"
	s=$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -serial 2>/dev/null | sed 's/serial=//' | tr 'A-F' 'a-f') ||
	    e2e_fail "$f is not a certificate (half-written?)"
	[ -n "$s" ] || e2e_fail "$f has no serial"
	grep -qx "$s" "$E2E_TMP/listed" || e2e_fail "$f (serial $s) is on disk but not in list"
	openssl verify -CAfile "$S/root.pem" -untrusted "$S/intermediate.pem" "$E2E_TMP/leaf.pem" >/dev/null ||
	    e2e_fail "$f does not verify"
	k=${f%.pem}-key.pem
	[ -f "$k" ] || e2e_fail "$f has no key file"
	[ "$(openssl pkey -in "$k" -pubout 2>/dev/null)" = "$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -pubkey)" ] ||
	    e2e_fail "$k does not match $f"
done
e2e_ok "$n certificate files on disk, each recorded, verifying and matching its key"

# Still usable afterwards.
"$LOCALACME" issue --out "$OUT" after.test >/dev/null || e2e_fail "issue after the crashes"
[ "$(sqlite3 "$S/localacme.db" 'PRAGMA integrity_check;')" = ok ] || e2e_fail "integrity_check at the end"
e2e_ok "CA and store usable after $killed kills"
echo "PASS"
