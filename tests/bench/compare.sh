#!/usr/bin/env bash
# compare.sh - localacme vs Pebble, driven by the same `localacme bench` runs,
# interleaved, on loopback; prints one table of figures and localacme/Pebble ratios.
# SPDX-License-Identifier: MIT
#
#   tests/bench/compare.sh            (from a clean checkout; builds build-compare/)
#
# Environment (all optional):
#   LOCALACME=PATH        use this binary instead of building one
#   BENCH_ORDERS=N        issuances per run (default 1000; at least 8 per worker)
#   BENCH_CONC="1 4 ..."  concurrencies (default "1 4 16 64 256")
#   BENCH_KEYS="..."      account key types (default "ec256 rsa2048")
#   LONG_ORDERS=N         the long run, at concurrency 16 for localacme and 4 for
#                         Pebble (16 deadlocks it) (default 20000; 0 skips it)
#   COLD_RUNS=N           cold starts measured per server (default 5)
#   BENCH_REPEAT=R        runs per cell (default 1); each cell then reports the
#                         run with the median rate (a shared machine is noisy:
#                         R=3 or 5 makes the ratios steadier), failures and
#                         peak RSS count every run, and a stall in any run
#                         is what its cell shows
#   KEEP=1                keep the work directory (JSON of every run, logs)
#
# Pebble is /usr/bin/pebble (Debian 12: 2.4.0) with PEBBLE_VA_ALWAYS_VALID=1
# PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0; localacme
# runs `serve --validation skip`. Every server is started fresh for each run, so
# a stalled (deadlocked) server costs one cell, reported as "stalled", not the
# whole comparison. Only the PIDs started here are ever signalled.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

for c in pebble openssl curl python3; do
	command -v "$c" >/dev/null 2>&1 || { echo "compare.sh: needs $c" >&2; exit 77; }
done
if [ -z "${LOCALACME:-}" ]; then
	echo "== building localacme (Release) in $top/build-compare"
	cmake -S "$top" -B "$top/build-compare" -DCMAKE_BUILD_TYPE=Release \
	    -DLOCALACME_TESTS=OFF >/dev/null
	cmake --build "$top/build-compare" --target localacme -j "$(nproc)" >/dev/null
	LOCALACME="$top/build-compare/src/localacme"
	[ -x "$LOCALACME" ] || LOCALACME="$top/build-compare/localacme"
fi
[ -x "$LOCALACME" ] || { echo "compare.sh: no localacme binary" >&2; exit 1; }

