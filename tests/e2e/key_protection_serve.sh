#!/usr/bin/env bash
# key_protection_serve.sh - HARDENING §6.2 KP4, KP6, KP7, KP8, KP10 against a running `serve`
# (hardened mode: root.key encrypted, --root-passphrase-file given) and one lego issuance:
#   KP4  strace: serve never opens root.key (it does open intermediate.key: the trace is real)
#   KP6  /proc/<pid>/cmdline and environ hold no passphrase; no fd on root.key or the passphrase
#   KP7  kill -SEGV with `ulimit -c unlimited` writes no core (checked against a control process
#        that does dump), and the process is non-dumpable (/proc/<pid> owned by root)
#   KP8  debug logs and stderr hold no PRIVATE KEY, no passphrase, no base64 of a CA key
#   KP10 a default `serve` listens only on 127.0.0.1 and ::1 (skipped if port 8555 is taken)
# KP9 (trust install writes only the root certificate) is in trust_curl.sh and trust_browser.sh.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require openssl curl strace lego setsid ss
unset CREDENTIALS_DIRECTORY LOCALACME_LISTEN LOCALACME_CONFIG LOCALACME_BASE_URL

PASS='kp serve passphrase 4 6 8'
S=$LOCALACME_HOME
P=$E2E_TMP/pass
printf '%s\n' "$PASS" >"$P"
chmod 400 "$P"
setsid -w "$LOCALACME" init --encrypt-root --root-passphrase-file "$P" \
	>"$E2E_TMP/init.out" 2>"$E2E_TMP/init.err" || e2e_fail "init: $(cat "$E2E_TMP/init.err")"

# ---- serve under strace (KP4), inspected live (KP6), with one issuance ----
ACME_PORT=$(e2e_free_port)
HTTP01=$(e2e_free_port)
# LeakSanitizer cannot run under ptrace: off for this run only (env execs: same PID).
e2e_start serve strace -f -qq -o "$E2E_TMP/trace" -e trace=open,openat,openat2,creat -- \
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$LOCALACME" serve --listen "127.0.0.1:$ACME_PORT" --log-level debug --validation skip \
	--http01-port "$HTTP01" --root-passphrase-file "$P"
strace_pid=$E2E_PID
ACME_DIR="https://localhost:$ACME_PORT/directory"
ACME_ROOT="$S/root.pem"
for i in $(seq 300); do
	curl -fsS --cacert "$ACME_ROOT" -o /dev/null "$ACME_DIR" 2>/dev/null && break
	kill -0 "$strace_pid" 2>/dev/null || e2e_fail "serve exited: $(tail -5 "$E2E_TMP/serve.log")"
	[ "$i" -lt 300 ] || e2e_fail "the directory did not answer"
	sleep 0.1
done
# strace forked serve: its only child is the server we started.
serve_pid=$(ps -o pid= --ppid "$strace_pid" | tr -d ' ')
[ -n "$serve_pid" ] && [ -d "/proc/$serve_pid" ] || e2e_fail "cannot find serve's PID"
grep -q localacme "/proc/$serve_pid/cmdline" || e2e_fail "PID $serve_pid is not serve"

# KP6
tr '\0' '\n' <"/proc/$serve_pid/cmdline" >"$E2E_TMP/cmdline"
tr '\0' '\n' <"/proc/$serve_pid/environ" >"$E2E_TMP/environ"
grep -q -- '--root-passphrase-file' "$E2E_TMP/cmdline" || e2e_fail "cmdline unreadable"
grep -qF "$PASS" "$E2E_TMP/cmdline" && e2e_fail "the passphrase is in /proc/$serve_pid/cmdline"
grep -qF "$PASS" "$E2E_TMP/environ" && e2e_fail "the passphrase is in /proc/$serve_pid/environ"
ls -l "/proc/$serve_pid/fd" >"$E2E_TMP/fds" 2>/dev/null || true
grep -qE 'root\.key|/pass$' "$E2E_TMP/fds" && e2e_fail "serve holds root.key or the passphrase file open"
e2e_ok "KP6 no passphrase in /proc/$serve_pid/cmdline or environ; no fd on root.key"

