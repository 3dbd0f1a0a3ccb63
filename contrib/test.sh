#!/usr/bin/env bash
# test.sh - build and run every test: a -Werror build (unit, lint, e2e,
# fuzz-corpus replay) and an ASan+UBSan build (unit and e2e).
# Called by .ci/run after contrib/setup.sh --test.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

run_build() {
	local dir=$1; shift
	cmake -S . -B "$dir" -DLOCALACME_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
}

echo "== build (-Werror)"
run_build build-ci
echo "== tests"
ctest --test-dir build-ci --output-on-failure -j "$jobs" ${LOCALACME_CTEST_ARGS:-}

echo "== build (ASan+UBSan)"
run_build build-asan -DLOCALACME_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'unit|e2e' \
	-LE 'nosan' ${LOCALACME_CTEST_ARGS:-}
