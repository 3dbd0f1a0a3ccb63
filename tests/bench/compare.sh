#!/usr/bin/env bash
# compare.sh - localacme vs Pebble (and Caddy's acme_server), driven by the same
# `localacme bench` runs, interleaved, on loopback; prints one table of figures,
# localacme/peer ratios and localacme / the faster peer per concurrency.
# SPDX-License-Identifier: MIT
#
#   tests/bench/compare.sh                      (from a clean checkout; builds build-compare/)
#   VALIDATION=http01 tests/bench/compare.sh    (every server really validates http-01)
#
# Environment (all optional):
#   LOCALACME=PATH        use this binary instead of building one
#   VALIDATION=skip|http01
#                         skip (default): localacme `serve --validation skip`,
#                         Pebble PEBBLE_VA_ALWAYS_VALID=1; Caddy cannot skip
#                         validation, so it is not run.
#                         http01: every server fetches the token from bench's
#                         own responder (`bench --http01-port`) after looking the
#                         name up in a mock DNS: localacme through its built-in
#                         `--dns-mock` (its CPU counts as localacme's), Pebble
#                         (PEBBLE_VA_NOSLEEP=1, no ALWAYS_VALID) through
#                         pebble-challtestsrv's DNS, Caddy through the same
#                         pebble-challtestsrv (see CADDY below)
#   CADDY=0               leave Caddy out (it is in when /usr/bin/caddy exists,
#                         VALIDATION=http01, and the script runs as root: Caddy
#                         2.6's acme_server checks http-01 on port 80 only and
#                         resolves with the system resolver only, so it runs in
#                         a private mount namespace (`unshare -m`) whose
#                         /etc/resolv.conf names pebble-challtestsrv on
#                         127.0.0.1:53, and bench answers on 127.0.0.1:80)
#   BENCH_ORDERS=N        issuances per run (default 1000; at least 8 per worker)
#   BENCH_CONC="1 4 ..."  concurrencies (default "1 4 16 64 256")
#   BENCH_KEYS="..."      account key types (default "ec256 rsa2048")
#   LONG_ORDERS=N         the long run, at concurrency 16 for localacme and 4 for
#                         Pebble and Caddy (16 deadlocks Pebble) (default 20000;
#                         0 skips it)
#   COLD_RUNS=N           cold starts measured per server (default 5)
#   BENCH_REPEAT=R        runs per cell (default 1); each cell then reports the
#                         run with the median rate (a shared machine is noisy:
#                         R=3 or 5 makes the ratios steadier), failures and
#                         peak RSS count every run, and a stall in any run
#                         is what its cell shows
#   KEEP=1                keep the work directory (JSON of every run, logs)
#
# Pebble is /usr/bin/pebble (Debian 12: 2.4.0) with PEBBLE_VA_NOSLEEP=1
# PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 (and PEBBLE_VA_ALWAYS_VALID=1 when
# skipping validation). Caddy is /usr/bin/caddy (Debian 12: 2.6.2) with an
# acme_server on a loopback port and its own local CA (the pki app; storage in
# the work directory). Every server is started fresh for each run, so a stalled
# (deadlocked) server costs one cell, reported as "stalled", not the whole
# comparison. Only the PIDs started here are ever signalled.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
VALIDATION=${VALIDATION:-skip}
case $VALIDATION in
skip|http01) ;;
*) echo "compare.sh: VALIDATION=\"$VALIDATION\" is not skip or http01" >&2; exit 2 ;;
esac

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
if [ "$VALIDATION" = http01 ]; then
	command -v pebble-challtestsrv >/dev/null 2>&1 ||
	    { echo "compare.sh: VALIDATION=http01 needs pebble-challtestsrv" >&2; exit 77; }
fi
# port_free PROTO PORT: nothing listens on 127.0.0.1:PORT (tcp or udp); TCP
# connections in TIME_WAIT on the port (bench's, from the last run) are no
# obstacle to bench's responder, which sets SO_REUSEADDR too.
port_free() {
	python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
t = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, t)
if t == socket.SOCK_STREAM:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
PY
}
SERVERS="localacme pebble"
CADDY_WHY=""
if [ "${CADDY:-1}" = 0 ]; then
	CADDY_WHY="CADDY=0"
elif ! command -v caddy >/dev/null 2>&1; then
	CADDY_WHY="caddy is not installed"
elif [ "$VALIDATION" = skip ]; then
	CADDY_WHY="Caddy's acme_server cannot skip validation (run VALIDATION=http01)"
