# Helpers of the benchmark scripts (bench/run-*-bench.sh); source it after
# setting results (the file every figure is also written to).
#   note TEXT...         print a figure and keep it in $results
#   get KEY FILE         the value of a "KEY value" line of FILE
#   elapsed COMMAND...   wall seconds of one run (its stdout discarded)
#   ratio A B            A / B as a whole percentage
#   bench_build TOP BUILD TARGET...
#                        configure BUILD (RelWithDebInfo, benchmarks on,
#                        no tests, no test hooks) and build the targets
note() { printf '%s\n' "$*" | tee -a "$results"; }
get() { sed -n "s/^$1 //p" "$2"; }
elapsed() {
	_t0=$(date +%s.%N)
	"$@" >/dev/null
	_t1=$(date +%s.%N)
	echo "$_t0 $_t1" | awk '{printf "%.3f", $2 - $1}'
}
ratio() { echo "$1 $2" | awk '{printf "%.0f%%", 100 * $1 / $2}'; }
bench_build() {
	_top=$1
	_build=$2
	shift 2
	echo "==> building (RelWithDebInfo, no test hooks) in $_build"
	cmake -S "$_top" -B "$_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DSIGNET_BENCH=ON -DSIGNET_TESTS=OFF -DSIGNET_TEST_HOOKS=OFF \
		>/dev/null
	cmake --build "$_build" -j "$(nproc)" --target "$@" >/dev/null
}
