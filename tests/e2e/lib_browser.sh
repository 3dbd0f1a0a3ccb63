# lib_browser.sh - sourced by e2e tests: headless Chromium (lib_browser.js over CDP), a localacme
# root + leaf for localhost, and the FastAPI seed app (contrib/examples/fastapi) serving it.
# SPDX-License-Identifier: MIT
#
#   browser_available            0 if chromium and node are there
#   browser_fetch_text URL       page text on stdout, exit 0; or the network error
#                                code (net::ERR_CERT_AUTHORITY_INVALID ...), exit 3
#   browser_screenshot URL FILE  as browser_fetch_text, and a PNG of the page in FILE
#   browser_eval URL EXPR [ARGS]  the JSON of EXPR evaluated in the loaded page (DOM
#                                checks); ARGS: --screenshot FILE, --size WxH
#   fastapi_python               prints a python3 that imports fastapi and uvicorn
#   tls_fixture OUTDIR           $LOCALACME init + issue localhost 127.0.0.1 ::1 into
#                                OUTDIR; sets FIX_ROOT, FIX_CERT (leaf + chain), FIX_KEY
#   fastapi_start CERT KEY       starts the seed app on a free loopback port; sets
#                                APP_PID and APP_PORT (stop it with fastapi_stop)
#   private_system_store DIR     inside a private mount namespace (unshare --mount
#                                --propagation private): bind temp copies (in DIR) over
#                                the Debian system store, so `trust install --stores
#                                system` never touches the machine's real one
#
# Chromium reads $HOME/.pki/nssdb: set HOME to a temp dir first. Nothing here
# kills a process it did not start.

LIB_BROWSER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

browser_available() {
	[ -x "$CHROMIUM" ] || { echo "lib_browser: no $CHROMIUM" >&2; return 1; }
	command -v node >/dev/null 2>&1 || { echo "lib_browser: no node" >&2; return 1; }
}

# CDP runs over --remote-debugging-pipe: any Node version will do.
browser_fetch_text() {
	node "$LIB_BROWSER_DIR/lib_browser.js" "$1"
}

browser_screenshot() {
	node "$LIB_BROWSER_DIR/lib_browser.js" "$1" --screenshot "$2"
}

browser_eval() {
	local url=$1 expr=$2
	shift 2
	node "$LIB_BROWSER_DIR/lib_browser.js" "$url" --eval "$expr" "$@"
}

fastapi_python() {
	local py
	for py in python3 /usr/bin/python3; do
		if command -v "$py" >/dev/null 2>&1 &&
		    "$py" -c 'import fastapi, uvicorn' 2>/dev/null; then
			command -v "$py"
			return 0
		fi
	done
	echo "lib_browser: no python3 with fastapi and uvicorn" >&2
	return 1
}

# All PEM certificates of a file, one per line as a count.
_ncerts() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" 2>/dev/null || true; }

tls_fixture() {
	local out=$1 f
	: "${LOCALACME:?LOCALACME not set}"
	: "${LOCALACME_HOME:?LOCALACME_HOME not set}"
	mkdir -p "$out"
	"$LOCALACME" init >"$out/init.log" 2>&1 || { cat "$out/init.log" >&2; return 1; }
	"$LOCALACME" issue localhost 127.0.0.1 ::1 --out "$out" >"$out/issue.log" 2>&1 ||
		{ cat "$out/issue.log" >&2; return 1; }
	FIX_ROOT=$LOCALACME_HOME/root.pem
	FIX_CERT="" FIX_KEY=""
	# Whatever the file names, the key is the file with a private key and the
	# certificate the one with the most certificates (leaf + intermediate).
	for f in "$out"/*; do
		[ -f "$f" ] || continue
		case "$f" in *.log) continue ;; esac
		if grep -q -- 'PRIVATE KEY-----' "$f"; then
			FIX_KEY=$f
		elif [ "$(_ncerts "$f")" -gt 0 ] &&
		    { [ -z "$FIX_CERT" ] || [ "$(_ncerts "$f")" -gt "$(_ncerts "$FIX_CERT")" ]; }; then
			FIX_CERT=$f
		fi
	done
	if [ -z "$FIX_CERT" ] || [ -z "$FIX_KEY" ]; then
		echo "tls_fixture: issue wrote no certificate/key in $out" >&2
		ls -l "$out" >&2
		return 1
	fi
	# Browsers do not fetch intermediates: serve leaf + intermediate.
	if [ "$(_ncerts "$FIX_CERT")" -eq 1 ] && [ -f "$LOCALACME_HOME/intermediate.pem" ]; then
		cat "$FIX_CERT" "$LOCALACME_HOME/intermediate.pem" >"$out/fullchain.served.pem"
		FIX_CERT=$out/fullchain.served.pem
	fi
	export FIX_ROOT FIX_CERT FIX_KEY
}

fastapi_start() {
	local cert=$1 key=$2 py portfile i
	py=$(fastapi_python) || return 1
	portfile=$(mktemp -u "${TMPDIR:-/tmp}/localacme-app-port.XXXXXX")
	APP_LOG=$portfile.log
	"$py" "${LOCALACME_TEST_SRCDIR:-$LIB_BROWSER_DIR/../..}/contrib/examples/fastapi/main.py" \
		--host 127.0.0.1 --port 0 --port-file "$portfile" \
		--certfile "$cert" --keyfile "$key" >"$portfile.log" 2>&1 &
	APP_PID=$!
	for i in $(seq 1 300); do
		[ -s "$portfile" ] && break
		kill -0 "$APP_PID" 2>/dev/null || { cat "$portfile.log" >&2; return 1; }
		sleep 0.1
	done
	APP_PORT=$(cat "$portfile" 2>/dev/null)
	rm -f "$portfile"
	[ -n "$APP_PORT" ] || { echo "fastapi_start: no port" >&2; return 1; }
	# The socket is bound before the port is written; wait for TLS to answer.
	for i in $(seq 1 300); do
		if curl -sk -o /dev/null "https://127.0.0.1:$APP_PORT/"; then
			export APP_PID APP_PORT
			return 0
		fi
		sleep 0.1
	done
	echo "fastapi_start: app did not answer on $APP_PORT" >&2
	cat "$portfile.log" >&2
	return 1
}

fastapi_stop() {
	if [ -n "${APP_PID:-}" ]; then
		kill "$APP_PID" 2>/dev/null || true
		wait "$APP_PID" 2>/dev/null || true
		APP_PID=""
	fi
	[ -z "${APP_LOG:-}" ] || rm -f "$APP_LOG"
}

private_system_store() {
	local ns=$1
	mkdir -p "$ns"
	cp -a /etc/ssl/certs "$ns/certs"
	cp -a /usr/local/share/ca-certificates "$ns/local"
	mount --bind "$ns/certs" /etc/ssl/certs
	mount --bind "$ns/local" /usr/local/share/ca-certificates
	if [ -f /etc/ca-certificates.conf ]; then
		cp -a /etc/ca-certificates.conf "$ns/conf"
		mount --bind "$ns/conf" /etc/ca-certificates.conf
	fi
	# Debian's hooks (ca-certificates-java) run dpkg triggers that write the
	# host's /var/lib/dpkg: not what these tests are about, so none run here.
	if [ -d /etc/ca-certificates/update.d ]; then
		mkdir -p "$ns/hooks"
		mount --bind "$ns/hooks" /etc/ca-certificates/update.d
	fi
}