elif [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
	CADDY_WHY="Caddy needs root here (bench answers on port 80, its DNS on port 53, resolv.conf in a private mount namespace)"
elif ! port_free tcp 80 || ! port_free udp 53; then
	CADDY_WHY="127.0.0.1:80/tcp or 127.0.0.1:53/udp is taken"
else
	SERVERS="localacme pebble caddy"
fi
[ -n "$CADDY_WHY" ] && echo "== Caddy left out: $CADDY_WHY"
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
export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
if [ "$VALIDATION" = skip ]; then
	export PEBBLE_VA_ALWAYS_VALID=1
else
	unset PEBBLE_VA_ALWAYS_VALID
fi

# http01: one mock DNS for Pebble and Caddy (not a server under test, so it
# runs for the whole comparison): every name is 127.0.0.1, no AAAA (bench's
# responder is IPv4 only). Port 53 when Caddy takes part: a resolv.conf names
# no port.
HTTP01_PORT=""
PEBBLE_DNS_ARGS=()
if [ "$VALIDATION" = http01 ]; then
	HTTP01_PORT=$(free_port)
	dnsport=$(free_port)
	case " $SERVERS " in *" caddy "*) dnsport=53 ;; esac
	pebble-challtestsrv -dns01 "127.0.0.1:$dnsport" -defaultIPv4 127.0.0.1 \
	    -defaultIPv6 "" -http01 "" -https01 "" -tlsalpn01 "" \
	    -management "127.0.0.1:$(free_port)" >"$W/challtestsrv.log" 2>&1 &
	PIDS+=("$!")
	PEBBLE_DNS_ARGS=(-dnsserver "127.0.0.1:$dnsport")
	mkdir -p "$W/caddy"
	printf 'nameserver 127.0.0.1\n' >"$W/caddy/resolv.conf"
	sleep 0.5
fi

# One localacme state directory with its CA, made once (as a user's would be).
export LOCALACME_HOME="$W/state"
"$LOCALACME" init >/dev/null

