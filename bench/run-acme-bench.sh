#!/bin/sh
# What ACME costs the server per certificate, against `signet issue
# --batch` on the same CA key, database and machine, in one run
# (docs/performance.md explains the figures):
#   1. `signet issue --batch` over N CSRs: certificates/s and CPU time
#      (user + system) per certificate;
#   2. the whole ACME order flow for N certificates through `signet serve`
#      on 127.0.0.1, driven by bench/acme_load.py with CLIENTS concurrent
#      clients (one account each, newAccount once; then per certificate
#      newOrder, http-01, finalize, download): certificates/s, and the CPU
#      time of the signer and the front end per certificate, read from
#      /proc before and after;
#   3. the difference: what ACME adds per certificate (target: at most
#      2 ms of server CPU).
#
#   bench/run-acme-bench.sh [N [CLIENTS]]     defaults 300 and 4
#
# SIGNET_BENCH_PERF=FILE also records a perf profile (perf record, DWARF call graphs) of
# the signer and the front end during step 2 into FILE.
# Needs root (the front end drops to nobody), certbot's Python modules
# (python3-cryptography) and the benchmark build (build-bench/). The load
# generator's own CPU is not counted: it is the client.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-300}
clients=${2:-4}
build=$top/build-bench
. "$top/bench/bench-lib.sh"
bench_build "$top" "$build" signet signet-frontend bench_issue
SIGNET_BIN=$build/src/signet
SIGNET_SOURCE_DIR=$top
export SIGNET_BIN SIGNET_SOURCE_DIR
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme-bench.XXXXXX")
results=$work/results.txt
# free_port, serve_config, serve_acme_config; stops $signer and removes
# $work on exit.
. "$top/tests/cli/serve_fixture.sh"
cd "$work"
. "$top/tests/cli/ca_fixture.sh"
ca_fixture "$work/fx" >/dev/null
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
note "machine: $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg); $n certificates"

# CPU seconds (user + system, threads included) of PIDs, from /proc.
cpu_of() {
	_t=0
	for _p in "$@"; do
		_t=$((_t + $(awk '{print $14 + $15}' "/proc/$_p/stat")))
	done
	echo "$_t $(getconf CLK_TCK)" | awk '{printf "%.3f", $1 / $2}'
}

# ---- 1. signet issue --batch ------------------------------------------------
"$build/bench/bench_issue" csrs "$work/csrs" "$n" >/dev/null
/usr/bin/time -f '%e %U %S' -o batch.time "$signet" issue \
	--profile tls-server --batch "$work/csrs" --out-dir "$work/out" \
	>/dev/null
read -r b_wall b_user b_sys <batch.time
b_cpu=$(echo "$b_user $b_sys $n" | awk '{printf "%.0f", 1e6 * ($1 + $2) / $3}')
b_rate=$(echo "$n $b_wall" | awk '{printf "%.0f", $1 / $2}')
note "1. signet issue --batch: $n certificates in ${b_wall}s = $b_rate/s; \
CPU $b_cpu us per certificate"

# ---- 2. ACME ----------------------------------------------------------------
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
# 32 names (serve.acme.resolve takes no more), all on 127.0.0.1, taken in
# turn, so that few certificates share a name.
names=$(awk 'BEGIN { for (i = 0; i < 32; i++)
	printf "%sa%d.example.com=127.0.0.1", (i ? "," : ""), i }')
serve_config "$port"
{
	echo "  threads: 4"
	echo "  max-request-rate: 0"
} >>"$CA_CONFIG"
serve_acme_config "$tport" "$hport" "$names"
"$signet" serve 2>serve.err &
signer=$!
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
	i=$((i + 1))
	[ $i -lt 150 ] || {
		echo "signet serve did not start" >&2
		cat serve.err >&2
		exit 1
	}
	sleep 0.2
done
front=$(pgrep -P "$signer")
c0=$(cpu_of "$signer" $front)
s0=$(cpu_of "$signer")
if [ -n "${SIGNET_BENCH_PERF:-}" ]; then
	# perf record of both processes while the load runs, for profiling.
	perf record --call-graph dwarf,16384 -F 499 -o "$SIGNET_BENCH_PERF" -p "$signer,$front" \
		>/dev/null 2>&1 &
	perf_pid=$!
fi
python3 "$top/bench/acme_load.py" \
	"https://127.0.0.1:$tport/acme/tls-server/directory" "$work/tls.pem" \
	"$hport" "$n" "$clients" "a%d.example.com" >acme.out || {
	tail -5 serve.err >&2
	exit 1
}
c1=$(cpu_of "$signer" $front)
s1=$(cpu_of "$signer")
if [ -n "${SIGNET_BENCH_PERF:-}" ]; then
	kill -INT "$perf_pid"
	wait "$perf_pid" || true
fi
a_cpu=$(echo "$c0 $c1 $n" | awk '{printf "%.0f", 1e6 * ($2 - $1) / $3}')
a_signer=$(echo "$s0 $s1 $n" | awk '{printf "%.0f", 1e6 * ($2 - $1) / $3}')
note "2. ACME, $clients clients: $(cat acme.out); server CPU $a_cpu us per \
certificate ($a_signer in the signer, the rest in the front end)"
note "3. ACME adds $(echo "$a_cpu $b_cpu" | awk '{printf "%.0f", $1 - $2}') us \
of server CPU per certificate over signet issue --batch"
