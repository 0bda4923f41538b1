#!/bin/sh
# OCSP in signet serve: pre-signed responses, signed by the delegated
# responder the service makes (then rotated with `signet ocsp signer
# rotate`, then by the CA key with signer: ca), judged by openssl ocsp
# (good, revoked with reason and time, unknown), by python3-cryptography
# (strict parse and signature), GnuTLS ocsptool, nginx stapling with
# ssl_stapling_verify (good, then revoked after a reload), GET and POST,
# the caching headers and
# 304, a revocation from the shell reaching the response within 60 s,
# and hostile requests answered with the right OCSP status. Every process
# started here is stopped by its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ocsp.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ocsp.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
base=http://127.0.0.1:$port
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$port"
	echo "  user: nobody"
	echo "  issuer-name: test-ca"
	echo "  crl:"
	echo "    check-interval: 1s"
	echo "  ocsp:"
	echo "    lifetime: 4d"
} >>"$CA_CONFIG"

status() {
	_u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$_u" || true
}
# wait_for WHAT COMMAND...: up to 60 s (bounded) for COMMAND to succeed.
wait_for() {
	_what=$1
	shift
	_i=0
	while [ $_i -lt 300 ]; do
		if "$@" >/dev/null 2>&1; then
			ok "$_what"
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	bad "$_what (waited 60 s)"
	grep -v "^signet-frontend" serve.err | tail -20 | sed "s/^/  | /" >&2
	return 1
}
healthy() { [ "$(status "$base/health")" = 200 ]; }

# py_judge RESPONSE CERT GOOD|REVOKED [ca]: python3-cryptography parses
# the response strictly and checks what it says and who signed it: the
# delegated responder (byKey, its certificate in certs, issued by the CA,
# OCSPSigning and id-pkix-ocsp-nocheck), or with "ca" the CA key (byName,
# no certificates); with WANT_SIGNER set, the responder certificate must
# have that serial (hex).
cat >judge.py <<'PY'
import hashlib, os, sys
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
r = ocsp.load_der_ocsp_response(open(sys.argv[2], "rb").read())
cert = x509.load_pem_x509_certificate(open(sys.argv[3], "rb").read())
want = getattr(ocsp.OCSPCertStatus, sys.argv[4])
by_ca = len(sys.argv) > 5 and sys.argv[5] == "ca"
assert r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
if by_ca:
    signer = ca
    assert r.responder_name == ca.subject
    assert r.certificates == []
else:
    assert r.responder_name is None
    assert len(r.certificates) == 1, r.certificates
    signer = r.certificates[0]
    # Issued by the CA, for OCSP signing only, not to be checked itself.
    ca.public_key().verify(signer.signature, signer.tbs_certificate_bytes,
                           ec.ECDSA(signer.signature_hash_algorithm))
    assert signer.issuer == ca.subject
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    signer.extensions.get_extension_for_class(x509.OCSPNoCheck)
    ku = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and not ku.key_cert_sign
    assert signer.public_key() != ca.public_key()
    bits = signer.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.UncompressedPoint)
    assert r.responder_key_hash == hashlib.sha1(bits).digest()
    want_signer = os.environ.get("WANT_SIGNER")
    if want_signer:
        assert signer.serial_number == int(want_signer, 16), \
            "signed by %x, not %s" % (signer.serial_number, want_signer)
signer.public_key().verify(r.signature, r.tbs_response_bytes,
                           ec.ECDSA(r.signature_hash_algorithm))
assert len(r.extensions) == 0  # no nonce in a pre-signed response
assert r.produced_at_utc.second == 0
single = list(r.responses)
assert len(single) == 2, len(single)
assert {type(s.hash_algorithm).__name__ for s in single} == {"SHA1", "SHA256"}
for s in single:
    assert s.serial_number == cert.serial_number
    assert s.certificate_status == want, s.certificate_status
    assert s.this_update_utc.second == 0
    assert (s.next_update_utc - s.this_update_utc).total_seconds() == 4 * 86400
    if want == ocsp.OCSPCertStatus.REVOKED:
        assert s.revocation_reason == x509.ReasonFlags.key_compromise
        assert s.revocation_time_utc is not None
