#!/bin/sh
# Build signet and run every test: the plain build, then the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, then static analysis
# (tests/analyze.sh), the token paths under valgrind (tests/valgrind.sh) and
# a fuzzing time box (tests/fuzz/run-fuzz.sh, $SIGNET_FUZZ_SECONDS per
# target, default 20). Installs its dependencies.
#
#   tests/run.sh            everything (what CI runs)
#   tests/run.sh --quick    the plain build and its tests only
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$top/.ci/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
status=0

run_suite() {
	name=$1
	dir=$2
	shift 2
	echo "==> $name: configure and build ($dir)"
	cmake -S "$top" -B "$dir" -DSIGNET_TEST_HOOKS=ON -DSIGNET_WERROR=ON \
		"$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	echo "==> $name: tests"
	if ! (cd "$dir" && ctest --output-on-failure -j "$jobs"); then
		status=1
	fi
}

# step NAME COMMAND...: a hardening step (not with --quick), timed.
step() {
	name=$1
	shift
	t0=$(date +%s)
	if ! "$@"; then
		status=1
	fi
	echo "==> $name took $(($(date +%s) - t0)) s"
}

run_suite "plain build" "$top/build"
if [ "$quick" -eq 0 ]; then
	run_suite "sanitizers (ASan+UBSan)" "$top/build-asan" \
		-DSIGNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	run_suite "release build (-O3)" "$top/build-release" \
		-DCMAKE_BUILD_TYPE=Release
	step "static analysis" sh "$top/tests/analyze.sh" "$top/build"
	step "valgrind" sh "$top/tests/valgrind.sh" "$top/build"
	step "fuzzing" sh "$top/tests/fuzz/run-fuzz.sh"
fi

if [ "$status" -ne 0 ]; then
	echo "==> FAILED: see the test output above" >&2
else
	echo "==> all tests passed"
fi
exit "$status"
