#!/usr/bin/env bash
# cli_messages.sh - the CLI's error messages and exit codes (issue #16): usage errors exit 2 with
# one line that says what is allowed; --out is created; revoke takes a certificate file; a
# read-only state directory can be listed; LOCALACME_HOME= is unset; the FastAPI example is true.
# Wall time: about 8 s (no server is started; one CA and two keys are made).
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl

# One row: expected exit code, a fixed fragment of the one stderr line, the command line.
check() {
	local want=$1 frag=$2 rc=0
	shift 2
	"$LOCALACME" "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || e2e_fail "localacme $*: exit $rc, want $want: $(cat "$E2E_TMP/err")"
	e2e_one_line "$E2E_TMP/err"
	grep -qF -- "$frag" "$E2E_TMP/err" ||
	    e2e_fail "localacme $*: stderr lacks '$frag': $(cat "$E2E_TMP/err")"
}

# --- usage errors: exit 2, and the message names what is allowed ---
check 2 'unknown command "nosuch"'			nosuch
check 2 'did you mean "issue"?'				isue
check 2 'did you mean "list"?'				help lst
check 2 '--listen 127.0.0.1:PORT'			serve --port 15000
check 2 '--listen 127.0.0.1:PORT'			serve --port=15000
check 2 'did you mean --leaf-days?'			serve --leaf-dayz 3
check 2 'option --strict takes no value'		serve --strict=yes
check 2 'serve: unexpected argument "extra"'		serve extra
check 2 'must be an integer from 1 to 825'		serve --leaf-days 0
check 2 'must be error, warn, info or debug'		serve --log-level loud
check 2 'must be text or json'				list --log-format xml
check 2 'must be real or skip'				serve --validation maybe
check 2 'did you mean --json?'				list --jsn
check 2 'list: unexpected argument'			list extra
check 2 'from 1 to 825'					issue --days 0 localhost
check 2 'ec256, ec384, rsa2048, rsa3072, rsa4096'	issue --key-type ed25519 localhost
check 2 'ec256, ec384, rsa2048, rsa3072, rsa4096'	init --key-type ed25519
check 2 'init: unexpected argument'			init extra
check 2 'give at least one NAME'			issue
check 2 'did you mean --days?'				issue --dayz 3 localhost
check 2 'reason codes are 0-6, 9 and 10'		revoke --reason 7 ab
check 2 '`localacme list` shows the serials'		revoke
check 2 'neither a serial number'			revoke ./file.pem
check 2 '`localacme list` shows the serials'		revoke ./file.pem
check 2 'unknown action "frobnicate"'			trust frobnicate
check 2 'give an action: install, uninstall or status'	trust
check 2 'trust: unknown option --bogus'			trust status --bogus
check 2 'did you mean "install"?'			trust instal
check 2 'give add, list or remove'			eab
check 2 'a kid is 1 to 63 of A-Z a-z 0-9 _ . -'		eab add --kid 'a b'
check 2 '--state: empty path'				list --state ''
check 2 'unknown or incomplete option'			bench --bogus
LOCALACME_LEAF_DAYS=0 check 2 'LOCALACME_LEAF_DAYS: must be an integer from 1 to 825' list
LOCALACME_LOG_FORMAT=xml check 2 'LOCALACME_LOG_FORMAT: must be text or json' list
e2e_ok "usage errors: exit 2, one line naming the allowed values"

# help --help is help, not an unknown command.
"$LOCALACME" help --help >"$E2E_TMP/out" 2>"$E2E_TMP/err" || e2e_fail "help --help: exit $?"
grep -q '^usage: localacme <command>' "$E2E_TMP/out" || e2e_fail "help --help printed no usage"
[ ! -s "$E2E_TMP/err" ] || e2e_fail "help --help wrote to stderr: $(cat "$E2E_TMP/err")"
e2e_ok "help --help"

# --- failures that name their subject: exit 1 ---
check 1 "--csr $E2E_TMP/nonexistent: cannot read the certificate request: No such file" \
    issue --csr "$E2E_TMP/nonexistent"
check 2 '"bad..name": ' issue --out "$E2E_TMP/never" bad..name
[ ! -e "$E2E_TMP/never" ] || e2e_fail "a refused issue created its --out directory"
: >"$E2E_TMP/afile"
check 1 "--out $E2E_TMP/afile/sub: cannot create: Not a directory" \
    issue --out "$E2E_TMP/afile/sub" localhost
e2e_ok "--csr and --out failures name the option"

# --- configuration files ---
CONF=$E2E_TMP/conf.json
printf '{\n  "leaf_dayz": 30\n}\n' >"$CONF"
check 2 "$CONF:2:3: unknown setting \"leaf_dayz\"; did you mean \"leaf_days\"?" list --config "$CONF"
printf '{\n\001\000\377garbage' >"$CONF"
check 2 "$CONF:2:1: binary data (byte 0x01)" list --config "$CONF"
printf '\000\001' >"$CONF"
check 2 "$CONF:1:1: binary data (byte 0x00)" list --config "$CONF"
e2e_ok "config file: did-you-mean for keys, binary data at its real position"