PY
py_judge() {
	python3 judge.py "$CA_CERT" "$@" >judge.out 2>&1
}

# Two certificates before the service starts, one after.
good=$(ca_issue_named good)
gone=$(ca_issue_named gone)
"$signet" serve >>serve.out 2>>serve.err &
signer=$!
wait_for "the service answers /health with 200" healthy

# ocsp_status CERT: what openssl ocsp says of it (POST to /ocsp).
ocsp_status() {
	openssl ocsp -issuer "$CA_CERT" -cert "$1" -url "$base/ocsp" \
		-CAfile "$CA_ROOT" -verify_other "$CA_CERT" -no_nonce \
		-respout "$1.resp" >"$1.ocsp" 2>&1 || true
	cat "$1.ocsp"
}
is_good() { ocsp_status "$1" | grep -q "^$1: good"; }
is_revoked() { ocsp_status "$1" | grep -q "^$1: revoked"; }
wait_for "openssl ocsp: good.crt is good" is_good good.crt
grep -q "Response verify OK" good.crt.ocsp &&
	ok "... and the response, signed by the delegated responder, verifies against the root" ||
	bad "openssl ocsp does not verify the response: $(cat good.crt.ocsp)"
"$signet" ocsp signer status >status1.out 2>&1 ||
	bad "signet ocsp signer status: $(cat status1.out)"
first_signer=$(sed -n 's/^serial: *//p' status1.out)
contains status1.out "key:        signet-ocsp-" \
	"signet ocsp signer status: a responder, its key on the token"
contains status1.out "rotation:" "... and when it is replaced"
WANT_SIGNER=$first_signer py_judge good.crt.resp good.crt GOOD &&
	ok "python3-cryptography: byKey, signed by that responder, its certificate in certs (OCSPSigning, nocheck, issued by the CA)" ||
	bad "delegated response: $(cat judge.out)"
"$signet" show "$first_signer" >show1.out 2>&1 || true
contains show1.out "ocsp-responder" "the responder certificate is in the store, profile ocsp-responder"

# GnuTLS's ocsptool, trusting the CA (the responder is under it).
ocsptool --ask="$base/ocsp" --load-issuer "$CA_CERT" --load-cert good.crt \
	--load-signer "$CA_CERT" --no-nonce >ocsptool.out 2>&1 || true
contains ocsptool.out "Certificate Status: good" "GnuTLS ocsptool: good"
contains ocsptool.out "Verifying OCSP Response: Success." \
	"... and the response verifies"

new=$(ca_issue_named new)
t0=$(date +%s)
wait_for "a certificate issued while serving gets a good response" is_good new.crt
ok "... $(($(date +%s) - t0)) s after issuance (at most 60 s)"

# Revocation from a shell: revoked, with its reason and time.
run 0 "signet revoke from a shell while serving" "$signet" revoke "$gone" \
	--reason keyCompromise
t0=$(date +%s)
wait_for "the response turns revoked" is_revoked gone.crt
ok "... $(($(date +%s) - t0)) s after the revocation (at most 60 s)"
contains gone.crt.ocsp "Reason: keyCompromise" "... reason keyCompromise"
contains gone.crt.ocsp "Revocation Time:" "... with its revocation time"

# A certificate of another CA: unauthorized, never good.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=Other CA' \
	2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout stray.key -out stray.csr -subj /CN=stray 2>/dev/null
openssl x509 -req -in stray.csr -CA other-ca.pem -CAkey other-ca.key \
	-days 1 -out stray.crt 2>/dev/null
openssl ocsp -issuer other-ca.pem -cert stray.crt -url "$base/ocsp" \
	-no_nonce >stray.ocsp 2>&1 || true
contains stray.ocsp "unauthorized" "another CA's certificate: unauthorized"
# Our issuer, a serial never issued: unauthorized.
openssl ocsp -issuer "$CA_CERT" -serial 0x1234567 -url "$base/ocsp" \
	-no_nonce >fake.ocsp 2>&1 || true
contains fake.ocsp "unauthorized" "a serial this CA never issued: unauthorized"

