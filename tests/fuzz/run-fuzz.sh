#!/bin/sh
# The fuzzing time box, as CI runs it: builds the libFuzzer targets with
# clang (-DSIGNET_FUZZ=ON: ASan + UBSan) in ./build-fuzz and runs each for
# a while from its seed corpus, as many at once as there are CPUs. Fails
# if any target crashes, leaks, hangs or trips a sanitizer. The input that
# did it is copied into the target's corpus in the source tree
# (tests/fuzz/corpus/NAME/crash-...), where every build replays it: fix
# the bug and commit the file as its regression test.
#
#   tests/fuzz/run-fuzz.sh [SECONDS [TARGET...]]
#
# SECONDS per target (default $SIGNET_FUZZ_SECONDS, else 20); TARGETs by
# name (default all). New inputs the fuzzer finds go to a scratch
# corpus, not into the source tree.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${SIGNET_FUZZ_BUILD:-$top/build-fuzz}

# seeds NAME: the corpus directories of a target (as tests/CMakeLists.txt
# replays them).
seeds() {
	case $1 in
	fuzz_csr) echo "tests/fuzz/corpus/csr tests/data/csr tests/data/hostile/der" ;;
	fuzz_policy) echo "tests/fuzz/corpus/policy tests/data/policy policies \
tests/data/hostile/yaml" ;;
	fuzz_lint) echo "tests/fuzz/corpus/lint tests/data/hostile/der" ;;
	fuzz_audit_verify) echo "tests/fuzz/corpus/audit tests/data/hostile/audit" ;;
	fuzz_store_import) echo "tests/fuzz/corpus/store_import" ;;
	fuzz_config) echo "tests/fuzz/corpus/config tests/data/hostile/yaml" ;;
	fuzz_quorum_share) echo "tests/fuzz/corpus/quorum_share" ;;
	fuzz_acme_dns) echo "tests/fuzz/corpus/acme_dns" ;;
	fuzz_ceremony) echo "tests/fuzz/corpus/ceremony ceremony \
tests/data/hostile/yaml" ;;
	*) return 1 ;;
	esac
}
all="fuzz_csr fuzz_policy fuzz_lint fuzz_audit_verify fuzz_store_import \
fuzz_config fuzz_ceremony fuzz_quorum_share fuzz_acme_dns"

# --one NAME SECONDS SCRATCH: run one target (run by this script).
if [ "${1:-}" = "--one" ]; then
	name=$2
	secs=$3
	scratch=$4
	mkdir -p "$scratch/corpus/$name" "$scratch/artifacts/$name"
	dirs=
	for d in $(seeds "$name"); do
		dirs="$dirs $top/$d"
	done
	set +e
	# shellcheck disable=SC2086
	(cd "$scratch" && "$build/tests/fuzz/$name" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$scratch/artifacts/$name/" \
		"$scratch/corpus/$name" $dirs) </dev/null \
		>"$scratch/$name.log" 2>&1
	st=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$scratch/$name.log")
	if [ "$st" -eq 0 ]; then
		echo "$name: ${execs:-?} runs in ${secs}s, no crash"
		exit 0
	fi
	echo "$name: FAILED (exit $st) after ${execs:-?} runs:" >&2
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		"$scratch/$name.log" | head -n 20 | sed 's/^/  | /' >&2
	for a in "$scratch/artifacts/$name"/*; do
		[ -f "$a" ] || continue
		keep=$top/tests/fuzz/corpus/${name#fuzz_}
		[ -d "$keep" ] || keep=$top/$(seeds "$name" | cut -d' ' -f1)
		cp "$a" "$keep/$(basename "$a")"
		echo "  the input is now $keep/$(basename "$a"): every build \
replays it; fix the bug and commit it" >&2
	done
	exit 1
fi

secs=${1:-${SIGNET_FUZZ_SECONDS:-20}}
[ "$#" -gt 0 ] && shift
targets=${*:-$all}
for t in $targets; do
	seeds "$t" >/dev/null || {
		echo "run-fuzz: unknown target $t (targets: $all)" >&2
		exit 2
	}
done
if ! command -v clang >/dev/null 2>&1; then
	echo "run-fuzz: clang is not installed (.ci/install-deps.sh installs it)" >&2
	exit 1
fi
jobs=$(nproc 2>/dev/null || echo 2)

echo "==> fuzz: build ($build, clang, ASan+UBSan)"
CC=clang cmake -S "$top" -B "$build" -DSIGNET_FUZZ=ON -DSIGNET_WERROR=ON -DSIGNET_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets >/dev/null

scratch=$(mktemp -d "${TMPDIR:-/tmp}/signet-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
echo "==> fuzz: $secs s per target, $jobs at a time"
# shellcheck disable=SC2086
if printf '%s\n' $targets | xargs -P "$jobs" -I{} sh "$0" --one {} "$secs" \
	"$scratch"; then
	echo "==> fuzz: no crash"
	exit 0
fi
echo "==> fuzz: FAILED (above)" >&2
exit 1
