#!/usr/bin/env bash
# load.sh - HARDENING X24 (1,000 connections), X26 (slowloris) and X27 (slow body) while
# honest clients issue: prints peak RSS, p50/p99 latencies and issuance results.
# SPDX-License-Identifier: MIT
#
#   LOCALACME=build/localacme tests/bench/load.sh
# Knobs: LOAD_CONNS (1000), LOAD_ISSUES (50), LOAD_SECS (20), ATTACK_CONNS
# (1000), ATTACK_SECS (40), ATTACK_ISSUES (10). Benchmarks report numbers and
# do not pass or fail on time (docs/HARDENING.md §4); the run fails only when an
# honest issuance fails, the server answers a 5xx other than 503, the
# server dies, or an invariant of HARDENING §4.1 breaks.
# The attackers run from 127.0.0.1, the honest clients from 127.0.0.2, the
# 1,000 connections from 127.0.1.x (30 per address): the server caps
# connections per address (--per-ip-conn-limit, 32).
here=$(cd "$(dirname "$0")" && pwd)
e2e="$here/../e2e"
export LOCALACME=${LOCALACME:-$here/../../build/localacme}
. "$e2e/lib.sh"
. "$e2e/lib_acme.sh"
e2e_init
e2e_require python3 curl openssl
python3 -c 'import cryptography' 2>/dev/null || { echo "skip: python3-cryptography" >&2; exit 77; }

CONNS=${LOAD_CONNS:-1000}
ISSUES=${LOAD_ISSUES:-50}
SECS=${LOAD_SECS:-20}
ACONNS=${ATTACK_CONNS:-1000}
ASECS=${ATTACK_SECS:-40}
AISSUES=${ATTACK_ISSUES:-10}
OUT=${LOAD_OUT:-$E2E_TMP}

# 1,000 sockets on each side, plus the database and TLS: the server needs
# far more than the usual 1,024 descriptors.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((CONNS + ACONNS / 10 + 256)) ] ||
    e2e_fail "ulimit -n is $(ulimit -n); need more for $CONNS connections"

acme_start --validation skip --log-level warn
python3 "$e2e/invariants.py" snapshot --state "$LOCALACME_HOME" >"$E2E_TMP/ca.snap"
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$ACME_PID/status")
echo "server pid $ACME_PID, RSS at start ${rss0} kB, ulimit -n $(ulimit -n)"

status=0
# --- X24: many keep-alive connections and issuances at once ---
python3 "$here/load.py" connections "$ACME_DIR" "$ACME_ROOT" "$ACME_PID" \
    --conns "$CONNS" --issues "$ISSUES" --secs "$SECS" >"$OUT/x24.json" || status=1
kill -0 "$ACME_PID" || e2e_fail "the server died under $CONNS connections"

# --- X26, X27: slow clients from 127.0.0.1, honest clients from 127.0.0.2 ---
if command -v slowhttptest >/dev/null 2>&1; then
	nonce_path=$(curl -fsS --cacert "$ACME_ROOT" "$ACME_DIR" |
	    python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlsplit(json.load(sys.stdin)["newAccount"]).path)')
	base="https://127.0.0.1:$ACME_PORT"
	for attack in X26 X27; do
		if [ $attack = X26 ]; then
			args=(-H -t GET -u "$base/directory" -i 10 -x 24)
			label="X26 slowloris"
		else
			args=(-B -t POST -u "$base$nonce_path" -i 5 -s 60000 -x 10)
			label="X27 slow body"
		fi
		slowhttptest "${args[@]}" -c "$ACONNS" -r 200 -p 5 -l "$ASECS" \
		    >"$E2E_TMP/$attack.slowhttptest.log" 2>&1 &
		spid=$!
		E2E_PIDS+=("$spid")
		sleep 3	# let the attack ramp up
		python3 "$here/load.py" probe "$ACME_DIR" "$ACME_ROOT" "$ACME_PID" \
		    --issues "$AISSUES" --secs "$((ASECS > 8 ? ASECS - 6 : 2))" \
		    --source 127.0.0.2 --label "$label" >"$OUT/$attack.json" || status=1
		wait "$spid" 2>/dev/null || true
		kill -0 "$ACME_PID" || e2e_fail "the server died under $label"
		grep -E "closed|pending|connected|service available" \
		    "$E2E_TMP/$attack.slowhttptest.log" | sed "s/\x1b\[[0-9;]*m//g" | tail -4 >"$OUT/$attack.tail" || true
	done
else
	echo "note: slowhttptest is not installed; X26/X27 skipped"
fi

sleep 2
python3 "$e2e/invariants.py" check --state "$LOCALACME_HOME" \
    --snapshot "$E2E_TMP/ca.snap" || e2e_fail "invariants after the load"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$ACME_PID/status")
fds=$(ls "/proc/$ACME_PID/fd" | wc -l)

python3 - "$OUT" "$hwm" "$fds" "$rss0" <<'PY'
import glob, json, os, sys
out, hwm, fds, rss0 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
print()
print("%-16s %-22s %7s %9s %9s %9s" % ("test", "endpoint", "n", "p50 ms", "p99 ms", "max ms"))
for name in ("x24", "X26", "X27"):
    p = os.path.join(out, name + ".json")
    if not os.path.exists(p):
        continue
    r = json.load(open(p))
    for ep, s in sorted(r["latency_ms"].items()):
        print("%-16s %-22s %7d %9s %9s %9s" % (r["test"][:16], ep, s["n"], s["p50"], s["p99"], s["max"]))
print()
print("%-16s %8s %8s %10s %12s %9s %s" % ("test", "issued", "failed", "issue s", "peak RSS kB", "peak fds", "notes"))
for name in ("x24", "X26", "X27"):
    p = os.path.join(out, name + ".json")
    if not os.path.exists(p):
        continue
    r = json.load(open(p))
    note = ""
    if name == "x24":
        note = "connected %d/%d, %d requests, bad 5xx %d, status %s" % (
            r["connected"], r["conns"], r["requests"], r["bad_5xx"], r["status"])
    elif r.get("probe_errors"):
        note = "probe errors %s" % r["probe_errors"]
    if r.get("issue_errors"):
        note += " errors: %s" % r["issue_errors"]
    print("%-16s %8d %8d %10s %12d %9d %s" % (r["test"][:16], r["issued"], r["issue_failed"], r["issue_secs"], r["rss_peak_kB"], r["fds_peak"], note))
print()
print("server: RSS at start %s kB, VmHWM (peak RSS over the run) %s kB, open fds after the run %s" % (rss0, hwm, fds))
PY
for a in X26 X27; do
	[ -s "$OUT/$a.tail" ] && { echo "$a slowhttptest:"; sed 's/^/  /' "$OUT/$a.tail"; }
done
[ $status = 0 ] || e2e_fail "an honest issuance failed or a 5xx other than 503 was answered (see the table)"
echo "load: every honest issuance succeeded"