# GET with the request in the path (escaped as nginx does), SHA-256 too.
openssl ocsp -issuer "$CA_CERT" -cert good.crt -no_nonce -reqout req1.der \
	>/dev/null 2>&1 || true
openssl ocsp -issuer "$CA_CERT" -sha256 -cert good.crt -no_nonce \
	-reqout req256.der >/dev/null 2>&1 || true
[ -s req1.der ] && [ -s req256.der ] || bad "openssl ocsp -reqout"
b64=$(base64 -w0 req1.der | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
curl -s -D get.hdr -o get.der --max-time 10 "$base/ocsp/$b64"
py_judge get.der good.crt GOOD && ok "GET: python3-cryptography parses and verifies: good" ||
	bad "GET response: $(cat judge.out)"
py_judge gone.crt.resp gone.crt REVOKED &&
	ok "python3-cryptography: the revoked response parses and verifies" ||
	bad "revoked response: $(cat judge.out)"
grep -qi "^content-type: application/ocsp-response" get.hdr &&
	ok "GET: Content-Type application/ocsp-response" || bad "Content-Type"
grep -qi "^cache-control: max-age=[0-9]*, public, no-transform, must-revalidate" get.hdr &&
	ok "GET: Cache-Control" || bad "Cache-Control: $(cat get.hdr)"
for h in last-modified expires etag; do
	grep -qi "^$h: " get.hdr && ok "GET: $h" || bad "GET: no $h"
done
etag=$(grep -i '^etag:' get.hdr | cut -d' ' -f2 | tr -d '\r')
[ "$(status "$base/ocsp/$b64" -H "If-None-Match: $etag")" = 304 ] &&
	ok "GET with If-None-Match: 304" || bad "no 304 for If-None-Match"
curl -s -o post256.der --max-time 10 --data-binary @req256.der \
	-H 'Content-Type: application/ocsp-request' "$base/ocsp"
openssl ocsp -respin post256.der -issuer "$CA_CERT" -sha256 -cert good.crt \
	-CAfile "$CA_ROOT" -verify_other "$CA_CERT" >post256.out 2>&1 || true
contains post256.out "good.crt: good" "POST with a SHA-256 CertID: good"

# Hostile requests: the right OCSP status, and the service stays up.
# ocsp_code FILE: the OCSPResponseStatus of the answer to a POST of FILE.
ocsp_code() {
	curl -s -o code.der --max-time 10 --data-binary "@$1" \
		-H 'Content-Type: application/ocsp-request' "$base/ocsp"
	od -An -tx1 code.der | tr -d ' \n'
}
head -c 20 req1.der >trunc.der
{ cat req1.der; printf '\000'; } >trail.der
python3 - <<'PY'
d = open("req1.der", "rb").read()
# BER: the outer SEQUENCE with an indefinite length.
open("ber.der", "wb").write(b"\x30\x80" + d[2:] + b"\x00\x00")
# Two CertIDs in one request (RFC 5019 2.1.1 allows one).
def tlv(tag, body):
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    return bytes([tag, 0x81 if n < 256 else 0x82]) + n.to_bytes(
        1 if n < 256 else 2, "big") + body
req = d[6:6 + d[5]]
open("many.der", "wb").write(tlv(0x30, tlv(0x30, tlv(0x30, req + req))))
open("one.der", "wb").write(tlv(0x30, tlv(0x30, tlv(0x30, req))))
# A hash algorithm signet does not use (1.3.14.3.2.29 for SHA-1's OID).
open("md5.der", "wb").write(d.replace(b"\x06\x05\x2b\x0e\x03\x02\x1a",
    b"\x06\x05\x2b\x0e\x03\x02\x1d", 1))
open("huge.der", "wb").write(b"\x30\x82\x27\x14" + b"\x00" * 10004)
PY
cmp -s one.der req1.der && ok "the hostile requests are built on the real one" ||
	bad "rebuilding the request"
for f in trunc trail ber many; do
	code=$(ocsp_code $f.der)
	[ "$code" = 30030a0101 ] && ok "$f request: malformedRequest" ||
		bad "$f request: $code"
done
code=$(ocsp_code md5.der)
[ "$code" = 30030a0106 ] && ok "an unknown hash algorithm: unauthorized" ||
	bad "unknown hash algorithm: $code"
[ "$(status "$base/ocsp" --data-binary @huge.der)" = 413 ] &&
	ok "a request over 10,000 bytes: 413" || bad "huge request"
curl -s -o code.der --max-time 10 "$base/ocsp/not*base64"
[ "$(od -An -tx1 code.der | tr -d ' \n')" = 30030a0101 ] &&
	ok "GET with a path that is not base64: malformedRequest" ||
	bad "bad base64"
healthy && ok "the service is still healthy" || bad "the service died"

# ---- nginx staples the response (ssl_stapling_verify on) ---------------------
web=$(ca_issue_named web)
cat web.crt "$CA_CERT" >web-chain.pem
cat "$CA_CERT" "$CA_ROOT" >trusted.pem
wait_for "the web server's certificate has a response" is_good web.crt
nport=$(free_port)
mkdir -p nginx/tmp
{
	[ "$(id -u)" -eq 0 ] && echo "user nobody $(id -gn nobody);"
	cat <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nport ssl;
        server_name web.example.com;
        ssl_certificate $work/web-chain.pem;
        ssl_certificate_key $work/web.key;
        ssl_stapling on;
        ssl_stapling_verify on;
        ssl_stapling_responder $base/ocsp;
        ssl_trusted_certificate $work/trusted.pem;
        location / { return 200 "hello\n"; }
    }
}
EOF
} >nginx/nginx.conf
chmod 755 "$work" nginx
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
	-g "daemon off;" >nginx.out 2>&1 &