ORDERS=${BENCH_ORDERS:-1000}
CONC=${BENCH_CONC:-"1 4 16 64 256"}
KEYS=${BENCH_KEYS:-"ec256 rsa2048"}
LONG=${LONG_ORDERS:-20000}
COLD=${COLD_RUNS:-5}
REPEAT=${BENCH_REPEAT:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/localacme-compare.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Pebble's own listener certificate, from a throwaway CA.
mkdir -p "$W/pebble"
(
	cd "$W/pebble"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout ca.key -out ca.pem -days 2 -subj /CN=compare-pebble-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout key.pem -out cert.csr -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
	openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -out cert.pem -days 2 -extfile ext 2>/dev/null
)
export PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    PEBBLE_AUTHZREUSE=0

# One localacme state directory with its CA, made once (as a user's would be).
export LOCALACME_HOME="$W/state"
"$LOCALACME" init >/dev/null

# server_start KIND: starts a fresh server; sets SPID, SDIR (directory URL), SCA.
server_start() {
	local kind=$1 port i
	port=$(free_port)
	if [ "$kind" = localacme ]; then
		"$LOCALACME" serve --listen "127.0.0.1:$port" --validation skip \
		    --log-level error --per-ip-conn-limit 4096 \
		    --max-connections 8192 >"$W/serve.log" 2>&1 &
		SDIR="https://localhost:$port/directory"
		SCA="$LOCALACME_HOME/root.pem"
	else
		sed -e "s/@PORT@/$port/" -e "s/@MPORT@/$(free_port)/" \
		    -e "s|@DIR@|$W/pebble|g" >"$W/pebble/cfg.json" <<'EOF'
{"pebble": {"listenAddress": "127.0.0.1:@PORT@",
 "managementListenAddress": "127.0.0.1:@MPORT@",
 "certificate": "@DIR@/cert.pem", "privateKey": "@DIR@/key.pem",
 "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
EOF
		pebble -config "$W/pebble/cfg.json" -strict=false \
		    >/dev/null 2>"$W/pebble.log" &
		SDIR="https://localhost:$port/dir"
		SCA="$W/pebble/ca.pem"
	fi
	SPID=$!
	PIDS+=("$SPID")
	for i in $(seq 300); do
		curl -fs --cacert "$SCA" -o /dev/null "$SDIR" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "compare.sh: $kind did not start" >&2
	exit 1
}

server_stop() {
	kill -TERM "$SPID" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

# run KIND KEY CONC ORDERS TAG [REP]: one bench run against a fresh server.
run() {
	local kind=$1 key=$2 c=$3 n=$4 tag=$5 rep=${6:-1} idle priv out of
	server_start "$kind"
	sleep 1
	idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$SPID/status")
	# RSS counts the mapped library and binary pages too; anonymous
	# memory (heap, stacks) is what the process itself allocated.
	priv=$(awk '/^Anonymous:/ {print $2}' "/proc/$SPID/smaps_rollup" \
	    2>/dev/null || echo 0)
	out="$W/$tag.$kind.r$rep"
	of=""
	[ "$REPEAT" -gt 1 ] && of=" (run $rep of $REPEAT)"
	echo "   $tag: $kind $key c=$c orders=$n$of"
	"$LOCALACME" bench --directory "$SDIR" --cacert "$SCA" --orders "$n" \
	    --concurrency "$c" --key-type "$key" --server-pid "$SPID" \
	    --stall 10 --timeout 20 --max-errors 50 --quiet \
	    --json "$out.json" 2>"$out.err" || true
	python3 - "$out.json" "$idle" "$priv" <<'PY' || true
import json, sys
p = sys.argv[1]
try:
    r = json.load(open(p))
except Exception:
    r = {"issued": 0, "failed": 0, "stalled": True, "error": "no result"}
r["idle_rss_kib"] = int(sys.argv[2])
r["idle_anon_kib"] = int(sys.argv[3] or 0)
json.dump(r, open(p, "w"))
PY
	server_stop
}

echo "== cold start (process start to the first directory answer), $COLD runs each"
python3 - "$LOCALACME" "$W" "$COLD" >"$W/cold.json" <<'PY'
import json, os, socket, ssl, subprocess, sys, time
lac, w, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def measure(cmd, path, ca, p, env):
    ctx = ssl.create_default_context(cafile=ca) if os.path.exists(ca) else None
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - t0 < 30:
            if ctx is None and os.path.exists(ca):
                try: ctx = ssl.create_default_context(cafile=ca)
                except Exception: pass
            try:
                s = socket.create_connection(("127.0.0.1", p), timeout=1)
                if ctx is None:
                    s.close(); time.sleep(0.002); continue
                t = ctx.wrap_socket(s, server_hostname="localhost")
                t.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
                ok = t.recv(12).startswith(b"HTTP/1.1 200")
                t.close()
                if ok:
                    return (time.monotonic() - t0) * 1000
            except (OSError, ssl.SSLError):
                pass
            time.sleep(0.002)
        return None
    finally:
        proc.terminate(); proc.wait()
res = {"localacme": [], "localacme_first_run": [], "pebble": []}
env = dict(os.environ)
for i in range(runs):
    p = port()
    res["localacme"].append(measure([lac, "serve", "--listen", "127.0.0.1:%d" % p,
        "--validation", "skip", "--log-level", "error"], "/directory",
        env["LOCALACME_HOME"] + "/root.pem", p, env))
    fresh = dict(env, LOCALACME_HOME="%s/fresh%d" % (w, i))
    p = port()
    res["localacme_first_run"].append(measure([lac, "serve", "--listen", "127.0.0.1:%d" % p,
        "--validation", "skip", "--log-level", "error"], "/directory",
        fresh["LOCALACME_HOME"] + "/root.pem", p, fresh))
    p = port()
    cfg = "%s/pebble/cold.json" % w
    json.dump({"pebble": {"listenAddress": "127.0.0.1:%d" % p,
        "managementListenAddress": "127.0.0.1:%d" % port(),
        "certificate": w + "/pebble/cert.pem", "privateKey": w + "/pebble/key.pem",
        "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
        "externalAccountBindingRequired": False}}, open(cfg, "w"))
    res["pebble"].append(measure(["pebble", "-config", cfg, "-strict=false"], "/dir",
        w + "/pebble/ca.pem", p, env))
json.dump(res, sys.stdout)
PY

echo "== throughput runs (localacme and Pebble interleaved, a fresh server each)"
flip=0
for key in $KEYS; do
	for c in $CONC; do
		n=$ORDERS
		[ "$n" -lt $((c * 8)) ] && n=$((c * 8))
		for rep in $(seq "$REPEAT"); do
			if [ $flip -eq 0 ]; then order="localacme pebble"; else order="pebble localacme"; fi
			flip=$((1 - flip))
			for kind in $order; do
				run "$kind" "$key" "$c" "$n" "run-$key-c$c" "$rep"
			done
		done
	done
done
if [ "$LONG" -gt 0 ]; then
	echo "== long run: $LONG issuances each"
	run localacme ec256 16 "$LONG" long
	run pebble ec256 4 "$LONG" long
fi

echo "== crypto ceiling (openssl speed, one core)"
openssl speed -seconds 1 ecdsap256 rsa2048 >"$W/speed.txt" 2>/dev/null || true
openssl x509 -in "$LOCALACME_HOME/intermediate.pem" -noout -text >"$W/inter.txt"

python3 - "$W" "$KEYS" "$CONC" "$LONG" <<'PY'
import glob, json, os, re, sys
w, keys, conc, long_n = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
def load_all(tag, kind):
    runs = []
    for p in sorted(glob.glob("%s/%s.%s.r*.json" % (w, tag, kind))):
        try:
            runs.append(json.load(open(p)))
        except Exception:
            pass
    return runs
def load(tag, kind):
    """The cell's figure: a stalled run if any, else the median-rate run."""
    runs = load_all(tag, kind)
    if not runs:
        return None
    stalled = [r for r in runs if r.get("stalled")]
    if stalled:
        return stalled[0]
    runs.sort(key=lambda r: r.get("issuances_per_s", 0))
    return runs[len(runs) // 2]
def med(v):
    v = sorted(x for x in v if x is not None)
    return v[len(v) // 2] if v else None
def fmt(x, unit=""):
    return "-" if x is None else ("%.1f%s" % (x, unit) if x >= 10 else "%.2f%s" % (x, unit))
def cell(r, f):
    if r is None: return None
    if r.get("stalled"): return "stalled@%d" % r.get("issued", 0)
    if r.get("issued", 0) == 0: return None
    return f(r)
def rate(r): return r["issuances_per_s"]
cold = json.load(open(w + "/cold.json"))
out = []
out.append("%-44s %14s %14s %10s" % ("figure", "localacme", "Pebble", "lac/Pebble"))
out.append("-" * 86)
def line(name, a, b, unit=""):
    def s(x):
        if isinstance(x, str): return x
        return fmt(x, unit)
    ratio = "-"
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        ratio = "%.2fx" % (a / b)
    elif isinstance(b, str) or isinstance(a, str):
        ratio = "-"
    out.append("%-44s %14s %14s %10s" % (name, s(a), s(b), ratio))
peak = {"localacme": 0, "pebble": 0}
idle = {"localacme": [], "pebble": []}
idlep = {"localacme": [], "pebble": []}
fails = {"localacme": 0, "pebble": 0}
best = {}
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        L, P = load(tag, "localacme"), load(tag, "pebble")
        for kind in ("localacme", "pebble"):
            for r in load_all(tag, kind):
                idle[kind].append(r.get("idle_rss_kib", 0))
                idlep[kind].append(r.get("idle_anon_kib", 0))
                peak[kind] = max(peak[kind], r.get("server", {}).get("rss_kib_peak", 0))
                fails[kind] += r.get("failed", 0)
        line("issuances/s, %s, concurrency %s" % (key, c), cell(L, rate), cell(P, rate))
        if L and not L.get("stalled"):
            best[key] = max(best.get(key, 0), rate(L))
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        L, P = load(tag, "localacme"), load(tag, "pebble")
        line("p50 / issuance ms, %s, c=%s" % (key, c), cell(L, lambda r: r["issuance"]["p50_ms"]), cell(P, lambda r: r["issuance"]["p50_ms"]))
        line("p99 / issuance ms, %s, c=%s" % (key, c), cell(L, lambda r: r["issuance"]["p99_ms"]), cell(P, lambda r: r["issuance"]["p99_ms"]))
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        L, P = load(tag, "localacme"), load(tag, "pebble")
        line("server CPU ms/issuance, %s, c=%s" % (key, c), cell(L, lambda r: r["server"]["cpu_ms_per_issuance"]), cell(P, lambda r: r["server"]["cpu_ms_per_issuance"]))
        line("generator CPU ms/issuance, %s, c=%s" % (key, c), cell(L, lambda r: r["client_cpu_ms_per_issuance"]), cell(P, lambda r: r["client_cpu_ms_per_issuance"]))
line("cold start to first directory answer, ms (median)", med(cold["localacme"]), med(cold["pebble"]))
line("  localacme first run (creates the CA), ms", med(cold["localacme_first_run"]), None)
line("idle RSS MiB (median over runs)", med(idle["localacme"]) / 1024 if idle["localacme"] else None, med(idle["pebble"]) / 1024 if idle["pebble"] else None)
line("idle anonymous MiB (heap, stacks: RSS less file pages)", med(idlep["localacme"]) / 1024 if idlep["localacme"] else None, med(idlep["pebble"]) / 1024 if idlep["pebble"] else None)
line("peak RSS MiB under load (all runs)", peak["localacme"] / 1024, peak["pebble"] / 1024)
line("failed issuances (all runs)", fails["localacme"], fails["pebble"])
if long_n > 0:
    L, P = load("long", "localacme"), load("long", "pebble")
    line("long run: issuances/s (lac c=16, Pebble c=4)", cell(L, rate), cell(P, rate))
    line("long run: rate, first tenth", cell(L, lambda r: r["rate_first_tenth"]), cell(P, lambda r: r["rate_first_tenth"]))
    line("long run: rate, last tenth", cell(L, lambda r: r["rate_last_tenth"]), cell(P, lambda r: r["rate_last_tenth"]))
    line("long run: peak RSS MiB", cell(L, lambda r: r["server"]["rss_kib_peak"] / 1024), cell(P, lambda r: r["server"]["rss_kib_peak"] / 1024))
    line("long run: failed", cell(L, lambda r: r["failed"]), cell(P, lambda r: r["failed"]))
# crypto ceiling
speed = open(w + "/speed.txt").read()
inter = open(w + "/inter.txt").read()
def ops(pat):
    m = re.search(pat, speed, re.M)
    return (float(m.group(1)), float(m.group(2))) if m else None
ec = ops(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)")
rsa = ops(r"^rsa 2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)")
out.append("")
if ec:
    sign_ms = 1000 / ec[0]; ver_ms = 1000 / ec[1]
    out.append("crypto, one core (openssl speed): P-256 sign %.3f ms, verify %.3f ms%s" % (
        sign_ms, ver_ms, (", RSA-2048 sign %.3f ms, verify %.3f ms" % (1000 / rsa[0], 1000 / rsa[1])) if rsa else ""))
    ncores = os.cpu_count() or 1
    for key in keys:
        tag = "run-%s-c4" % key
        L = load(tag, "localacme") or {}
        eps = L.get("endpoints", {})
        n = max(L.get("issued", 0), 1)
        signed = sum(v["count"] for k, v in eps.items() if k not in ("directory", "newNonce", "newAccount")) / n
        if signed == 0:
            signed = 8
        jv = ver_ms if key == "ec256" or not rsa else 1000 / rsa[1]
        per = signed * jv + ver_ms + sign_ms   # JWS verifications + CSR check + leaf signature
        ceiling = ncores * 1000 / per
        got = best.get(key)
        out.append("crypto alone per issuance, %s: %.2f JWS verifications + CSR check + P-256 "
                   "signature = %.3f ms -> ceiling %.0f issuances/s on %d cores; localacme's best %s = %s of it" % (
            key, signed, per, ceiling, ncores, fmt(got) if got else "-",
            ("%.0f%%" % (100 * got / ceiling)) if got else "-"))
print("\n".join(out))
PY
