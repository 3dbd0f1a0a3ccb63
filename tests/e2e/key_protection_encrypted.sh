#!/usr/bin/env bash
# key_protection_encrypted.sh - HARDENING §6.1 P2/P6 and §6.2 KP5: `init --encrypt-root` writes
# root.key as PKCS#8 PBES2 (scrypt, AES-256-CBC); its passphrase comes from a 0400/0600 file, a
# systemd credential or the terminal (echo off), never argv or the environment; a wrong
# passphrase, a readable passphrase file or a passphrase in the environment is a one-line error and
# never a fallback; serve runs without the root key, logs a due rotation as pending with the
# command to run, and rotates by itself when given --root-passphrase-file.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_init
e2e_require openssl setsid python3

PASS='kp5 correct horse battery staple'
S=$LOCALACME_HOME
OUT=$(e2e_tmpdir)
unset CREDENTIALS_DIRECTORY LOCALACME_ROOT_PASSPHRASE LOCALACME_PASSPHRASE

# Every run is detached from any terminal (setsid): a test must never wait at a prompt.
la() { setsid -w "$LOCALACME" "$@"; }
pfile() { # PATH MODE TEXT
	rm -f "$1"
	printf '%s\n' "$3" >"$1"
	chmod "$2" "$1"
}
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pub_of_key() { openssl pkey -in "$1" -passin "file:$2" -pubout; }
no_secret() { # FILE...: the passphrase appears nowhere
	local f
	for f in "$@"; do
		if grep -qF "$PASS" "$f"; then e2e_fail "the passphrase is in $f"; fi
	done
}

P=$E2E_TMP/pass
pfile "$P" 400 "$PASS"

# ---- init --encrypt-root: PKCS#8 PBES2, scrypt, AES-256-CBC ----
la init --encrypt-root --root-passphrase-file "$P" >"$E2E_TMP/init.out" 2>"$E2E_TMP/init.err" ||
	e2e_fail "init --encrypt-root: $(cat "$E2E_TMP/init.err")"
[ "$(head -1 "$S/root.key")" = "-----BEGIN ENCRYPTED PRIVATE KEY-----" ] ||
	e2e_fail "root.key is not an ENCRYPTED PRIVATE KEY: $(head -1 "$S/root.key")"
grep -q 'BEGIN PRIVATE KEY' "$S/root.key" && e2e_fail "root.key holds a plaintext key"
openssl asn1parse -in "$S/root.key" >"$E2E_TMP/asn1" || e2e_fail "root.key does not parse"
grep -q ':PBES2' "$E2E_TMP/asn1" || e2e_fail "root.key is not PBES2: $(cat "$E2E_TMP/asn1")"
grep -q ':scrypt' "$E2E_TMP/asn1" || e2e_fail "root.key's KDF is not scrypt"
grep -q ':aes-256-cbc' "$E2E_TMP/asn1" || e2e_fail "root.key's cipher is not AES-256-CBC"
[ "$(e2e_mode "$S/root.key")" = 600 ] || e2e_fail "root.key mode $(e2e_mode "$S/root.key")"
[ "$(pub_of_key "$S/root.key" "$P")" = "$(pub_of_cert "$S/root.pem")" ] ||
	e2e_fail "the decrypted root.key does not belong to root.pem"
grep -q 'root.key (encrypted)' "$E2E_TMP/init.out" || e2e_fail "init did not say the key is encrypted"
# The online key stays usable without a passphrase: issue needs no root key (P1).
head -1 "$S/intermediate.key" | grep -q '^-----BEGIN PRIVATE KEY-----$' ||
	e2e_fail "intermediate.key should stay unencrypted for serve"
la issue --out "$OUT" enc.test >/dev/null 2>"$E2E_TMP/issue.err" ||
	e2e_fail "issue with an encrypted root: $(cat "$E2E_TMP/issue.err")"
no_secret "$E2E_TMP/init.out" "$E2E_TMP/init.err" "$E2E_TMP/issue.err"
e2e_ok "init --encrypt-root: PBES2/scrypt/AES-256-CBC root.key; issue works without it"