lg=$(e2e_tmpdir)
LEGO_CA_CERTIFICATES="$ACME_ROOT" timeout 180 lego --server "$ACME_DIR" --accept-tos \
	--email kp@example.test --path "$lg" --domains kp.localhost \
	--http --http.port "127.0.0.1:$HTTP01" run >"$E2E_TMP/lego.out" 2>&1 ||
	e2e_fail "lego: $(tail -20 "$E2E_TMP/lego.out")"
openssl x509 -in "$lg/certificates/kp.localhost.crt" -out "$E2E_TMP/leaf.pem"
acme_check_cert "$E2E_TMP/leaf.pem" "$lg/certificates/kp.localhost.issuer.crt" kp.localhost
e2e_ok "lego issued through the hardened server"

kill -TERM "$serve_pid"
wait "$strace_pid" 2>/dev/null || true

# KP4
grep -q 'intermediate\.key' "$E2E_TMP/trace" || e2e_fail "the trace saw no key opened: not a real trace"
if grep 'root\.key' "$E2E_TMP/trace" >"$E2E_TMP/rootkey.opens"; then
	e2e_fail "serve opened root.key: $(head -3 "$E2E_TMP/rootkey.opens")"
fi
e2e_ok "KP4 root.key never opened by serve ($(grep -c . "$E2E_TMP/trace") opens traced)"

# KP8: the CA keys' base64 lines (root decrypted), the passphrase, any PEM private key
keylines=$E2E_TMP/keylines
{
	grep -v -- '-----' "$S/intermediate.key"
	grep -v -- '-----' "$S/root.key"
	openssl pkey -in "$S/root.key" -passin "file:$P" | grep -v -- '-----'
} | grep -E '.{16,}' >"$keylines"
[ -s "$keylines" ] || e2e_fail "no key lines to look for"
grep -q 'kp.localhost' "$E2E_TMP/serve.log" || e2e_fail "serve logged nothing of the issuance: not a real log"
for f in "$E2E_TMP/serve.log" "$E2E_TMP/init.out" "$E2E_TMP/init.err" "$E2E_TMP/lego.out"; do
	grep -q 'PRIVATE KEY' "$f" && e2e_fail "KP8: 'PRIVATE KEY' in $f"
	grep -qF "$PASS" "$f" && e2e_fail "KP8: the passphrase is in $f"
	grep -qFf "$keylines" "$f" && e2e_fail "KP8: base64 of a CA key in $f"
done
e2e_ok "KP8 debug logs hold no private key, passphrase or key base64"

