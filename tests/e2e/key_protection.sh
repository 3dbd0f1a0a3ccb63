#!/usr/bin/env bash
# key_protection.sh - HARDENING §6.2 KP1-KP3 and KP11: modes after init; a readable, symlinked,
# foreign-owned or mismatched intermediate key makes issue (and serve, when built) refuse with one
# line naming the file; the root key is not needed to issue.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require openssl

S=$LOCALACME_HOME
OUT=$(e2e_tmpdir)
"$LOCALACME" init >/dev/null || e2e_fail "init"
uid=$(id -u)

# KP1
[ "$(e2e_mode "$S")" = 700 ] || e2e_fail "state dir mode $(e2e_mode "$S")"
for f in "$S"/*.key; do [ "$(e2e_mode "$f")" = 600 ] || e2e_fail "$f mode $(e2e_mode "$f")"; done
for f in "$S"/*.pem; do [ "$(e2e_mode "$f")" = 644 ] || e2e_fail "$f mode $(e2e_mode "$f")"; done
for f in "$S"/localacme.db*; do [ "$(e2e_mode "$f")" = 600 ] || e2e_fail "$f mode $(e2e_mode "$f")"; done
for f in "$S" "$S"/*; do [ "$(stat -c %u "$f")" = "$uid" ] || e2e_fail "$f not owned by $uid"; done
e2e_ok "KP1 modes and owner"

# The root key is not needed for issuing (P1).
mv "$S/root.key" "$E2E_TMP/root.key.away"
"$LOCALACME" issue --out "$OUT" p1.test >/dev/null || e2e_fail "issue needed root.key"
mv "$E2E_TMP/root.key.away" "$S/root.key"
e2e_ok "issue works without root.key"

has_serve=0
"$LOCALACME" help | grep -q '^  serve ' && has_serve=1

refuses() { # DESC EXPECTED-TEXT
	e2e_expect_fail "$1: issue" "$LOCALACME" issue --out "$OUT" refuse.test
	e2e_one_line "$E2E_ERR"
	grep -q "intermediate.key" "$E2E_ERR" || e2e_fail "$1: error does not name the file: $(cat "$E2E_ERR")"
	grep -q "$2" "$E2E_ERR" || e2e_fail "$1: error lacks '$2': $(cat "$E2E_ERR")"
	[ ! -e "$OUT/refuse.test.pem" ] || e2e_fail "$1: a certificate was written"
	if [ $has_serve -eq 1 ]; then
		port=$(e2e_free_port)
		if timeout 20 "$LOCALACME" serve --listen "127.0.0.1:$port" >"$E2E_TMP/serve.out" 2>&1; then
			e2e_fail "$1: serve started"
		fi
		grep -q "intermediate.key" "$E2E_TMP/serve.out" || e2e_fail "$1: serve error does not name the file"
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && e2e_fail "$1: something listens on $port"
	fi
	e2e_ok "$1: refused ($(cat "$E2E_ERR"))"
}

# KP2
chmod 0644 "$S/intermediate.key"
refuses "KP2 mode 0644" "0644"
chmod 0600 "$S/intermediate.key"

# KP3a: symlink
mv "$S/intermediate.key" "$E2E_TMP/real.key"
ln -s "$E2E_TMP/real.key" "$S/intermediate.key"
refuses "KP3 symlink" "symbolic link"
rm "$S/intermediate.key"
mv "$E2E_TMP/real.key" "$S/intermediate.key"

# KP3b: another owner (needs root, as in CI)
if [ "$uid" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$S/intermediate.key"
	refuses "KP3 foreign owner" "owned by uid"
	chown 0 "$S/intermediate.key"
else
	echo "note: KP3 chown case skipped (not root)"
fi

# KP11: a key that does not match its certificate
mv "$S/intermediate.key" "$E2E_TMP/good.key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/intermediate.key" 2>/dev/null
chmod 0600 "$S/intermediate.key"
refuses "KP11 mismatched key" "does not match"
rm "$S/intermediate.key"

# X08 (b): a missing intermediate key is an error, never a new CA.
fp=$(openssl x509 -in "$S/root.pem" -noout -fingerprint -sha256)
refuses "X08 missing intermediate.key" "missing"
"$LOCALACME" init >/dev/null 2>&1 && e2e_fail "init over a broken CA succeeded"
[ "$(openssl x509 -in "$S/root.pem" -noout -fingerprint -sha256)" = "$fp" ] || e2e_fail "root was regenerated"
[ ! -e "$S/intermediate.key" ] || e2e_fail "intermediate.key was recreated"
mv "$E2E_TMP/good.key" "$S/intermediate.key"
"$LOCALACME" issue --out "$OUT" back.test >/dev/null || e2e_fail "issue after restoring the key"
e2e_ok "X08: no silent regeneration; restored key works again"

# A group/world-writable state dir is refused too.
chmod 0777 "$S"
e2e_expect_fail "writable state dir" "$LOCALACME" issue --out "$OUT" x.test
e2e_one_line "$E2E_ERR"
chmod 0700 "$S"
e2e_ok "world-writable state dir refused"
echo "PASS"