nginx_pid=$!
trap 'kill -TERM "$nginx_pid" 2>/dev/null || true; serve_cleanup' EXIT
# stapled STATUS: nginx fetches on a first handshake, staples on later ones.
stapled() {
	openssl s_client -connect "127.0.0.1:$nport" -servername web.example.com \
		-status -CAfile "$CA_ROOT" </dev/null >s_client.out 2>&1 || true
	grep -q "Cert Status: $1" s_client.out
}
if wait_for "nginx staples the response: good (openssl s_client -status)" \
	stapled good; then
	contains s_client.out "OCSP Response Status: successful" \
		"... a successful response"
	contains s_client.out "Verify return code: 0 (ok)" \
		"... on a handshake that verifies"
fi
run 0 "revoke the web server's certificate" "$signet" revoke "$web" \
	--reason superseded
wait_for "the responder says revoked" is_revoked web.crt
# nginx keeps a good response up to an hour; a reload fetches anew. It
# never staples a revoked one: it says so in its log.
kill -HUP "$nginx_pid"
says_revoked() {
	stapled good && return 1
	grep -q 'certificate status "revoked" in the OCSP response' \
		nginx/error.log
}
wait_for "after a reload nginx sees revoked, and staples nothing good" \
	says_revoked
contains s_client.out "OCSP response: no response sent" \
	"... openssl s_client -status: no response sent"
kill -TERM "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true

# ---- rotation: a new key and certificate, every response signed again ------
run 0 "signet ocsp signer rotate" "$signet" ocsp signer rotate --json
new_signer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' out 2>/dev/null || true)
[ -n "$new_signer" ] && [ "$new_signer" != "$first_signer" ] &&
	ok "a new responder certificate: $new_signer" || bad "rotate: $(cat out err)"
signed_by_new() {
	is_good "$1" && WANT_SIGNER=$new_signer py_judge "$1.resp" "$1" GOOD
}
wait_for "the responses are signed again by the new responder" signed_by_new good.crt
signed_by_new new.crt && ok "... every one of them (new.crt too)" ||
	bad "new.crt: $(cat judge.out)"
is_revoked gone.crt &&
	WANT_SIGNER=$new_signer py_judge gone.crt.resp gone.crt REVOKED &&
	ok "... the revoked one too, verified by openssl and python3-cryptography" ||
	bad "gone.crt: $(cat judge.out)"
