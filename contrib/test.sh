#!/usr/bin/env bash
# test.sh - build and run every test: a -Werror build (unit, lint, e2e,
# fuzz-corpus replay) and an ASan+UBSan build (unit and e2e).
# Container tests (label container: the image, the compose stacks, the
# .deb) run in the background beside the fuzzing, which uses one core.
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
ctest --test-dir build-ci --output-on-failure -j "$jobs" -LE container \
	${LOCALACME_CTEST_ARGS:-} 2>&1 | tee build-ci/ctest-main.log

echo "== build (ASan+UBSan)"
run_build build-asan -DLOCALACME_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'unit|e2e' \
	-LE 'nosan' ${LOCALACME_CTEST_ARGS:-} 2>&1 | tee build-asan/ctest-asan.log

# Container tests: mostly waiting (an image build, then certificates that
# renew every minute), so they overlap the fuzzing below; -j3 lets both
# compose stacks run while the image test ends. Their log (-V: also what
# passing tests print, such as the certificates each stack's prober saw
# and when) is printed when they finish.
echo "== container tests (background, log in build-ci/ctest-container.log)"
ct_start=$(date +%s)
ctest --test-dir build-ci -V -j 3 -L container \
	${LOCALACME_CTEST_ARGS:-} >build-ci/ctest-container.log 2>&1 &
ct_pid=$!
# A failure below ends the script: the background run goes with it.
trap 'kill "$ct_pid" 2>/dev/null || true' EXIT

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

echo "== waiting for the container tests"
ct_rc=0
wait "$ct_pid" || ct_rc=$?
cat build-ci/ctest-container.log
echo "container tests: $(( $(date +%s) - ct_start )) s"
[ "$ct_rc" -eq 0 ] || { echo "container tests failed" >&2; exit 1; }

# One closing line for whoever reads this log: every step above stops the
# script on a failure (set -e), so reaching here means all passed.
count() { ctest --test-dir "$1" -N "${@:2}" | sed -n 's/^Total Tests: //p'; }
n=$(( $(count build-ci) + $(count build-asan -L 'unit|e2e' -LE nosan) +
    $(count build-fuzz -L fuzz) ))
# A skipped test (exit 77, e.g. no container runtime) is not a pass: say so.
skipped=$(cat build-ci/ctest-main.log build-asan/ctest-asan.log \
    build-ci/ctest-container.log | grep -c '\*\*\*Skipped' || true)
echo "summary: $(( n - skipped )) passed, $skipped skipped, 0 failed"
