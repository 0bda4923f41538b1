#!/bin/sh
# OCSP, measured in one run on this machine:
#   1. responses per second from `signet serve` (pre-signed, from memory)
#      against `openssl ocsp -index ... -multi 2` (signs every request)
#      answering the same kind of request: GET /ocsp/<base64> with h2load
#      (nghttp2-client) over HTTP/1.1 on 127.0.0.1, about SECONDS each;
#      and nginx (2 workers) serving signet's response as a static file
#      for the same GETs, the machine's ceiling for a response from memory;
#   2. pre-signing rate (bench_ocsp: build, lint, token signature, verify)
#      of PRESIGN_N responses on one worker thread per CPU (as signet serve
#      does) and one at a time on one thread, against the token's raw
#      signing rate on 1 thread and on one per CPU (bench_issue raw), the
#      ratio to the higher of the two raw rates.
#
#   bench/run-ocsp-bench.sh [SECONDS] [CONNECTIONS] [PRESIGN_N]
#
# Defaults: 10 s, 32 connections, 20000 responses. The raw rates and the
# one-thread pre-signing rate are measured over at most 200,000
# signatures: a million pre-signed responses is
#   bench/run-ocsp-bench.sh 10 32 1000000
# (4 min 23 s on 2 shared CPUs, 163 s of it pre-signing the million).
# Needs root (the front end drops to nobody), openssl, h2load,
# nginx; builds build-bench/.
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
nginx_pid=
cleanup() {
	[ -n "$signer" ] && kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
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
p3=$(free_port)
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

# nginx serving signet's response as a static file for any /ocsp/ path
# (bench/nginx.sh, as run-serve-bench.sh serves its CRL).
mkdir -p www
cp s.der www/ocsp.der
# nginx's workers run as nobody.
chmod 755 "$work" www
chmod 644 www/ocsp.der
. "$top/bench/nginx.sh"
u3="http://127.0.0.1:$p3/ocsp/$b1"
nginx_static "$work" "$p3" "$u3" "location /ocsp/ {
			default_type application/ocsp-response;
			try_files /ocsp.der =404;
		}"
good n "$u3" || { echo "nginx does not serve the response" >&2; exit 1; }

# bench URL NAME: requests/s over about SECONDS. h2load's duration mode
# (-D) never ends against openssl's responder, which closes each
# connection: a short run sizes a counted one (-n) instead, for all three.
bench() {
	h2load --h1 -n 2000 -c "$conns" -t 2 "$1" >"$2.h2load" 2>&1 || true
	_r=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$2.h2load")
	_n=$(python3 -c "import sys; print(max(2000, int(float(sys.argv[1] or 0) * int(sys.argv[2]))))" "$_r" "$secs")
	h2load --h1 -n "$_n" -c "$conns" -t 2 "$1" >"$2.h2load" 2>&1 || true
	sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$2.h2load"
}
# ratio A B: A/B to one decimal (B 0 or missing: 0).
ratio() {
	python3 -c "import sys; b = float(sys.argv[2] or 0); print('%.1f' % (float(sys.argv[1] or 0) / b if b else 0))" "$1" "${2:-0}"
}
s=$(bench "$u1" signet)
o=$(bench "$u2" openssl)
n=$(bench "$u3" nginx)
for b in signet openssl nginx; do
	grep -E '^(finished|requests:|status codes)' $b.h2load | sed "s/^/$b /"
done
echo "OCSP GET, $secs s each, $conns connections, h2load --h1 -t 2, 127.0.0.1, $(nproc) CPUs"
echo "signet serve (2 HTTP threads, pre-signed): $s responses/s ($(wc -c <s.der) bytes)"
echo "openssl ocsp -index -multi 2 (signs each): $o responses/s ($(wc -c <o.der) bytes)"
echo "nginx (2 workers, signet's response as a file): $n responses/s ($(wc -c <n.der) bytes)"
echo "ratio signet/openssl: $(ratio "$s" "$o")"
echo "ratio nginx/openssl: $(ratio "$n" "$o")"

# Pre-signing against the raw signing rate, the services stopped.
kill "$signer" 2>/dev/null && wait "$signer" 2>/dev/null || true
signer=
kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
nginx_pid=
raw_n=$((presign_n < 200000 ? presign_n : 200000))
"$build/bench/bench_issue" raw "$CA_CONFIG" "$raw_n" >raw.txt
"$build/bench/bench_ocsp" "$CA_CONFIG" "$serial" "$presign_n" >presign.txt
"$build/bench/bench_ocsp" "$CA_CONFIG" "$serial" "$raw_n" 1 >presign1.txt
raw1=$(sed -n 's/^raw_1 //p' raw.txt)
rawn=$(sed -n 's/^raw_n //p' raw.txt)
threads=$(sed -n 's/^threads //p' raw.txt)
raw=$(echo "$raw1 $rawn" | awk '{print ($1 > $2) ? $1 : $2}')
pre=$(sed -n 's/^presign //p' presign.txt)
pre1=$(sed -n 's/^presign //p' presign1.txt)
echo "token raw signing: $raw1 signatures/s on 1 thread, $rawn on $threads threads ($raw_n each)"
echo "pre-signing (build, lint, sign, verify) on $(sed -n 's/^threads //p' presign.txt) worker threads: $pre responses/s ($presign_n in $(sed -n 's/^seconds //p' presign.txt) s)"
echo "pre-signing one at a time on 1 thread: $pre1 responses/s ($raw_n)"
python3 -c "import sys; print('pre-signing / raw (the higher of the two): %.0f%%' % (100 * float(sys.argv[1]) / float(sys.argv[2])))" "$pre" "$raw"
