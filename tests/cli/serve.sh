#!/bin/sh
# signet serve on 127.0.0.1: the process model (the front end runs as an
# unprivileged user under seccomp, without the PKCS#11 module), the CRL
# and CA certificate endpoints judged by openssl and curl, a revocation
# made with the CLI reaching the served CRL, hostile HTTP, and the faults:
# a front end that dies, makes a forbidden syscall or sends garbage is
# restarted and audited; SIGHUP reloads; SIGTERM drains and exits 0; a
# signer that dies takes its front end with it. Every process started here
# is stopped by its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-serve.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "serve.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi
"$signet" serve --help | grep -q SIGHUP && ok "signet serve --help" ||
	bad "signet serve --help"

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
base=http://127.0.0.1:$port
tport=$(free_port)
tbase=https://127.0.0.1:$tport
tls_cert tls1
cp tls1.pem tls.pem
cp tls1.key tls.key
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$port"
	echo "  user: nobody"
	echo "  issuer-name: test-ca"
	echo "  idle-timeout: 2"
	echo "  max-header-size: 4096"
	echo "  max-connections-per-client: 8"
	echo "  crl:"
	echo "    check-interval: 1s"
	echo "  https:"
	echo "    listen: 127.0.0.1:$tport"
	echo "    certificate: $work/tls.pem"
	echo "    key: $work/tls.key"
} >>"$CA_CONFIG"
# Test hooks (SIGNET_TEST_HOOKS builds): /test/forbidden-syscall and
# /test/ipc-garbage. A canary in the signer's environment must not reach
# the front end (a PIN may sit in an env: pin source).
export SIGNET_TEST_SERVE_HOOKS=1 SIGNET_SERVE_CANARY=canary-4711

# status URL [curl options]: the HTTP status of one request.
status() {
	_u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$_u" || true
}
# wait_for WHAT COMMAND...: up to 30 s for COMMAND to succeed.
wait_for() {
	_what=$1
	shift
	_i=0
	while [ $_i -lt 150 ]; do
		if "$@" >/dev/null 2>&1; then
			ok "$_what"
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	bad "$_what (waited 30 s)"
	tail -20 serve.err | sed 's/^/  | /' >&2
	return 1
}
judge() {
	if "$@" >judge.out 2>&1; then
		ok "$*"
	else
		bad "$*"
		sed 's/^/  | /' judge.out >&2
	fi
}
healthy() { [ "$(status "$base/health")" = 200 ]; }
front_pid() { pgrep -P "$signer" -x signet-frontend | head -1; }
front_is_new() {
	_p=$(front_pid) && [ -n "$_p" ] && [ "$_p" != "$1" ]
}
start() {
	"$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	wait_for "the service answers /health with 200" healthy
}

# A private key others may read is refused before anything starts.
chmod 644 tls.key
run 3 "an HTTPS key readable by others is refused" "$signet" serve
contains err "chmod 600" "... saying how to fix it"
chmod 600 tls.key

start
front=$(front_pid)
[ -n "$front" ] && ok "the signer started a front end ($front)" ||
	bad "no front end under the signer"

# ---- the process model -------------------------------------------------------
st=/proc/$front/status
nobody=$(id -u nobody)
grep -q "^Uid:[[:space:]]*$nobody[[:space:]]" "$st" &&
	ok "the front end runs as nobody" || bad "front end: $(grep Uid "$st")"
grep -q "^Seccomp:[[:space:]]*2" "$st" && ok "front end: Seccomp: 2" ||
	bad "front end: $(grep Seccomp: "$st")"
grep -q "^NoNewPrivs:[[:space:]]*1" "$st" && ok "front end: NoNewPrivs: 1" ||
	bad "front end: $(grep NoNewPrivs "$st")"
if grep -q softhsm "/proc/$signer/maps" &&
	! grep -q softhsm "/proc/$front/maps"; then
	ok "the PKCS#11 module is mapped in the signer only"
else
	bad "PKCS#11 module mappings: signer $(grep -c softhsm "/proc/$signer/maps"), front end $(grep -c softhsm "/proc/$front/maps")"
fi
if tr '\0' '\n' <"/proc/$front/environ" | grep -q canary-4711; then
	bad "the signer's environment reached the front end"