state_sum() { sha256sum "$S"/*.pem "$S"/*.key | sort; }
h() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- KP5a: a wrong passphrase is an error, never a fallback ----
W=$E2E_TMP/wrong
pfile "$W" 600 "not the passphrase"
before=$(state_sum)
e2e_expect_fail "KP5 wrong passphrase" la init --rotate-intermediate --root-passphrase-file "$W"
e2e_one_line "$E2E_ERR"
grep -q 'root.key: cannot decrypt the key: wrong passphrase' "$E2E_ERR" ||
	e2e_fail "wrong passphrase: unclear error: $(cat "$E2E_ERR")"
[ "$(state_sum)" = "$before" ] || e2e_fail "a failed rotation changed the state directory"
e2e_ok "KP5 wrong passphrase: $(cat "$E2E_ERR")"

# ---- KP5b: a passphrase file others can read is refused (even holding the right passphrase) ----
R=$E2E_TMP/readable
pfile "$R" 644 "$PASS"
e2e_expect_fail "KP5 mode 0644" la init --rotate-intermediate --root-passphrase-file "$R"
e2e_one_line "$E2E_ERR"
grep -qF "$R" "$E2E_ERR" || e2e_fail "0644: error does not name the file: $(cat "$E2E_ERR")"
grep -q '0644' "$E2E_ERR" || e2e_fail "0644: error does not give the mode: $(cat "$E2E_ERR")"
[ "$(state_sum)" = "$before" ] || e2e_fail "a refused rotation changed the state directory"
port=$(e2e_free_port)
if timeout 30 "$LOCALACME" serve --listen "127.0.0.1:$port" \
    --root-passphrase-file "$R" >"$E2E_TMP/serve0644.out" 2>&1; then
	e2e_fail "serve started with a 0644 passphrase file"
fi
grep -qF "$R" "$E2E_TMP/serve0644.out" || e2e_fail "serve's error does not name the file"
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && e2e_fail "something listens on $port"
no_secret "$E2E_ERR" "$E2E_TMP/serve0644.out"
e2e_ok "KP5 mode 0644 refused by init and serve: $(cat "$E2E_ERR")"

# ---- KP5c: a passphrase in the environment or argv is never used ----
e2e_expect_fail "KP5 env only" env LOCALACME_ROOT_PASSPHRASE="$PASS" LOCALACME_PASSPHRASE="$PASS" \
	setsid -w "$LOCALACME" init --rotate-intermediate
e2e_one_line "$E2E_ERR"
grep -q 'never used' "$E2E_ERR" || e2e_fail "env only: error does not say so: $(cat "$E2E_ERR")"
grep -q -- '--root-passphrase-file' "$E2E_ERR" || e2e_fail "env only: error names no way out"
no_secret "$E2E_ERR"
[ "$(state_sum)" = "$before" ] || e2e_fail "an env-only rotation changed the state directory"
fresh=$E2E_TMP/fresh
e2e_expect_fail "KP5 env only, new CA" env LOCALACME_HOME="$fresh" LOCALACME_ROOT_PASSPHRASE="$PASS" \
	setsid -w "$LOCALACME" init --encrypt-root
e2e_one_line "$E2E_ERR"
[ ! -e "$fresh/root.key" ] || e2e_fail "init --encrypt-root without a passphrase left a key"
e2e_expect_fail "a --passphrase option" la init --encrypt-root --passphrase "$PASS"
e2e_ok "KP5 environment and argv: $(head -c 160 "$E2E_ERR")"

# ---- the right passphrase from a file rotates; from a systemd credential too ----
old_int=$(h "$S/intermediate.pem")
la init --rotate-intermediate --root-passphrase-file "$P" >/dev/null 2>"$E2E_TMP/rot.err" ||
	e2e_fail "rotation with the right passphrase: $(cat "$E2E_TMP/rot.err")"
[ "$(h "$S/intermediate.pem")" != "$old_int" ] || e2e_fail "intermediate.pem unchanged"
openssl verify -CAfile "$S/root.pem" "$S/intermediate.pem" >/dev/null ||
	e2e_fail "the new intermediate does not verify against the root"
ls "$S"/intermediate-*.pem >/dev/null 2>&1 || e2e_fail "the old intermediate was not archived"
creds=$(e2e_tmpdir)
pfile "$creds/localacme-root-passphrase" 400 "$PASS"
old_int=$(h "$S/intermediate.pem")
CREDENTIALS_DIRECTORY=$creds la init --rotate-intermediate >/dev/null 2>"$E2E_TMP/rot.err" ||
	e2e_fail "rotation from a systemd credential: $(cat "$E2E_TMP/rot.err")"
[ "$(h "$S/intermediate.pem")" != "$old_int" ] || e2e_fail "credential: intermediate unchanged"
head -1 "$S/root.key" | grep -q ENCRYPTED || e2e_fail "root.key is no longer encrypted"
no_secret "$E2E_TMP/rot.err"
e2e_ok "rotation with the passphrase from a file and from \$CREDENTIALS_DIRECTORY"

# ---- the terminal: prompted twice with echo off ----
cat >"$E2E_TMP/prompt_driver.py" <<'EOF'
import os, pty, select, sys
pw, argv = sys.argv[1].encode(), sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen = b""
def until(want):
    global seen
    while want not in seen:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            sys.exit("timed out waiting for %r; terminal showed %r" % (want, seen))
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        if not d:
            sys.exit("no %r; terminal showed %r" % (want, seen))
        seen += d
until(b"passphrase for the root key: ")
os.write(fd, pw + b"\n")
until(b"again: ")
os.write(fd, pw + b"\n")
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    seen += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
T=$E2E_TMP/ttystate
LOCALACME_HOME=$T python3 "$E2E_TMP/prompt_driver.py" "$PASS" "$LOCALACME" init --encrypt-root \
	>"$E2E_TMP/tty.out" 2>&1 || e2e_fail "init on a terminal: $(cat "$E2E_TMP/tty.out")"
head -1 "$T/root.key" | grep -q 'ENCRYPTED PRIVATE KEY' || e2e_fail "terminal: root.key not encrypted"
echo "$PASS" >"$E2E_TMP/ttypass" && chmod 600 "$E2E_TMP/ttypass"
[ "$(pub_of_key "$T/root.key" "$E2E_TMP/ttypass")" = "$(pub_of_cert "$T/root.pem")" ] ||
	e2e_fail "terminal: root.key does not decrypt with the typed passphrase"
no_secret "$E2E_TMP/tty.out"	# echo was off
e2e_ok "terminal prompt: asked twice, echo off, key encrypted with what was typed"

# ---- an existing CA's root.key is encrypted in place ----
C=$E2E_TMP/convert
LOCALACME_HOME=$C la init >/dev/null 2>&1 || e2e_fail "init (plain)"
pub=$(pub_of_cert "$C/root.pem")
LOCALACME_HOME=$C la init --encrypt-root --root-passphrase-file "$P" >"$E2E_TMP/conv.out" 2>&1 ||
	e2e_fail "init --encrypt-root on an existing CA: $(cat "$E2E_TMP/conv.out")"
head -1 "$C/root.key" | grep -q 'ENCRYPTED PRIVATE KEY' || e2e_fail "convert: root.key not encrypted"
[ "$(pub_of_key "$C/root.key" "$P")" = "$pub" ] || e2e_fail "convert: a different key"
ls -a "$C" | grep -q '^\.root\.key\.' && e2e_fail "convert: a temporary file was left"
LOCALACME_HOME=$C la init --encrypt-root --root-passphrase-file "$P" 2>&1 |
	grep -q 'encrypted already' || e2e_fail "convert twice: not a no-op"
e2e_ok "init --encrypt-root encrypts an existing root.key in place"

# ---- serve with an encrypted root: a due rotation is pending without a passphrase ----
# libfaketime is preloaded with env(1), which execs: the PID we start is serve itself.
ftlib=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/*/faketime/libfaketime.so.1 \
    /usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1; do
	[ -f "$f" ] && ftlib=$f && break
done
if [ -z "$ftlib" ]; then
	echo "note: libfaketime missing (apt install faketime); serve rotation cases skipped"
	echo "PASS"
	exit 0
fi
# An ASan binary must not insist on its runtime coming first.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# 800 days on: less than a third of a 3-year intermediate is left. Only
# for e2e_start: exec, so the PID it records is the server's (a subshell
# in between took the TERM and left the server running, orphaned).
later() {
	exec env LD_PRELOAD="$ftlib" FAKETIME='+800d' \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"
}
wait_log() { # FILE TEXT PID
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || e2e_fail "serve exited: $(tail -5 "$1")"
		sleep 0.1
	done
	e2e_fail "no '$2' in $1: $(tail -5 "$1")"
}
before=$(state_sum)
int_before=$(h "$S/intermediate.pem")
port=$(e2e_free_port)
e2e_start pending later "$LOCALACME" serve --listen "127.0.0.1:$port"
pid=$E2E_PID
wait_log "$E2E_TMP/pending.log" 'ACME directory at' "$pid"
grep -q 'intermediate rotation: pending: .*root.key is encrypted' "$E2E_TMP/pending.log" ||
	e2e_fail "no pending rotation logged: $(cat "$E2E_TMP/pending.log")"
grep -q -- "localacme init --state $S --rotate-intermediate --root-passphrase-file" \
	"$E2E_TMP/pending.log" || e2e_fail "the pending message does not give the command"
kill -0 "$pid" 2>/dev/null || e2e_fail "serve stopped"
e2e_stop "$pid"
[ "$(state_sum)" = "$before" ] || e2e_fail "serve changed the CA files without the root key"
e2e_ok "serve with an encrypted root and no passphrase runs; rotation logged as pending"

port=$(e2e_free_port)
e2e_start autorot later "$LOCALACME" serve --listen "127.0.0.1:$port" \
	--root-passphrase-file "$P"
pid=$E2E_PID
wait_log "$E2E_TMP/autorot.log" 'ACME directory at' "$pid"
grep -q 'ca: rotated the intermediate' "$E2E_TMP/autorot.log" ||
	e2e_fail "serve --root-passphrase-file did not rotate: $(cat "$E2E_TMP/autorot.log")"
e2e_stop "$pid"
[ "$(h "$S/intermediate.pem")" != "$int_before" ] || e2e_fail "intermediate.pem unchanged"
# Signed 800 days from now (faked): check it at that time.
openssl verify -attime $(($(date +%s) + 801 * 86400)) -CAfile "$S/root.pem" \
    "$S/intermediate.pem" >/dev/null || e2e_fail "the rotated intermediate does not verify"
head -1 "$S/root.key" | grep -q ENCRYPTED || e2e_fail "serve left root.key unencrypted"
no_secret "$E2E_TMP/pending.log" "$E2E_TMP/autorot.log"
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$E2E_TMP/pending.log" "$E2E_TMP/autorot.log"; then
	e2e_fail "sanitizer report in a serve log"
fi
e2e_ok "serve --root-passphrase-file rotates a due intermediate by itself"
echo "PASS"
