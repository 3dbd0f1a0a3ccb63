#!/usr/bin/env bash
# docs_ids.sh - fails when the tree cites a catalogue code (J04, X18, P6, KP5, I2...) that
# docs/HARDENING.md does not define, or points at documents outside the repository.
#
#   tests/docs_ids.sh [ROOT]             check the tree at ROOT (default: this repository)
#   tests/docs_ids.sh --selftest [ROOT]  prove the check can fail: copy ROOT's tracked files
#                                        to a temp dir, inject an undefined code and an
#                                        outside reference in turn, expect each to fail
#
# Cited: any match of ID_RE in a source, script, CMake or Markdown file outside docs/ (the
# fuzz corpora are data). Defined: the code is the first cell of a table row, or appears in
# a heading, of docs/HARDENING.md. Each undefined citation is reported as file:line.
# SPDX-License-Identifier: MIT
set -u

# The catalogue series of docs/HARDENING.md: T J K N U A R E O C F V Z D (§3), X and I (§4),
# P and KP (§6). Other letters followed by digits (hex, type names) are not codes.
ID_RE='\b([ACDEFJKNORTUVXZ][0-9]{2}[a-z]?|P[0-9]{1,2}|KP[0-9]{1,2}|I[0-9])\b'
# Tokens that match ID_RE but are not catalogue codes: C11 (the C standard, "C11 atomics"),
# A30 (grep's -A30 in tests/e2e/valgrind.sh).
EXCLUDE=" C11 A30 "
# File names whose text is searched for citations.
SRC_RE='\.(c|h|py|sh|sql|txt|md|cmake|js)$'

# The tracked files of root, one per line, relative to it. Without git (a copy, a
# tarball), every file, minus VCS and build directories.
list_files() {
	local root=$1 top
	top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) || top=
	if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$root" && pwd -P)" ]; then
		git -C "$root" ls-files
	else
		(cd "$root" && find . \( -name .git -o -name 'build*' \) -prune -o -type f -print |
		    sed 's|^\./||')
	fi
}

check() {
	local root=$1 doc=$1/docs/HARDENING.md files defined fail=0 n=0 f line id
	if [ ! -f "$doc" ]; then
		echo "docs_ids: $doc is missing"
		return 1
	fi
	files=$(list_files "$root" | while IFS= read -r f; do [ -f "$root/$f" ] && printf '%s\n' "$f"; done)

	# Defined codes: first cell of a table row, or any code in a heading.
	defined=" $( { sed -nE 's/^\|[[:space:]]*([A-Z]{1,2}[0-9]{1,2}[a-z]?)[[:space:]]*\|.*/\1/p' "$doc"
	    grep -E '^#' "$doc" | grep -oE "$ID_RE"; } | sort -u | tr '\n' ' ') "

	# Every citation outside docs/ and the fuzz corpora.
	while IFS=: read -r f line id; do
		[ -n "$id" ] || continue
		case "$EXCLUDE" in *" $id "*) continue ;; esac
		n=$((n + 1))
		case "$defined" in
		*" $id "*) ;;
		*) echo "$f:$line: $id is not defined in docs/HARDENING.md"; fail=1 ;;
		esac
	done < <(printf '%s\n' "$files" | grep -E "$SRC_RE" | grep -vE '^(docs/|tests/fuzz/corpus/)' |
	    (cd "$root" && tr '\n' '\0' | xargs -0 -r grep -HnoE "$ID_RE" 2>/dev/null))

	# Nothing may point at documents kept outside the repository. The patterns are split
	# so that this file does not match itself.
	local out_rel='..''/shared' out_abs='/work''/shared'
	while IFS= read -r f; do
		echo "$f: refers to a document outside the repository"
		fail=1
	done < <(printf '%s\n' "$files" | grep -vE '^tests/fuzz/corpus/' |
	    (cd "$root" && tr '\n' '\0' | xargs -0 -r grep -HnIF -e "$out_rel" -e "$out_abs" 2>/dev/null |
	    cut -d: -f1,2))

	if [ $fail -eq 0 ]; then
		echo "docs_ids: ok ($n citations of $(echo "$defined" | wc -w) defined codes)"
	fi
	return $fail
}

selftest() {
	local root=$1 tmp out rc line victim=src/cli/main.c readme=README.md
	# An X-series code the document does not define, split so this file does not cite it.
	local undef='X''99'
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs_ids.XXXXXX") || exit 2
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT INT TERM
	(cd "$root" && list_files . | while IFS= read -r f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	    xargs -0 cp --parents -t "$tmp") || { echo "selftest: copy failed"; exit 1; }
	if [ ! -f "$tmp/$victim" ] || [ ! -f "$tmp/$readme" ]; then
		echo "selftest: $victim or $readme missing"
		exit 1
	fi
	cp "$tmp/$victim" "$tmp/$victim.orig"
	cp "$tmp/$readme" "$tmp/$readme.orig"

	# 0. The copy itself passes: a failure below is the injection's.
	out=$(check "$tmp") || { echo "selftest: the unmodified copy fails:"; echo "$out"; exit 1; }
	echo "selftest: clean copy: $out"

	# 1. A comment citing a code the document does not define.
	printf '/* see HARDENING %s */\n' "$undef" >>"$tmp/$victim"
	line=$(wc -l <"$tmp/$victim")
	out=$(check "$tmp"); rc=$?
	echo "$out" | sed 's/^/selftest: injected code: /'
	[ $rc -ne 0 ] || { echo "selftest: FAIL: an undefined code was not caught"; exit 1; }
	echo "$out" | grep -qF "$victim:$line: $undef is not defined" ||
	    { echo "selftest: FAIL: the failure does not name $victim:$line"; exit 1; }
	mv "$tmp/$victim.orig" "$tmp/$victim"

	# 2. A link to a document outside the repository.
	printf 'See [the design](%s/DESIGN.md).\n' '..''/shared' >>"$tmp/$readme"
	line=$(wc -l <"$tmp/$readme")
	out=$(check "$tmp"); rc=$?
	echo "$out" | sed 's/^/selftest: injected link: /'
	[ $rc -ne 0 ] || { echo "selftest: FAIL: an outside reference was not caught"; exit 1; }
	echo "$out" | grep -qF "$readme:$line: refers to a document outside" ||
	    { echo "selftest: FAIL: the failure does not name $readme:$line"; exit 1; }
	mv "$tmp/$readme.orig" "$tmp/$readme"

	echo "selftest: ok (both injections caught)"
}

if [ "${1:-}" = --selftest ]; then
	selftest "${2:-$(cd "$(dirname "$0")/.." && pwd)}"
else
	check "${1:-$(cd "$(dirname "$0")/.." && pwd)}"
fi