# --- issue --out creates the directory (mkdir -p, 0700) ---
OUT=$E2E_TMP/o/a/b
"$LOCALACME" issue --out "$OUT" localhost 127.0.0.1 ::1 >"$E2E_TMP/issue.out" ||
    e2e_fail "issue --out a new directory"
[ -f "$OUT/localhost+2.pem" ] && [ -f "$OUT/localhost+2-key.pem" ] || e2e_fail "files: $(ls "$OUT")"
for d in "$E2E_TMP/o" "$E2E_TMP/o/a" "$OUT"; do
	[ "$(e2e_mode "$d")" = 700 ] || e2e_fail "$d: mode $(e2e_mode "$d"), want 700"
done
e2e_ok "issue --out creates missing directories 0700"

# --- revoke a certificate file: its serial ---
serial=$(openssl x509 -in "$OUT/localhost+2.pem" -noout -serial | sed 's/.*=//' | tr A-F a-f | sed 's/^0*//')
"$LOCALACME" revoke "$OUT/localhost+2.pem" >"$E2E_TMP/rev.out" || e2e_fail "revoke FILE"
grep -q "Revoked" "$E2E_TMP/rev.out" || e2e_fail "revoke FILE said: $(cat "$E2E_TMP/rev.out")"
"$LOCALACME" list | grep -i "$serial" | grep -q revoked || e2e_fail "serial $serial not revoked"
check 1 "is already revoked" revoke "$OUT/localhost+2.pem"
check 2 "is neither a serial number nor a certificate file" revoke "$CONF"
e2e_ok "revoke CERTFILE revokes its serial"

# --- LOCALACME_HOME= (set, empty) is unset: the file's state_dir is used ---
S2=$E2E_TMP/s2
LOCALACME_HOME=$S2 "$LOCALACME" init >/dev/null || e2e_fail "init $S2"
printf '{"state_dir": "%s"}\n' "$S2" >"$CONF"
HOME=$E2E_TMP/nohome XDG_DATA_HOME= LOCALACME_HOME= "$LOCALACME" list --config "$CONF" >"$E2E_TMP/l.out" ||
    e2e_fail "LOCALACME_HOME= hid the config's state_dir: $(cat "$E2E_TMP/l.out")"
e2e_ok "LOCALACME_HOME= is treated as unset"

# --- a state directory we may read but not write ---
# Root ignores permission bits, so as root the command runs as nobody on a copy nobody owns.
RO=$E2E_TMP/ro
cp -a "$LOCALACME_HOME" "$RO"
chmod 711 "$E2E_TMP"
as=()
if [ "$(id -u)" = 0 ]; then
	e2e_require setpriv
	chown -R nobody: "$RO"
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	"${as[@]}" "$LOCALACME" --version >/dev/null || e2e_fail "nobody cannot run $LOCALACME"
fi
chmod 400 "$RO"/*
chmod 500 "$RO"
"${as[@]}" "$LOCALACME" list --state "$RO" >"$E2E_TMP/ro.out" 2>"$E2E_TMP/ro.err" ||
    e2e_fail "list on a read-only state dir: $(cat "$E2E_TMP/ro.err")"
grep -qi "$serial" "$E2E_TMP/ro.out" || e2e_fail "list (read-only) lacks $serial: $(cat "$E2E_TMP/ro.out")"
rc=0
"${as[@]}" "$LOCALACME" revoke --state "$RO" "$serial" 2>"$E2E_TMP/ro.err" || rc=$?
[ "$rc" = 1 ] || e2e_fail "revoke on a read-only state dir: exit $rc"
e2e_one_line "$E2E_TMP/ro.err"
grep -qF "$RO/localacme.db: cannot write it: Permission denied (mode 0400, owner uid" "$E2E_TMP/ro.err" ||
    e2e_fail "revoke (read-only) does not say why: $(cat "$E2E_TMP/ro.err")"
grep -q "unable to open database file" "$E2E_TMP/ro.err" && e2e_fail "SQLite's generic text: $(cat "$E2E_TMP/ro.err")"
e2e_ok "read-only state dir: list works, revoke names mode and owner"

# --- contrib/examples/fastapi/README.md: its issue line, literally, writes the files it names ---
README=$(dirname "$0")/../../contrib/examples/fastapi/README.md
line=$(grep -E '^localacme issue ' "$README" | sed 's/ *#.*//')
run=$(grep -E '^python3 main.py ' "$README" | sed 's/ *#.*//')
[ -n "$line" ] && [ -n "$run" ] || e2e_fail "README has no issue/python3 lines"
EX=$(e2e_tmpdir)
(cd "$EX" && eval "${line/localacme/\"\$LOCALACME\"}") >/dev/null || e2e_fail "README: $line"
for f in $(echo "$run" | grep -oE -- '--(certfile|keyfile) [^ ]+' | awk '{print $2}'); do
	[ -f "$EX/$f" ] || e2e_fail "README names $f, not written by: $line ($(ls -R "$EX"))"
done
e2e_ok "the FastAPI README's issue line writes the files its run line names"
