#!/usr/bin/env bash
# run.sh - apply each one-line mutation of a security check in a scratch copy; its tests must fail
# SPDX-License-Identifier: MIT
#
# Usage: tests/mutation/run.sh [--list] [--no-baseline] [--keep] [-f FILE.mut]... [PATTERN]
#
# Reads every tests/mutation/*.mut file, or only the -f ones (one
# mutation a line, TAB-separated: name, file, ctest regex, from, to; '#'
# lines are comments). The tracked
# files of the repository, as they are in the working tree, are copied to a
# temporary directory, configured and built there once; then each mutation
# whose name matches the extended regex PATTERN is applied, the targets its
# tests need are rebuilt, `ctest -R REGEX` runs, and the change is reverted.
# A mutation is KILLED when a test fails, SURVIVED when all pass, STALE when
# its `from` is not exactly once in its file or its regex names no test,
# BUILD-FAIL when the mutated tree does not compile (rewrite it so it does:
# only a mutation that builds says anything about the tests). The caller's
# tree is never written to. Exit status 0 only if every mutation was killed.

set -u

# All in main: bash reads a script as it runs, so an edit to this file
# during a run would otherwise change the rest of the run.
main() {
usage() {
	sed -n 5p "$0" | sed 's/^# //' >&2
	exit 2
}

list=0 baseline=1 keep=0 pattern=
mutfiles=()
while [ $# -gt 0 ]; do
	case $1 in
	--list) list=1 ;;
	--no-baseline) baseline=0 ;;
	--keep) keep=1 ;;
	-f) [ $# -ge 2 ] || usage; mutfiles+=("$(realpath "$2")"); shift ;;
	-h|--help) usage ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) [ -z "$pattern" ] || usage; pattern=$1 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel) || exit 2
jobs=$(nproc 2>/dev/null || echo 2)
tab=$'\t'

