#!/usr/bin/env bash
# run.sh - run every libFuzzer target for a bounded time (HARDENING.md §8.3).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     fuzz each target SECONDS (default 60)
#   tests/fuzz/run.sh --merge [TARGET...]       fold what the last runs found
#                                               into corpus/<target>/ (-merge=1:
#                                               only inputs that add coverage)
#
# CI runs `tests/fuzz/run.sh 45`; the local long run is `tests/fuzz/run.sh 600`.
# Binaries come from $FUZZ_BUILD_DIR (default build-fuzz), configured with
#   CC=clang cmake -S . -B build-fuzz -DLOCALACME_FUZZ=ON
#   cmake --build build-fuzz --target fuzz_all
# Seeds are read from tests/fuzz/corpus/<target>/ (never written there by a
# run); new inputs go to $FUZZ_WORK_DIR/corpus/<target>/ (default
# build-fuzz/fuzz-work). A crash, leak, timeout or failed property leaves
# its input in $FUZZ_WORK_DIR/artifacts/ and makes the script exit 1 after
# all targets ran: add that file to corpus/<target>/ (as crash-<what>) with
# the fix, so fuzz.<target> replays it in every build.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}
all_targets="b64url jwk jws payload ident csr config request ocsp"

merge=0
secs=60
if [ "${1:-}" = "--merge" ]; then
	merge=1
	shift
elif [ $# -gt 0 ]; then
	secs=$1
	shift
fi
targets=${*:-$all_targets}
mkdir -p "$work/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=""
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin missing (build with -DLOCALACME_FUZZ=ON, target fuzz_all)" >&2
		exit 2
	fi
	mkdir -p "$work/corpus/$t"
	if [ $merge -eq 1 ]; then
		echo "== merge $t"
		"$bin" -merge=1 "$here/corpus/$t" "$work/corpus/$t" \
		    >"$work/$t.merge.log" 2>&1 || { echo "merge $t failed, see $work/$t.merge.log"; failed="$failed $t"; }
		continue
	fi
	echo "== fuzz $t for ${secs}s"
	"$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
	    -max_len=65536 -dict="$here/acme.dict" -print_final_stats=1 \
	    -artifact_prefix="$work/artifacts/$t-" \
	    "$work/corpus/$t" "$here/corpus/$t" >"$work/$t.log" 2>&1
	rc=$?
	grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^#[0-9]+ *DONE' "$work/$t.log" | tr '\n' ' '
	echo
	if [ $rc -ne 0 ]; then
		echo "!! $t: exit $rc; tail of $work/$t.log:"
		tail -n 40 "$work/$t.log"
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "run.sh: findings in:$failed (inputs in $work/artifacts/)"
	exit 1
fi
echo "run.sh: no findings"
