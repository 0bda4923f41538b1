#!/bin/sh
# CRL GETs per second from `signet serve` against nginx serving the same
# CRL file from the same machine, measured in one run with h2load
# (nghttp2-client) over HTTP/1.1 keep-alive connections on 127.0.0.1:
#
#   bench/run-serve-bench.sh [SECONDS] [CONNECTIONS]
#
# Defaults: 10 s per server, 32 connections, 2 client threads. Needs root
# (the front end drops to nobody), a build in build/ (or SIGNET_BIN), and
# nginx. Prints requests/s of each and the ratio; then what the signer's
# IPC adds per issuance (bench/bench_ipc.c; IPC_N requests, IPC_ROUNDS
# rounds).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
conns=${2:-32}
SIGNET_BIN=${SIGNET_BIN:-$top/build/src/signet}
SIGNET_SOURCE_DIR=$top
export SIGNET_BIN SIGNET_SOURCE_DIR
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-serve-bench.XXXXXX")
signer=
nginx_pid=
cleanup() {
	[ -n "$signer" ] && kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
. "$top/tests/cli/ca_fixture.sh"
ca_fixture "$work/fx" >/dev/null
ca_instance "$work/ca"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
p1=$(free_port)
p2=$(free_port)
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$p1"
	echo "  user: nobody"
	echo "  threads: 2"
	echo "  max-connections-per-client: 1024"
	echo "  max-request-rate: 0"
} >>"$CA_CONFIG"
"$SIGNET_BIN" serve --config "$CA_CONFIG" 2>serve.err &
signer=$!
i=0
until curl -sf -o crl.der "http://127.0.0.1:$p1/crl/ca.crl"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "signet serve did not start" >&2; cat serve.err >&2; exit 1; }
	sleep 0.2
done

mkdir -p www/crl logs
cp crl.der www/crl/ca.crl
# nginx's workers run as nobody.
chmod 755 "$work" www www/crl
chmod 644 www/crl/ca.crl
. "$top/bench/nginx.sh"
nginx_static "$work" "$p2" "http://127.0.0.1:$p2/crl/ca.crl"

bench() {
	h2load --h1 -D "$secs" -c "$conns" -t 2 "$1" 2>&1 |
		sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p'
}
# Quiet the per-request log of the front end during the run.
exec 3>&2
s=$(bench "http://127.0.0.1:$p1/crl/ca.crl")
n=$(bench "http://127.0.0.1:$p2/crl/ca.crl")
echo "CRL of $(wc -c <crl.der) bytes, $secs s each, $conns connections, h2load --h1 -t 2, 127.0.0.1"
echo "signet serve (2 HTTP threads): $s req/s"
echo "nginx (2 workers):             $n req/s"
python3 -c "import sys; print('ratio signet/nginx: %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$s" "$n"

# The signer's IPC per issuance, against issuing in process (bench/
# bench_ipc.c), on this instance's CA key, with the service stopped.
kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null || true
signer=
build=$top/build-bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_BENCH=ON \
	-DSIGNET_TESTS=OFF -DSIGNET_TEST_HOOKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_ipc >/dev/null
ca_csr ipc "/CN=www.example.com" "DNS:www.example.com"
echo "issuance in process and over the signer's socketpair ($(nproc) CPUs):"
"$build/bench/bench_ipc" "$CA_CONFIG" ipc.csr dns:www.example.com \
	"${IPC_N:-500}" "${IPC_ROUNDS:-5}"