# ---------- read the mutation files ----------
names=() files=() regexes=() froms=() tos=() origins=()
declare -A seen=()
nbad=0
shopt -s nullglob
[ ${#mutfiles[@]} -gt 0 ] || mutfiles=("$root"/tests/mutation/*.mut)
for mf in "${mutfiles[@]}"; do
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $line in ''|'#'*) continue ;; esac
		f=()
		rest=$line
		for _ in 1 2 3 4; do
			if [ "${rest#*"$tab"}" = "$rest" ]; then
				f=()
				break
			fi
			f+=("${rest%%"$tab"*}")
			rest=${rest#*"$tab"}
		done
		where="${mf#"$root"/}:$lineno"
		if [ ${#f[@]} -ne 4 ] || [ -z "${f[0]}" ] || [ -z "${f[1]}" ] ||
		    [ -z "${f[2]}" ] || [ -z "${f[3]}" ] ||
		    [ "${rest#*"$tab"}" != "$rest" ]; then
			echo "run.sh: $where: want name<TAB>file<TAB>ctest-regex<TAB>from<TAB>to" >&2
			nbad=$((nbad + 1))
			continue
		fi
		if [ -n "${seen[${f[0]}]:-}" ]; then
			echo "run.sh: $where: mutation name ${f[0]} also at ${seen[${f[0]}]}" >&2
			nbad=$((nbad + 1))
			continue
		fi
		seen[${f[0]}]=$where
		if [ -n "$pattern" ] && ! [[ ${f[0]} =~ $pattern ]]; then
			continue
		fi
		names+=("${f[0]}") files+=("${f[1]}") regexes+=("${f[2]}")
		froms+=("${f[3]}") tos+=("$rest") origins+=("$where")
	done < "$mf"
done
[ "$nbad" -eq 0 ] || exit 2
if [ ${#names[@]} -eq 0 ]; then
	echo "run.sh: no mutation${pattern:+ matches $pattern}" >&2
	exit 2
fi
if [ "$list" -eq 1 ]; then
	for i in "${!names[@]}"; do
		printf '%-34s %-22s %s\n' "${names[i]}" "${files[i]}" "${regexes[i]}"
	done
	exit 0
fi

# ---------- a private copy of the tree, built once ----------
t0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/localacme-mutation.XXXXXX") || exit 2
cleanup() {
	if [ "$keep" -eq 1 ]; then
		echo "run.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
src=$tmp/src bld=$tmp/build log=$tmp/log
mkdir -p "$src" "$log"
# Tracked files as they are now (uncommitted edits included, so a new
# mutation can be tried before it is committed); never the build dirs.
(cd "$root" && git ls-files -z --cached | while IFS= read -r -d '' p; do
	[ -e "$p" ] && printf '%s\0' "$p"
done | tar --null -T - -cf -) | tar -xf - -C "$src" || exit 2

echo "run.sh: building a copy in $tmp (about a minute)"
if ! cmake -S "$src" -B "$bld" -DLOCALACME_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log/configure" 2>&1 ||
    ! cmake --build "$bld" -j"$jobs" >"$log/build" 2>&1; then
	echo "run.sh: the unmutated copy does not build:" >&2
	tail -20 "$log/configure" "$log/build" >&2
	exit 2
fi

# The build targets a regex's tests need: unit.X runs test_X; anything
# else (e2e, lint, fuzz) gets everything.
tests_of() {
	ctest --test-dir "$bld" -N -R "$1" 2>/dev/null |
	    sed -n 's/^ *Test *#[0-9]*: //p'
}
targets_of() {
	local t out=()
	while IFS= read -r t; do
		case $t in
		unit.*) out+=("test_${t#unit.}") ;;
		*) echo all; return ;;
		esac
	done
	printf '%s\n' "${out[@]}"
}

# Count (python, so bytes and tabs are exact) or apply a replacement.
mutate() {	# mode file from to
	python3 - "$@" <<'EOF'
import sys
mode, path, frm, to = sys.argv[1:5]
with open(path, "rb") as f:
    s = f.read()
frm_b, to_b = frm.encode(), to.encode()
if mode == "count":
    print(s.count(frm_b))
else:
    with open(path, "wb") as f:
        f.write(s.replace(frm_b, to_b, 1))
EOF
}

# ---------- baseline: every named test passes unmutated ----------
if [ "$baseline" -eq 1 ]; then
	union=
	declare -A done_re=()
	for i in "${!names[@]}"; do
		[ -n "${done_re[${regexes[i]}]:-}" ] && continue
		done_re[${regexes[i]}]=1
		union+="${union:+|}(${regexes[i]})"
	done
	echo "run.sh: baseline: the named tests, unmutated"
	if ! ctest --test-dir "$bld" -R "$union" >"$log/baseline" 2>&1; then
		echo "run.sh: tests fail without any mutation; fix them first:" >&2
		grep -E 'Failed|\*\*\*' "$log/baseline" >&2
		exit 2
	fi
fi

# ---------- the mutations ----------
nk=0 ns=0 nst=0 nbf=0
survivors=()
for i in "${!names[@]}"; do
	name=${names[i]} file=${files[i]} re=${regexes[i]}
	from=${froms[i]} to=${tos[i]}
	m0=$(date +%s)
	if [ ! -f "$src/$file" ]; then
		printf 'STALE       %-34s %s: no such file\n' "$name" "$file"
		nst=$((nst + 1)); continue
	fi
	n=$(mutate count "$src/$file" "$from" "$to")
	if [ "$n" != 1 ]; then
		printf 'STALE       %-34s %s: "from" occurs %s times (want 1)\n' \
		    "$name" "$file" "$n"
		nst=$((nst + 1)); continue
	fi
	tl=$(tests_of "$re")
	if [ -z "$tl" ]; then
		printf 'STALE       %-34s regex %s names no test\n' "$name" "$re"
		nst=$((nst + 1)); continue
	fi
	mapfile -t tg < <(printf '%s\n' "$tl" | targets_of)
	cp -p "$src/$file" "$tmp/orig"
	mutate apply "$src/$file" "$from" "$to"
	if ! cmake --build "$bld" -j"$jobs" --target "${tg[@]}" \
	    >"$log/$name.build" 2>&1; then
		status=BUILD-FAIL
		nbf=$((nbf + 1))
	elif ctest --test-dir "$bld" -R "$re" --stop-on-failure \
	    --output-on-failure >"$log/$name.test" 2>&1; then
		status=SURVIVED
		ns=$((ns + 1))
		survivors+=("$name")
	else
		status=KILLED
		nk=$((nk + 1))
	fi
	# Revert. The file's mtime moves on, so the next build recompiles it.
	cp "$tmp/orig" "$src/$file"
	touch "$src/$file"
	killer=
	if [ "$status" = KILLED ]; then
		killer=$(sed -n 's/^.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*.*$/\1/p' \
		    "$log/$name.test" | head -1)
	fi
	[ -n "$killer" ] && killer="by $killer" || killer=$re
	printf '%-11s %-34s %-22s %4ss  %s\n' "$status" "$name" "$file" \
	    "$(( $(date +%s) - m0 ))" "$killer"
	if [ "$status" = BUILD-FAIL ]; then
		grep -m3 -E 'error' "$log/$name.build" | sed 's/^/            /'
	fi
done

# Leave the copy as it was built (and rebuilt) last: nothing to undo.
bf=
[ "$nbf" -eq 0 ] || bf=", $nbf build-fail"
echo "mutation: $nk killed, $ns survived, $nst stale$bf ($(( $(date +%s) - t0 ))s)"
[ ${#survivors[@]} -eq 0 ] || echo "survived: ${survivors[*]}"
[ "$ns" -eq 0 ] && [ "$nst" -eq 0 ] && [ "$nbf" -eq 0 ]
}

# One line: read whole before it runs, so nothing after it is read.
main "$@"; exit $?