# ---- KP7: no core file; the process is not dumpable ----
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '|')
kp7=0
core_dir() { # where a process started in $1 dumps
	case "$pattern" in
	/*) dirname "$pattern" ;;
	*) echo "$1" ;;
	esac
}
start_in() { # NAME DIR CMD...: start CMD in DIR with unlimited core size
	local name=$1 dir=$2
	shift 2
	e2e_start "$name" bash -c 'cd "$1" && shift && ulimit -c unlimited && exec "$@"' _ "$dir" "$@"
}
wait_exec() { # PID COMM: until the wrapper shell has exec'd COMM (so ulimit is in effect)
	local i
	for i in $(seq 100); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	e2e_fail "PID $1 never became $2"
}
segv() { # PID: SIGSEGV, then reap it
	kill -SEGV "$1"
	wait "$1" 2>/dev/null || true
	sleep 0.5	# a core is written by the kernel as the process dies
}
if [ "${pattern#|}" = "$pattern" ]; then
	# Listings with size and mtime: a core overwriting one of the same name shows too.
	cores() { ls -lA --time-style=full-iso "$1" 2>/dev/null | grep -v '^total' || true; }
	cwd=$(e2e_tmpdir)
	cdir=$(core_dir "$cwd")
	cores "$cdir" >"$E2E_TMP/cores.before"
	start_in control "$cwd" sleep 600
	wait_exec "$E2E_PID" sleep
	segv "$E2E_PID"
	cores "$cdir" >"$E2E_TMP/cores.control"
	if ! cmp -s "$E2E_TMP/cores.before" "$E2E_TMP/cores.control"; then
		# This machine writes cores: serve must not (started in a fresh directory).
		cwd=$(e2e_tmpdir)
		cdir=$(core_dir "$cwd")
		sleep 1	# mtimes of a rewritten core differ
		cores "$cdir" >"$E2E_TMP/cores.before"
		port=$(e2e_free_port)
		start_in segv "$cwd" "$LOCALACME" serve --listen "127.0.0.1:$port"
		pid=$E2E_PID
		e2e_wait_port "$port" 30
		segv "$pid"
		cores "$cdir" >"$E2E_TMP/cores.after"
		cmp -s "$E2E_TMP/cores.before" "$E2E_TMP/cores.after" ||
			e2e_fail "KP7: serve left a core: $(diff "$E2E_TMP/cores.before" "$E2E_TMP/cores.after")"
		kp7=1
		e2e_ok "KP7 kill -SEGV: the control process dumped core, serve did not"
	else
		echo "note: KP7 this machine writes no core files (pattern $pattern); file check skipped"
	fi
else
	echo "note: KP7 core_pattern pipes to a handler ($pattern); file check skipped"
fi
# /proc/<pid> of a non-dumpable process belongs to root (proc(5), PR_SET_DUMPABLE): visible when
# the server runs as someone else. As root, run it as nobody when the binary is reachable.
dump_owner_check() { # RUNAS-PREFIX...: start serve, compare /proc owner with a control
	local port pid ctl owner want
	port=$(e2e_free_port)
	e2e_start dumpctl "$@" sleep 600
	ctl=$E2E_PID
	e2e_start dumpable "$@" "$LOCALACME" serve --listen "127.0.0.1:$port"
	pid=$E2E_PID
	e2e_wait_port "$port" 30
	want=$(stat -c %u "/proc/$ctl/status")
	owner=$(stat -c %u "/proc/$pid/status")
	[ "$want" != 0 ] || e2e_fail "KP7: the control process is root-owned; check is void"
	[ "$owner" = 0 ] || e2e_fail "KP7: /proc/$pid is owned by $owner: serve is dumpable"
	e2e_stop "$pid"
	e2e_stop "$ctl"
	kp7=1
	e2e_ok "KP7 serve is non-dumpable (/proc/$pid owned by root, a control by $want)"
}
if [ "$(id -u)" != 0 ]; then
	dump_owner_check env
elif command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1 &&
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups test -x "$LOCALACME" 2>/dev/null; then
	nb=$E2E_TMP/nobody
	mkdir -p "$nb"
	chown nobody "$nb"
	chmod 711 "$E2E_TMP"
	dump_owner_check setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env LOCALACME_HOME="$nb/state"
	chmod 700 "$E2E_TMP"
else
	echo "note: KP7 cannot run serve as another user here; ownership check skipped"
fi
[ $kp7 -eq 1 ] || echo "note: KP7 had no observable on this machine"

# ---- KP10: a default serve listens on loopback only ----
if ss -ltnH '( sport = :8555 )' | grep -q .; then
	echo "note: KP10 skipped: port 8555 is in use"
else
	e2e_start kp10 "$LOCALACME" serve
	pid=$E2E_PID
	e2e_wait_port 8555 30
	if kill -0 "$pid" 2>/dev/null; then
		ss -ltnpH | grep "pid=$pid," | awk '{print $4}' | sort >"$E2E_TMP/listen"
		printf '%s\n' '127.0.0.1:8555' '[::1]:8555' | sort >"$E2E_TMP/listen.want"
		diff "$E2E_TMP/listen.want" "$E2E_TMP/listen" >/dev/null ||
			e2e_fail "KP10: default serve listens on: $(tr '\n' ' ' <"$E2E_TMP/listen")"
		e2e_stop "$pid"
		e2e_ok "KP10 default serve listens only on $(tr '\n' ' ' <"$E2E_TMP/listen")"
	else
		echo "note: KP10 skipped: serve could not bind 8555: $(tail -1 "$E2E_TMP/kp10.log")"
	fi
fi

# Under ASan/UBSan: no report from any server that stopped normally (segv.log was killed on purpose).
for f in "$E2E_TMP"/serve.log "$E2E_TMP"/dumpable.log "$E2E_TMP"/kp10.log; do
	[ -f "$f" ] || continue
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$f"; then
		e2e_fail "sanitizer report in $f: $(grep -m3 -E 'Sanitizer|runtime error:' "$f")"
	fi
done
echo "PASS"
