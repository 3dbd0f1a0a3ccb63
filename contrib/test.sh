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

# --- fuzzing (tests/fuzz/, HARDENING.md §8): a clang build with libFuzzer,
# ASan and UBSan; the corpora replayed under the sanitizers, then every
# target fuzzed for a bounded time (8 targets x 45 s, about 6 minutes).
echo "== build (libFuzzer, clang, -Werror: clang's warnings are gcc's plus some)"
CC=clang cmake -S . -B build-fuzz -DLOCALACME_FUZZ=ON -DLOCALACME_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_all
echo "== corpus replay under ASan+UBSan"
ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir build-fuzz --output-on-failure -j "$jobs" -L fuzz
echo "== fuzz each target for ${LOCALACME_FUZZ_SECONDS:-45}s"
FUZZ_BUILD_DIR="$top/build-fuzz" tests/fuzz/run.sh "${LOCALACME_FUZZ_SECONDS:-45}"

# One closing line for whoever reads this log: every step above stops the
# script on a failure (set -e), so reaching here means all passed.
count() { ctest --test-dir "$1" -N "${@:2}" | sed -n 's/^Total Tests: //p'; }
n=$(( $(count build-ci) + $(count build-asan -L 'unit|e2e' -LE nosan) +
    $(count build-fuzz -L fuzz) ))
echo "summary: $n passed, 0 failed"