"$signet" ocsp signer status >status2.out 2>&1 || true
contains status2.out "serial:     $new_signer" "signet ocsp signer status: the new responder"
grep -q "responder $new_signer replaces $first_signer" serve.err &&
	ok "the service says so in its log" || bad "no rotation in serve.err"
signed_by_new good.crt && cp good.crt.resp good.before-restart.resp

kill -TERM "$signer"
wait "$signer" && ok "SIGTERM: signet serve exits 0" || bad "exit status"
signer=

# ---- a restart takes the fresh responses from the store, signs none -------
mark=$(wc -l <serve.err)
"$signet" serve >>serve.out 2>>serve.err &
signer=$!
wait_for "restarted, the service answers /health" healthy
restart_log() { tail -n +"$((mark + 1))" serve.err | grep -v '^signet-frontend'; }
taken() { restart_log | grep -q "responses taken from the store"; }
wait_for "after a restart the responses are taken from the store" taken
signed_by_new good.crt && WANT_SIGNER=$new_signer py_judge gone.crt.resp gone.crt REVOKED &&
	ok "... and served: by the same responder, good and revoked" ||
	bad "after the restart: $(cat judge.out)"
sleep 2 # a check interval or two: nothing falls due
if restart_log | grep -q "responses\? signed"; then
	bad "the restarted service signed again: $(restart_log | grep signed)"
else
	ok "... none signed again (no token signature for a fresh response)"
fi
cmp -s good.crt.resp good.before-restart.resp &&
	ok "... the very bytes served before the restart" ||
	bad "good.crt's response changed over the restart"
kill -TERM "$signer"
wait "$signer" && ok "SIGTERM: signet serve exits 0" || bad "exit status"
signer=

# ---- serve.ocsp.signer: ca: the CA key signs, byName, no certificates -------
printf '    signer: ca\n' >>"$CA_CONFIG"
"$signet" serve >>serve.out 2>>serve.err &
signer=$!
wait_for "the service with signer: ca answers /health" healthy
by_ca() { is_good good.crt && py_judge good.crt.resp good.crt GOOD ca; }
wait_for "signer: ca: the CA key signs, byName, no certificates" by_ca
grep -q "Response verify OK" good.crt.ocsp && ok "... openssl ocsp verifies it" ||
	bad "signer: ca: $(cat good.crt.ocsp)"
grep -q "in the store not taken (another signer" serve.err &&
	ok "... the responder's responses in the store were not taken" ||
	bad "signer: ca took the responder's responses"
kill -TERM "$signer"
wait "$signer" && ok "SIGTERM: signet serve exits 0" || bad "exit status"
signer=

# ---- 23 days on, the service replaces the responder by itself ---------------
# The 30-day responder is due two 4-day lifetimes before its notAfter.
# Last: the faketime'd signer's records are the newest in the store.
if command -v faketime >/dev/null 2>&1; then
	sed -i '$d' "$CA_CONFIG" # back to signer: delegated (the default)
	mark=$(wc -l <serve.err)
	env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		faketime -f +23d "$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	later_log() { tail -n +"$((mark + 1))" serve.err | grep -v '^signet-frontend'; }
	rotated() { later_log | grep -q "OCSP: new responder certificate"; }
	wait_for "23 days on, the service makes a new responder by itself" rotated
	third=$(later_log | sed -n 's/.*new responder certificate \([0-9a-f]*\) .*/\1/p' | head -1)
	# Its responses start 23 days ahead of this clock: openssl ocsp
	# would call their times invalid; python3-cryptography judges them.
	by_third() {
		curl -s -o third.resp --max-time 10 --data-binary @req1.der \
			-H 'Content-Type: application/ocsp-request' "$base/ocsp" &&
			WANT_SIGNER=$third py_judge third.resp good.crt GOOD
	}
	[ -n "$third" ] && [ "$third" != "$new_signer" ] &&
		wait_for "... and the responses are signed again by it ($third)" by_third ||
		bad "no third responder: $(later_log | tail -5)"
	serve_stop_wrapped # faketime runs signet as its child
else
	echo "skipped: no faketime for the rotation that falls due"
fi
checks_done