else
	ok "the front end gets a clean environment"
fi
if ls -l "/proc/$front/fd" | grep -q -e signet.db -e audit.log -e tokens; then
	bad "the front end holds instance files: $(ls -l "/proc/$front/fd")"
else
	ok "the front end holds no database, log or token file"
fi

# The front end's executable: its own code and the message codec, nothing
# of libsignet (no token, store, audit or CA code), no SQLite, libpq,
# libcyaml or PKCS#11 module. libcrypto and jansson are there for ACME's
# JWS and JSON.
fe=$(dirname "$signet")/signet-frontend
if nm "$fe" | grep -qE ' [TtDdBbRr] (signet_|ca_|store_|token_|audit_|sqlite3_|C_Initialize)'; then
	bad "signet-frontend carries libsignet code: $(nm "$fe" | grep -E ' [Tt] (signet_|ca_|store_|token_|audit_)' | head -3)"
else
	ok "signet-frontend links no token, store, audit or CA code"
fi
if ldd "$fe" | grep -qE 'libsqlite|libpq|libcyaml|libsofthsm'; then
	bad "signet-frontend links: $(ldd "$fe" | grep -E 'libsqlite|libpq|libcyaml|libsofthsm')"
else
	ok "signet-frontend links neither SQLite, libpq, libcyaml nor a PKCS#11 module"
fi

# ---- the endpoints -----------------------------------------------------------
curl -s -D crl.h -o crl.der "$base/crl/test-ca.crl"
grep -qi '^content-type: application/pkix-crl' crl.h &&
	ok "CRL: Content-Type application/pkix-crl" ||
	bad "CRL headers: $(cat crl.h)"
grep -qi '^etag: "crl-' crl.h && ok "CRL: ETag" || bad "no ETag"
grep -qi '^last-modified: ' crl.h && ok "CRL: Last-Modified" ||
	bad "no Last-Modified"
maxage=$(sed -n 's/^[Cc]ache-[Cc]ontrol: .*max-age=\([0-9]*\).*/\1/p' crl.h)
if [ -n "$maxage" ] && [ "$maxage" -gt 0 ] && [ "$maxage" -le 604800 ]; then
	ok "CRL: Cache-Control max-age $maxage, up to nextUpdate"
else
	bad "CRL Cache-Control: $(grep -i cache-control crl.h)"
fi
cat "$CA_CERT" "$CA_ROOT" >bundle.pem
judge openssl crl -inform DER -in crl.der -CAfile bundle.pem -noout
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: \(.*\)\r$/\1/p' crl.h)
[ "$(status "$base/crl/test-ca.crl" -H "If-None-Match: $etag")" = 304 ] &&
	ok "If-None-Match with the ETag: 304" || bad "no 304 for $etag"
[ "$(status "$base/crl/test-ca.crl" -H 'If-None-Match: "crl-0"')" = 200 ] &&
	ok "If-None-Match with another ETag: 200" || bad "stale ETag not 200"
curl -sv -o /dev/null -o /dev/null "$base/crl/test-ca.crl" \
	"$base/crl/test-ca.crl" 2>keepalive.err
if grep -qi "re-using existing connection" keepalive.err &&
	! grep -qi "^< connection: close" keepalive.err; then
	ok "connections are kept alive between requests"
else
	bad "no keep-alive: $(grep -i -e connection keepalive.err)"
fi
[ "$(status "$base/crl/test-ca.crl" -I)" = 200 ] && ok "HEAD of the CRL" ||
	bad "HEAD of the CRL"
curl -s -D ca.h -o ca.der "$base/ca/test-ca.crt"
grep -qi '^content-type: application/pkix-cert' ca.h &&
	ok "CA certificate: Content-Type application/pkix-cert" ||
	bad "CA headers: $(cat ca.h)"
openssl x509 -in "$CA_CERT" -outform DER -out ca-expected.der
cmp -s ca.der ca-expected.der && ok "the CA certificate served is ca.pem" ||
	bad "the CA certificate served differs"
[ "$(status "$base/crl/other.crl")" = 404 ] && ok "another issuer name: 404" ||
	bad "another issuer name"
[ "$(status "$base/crl/test-ca.crlx")" = 404 ] && ok "a longer name: 404" ||
	bad "a longer name"