# server_start KIND: starts a fresh server; sets SPID, SDIR (directory URL), SCA
# and BENCH_VARGS (bench's validation arguments for this server).
server_start() {
	local kind=$1 port va=()
	port=$(free_port)
	BENCH_VARGS=()
	if [ "$kind" = localacme ]; then
		if [ "$VALIDATION" = skip ]; then
			va=(--validation skip)
		else
			va=(--validation real --http01-port "$HTTP01_PORT"
			    --dns-mock "127.0.0.1:$(free_port)"
			    --dns-mock-default-ipv6 "")
			BENCH_VARGS=(--http01-port "$HTTP01_PORT")
		fi
		"$LOCALACME" serve --listen "127.0.0.1:$port" "${va[@]}" \
		    --log-level error --per-ip-conn-limit 4096 \
		    --max-connections 8192 >"$W/serve.log" 2>&1 &
		SDIR="https://localhost:$port/directory"
		SCA="$LOCALACME_HOME/root.pem"
	elif [ "$kind" = caddy ]; then
		# Its own local CA "bench" (the pki app), made on the first
		# start and kept in $W/caddy/data like localacme's state; the
		# listener's certificate comes from the same CA (tls internal).
		sed -e "s/@PORT@/$port/" -e "s|@DIR@|$W/caddy|g" \
		    >"$W/caddy/cfg.json" <<'EOF'
{"admin": {"disabled": true},
 "logging": {"logs": {"default": {"level": "ERROR"}}},
 "storage": {"module": "file_system", "root": "@DIR@/data"},
 "apps": {
  "http": {"servers": {"bench": {"listen": ["127.0.0.1:@PORT@"],
   "automatic_https": {"disable_redirects": true},
   "routes": [{"match": [{"host": ["localhost"]}], "terminal": true,
    "handle": [{"handler": "acme_server", "ca": "bench"}]}]}}},
  "pki": {"certificate_authorities": {"bench": {"name": "compare.sh bench CA",
   "install_trust": false}}},
  "tls": {"automation": {"policies": [{"subjects": ["localhost"],
   "issuers": [{"module": "internal", "ca": "bench"}]}]}}}}
EOF
		# Caddy 2.6's acme_server resolves with the system resolver
		# only: a private mount namespace gets a resolv.conf naming the
		# mock DNS; unshare and sh exec, so $! is caddy's own PID.
		# shellcheck disable=SC2016 # $1 and $2 are the inner sh's
		XDG_DATA_HOME="$W/caddy/xdg" XDG_CONFIG_HOME="$W/caddy/xdg" \
		    HOME="$W/caddy" unshare -m sh -c \
		    'mount --bind "$1" /etc/resolv.conf && exec caddy run --config "$2"' \
		    sh "$W/caddy/resolv.conf" "$W/caddy/cfg.json" \
		    >/dev/null 2>"$W/caddy.log" &
		SDIR="https://localhost:$port/acme/bench/directory"
		SCA="$W/caddy/data/pki/authorities/bench/root.crt"
		# smallstep's http-01 check connects to port 80, always
		BENCH_VARGS=(--http01-port 80)
	else
		[ "$VALIDATION" = http01 ] &&
		    BENCH_VARGS=(--http01-port "$HTTP01_PORT")
		sed -e "s/@PORT@/$port/" -e "s/@MPORT@/$(free_port)/" \
		    -e "s/@HPORT@/${HTTP01_PORT:-5002}/" \
		    -e "s|@DIR@|$W/pebble|g" >"$W/pebble/cfg.json" <<'EOF'
{"pebble": {"listenAddress": "127.0.0.1:@PORT@",
 "managementListenAddress": "127.0.0.1:@MPORT@",
 "certificate": "@DIR@/cert.pem", "privateKey": "@DIR@/key.pem",
 "httpPort": @HPORT@, "tlsPort": 5001, "ocspResponderURL": "",
 "externalAccountBindingRequired": false}}
EOF
		pebble -config "$W/pebble/cfg.json" -strict=false \
		    "${PEBBLE_DNS_ARGS[@]}" >/dev/null 2>"$W/pebble.log" &
		SDIR="https://localhost:$port/dir"
		SCA="$W/pebble/ca.pem"
	fi
	SPID=$!
	PIDS+=("$SPID")
	for _ in $(seq 600); do
		[ -f "$SCA" ] && curl -fs --cacert "$SCA" -o /dev/null "$SDIR" 2>/dev/null && return 0
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
	    "${BENCH_VARGS[@]}" \
	    --stall 10 --timeout 20 --max-errors 50 \
	    --json "$out.json" >"$out.txt" 2>"$out.err" || true
	python3 - "$out.json" "$idle" "$priv" "$out.txt" <<'PY' || true
import json, re, sys
p = sys.argv[1]
try:
    r = json.load(open(p))
except Exception:
    r = {"issued": 0, "failed": 0, "stalled": True, "error": "no result"}
r["idle_rss_kib"] = int(sys.argv[2])
r["idle_anon_kib"] = int(sys.argv[3] or 0)
# The text report's count of tokens bench's responder served: proof that
# the server really fetched them (the JSON does not carry it).
m = re.search(r"http-01 answers served: (\d+)", open(sys.argv[4]).read())
if m:
    r["http01_served"] = int(m.group(1))
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

echo "== throughput runs, validation $VALIDATION ($SERVERS interleaved, a fresh server each)"
# The server that goes first rotates from one cell to the next, so background
# load hits every server about equally.
read -r -a order <<<"$SERVERS"
for key in $KEYS; do
	for c in $CONC; do
		n=$ORDERS
		[ "$n" -lt $((c * 8)) ] && n=$((c * 8))
		for rep in $(seq "$REPEAT"); do
			for kind in "${order[@]}"; do
				run "$kind" "$key" "$c" "$n" "run-$key-c$c" "$rep"
			done
			order=("${order[@]:1}" "${order[0]}")
		done
	done
done
if [ "$LONG" -gt 0 ]; then
	echo "== long run: $LONG issuances each"
	run localacme ec256 16 "$LONG" long
	for kind in $SERVERS; do
		[ "$kind" = localacme ] || run "$kind" ec256 4 "$LONG" long
	done
fi

echo "== crypto ceiling (openssl speed, one core)"
openssl speed -seconds 1 ecdsap256 rsa2048 >"$W/speed.txt" 2>/dev/null || true
openssl x509 -in "$LOCALACME_HOME/intermediate.pem" -noout -text >"$W/inter.txt"

python3 - "$W" "$KEYS" "$CONC" "$LONG" "$SERVERS" "$VALIDATION" "$CADDY_WHY" <<'PY'
import glob, json, os, re, sys
w, keys, conc, long_n = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
servers, validation, caddy_why = sys.argv[5].split(), sys.argv[6], sys.argv[7]
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
    if isinstance(x, int) and not isinstance(x, bool):
        return "%d%s" % (x, unit)
    return "-" if x is None else ("%.1f%s" % (x, unit) if x >= 10 else "%.2f%s" % (x, unit))
def cell(r, f):
    if r is None: return None
    if r.get("stalled"): return "stalled@%d" % r.get("issued", 0)
    if r.get("issued", 0) == 0: return None
    return f(r)
def rate(r): return r["issuances_per_s"]
cold = json.load(open(w + "/cold.json"))
peers = [k for k in ("pebble", "caddy")]
names = {"localacme": "localacme", "pebble": "Pebble", "caddy": "Caddy"}
out = []
out.append("validation: %s; servers: %s%s" % (
    "real http-01 through a mock DNS" if validation == "http01" else "skipped",
    ", ".join(names[k] for k in servers),
    ("; Caddy left out: " + caddy_why) if caddy_why else ""))
out.append("%-54s %10s %10s %10s %9s %9s %9s" % ("figure", "localacme", "Pebble",
    "Caddy", "lac/Peb", "lac/Cad", "lac/best"))
out.append("-" * 117)
def line(name, vals, better=None, unit=""):
    """vals: {kind: number|str|None}; better: "hi" or "lo" for lac/best."""
    def s(x):
        if isinstance(x, str): return x
        return fmt(x, unit)
    def num(x): return isinstance(x, (int, float)) and not isinstance(x, bool)
    a = vals.get("localacme")
    ratios = []
    for k in peers:
        b = vals.get(k)
        ratios.append("%.2fx" % (a / b) if num(a) and num(b) and b else "-")
    best = "-"
    nums = [vals.get(k) for k in peers if num(vals.get(k)) and vals.get(k)]
    if better and num(a) and nums:
        best = "%.2fx" % (a / (max(nums) if better == "hi" else min(nums)))
    out.append("%-54s %10s %10s %10s %9s %9s %9s" % ((name,) + tuple(
        s(vals.get(k)) for k in ("localacme", "pebble", "caddy")) + tuple(ratios) + (best,)))
peak = {k: 0 for k in servers}
idle = {k: [] for k in servers}
idlep = {k: [] for k in servers}
fails = {k: 0 for k in servers}
best = {}
def cells(tag, f):
    return {k: cell(load(tag, k), f) for k in servers}
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        for kind in servers:
            for r in load_all(tag, kind):
                idle[kind].append(r.get("idle_rss_kib", 0))
                idlep[kind].append(r.get("idle_anon_kib", 0))
                peak[kind] = max(peak[kind], r.get("server", {}).get("rss_kib_peak", 0))
                fails[kind] += r.get("failed", 0)
        line("issuances/s, %s, concurrency %s" % (key, c), cells(tag, rate), "hi")
        L = load(tag, "localacme")
        if L and not L.get("stalled"):
            best[key] = max(best.get(key, 0), rate(L))
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        line("p50 / issuance ms, %s, c=%s" % (key, c), cells(tag, lambda r: r["issuance"]["p50_ms"]), "lo")
        line("p99 / issuance ms, %s, c=%s" % (key, c), cells(tag, lambda r: r["issuance"]["p99_ms"]), "lo")
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        line("server CPU ms/issuance, %s, c=%s" % (key, c), cells(tag, lambda r: r["server"]["cpu_ms_per_issuance"]), "lo")
        line("generator CPU ms/issuance, %s, c=%s" % (key, c), cells(tag, lambda r: r["client_cpu_ms_per_issuance"]))
for key in keys:
    for c in conc:
        tag = "run-%s-c%s" % (key, c)
        line("failed issuances, %s, c=%s" % (key, c), {k: sum(r.get("failed", 0) for r in load_all(tag, k)) if load_all(tag, k) else None for k in servers})
if validation == "http01":
    for key in keys:
        for c in conc:
            tag = "run-%s-c%s" % (key, c)
            line("http-01 fetches / issuance, %s, c=%s" % (key, c), cells(tag, lambda r: r.get("http01_served", 0) / r["issued"]))
line("cold start to first directory answer, ms (median)", {"localacme": med(cold["localacme"]), "pebble": med(cold["pebble"])}, "lo")
line("  localacme first run (creates the CA), ms", {"localacme": med(cold["localacme_first_run"])})
line("idle RSS MiB (median over runs)", {k: med(idle[k]) / 1024 if idle[k] else None for k in servers}, "lo")
line("idle anonymous MiB (heap, stacks: RSS less file pages)", {k: med(idlep[k]) / 1024 if idlep[k] else None for k in servers}, "lo")
line("peak RSS MiB under load (all runs)", {k: peak[k] / 1024 for k in servers}, "lo")
line("failed issuances (all runs)", fails)
if long_n > 0:
    def lcells(f): return {k: cell(load("long", k), f) for k in servers}
    line("long run: issuances/s (lac c=16, peers c=4)", lcells(rate))
    line("long run: rate, first tenth", lcells(lambda r: r["rate_first_tenth"]))
    line("long run: rate, last tenth", lcells(lambda r: r["rate_last_tenth"]))
    # Tenths 2-9 (no ramp-up, no drain): the slowest against the fastest.
    def mid(r):
        t = r.get("rate_tenths") or []
        t = [x for x in t[1:9] if x > 0]
        return 100.0 * (min(t) / max(t) - 1) if len(t) == 8 else None
    line("long run: tenths 2-9, slowest vs fastest, %", lcells(mid))
    line("long run: peak RSS MiB", lcells(lambda r: r["server"]["rss_kib_peak"] / 1024), "lo")
    line("long run: failed", lcells(lambda r: r["failed"]))
out.append("lac/best: localacme against the better peer of the cell (the higher rate, the lower ms or MiB)")
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
