#!/bin/sh
# OCSP, measured in one run on this machine:
#   1. responses per second from `signet serve` (pre-signed, from memory)
#      against `openssl ocsp -index ... -multi 2` (signs every request)
#      answering the same kind of request: GET /ocsp/<base64> with h2load
#      (nghttp2-client) over HTTP/1.1 on 127.0.0.1, about SECONDS each;
#   2. pre-signing rate (bench_ocsp: build, lint, token signature, verify)
#      against the token's raw one-thread signing rate (bench_issue raw).
#
#   bench/run-ocsp-bench.sh [SECONDS] [CONNECTIONS] [PRESIGN_N]
#
# Defaults: 10 s, 32 connections, 20000 responses. Needs root (the front
# end drops to nobody), openssl, h2load; builds build-bench/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
conns=${2:-32}
presign_n=${3:-20000}
build=$top/build-bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_BENCH=ON \
	-DSIGNET_TESTS=OFF -DSIGNET_TEST_HOOKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target signet signet-frontend \
	bench_ocsp bench_issue >/dev/null
SIGNET_BIN=$build/src/signet
SIGNET_SOURCE_DIR=$top
export SIGNET_BIN SIGNET_SOURCE_DIR
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ocsp-bench.XXXXXX")
signer=
ossl=
cleanup() {
	[ -n "$signer" ] && kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null
	# openssl ocsp -multi's parent may not stop on SIGTERM alone.
	if [ -n "$ossl" ]; then
		kill "$ossl" 2>/dev/null
		sleep 1
		kill -KILL "$ossl" 2>/dev/null
		wait "$ossl" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
. "$top/tests/cli/ca_fixture.sh"
ca_fixture "$work/fx" >/dev/null
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
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
	echo "  ocsp: {}"
} >>"$CA_CONFIG"
ca_csr www "/CN=www.example.com" "DNS:www.example.com"
"$SIGNET_BIN" issue --profile tls-server --csr www.csr --out www.crt >/dev/null
serial=$(ca_serial www.crt)
"$SIGNET_BIN" serve 2>serve.err &
signer=$!

# The openssl responder answers for the fixture's intermediate (issued by
# the root, whose key is a file): the same shape of request and response,
# P-256 both, a software key for openssl (no token round trip).
ca_serial_up=$(openssl x509 -in "$CA_CERT" -noout -serial | cut -d= -f2)
enddate=$(openssl x509 -in "$CA_CERT" -noout -enddate | cut -d= -f2)
printf 'V\t%s\t\t%s\tunknown\t%s\n' \
	"$(date -u -d "$enddate" +%y%m%d%H%M%SZ)" "$ca_serial_up" \
	"$(openssl x509 -in "$CA_CERT" -noout -subject -nameopt compat |
		sed 's/^subject=//')" >index.txt
openssl ocsp -index index.txt -port "$p2" -CA "$CA_ROOT" -rsigner "$CA_ROOT" \
	-rkey "$CA_FIXTURE_DIR/root.key" -nmin 60 -multi 2 -ignore_err \
	>ossl.out 2>&1 &
ossl=$!

openssl ocsp -issuer "$CA_CERT" -cert www.crt -no_nonce -reqout req1.der \
	>/dev/null 2>&1 || true
openssl ocsp -issuer "$CA_ROOT" -cert "$CA_CERT" -no_nonce -reqout req2.der \
	>/dev/null 2>&1 || true
b1=$(base64 -w0 req1.der | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
b2=$(base64 -w0 req2.der | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
u1="http://127.0.0.1:$p1/ocsp/$b1"
u2="http://127.0.0.1:$p2/$b2"
good() {
	curl -sf -o "$1.der" "$2" &&
		openssl ocsp -respin "$1.der" -noverify -resp_text 2>/dev/null |
		grep -q "Cert Status: good"
}
i=0
until good s "$u1" && good o "$u2"; do
	i=$((i + 1))
	[ $i -lt 150 ] || { echo "a responder did not start" >&2; cat serve.err ossl.out >&2; exit 1; }
	sleep 0.2
done

# bench URL NAME: requests/s over about SECONDS. h2load's duration mode
# (-D) never ends against openssl's responder, which closes each
# connection: a short run sizes a counted one (-n) instead, for both.
bench() {
	h2load --h1 -n 2000 -c "$conns" -t 2 "$1" >"$2.h2load" 2>&1 || true
	_r=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$2.h2load")
	_n=$(python3 -c "import sys; print(max(2000, int(float(sys.argv[1] or 0) * int(sys.argv[2]))))" "$_r" "$secs")
	h2load --h1 -n "$_n" -c "$conns" -t 2 "$1" >"$2.h2load" 2>&1 || true
	sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$2.h2load"
}
s=$(bench "$u1" signet)
o=$(bench "$u2" openssl)
grep -E '^(finished|requests:|status codes)' signet.h2load | sed 's/^/signet  /'
grep -E '^(finished|requests:|status codes)' openssl.h2load | sed 's/^/openssl /'
echo "OCSP GET, $secs s each, $conns connections, h2load --h1 -t 2, 127.0.0.1, $(nproc) CPUs"
echo "signet serve (2 HTTP threads, pre-signed): $s responses/s ($(wc -c <s.der) bytes)"
echo "openssl ocsp -index -multi 2 (signs each): $o responses/s ($(wc -c <o.der) bytes)"
python3 -c "import sys; print('ratio signet/openssl: %.1f' % (float(sys.argv[1]) / max(float(sys.argv[2] or 0), 1e-9)))" "$s" "${o:-0}"

# Pre-signing against the raw signing rate, the service stopped.
kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null || true
signer=
"$build/bench/bench_issue" raw "$CA_CONFIG" "$presign_n" >raw.txt
"$build/bench/bench_ocsp" "$CA_CONFIG" "$serial" "$presign_n" >presign.txt
raw=$(sed -n 's/^raw_1 //p' raw.txt)
pre=$(sed -n 's/^presign //p' presign.txt)
echo "token raw signing, 1 thread: $raw signatures/s ($presign_n)"
echo "pre-signing (build, lint, sign, verify): $pre responses/s ($presign_n)"
python3 -c "import sys; print('pre-signing / raw: %.0f%%' % (100 * float(sys.argv[1]) / float(sys.argv[2])))" "$pre" "$raw"