curl -s "$base/metrics" >metrics.txt
contains metrics.txt 'signet_up 1' "metrics: signet_up 1"
contains metrics.txt 'signet_crl_number{issuer="test-ca"}' \
	"metrics: the CRL number"
contains metrics.txt 'signet_crl_age_seconds{issuer="test-ca"}' \
	"metrics: the CRL's age"
contains metrics.txt 'signet_signer_latency_seconds ' "metrics: signer latency"
contains metrics.txt 'signet_frontend_restarts_total 0' \
	"metrics: no restarts yet"
contains metrics.txt 'signet_token_errors_total 0' "metrics: no token errors"
grep -q "127.0.0.1 GET /crl/test-ca.crl 200 [0-9]* [0-9.]*ms" serve.err &&
	ok "one log line per request (time, client, method, path, status, bytes, duration)" ||
	bad "no request log line"

# ---- HTTPS --------------------------------------------------------------------
[ "$(status "$tbase/health" --cacert tls1.pem)" = 200 ] &&
	ok "HTTPS: /health 200 with the configured certificate" || bad "HTTPS /health"
[ "$(status "$tbase/crl/test-ca.crl" --cacert tls1.pem --tlsv1.3)" = 200 ] &&
	ok "HTTPS: TLS 1.3" || bad "HTTPS with TLS 1.3"
[ "$(status "$tbase/health" --cacert tls1.pem --tlsv1.2 --tls-max 1.2)" = 200 ] &&
	ok "HTTPS: TLS 1.2" || bad "HTTPS with TLS 1.2"
code=$(status "$tbase/health" --cacert tls1.pem --tls-max 1.1)
[ "$code" = 000 ] && ok "HTTPS: TLS 1.1 is refused" || bad "TLS 1.1: $code"

# ---- a revocation from the shell reaches the served CRL -----------------------
ca_csr srv "/CN=www.example.com" "DNS:www.example.com"
ca_csr other "/CN=other.example.com" "DNS:other.example.com"
"$signet" issue --profile tls-server --csr srv.csr >/dev/null
"$signet" issue --profile tls-server --csr other.csr >/dev/null
serial=$(openssl x509 -in srv.crt -noout -serial | sed 's/^serial=//' |
	tr 'A-F' 'a-f')
t0=$(date +%s)
run 0 "signet revoke from a shell while serving" "$signet" revoke "$serial" \
	--reason keyCompromise
lists_serial() {
	curl -s -o crl2.der "$base/crl/test-ca.crl" &&
		openssl crl -inform DER -in crl2.der -noout -text |
		grep -qi "$(echo "$serial" | tr 'a-f' 'A-F')"
}
if wait_for "the served CRL lists the revocation" lists_serial; then
	ok "... $(($(date +%s) - t0)) s later (check-interval 1s; at most 60 s)"
fi
# While it runs, the signer records the log's newest checkpoint in the
# database after each CRL (docs/serve.md): later than the newest CRL.
head_after_crl() {
	head_seq=$(sqlite3 "$work/ca/signet.db" "SELECT value FROM meta WHERE \
name LIKE 'audit_head:%'" | cut -c1-20 | sed 's/^0*//')
	crl_seq=$(grep '"event":"crl.generate"' "$work/ca/audit.log" |
		tail -n 1 | sed 's/.*"seq":\([0-9]*\).*/\1/')
	[ -n "$head_seq" ] && [ -n "$crl_seq" ] && [ "$head_seq" -gt "$crl_seq" ]
}
wait_for "the database holds a checkpoint after the newest CRL" head_after_crl
openssl crl -inform DER -in crl2.der -out crl2.pem
if openssl verify -crl_check -CRLfile crl2.pem -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" srv.crt >judge.out 2>&1; then
	bad "openssl verify -crl_check accepts the revoked certificate"
elif grep -q "certificate revoked" judge.out; then
	ok "openssl verify -crl_check: the certificate is revoked"
else
	bad "verify failed for another reason: $(cat judge.out)"
fi
judge openssl verify -crl_check -CRLfile crl2.pem -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" other.crt

