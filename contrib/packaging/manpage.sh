#!/bin/sh
# manpage.sh - localacme(1) from the program's own --help texts, with help2man
# SPDX-License-Identifier: MIT
#
#   manpage.sh LOCALACME EXTRA.h2m OUT.1.gz
#
# help2man turns `localacme --help` and `--version` into the page; each
# command's `localacme CMD --help` becomes a subsection of COMMAND OPTIONS
# (verbatim), and EXTRA.h2m adds FILES, ENVIRONMENT and SEE ALSO. gzip -n:
# no name or time in the header, so the same build gives the same bytes.
set -eu
[ $# -eq 3 ] || { echo "usage: manpage.sh LOCALACME EXTRA.h2m OUT.1.gz" >&2; exit 2; }
prog=$1 extra=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The command names, from the "Commands:" block of the top-level help.
cmds=$("$prog" --help | awk '/^Commands:/ { on = 1; next }
    on && /^  [a-z]/ { if ($1 != "help") print $1; next } on { exit }')
[ -n "$cmds" ] || { echo "manpage.sh: no commands in $prog --help" >&2; exit 1; }
{
	echo "[COMMAND OPTIONS]"
	for c in $cmds; do
		echo ".SS \"localacme $c\""
		echo ".nf"
		# roff: a backslash is \e; a line starting with . or ' is text.
		"$prog" "$c" --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
		echo ".fi"
	done
	cat "$extra"
} >"$tmp/include.h2m"
help2man --no-info --no-discard-stderr --section=1 \
    --name="a local certificate authority that speaks ACME v2 (RFC 8555)" \
    --include="$tmp/include.h2m" --output="$tmp/localacme.1" "$prog"
gzip -9n <"$tmp/localacme.1" >"$out.tmp"
mv "$out.tmp" "$out"
