#!/bin/sh
# Build signet and run every test: the plain build, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer and in a Release (-O3)
# build (there without the service's network tests, label serve, which
# the other two suites run), static analysis (tests/analyze.sh), the token paths under valgrind
# (tests/valgrind.sh), the Debian package (tests/deb.sh: built, checked
# by lintian, installed, the demo run against the installed signet, removed)
# and a fuzzing time box (tests/fuzz/run-fuzz.sh, $SIGNET_FUZZ_SECONDS per
# target, default 20). Installs its dependencies.
# Every build has the test hooks and -Werror (SIGNET_WERROR) but the
# package's, which is built the way Debian builds it: without either.
#
#   tests/run.sh            everything (what CI runs)
#   tests/run.sh --quick    the plain build and its tests only
#
# On two cores the steps overlap where they are independent: while one
# suite's tests run (mostly waiting on SoftHSM, PostgreSQL and the disk),
# the next build, the static analysis or valgrind runs beside it, niced.
# Each step writes its output to $SIGNET_CI_LOGS/STEP.log (default
# ./build-logs) and prints one line when it ends; a failed step prints the
# end of its log. The last line says whether everything passed; the exit
# status is non-zero if anything failed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$top/.ci/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
logs=${SIGNET_CI_LOGS:-$top/build-logs}
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.status
failed=""
t_all=$(date +%s)

# task NAME COMMAND...: run COMMAND, its output to NAME.log, its exit
# status and duration to NAME.status. Never fails itself.
task() {
	_name=$1
	shift
	_t0=$(date +%s)
	if "$@" >"$logs/$_name.log" 2>&1; then _st=0; else _st=$?; fi
	echo "$_st $(($(date +%s) - _t0))" >"$logs/$_name.status"
}

# report NAME: one line for a finished task; the end of its log if it
# failed.
report() {
	read -r _st _secs <"$logs/$1.status"
	if [ "$_st" -eq 0 ]; then
		echo "==> $1: ok ($_secs s)"
		return 0
	fi
	echo "==> $1: FAILED (exit $_st, $_secs s); the end of $logs/$1.log:"
	tail -n 100 "$logs/$1.log" | sed 's/^/  | /'
	failed="$failed $1"
}

# build DIR JOBS NICENESS [cmake options...]: configure and build a tree.
build() {
	_dir=$1
	_j=$2
	_n=$3
	shift 3
	nice -n "$_n" cmake -S "$top" -B "$_dir" -DSIGNET_TEST_HOOKS=ON \
		-DSIGNET_WERROR=ON "$@" &&
		nice -n "$_n" cmake --build "$_dir" -j "$_j"
}

# suite NAME DIR [CTEST OPTIONS]: the tests of a built tree (none if its
# build failed).
suite() {
	if [ "$(cut -d' ' -f1 "$logs/$1-build.status")" -ne 0 ]; then
		echo "not run: the build failed"
		return 1
	fi
	_dir=$2
	shift 2
	(cd "$_dir" && ctest --output-on-failure -j "$jobs" "$@")
}

# The plain build first, with every core: everything else needs it.
task plain-build build "$top/build" "$jobs" 0
report plain-build
if [ "$quick" -eq 1 ]; then
	task plain-tests suite plain "$top/build"
	report plain-tests
else
	# Its tests, while the sanitizer and Release trees build beside
	# them, niced: the builds take the CPU the tests leave idle, and all
	# of it once the tests are done.
	task plain-tests suite plain "$top/build" &
	p1=$!
	(
		task asan-build build "$top/build-asan" "$jobs" 10 \
			-DSIGNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
		task release-build build "$top/build-release" "$jobs" 10 \
			-DCMAKE_BUILD_TYPE=Release
	) &
	p2=$!
	wait "$p1" "$p2" || true
	report plain-tests
	report asan-build
	report release-build

	# The Debian package, niced, beside the sanitizer and Release suites
	# below: its build takes the CPU they leave idle, its demo mostly
	# waits.
	task debian-package nice -n 10 sh "$top/tests/deb.sh" \
		"$top/build-deb" &
	p3=$!

	# The sanitizer suite, with static analysis beside it.
	task asan-tests suite asan "$top/build-asan" &
	p1=$!
	task static-analysis nice -n 10 sh "$top/tests/analyze.sh" "$top/build" &
	p2=$!
	wait "$p1" "$p2" || true
	report asan-tests
	report static-analysis

	# The Release suite, with valgrind beside it.
	task release-tests suite release "$top/build-release" -LE serve &
	p1=$!
	task valgrind nice -n 10 sh "$top/tests/valgrind.sh" "$top/build" &
	p2=$!
	wait "$p1" "$p2" || true
	report release-tests
	report valgrind
	wait "$p3" || true
	report debian-package

	# The fuzzing box takes every core for its time.
	task fuzzing sh "$top/tests/fuzz/run-fuzz.sh"
	report fuzzing
fi

echo "==> CI took $(($(date +%s) - t_all)) s; logs in $logs"
# One line for all the CTest suites together: "N passed, N failed".
cat "$logs"/*.log 2>/dev/null |
	sed -n 's/.* tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\)$/\1 \2/p' |
	awk '{ f += $1; t += $2 } END { if (t > 0) printf "ctest: %d passed, %d failed\n", t - f, f }'
if [ -n "$failed" ]; then
	echo "==> FAILED:$failed" >&2
	exit 1
fi
echo "==> all tests passed"