# ---- hostile HTTP --------------------------------------------------------------
big=$(head -c 8000 /dev/zero | tr '\0' a)
code=$(status "$base/health" -H "X-Big: $big")
case $code in
413 | 431) ok "oversized headers: $code" ;;
*) bad "oversized headers: $code" ;;
esac
[ "$(status "$base/health" -X BREW)" = 405 ] && ok "an unknown method: 405" ||
	bad "an unknown method"
[ "$(status "$base/crl/test-ca.crl" -X POST -d x=1)" = 405 ] &&
	ok "POST: 405" || bad "POST"
[ "$(status "$base/crl/test-ca.crl" -X GET -d x=1)" = 413 ] &&
	ok "GET with a body: 413" || bad "GET with a body"
raw() {
	printf "$1" | timeout 5 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
r = s.recv(100).split()
print(r[1].decode() if len(r) > 1 else "closed")' "$port" || echo none
}
code=$(raw 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')
[ "$code" = 400 ] && ok "a malformed header line: 400" ||
	bad "a malformed header line: $code"
code=$(raw 'GET /health HTTP/7.0\r\nHost: x\r\n\r\n')
[ "$code" = 505 ] && ok "an unknown HTTP version: 505" ||
	bad "an unknown HTTP version: $code"
# No request line at all: libmicrohttpd closes without a word.
code=$(raw 'GARBAGE\r\n\r\n')
case $code in
4* | closed) ok "a request line without a version: $code" ;;
*) bad "a request line without a version: $code" ;;
esac
# A slow client (slowloris): half a request, then silence. Others are
# served meanwhile, and the idle timeout (2 s) closes it.
cat >slow.py <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
t = time.time()
s.settimeout(15)
try:
    data = s.recv(100)
except Exception as e:
    data = repr(e).encode()
print("closed after %d s: %r" % (int(time.time() - t), data[:30]))
PY
timeout 20 python3 slow.py "$port" >slow.out 2>&1 &
slow=$!
sleep 0.5
healthy && ok "others are served while a slow client waits" ||
	bad "a slow client blocks others"
wait "$slow" || true
secs=$(sed -n 's/^closed after \([0-9]*\) s.*/\1/p' slow.out)
if [ -n "$secs" ] && [ "$secs" -le 5 ]; then
	ok "the idle timeout cuts the slow client off: $(cat slow.out)"
else
	bad "slow client: $(cat slow.out)"
fi
# More connections from one address than max-connections-per-client (8):
# the ninth is closed at once, without a request being read.
cat >many.py <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(1.5)
try:
    extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = extra.recv(100)
except Exception as e:
    data = b"exception " + repr(e).encode()
print("refused" if data == b"" or data.startswith(b"exception ConnectionReset")
      else "answered %r" % data[:20])
PY
res=$(timeout 20 python3 many.py "$port" 2>&1 || true)
[ "$res" = refused ] && ok "a ninth connection from one address is refused" ||
	bad "per-client connection limit: $res"
healthy && ok "healthy after the hostile requests" || bad "not healthy"
# Without serve.ocsp the responder has nothing: OCSP tryLater, never good.
openssl ocsp -issuer "$CA_CERT" -serial 0x1234 -no_nonce -reqout ocsp-req.der \
	>/dev/null 2>&1 || true
curl -s -o ocsp.der --max-time 10 --data-binary @ocsp-req.der "$base/ocsp"
[ "$(od -An -tx1 ocsp.der | tr -d ' \n')" = 30030a0103 ] &&
	ok "POST /ocsp without serve.ocsp: tryLater" ||
	bad "POST /ocsp without serve.ocsp: $(od -An -tx1 ocsp.der)"

# ---- faults ------------------------------------------------------------------
front=$(front_pid)
kill -KILL "$front"
wait_for "a killed front end is replaced" front_is_new "$front"
wait_for "... and the service answers again" healthy
grep -q '"event":"serve.frontend"' "$work/ca/audit.log" &&
	ok "the death is audited (serve.frontend)" ||
	bad "no serve.frontend record"

# Opening a file is refused (EACCES), not fatal: glibc's malloc opens a
# /proc file under load. AddressSanitizer's builds allow opens for its
# reports.
front=$(front_pid)
got=$(curl -s --max-time 10 "$base/test/open" || true)
if ldd "$fe" 2>/dev/null | grep -q libasan; then
	ok "open in the front end: not checked under AddressSanitizer"
