#!/bin/sh
# Static analysis, as CI runs it: cppcheck and clang-tidy (.clang-tidy:
# bugprone-*, cert-*, clang-analyzer-*) over src/. Both must be clean.
# False positives are suppressed inline, each with the reason beside it.
#
#   tests/analyze.sh [BUILD_DIR]
#
# BUILD_DIR is a configured build (for compile_commands.json), by default
# ./build; tests/run.sh passes its plain build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
status=0

if [ ! -f "$build/compile_commands.json" ]; then
	echo "analyze: no $build/compile_commands.json; configure a build \
first (cmake -S . -B build)" >&2
	exit 1
fi
for tool in cppcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "analyze: $tool is not installed (.ci/install-deps.sh \
installs it)" >&2
		exit 1
	fi
done

echo "==> cppcheck $(cppcheck --version | cut -d' ' -f2)"
# The test hooks on: the fault points' code is analysed too.
if ! cppcheck --enable=warning,portability,performance --inline-suppr \
	--error-exitcode=1 --quiet --std=c11 -j "$jobs" -I include -I src \
	-DSIGNET_TEST_HOOKS=1 src; then
	echo "==> cppcheck found problems (above)" >&2
	status=1
fi

echo "==> clang-tidy $(clang-tidy --version | sed -n 's/.*version //p' |
	head -n 1), $jobs jobs"
out=$(mktemp "${TMPDIR:-/tmp}/signet-tidy.XXXXXX")
trap 'rm -f "$out"' EXIT
# One file per run: clang-tidy 14 given several files reports analyzer
# paths of one in another.
if ! find src -name '*.c' | sort |
	xargs -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$out" 2>&1; then
	grep -v -e '^[0-9]* warnings\? generated' -e '^Suppressed ' \
		-e '^Use -header-filter' -e 'treated as errors' "$out" >&2 || true
	echo "==> clang-tidy found problems (above)" >&2
	status=1
fi

[ "$status" -eq 0 ] && echo "==> analyzers: clean"
exit "$status"