elif [ "$got" = EACCES ] && [ "$(front_pid)" = "$front" ]; then
	ok "open in the front end fails with EACCES, and it lives on"
else
	bad "open in the front end: '$got', front end $front -> $(front_pid)"
fi

front=$(front_pid)
status "$base/test/forbidden-syscall" >/dev/null
wait_for "a forbidden syscall kills the front end; it is replaced" \
	front_is_new "$front"
grep -q "front end $front killed by signal 31" serve.err &&
	ok "... killed by SIGSYS (seccomp)" ||
	bad "not SIGSYS: $(grep "$front" serve.err)"
wait_for "... and the service answers again" healthy

front=$(front_pid)
status "$base/test/ipc-garbage" >/dev/null
wait_for "a front end sending an unknown message is replaced" \
	front_is_new "$front"
grep -q '"action":"killed".*"reason":"unknown message type"' \
	"$work/ca/audit.log" &&
	ok "... and the kill is audited with the reason" ||
	bad "no audit record of the kill"
wait_for "... and the service answers again" healthy
curl -s "$base/metrics" >metrics.txt
contains metrics.txt 'signet_frontend_restarts_total 3' "metrics: 3 restarts"

# ---- signals -------------------------------------------------------------------
n=$(grep -c '"event":"policy.load"' "$work/ca/audit.log")
reloaded() {
	[ "$(grep -c '"event":"policy.load"' "$work/ca/audit.log")" -gt "$n" ]
}
tls_cert tls2
cp tls2.pem tls.pem
cp tls2.key tls.key
kill -HUP "$signer"
wait_for "SIGHUP reloads the policy (policy.load audited)" reloaded
wait_for "... and the service answers" healthy
new_cert() { [ "$(status "$tbase/health" --cacert tls2.pem)" = 200 ]; }
wait_for "SIGHUP: HTTPS handshakes use the new certificate" new_cert
[ "$(status "$tbase/health" --cacert tls1.pem)" = 000 ] &&
	ok "... and no longer the old one" || bad "the old certificate is still served"

front=$(front_pid)
kill -TERM "$signer"
set +e
wait "$signer"
rc=$?
set -e
[ "$rc" -eq 0 ] && ok "SIGTERM: the signer exits 0" || bad "SIGTERM: exit $rc"
if kill -0 "$front" 2>/dev/null; then
	bad "the front end outlived the signer"
else
	ok "the front end is gone too"
fi
grep -q '"event":"serve.stop"' "$work/ca/audit.log" &&
	ok "serve.stop audited" || bad "no serve.stop"

# A signer that answers late (test hook: its first answer comes after 3 s,
# past the front end's 2 s): /health says 503, and the late answer, whose
# request id no one waits for any more, is dropped.
SIGNET_TEST_SERVE_SLOW_HEALTH=1
export SIGNET_TEST_SERVE_SLOW_HEALTH
"$signet" serve >>serve.out 2>>serve.err &
signer=$!
unset SIGNET_TEST_SERVE_SLOW_HEALTH
up() { curl -s -o /dev/null "$base/crl/test-ca.crl"; }
wait_for "restarted with a slow signer" up
code=$(status "$base/health")
[ "$code" = 503 ] && ok "a signer answering too late: /health 503" ||
	bad "slow signer: /health $code"
wait_for "... then 200 again" healthy
curl -s "$base/metrics" >metrics.txt
contains metrics.txt "signet_signer_timeouts_total 1" \
	"metrics: the question that timed out"
contains metrics.txt "signet_signer_late_answers_total 1" \
	"metrics: its late answer was dropped"

# A signer that dies without a word: its front end notices, answers 503,
# and exits.
front=$(front_pid)
kill -KILL "$signer"
wait "$signer" 2>/dev/null || true
code=$(status "$base/health")
[ "$code" = 503 ] && ok "signer gone: the front end answers 503" ||
	bad "signer gone: /health $code"
gone() { ! kill -0 "$front" 2>/dev/null; }
wait_for "a front end whose signer died exits" gone
signer=

log_verifies "after serving" "$work/ca/audit.log"
checks_done
