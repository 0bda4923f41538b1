#!/bin/sh
# EST (RFC 7030) on signet serve, judged by curl and openssl doing the flows
# by hand: /cacerts, /simpleenroll with a one-time token, /simplereenroll
# with the current certificate as the TLS client certificate, every answer
# read with `openssl pkcs7 -print_certs`; then the failure paths (used,
# expired, revoked, foreign tokens and certificates, a reused key, changed
# names) and their HTTP statuses. Every process started here is stopped by
# its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-est.XXXXXX")
signer=
nginx_pid=
cleanup() {
	if [ -n "$nginx_pid" ]; then
		kill -TERM "$nginx_pid" 2>/dev/null || true
		wait "$nginx_pid" 2>/dev/null || true
	fi
	if [ -n "$signer" ] && kill -0 "$signer" 2>/dev/null; then
		_f=$(pgrep -P "$signer" || true)
		kill -KILL "$signer" 2>/dev/null || true
		for _p in $_f; do kill -KILL "$_p" 2>/dev/null || true; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "est.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(freeport)
tport=$(freeport)
base=http://127.0.0.1:$port
est=https://127.0.0.1:$tport/.well-known/est
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -out tls.pem -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod 600 tls.key
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$port"
	echo "  user: nobody"
	echo "  issuer-name: test-ca"
	echo "  crl:"
	echo "    check-interval: 1s"
	echo "  https:"
	echo "    listen: 127.0.0.1:$tport"
	echo "    certificate: $work/tls.pem"
	echo "    key: $work/tls.key"
	echo "  est:"
	echo "    - profile: mtls"
	echo "      revoke-superseded: true"
	echo "    - profile: tls-client"
	echo "      allow-key-reuse: true"
	echo "      allow-name-change: true"
} >>"$CA_CONFIG"

# est_call NAME URL [curl options]: the status; the body in NAME.body,
# headers in NAME.h.
est_call() {
	_n=$1
	_u=$2
	shift 2
	curl -s --cacert "$work/tls.pem" --max-time 30 -D "$_n.h" \
		-o "$_n.body" -w '%{http_code}' "$@" "$_u" || true
}
# expect WHAT WANT GOT
expect() {
	if [ "$3" = "$2" ]; then
		ok "$1: $3"
	else
		bad "$1: HTTP $3, expected $2"
		sed 's/^/  | /' "$4.body" >&2 2>/dev/null || true
	fi
}
# pkcs7 NAME: NAME.body is base64 certs-only PKCS#7; certificates to NAME.pem.
pkcs7() {
	if grep -qi '^content-type: application/pkcs7-mime; smime-type=certs-only' "$1.h" &&
		openssl base64 -d -in "$1.body" -out "$1.p7" &&
		openssl pkcs7 -inform DER -in "$1.p7" -print_certs -out "$1.pem" &&
		grep -q 'BEGIN CERTIFICATE' "$1.pem"; then
		ok "$1: certs-only PKCS#7, openssl pkcs7 -print_certs reads it"
	else
		bad "$1: not a certs-only PKCS#7"
		sed 's/^/  | /' "$1.h" "$1.body" >&2
	fi
}
# csr NAME KEY SUBJECT SAN: NAME.b64, a base64 DER PKCS#10 (KEY made if
# absent).
csr() {
	[ -f "$2" ] || openssl genpkey -algorithm EC \
		-pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null
	openssl req -new -key "$2" -subj "$3" -addext "subjectAltName=$4" \
		-outform DER -out "$1.der" 2>/dev/null
	openssl base64 -in "$1.der" -out "$1.b64"
}
# post NAME URL CSR [curl options]: POST CSR.b64 as RFC 7030 asks.
post() {
	_pn=$1
	_pu=$2
	_pb=$3
	shift 3
	est_call "$_pn" "$_pu" -H 'Content-Type: application/pkcs10' \
		--data-binary "@$_pb.b64" "$@"
}
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ]; }
wait_for() {
	_i=0
	while [ $_i -lt 150 ]; do
		if "$@"; then return 0; fi
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}
start() {
	"$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	if wait_for healthy; then
		ok "signet serve answers /health"
	else
		bad "signet serve did not start"
		sed 's/^/  | /' serve.err >&2
		exit 1
	fi
}
# Under faketime, $signer is faketime, which runs signet as its child:
# stop both, and wait for signet itself, not only for its parent.
stop() {
	_c=$(pgrep -P "$signer" -x signet || true)
	kill -TERM "$signer" $_c 2>/dev/null || true
	wait "$signer" 2>/dev/null || true
	for _p in $_c; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null || true
	done
	signer=
}

start

# ---- /cacerts -------------------------------------------------------------
expect "cacerts" 200 "$(est_call cacerts "$est/mtls/cacerts")" cacerts
pkcs7 cacerts
openssl x509 -in "$CA_CERT" -noout -subject >ca.subj
ca_subj=$(sed 's/^subject=//' ca.subj)
contains cacerts.pem "$ca_subj" "cacerts holds the issuing CA"
[ "$(grep -c 'BEGIN CERTIFICATE' cacerts.pem)" -ge 2 ] &&
	ok "cacerts holds the chain up to the root" ||
	bad "cacerts: $(grep -c 'BEGIN CERTIFICATE' cacerts.pem) certificates"
expect "csrattrs: none asked for" 204 "$(est_call attrs "$est/mtls/csrattrs")" attrs
expect "a profile not served over EST" 404 \
	"$(est_call nope "$est/tls-server/cacerts")" nope
expect "EST on the plain HTTP listener" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' "$base/.well-known/est/mtls/cacerts")" nope
expect "GET simpleenroll" 405 "$(est_call m "$est/mtls/simpleenroll")" m

# ---- /simpleenroll with a token ---------------------------------------------
run 2 "token add without --names" "$signet" est token add --profile mtls
run 2 "token add with a bad name" "$signet" est token add --profile mtls \
	--names "email:a@example.com"
run 2 "token add for a profile not served" "$signet" est token add \
	--profile tls-server --names dns:svc.example.com
run 0 "token add" "$signet" est token add --profile mtls \
	--names dns:svc.example.com --ttl 1h
token=$(cat out)
tid=$(echo "$token" | cut -c1-16)
secret=$(echo "$token" | cut -c18-)
grep '"event":"est.token.add"' "$work/ca/audit.log" | grep -q "\"token_id\":\"$tid\"" &&
	ok "token add is audited (est.token.add, its id)" ||
	bad "no est.token.add record for $tid"
if grep -rqF "$secret" "$work/ca/audit.log" "$work/ca/signet.db" serve.err 2>/dev/null; then
	bad "the token's secret is in the audit log, the database or a log"
else
	ok "the token's secret is in neither the audit log nor the database"
fi
csr e1 svc1.key /CN=svc.example.com DNS:svc.example.com
expect "simpleenroll without a token" 401 \
	"$(post noauth "$est/mtls/simpleenroll" e1)" noauth
grep -qi '^www-authenticate: Bearer' noauth.h &&
	ok "401 names the Bearer scheme" || bad "no WWW-Authenticate: Bearer"
expect "simpleenroll with an unknown token" 401 \
	"$(post badtok "$est/mtls/simpleenroll" e1 -H "Authorization: Bearer ${tid}.00")" badtok
expect "a token on another profile's endpoint" 403 \
	"$(post other "$est/tls-client/simpleenroll" e1 -H "Authorization: Bearer $token")" other
csr wrongname svc1.key /CN=svc.example.com DNS:other.example.com
expect "a CSR naming what the token does not" 400 \
	"$(post wn "$est/mtls/simpleenroll" wrongname -H "Authorization: Bearer $token")" wn
csr extra svc1.key /CN=svc.example.com "DNS:svc.example.com,DNS:extra.example.com"
expect "a CSR naming more than the token" 400 \
	"$(post ex "$est/mtls/simpleenroll" extra -H "Authorization: Bearer $token")" ex
contains ex.body "extra.example.com, which the requester did not validate" \
	"... naming the name the token does not pin"
expect "simpleenroll with the token" 200 \
	"$(post enroll "$est/mtls/simpleenroll" e1 -H "Authorization: Bearer $token")" enroll
pkcs7 enroll
openssl x509 -in enroll.pem -out svc1.pem
openssl x509 -in svc1.pem -noout -ext subjectAltName | grep -q 'DNS:svc.example.com' &&
	ok "the certificate names what the token pinned" ||
	bad "enrolled certificate: $(openssl x509 -in svc1.pem -noout -text)"
expect "the same token again" 401 \
	"$(post again "$est/mtls/simpleenroll" e1 -H "Authorization: Bearer $token")" again
contains again.body "already used" "... saying it was used"
run 0 "token list" "$signet" est token list
contains out "$tid  used" "token list shows it used"
run 42 "a used token cannot be revoked" "$signet" est token revoke "$tid"
run 0 "token add (to revoke)" "$signet" est token add --profile mtls \
	--names dns:r.example.com
rtoken=$(cat out)
run 0 "token revoke" "$signet" est token revoke "$(echo "$rtoken" | cut -c1-16)"
grep -q '"event":"est.token.revoke"' "$work/ca/audit.log" &&
	ok "token revoke is audited (est.token.revoke)" ||
	bad "no est.token.revoke record"
csr r1 r1.key /CN=r.example.com DNS:r.example.com
expect "a revoked token" 401 \
	"$(post rt "$est/mtls/simpleenroll" r1 -H "Authorization: Bearer $rtoken")" rt
run 0 "token add --ttl 1s" "$signet" est token add --profile mtls \
	--names dns:x.example.com --ttl 1s
xtoken=$(cat out)
sleep 2
csr x1 x1.key /CN=x.example.com DNS:x.example.com
expect "an expired token" 401 \
	"$(post xt "$est/mtls/simpleenroll" x1 -H "Authorization: Bearer $xtoken")" xt
contains xt.body "expired" "... saying it expired"

# ---- /simplereenroll with the current certificate ---------------------------
csr re1 svc2.key /CN=svc.example.com DNS:svc.example.com
expect "simplereenroll without a client certificate" 401 \
	"$(post nocert "$est/mtls/simplereenroll" re1)" nocert
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout foreign.key -out foreign.pem -days 2 -subj /CN=svc.example.com \
	-addext subjectAltName=DNS:svc.example.com 2>/dev/null
expect "a foreign client certificate" 403 \
	"$(post foreign "$est/mtls/simplereenroll" re1 --cert foreign.pem --key foreign.key)" foreign
csr same svc1.key /CN=svc.example.com DNS:svc.example.com
expect "a CSR reusing the key (mtls forbids it)" 400 \
	"$(post reuse "$est/mtls/simplereenroll" same --cert svc1.pem --key svc1.key)" reuse
contains reuse.body "reuses the current certificate's key" "... saying so"
csr moved svc2.key /CN=svc.example.com DNS:moved.example.com
expect "a CSR changing the names" 400 \
	"$(post moved "$est/mtls/simplereenroll" moved --cert svc1.pem --key svc1.key)" moved
csr subj svc2.key /CN=other.example.com DNS:svc.example.com
expect "a CSR changing the subject" 400 \
	"$(post subj "$est/mtls/simplereenroll" subj --cert svc1.pem --key svc1.key)" subj
expect "re-enrolling under another profile" 403 \
	"$(post prof "$est/tls-client/simplereenroll" re1 --cert svc1.pem --key svc1.key)" prof
expect "simplereenroll" 200 \
	"$(post reenroll "$est/mtls/simplereenroll" re1 --cert svc1.pem --key svc1.key)" reenroll
pkcs7 reenroll
openssl x509 -in reenroll.pem -out svc2.pem
old=$(openssl x509 -in svc1.pem -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
new=$(openssl x509 -in svc2.pem -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
[ "$old" != "$new" ] && ok "a new certificate ($new for $old)" || bad "same serial"
openssl verify -CAfile "$CA_CHAIN" -untrusted "$CA_CERT" svc2.pem >/dev/null &&
	ok "openssl verify accepts the renewed certificate" ||
	bad "the renewed certificate does not verify"
run 0 "signet show the old certificate" "$signet" show "$old"
contains out "revoked" "the superseded certificate is revoked (revoke-superseded)"
run 0 "signet show the new certificate" "$signet" show "$new"
grep -Eq "^requester: +est:0?$old\$" out &&
	ok "the new certificate's requester names the old one" ||
	bad "requester: $(grep requester out)"
csr re2 svc3.key /CN=svc.example.com DNS:svc.example.com
expect "re-enrolling with the superseded certificate" 403 \
	"$(post stale "$est/mtls/simplereenroll" re2 --cert svc1.pem --key svc1.key)" stale

# A profile that allows key reuse and name changes.
run 0 "token add (tls-client)" "$signet" est token add --profile tls-client \
	--names dns:c.example.com
ctoken=$(cat out)
csr c1 c1.key /CN=c.example.com DNS:c.example.com
expect "simpleenroll (tls-client)" 200 \
	"$(post cenroll "$est/tls-client/simpleenroll" c1 -H "Authorization: Bearer $ctoken")" cenroll
openssl x509 -in cenroll.body -out /dev/null 2>/dev/null || true
openssl base64 -d -in cenroll.body | openssl pkcs7 -inform DER -print_certs |
	openssl x509 -out c1.pem
csr c2 c1.key /CN=d.example.com DNS:d.example.com
expect "tls-client: same key, new names" 200 \
	"$(post crenew "$est/tls-client/simplereenroll" c2 --cert c1.pem --key c1.key)" crenew
pkcs7 crenew
openssl x509 -in crenew.pem -noout -ext subjectAltName | grep -q 'DNS:d.example.com' &&
	ok "the renewed certificate carries the new names" ||
	bad "renewed names: $(openssl x509 -in crenew.pem -noout -ext subjectAltName)"
cold=$(openssl x509 -in c1.pem -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
run 0 "signet show the superseded tls-client certificate" "$signet" show "$cold"
if grep -q revoked out; then
	bad "tls-client does not revoke superseded certificates"
else
	ok "without revoke-superseded the old certificate stays valid"
fi

# A revoked certificate cannot renew.
openssl base64 -d -in crenew.body | openssl pkcs7 -inform DER -print_certs |
	openssl x509 -out c2.pem
c2serial=$(openssl x509 -in c2.pem -noout -serial | sed 's/serial=//')
run 0 "revoke it" "$signet" revoke "$c2serial" --reason keyCompromise
csr c3 c3.key /CN=d.example.com DNS:d.example.com
expect "a revoked client certificate" 403 \
	"$(post crev "$est/tls-client/simplereenroll" c3 --cert c2.pem --key c1.key)" crev
contains crev.body "revoked" "... saying it is revoked"

# Hostile bodies.
printf 'not base64 at all!' >junk.b64
expect "a body that is not base64" 400 \
	"$(post junk "$est/mtls/simplereenroll" junk --cert svc2.pem --key svc2.key)" junk
head -c 40000 /dev/zero | tr '\0' 'A' >big.b64
# Streamed (no Content-Length), so the whole body reaches the limit.
expect "a body over the limit" 413 \
	"$(post big "$est/mtls/simpleenroll" big -H 'Transfer-Encoding: chunked' -H "Authorization: Bearer $token")" big

# ---- signet renew, three times, each pair accepted by nginx -----------------
# The root's CRL (nginx's ssl_crl checks every CA of the chain).
cat >rootcrl.py <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
root = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
now = datetime.datetime.now(datetime.timezone.utc)
crl = (x509.CertificateRevocationListBuilder()
       .issuer_name(root.subject).last_update(now - datetime.timedelta(hours=1))
       .next_update(now + datetime.timedelta(days=30))
       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
           key.public_key()), critical=False)
       .add_extension(x509.CRLNumber(1), critical=False)
       .sign(key, hashes.SHA256()))
open(sys.argv[3], "wb").write(crl.public_bytes(serialization.Encoding.PEM))
EOF
python3 rootcrl.py "$work/fx/root.key" "$CA_CHAIN" root-crl.pem
# crl_bundle: the service's CRL (over plain HTTP) and the root's.
crl_bundle() {
	curl -s -o int.crl "$base/crl/test-ca.crl" &&
		openssl crl -inform DER -in int.crl -out int.crl.pem &&
		cat int.crl.pem root-crl.pem >crl-bundle.pem
}
# crl_lists SERIAL: the served CRL lists it (after a revocation, within
# serve.crl.check-interval).
crl_lists() {
	crl_bundle && openssl crl -in int.crl.pem -noout -text |
		tr -d ' :' | sed -n 's/^SerialNumber//p' | tr 'A-F' 'a-f' |
		sed 's/^0*//' | grep -qx "$1"
}
ngport=$(freeport)
mkdir -p nginx/tmp
nginx_start() {
	{
		echo "user nobody $(id -gn nobody);"
		cat <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log info;
events { worker_connections 64; }
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$ngport ssl;
        ssl_certificate $work/tls.pem;
        ssl_certificate_key $work/tls.key;
        ssl_client_certificate $CA_CHAIN;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_crl $work/crl-bundle.pem;
        default_type text/plain;
        location / { return 200 "hello \$ssl_client_serial\n"; }
    }
}
EOF
	} >nginx/nginx.conf
	rm -f nginx/nginx.pid
	nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" \
		-e "$work/nginx/error.log" -g "daemon off;" >nginx/out 2>&1 &
	nginx_pid=$!
	wait_for test -s nginx/nginx.pid
}
nginx_stop() {
	[ -n "$nginx_pid" ] || return 0
	kill -TERM "$nginx_pid" 2>/dev/null || true
	wait "$nginx_pid" 2>/dev/null || true
	nginx_pid=
}
# nginx_status CERT KEY: the HTTP status nginx answers that client pair.
nginx_status() {
	curl -s -o nginx.body -w '%{http_code}' --max-time 10 \
		--cacert "$work/tls.pem" --cert "$1" --key "$2" \
		"https://127.0.0.1:$ngport/" || true
}
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/serial=//' |
		tr 'A-F' 'a-f' | sed 's/^0*//'
}

run 0 "token add (app)" "$signet" est token add --profile mtls \
	--names dns:app.example.com
apptoken=$(cat out)
csr app app.key /CN=app.example.com DNS:app.example.com
expect "simpleenroll (app)" 200 \
	"$(post appenroll "$est/mtls/simpleenroll" app -H "Authorization: Bearer $apptoken")" appenroll
pkcs7 appenroll
cp appenroll.pem app.pem
chmod 600 app.key
crl_bundle
if nginx_start; then
	ok "nginx runs with ssl_verify_client on and the service's CRL"
else
	bad "nginx did not start"
	sed 's/^/  | /' nginx/error.log >&2
fi
expect "nginx accepts the enrolled certificate" 200 \
	"$(nginx_status app.pem app.key)" nginx
run 0 "signet renew: not due yet (1/3 of the lifetime)" "$signet" renew \
	--server "https://127.0.0.1:$tport" --profile mtls --cert app.pem \
	--key app.key --cacert tls.pem
contains out "not due" "... and says so"
[ ! -e app.pem.prev ] && ok "... and touches nothing" ||
	bad "not due, but app.pem.prev exists"

i=1
while [ $i -le 3 ]; do
	before=$(serial_of app.pem)
	oldkey=$(openssl pkey -in app.key -pubout | sha256sum)
	rm -f hook.log
	run 0 "signet renew #$i" "$signet" renew \
		--server "https://127.0.0.1:$tport" --profile mtls \
		--cert app.pem --key app.key --cacert tls.pem --before 1/1 \
		--exec 'echo "$SIGNET_RENEW_SERIAL" >hook.log'
	after=$(serial_of app.pem)
	[ "$after" != "$before" ] && ok "renewal #$i: a new certificate ($after)" ||
		bad "renewal #$i: still $before"
	[ "$(openssl pkey -in app.key -pubout | sha256sum)" != "$oldkey" ] &&
		ok "renewal #$i: a new key" || bad "renewal #$i: the same key"
	[ "$(stat -c %a app.key)" = 600 ] && ok "renewal #$i: the key is 0600" ||
		bad "renewal #$i: key mode $(stat -c %a app.key)"
	[ "$(serial_of app.pem.prev)" = "$before" ] &&
		ok "renewal #$i: the previous certificate kept in app.pem.prev" ||
		bad "renewal #$i: app.pem.prev"
	if [ -s hook.log ] &&
		[ "$(tr -d '\n' <hook.log | tr 'A-F' 'a-f' | sed 's/^0*//')" = "$after" ]; then
		ok "renewal #$i: the hook ran after, with the new serial"
	else
		bad "renewal #$i: hook.log: $(cat hook.log 2>/dev/null)"
	fi
	if wait_for crl_lists "$before"; then
		ok "renewal #$i: the served CRL lists the superseded $before"
	else
		bad "renewal #$i: $before not on the served CRL"
	fi
	nginx_stop
	nginx_start || bad "nginx did not restart"
	expect "renewal #$i: nginx accepts the new certificate" 200 \
		"$(nginx_status app.pem app.key)" nginx
	expect "renewal #$i: nginx refuses the revoked previous one" 400 \
		"$(nginx_status app.pem.prev app.key.prev)" nginx
	i=$((i + 1))
done
grep -q "certificate revoked" nginx/error.log &&
	ok "nginx says the previous certificate is revoked" ||
	bad "nginx's error.log does not say revoked"
run 10 "signet renew with the superseded, revoked pair" "$signet" renew \
	--server "https://127.0.0.1:$tport" --profile mtls --cert app.pem.prev \
	--key app.key.prev --cacert tls.pem --force
contains err "HTTP 403" "... the server answered 403"
cp app.pem keep.pem
cp app.key keep.key
run 10 "signet renew --new-key keep on a profile without key reuse" \
	"$signet" renew --server "$est/mtls" --cert keep.pem --key keep.key \
	--cacert tls.pem --force --new-key keep
cmp -s keep.pem app.pem && ok "... keep.pem unchanged" || bad "keep.pem changed"
run 2 "signet renew without https" "$signet" renew --server \
	"http://127.0.0.1:$port" --profile mtls --cert app.pem --key app.key
run 2 "signet renew with a bad --before" "$signet" renew --server \
	"$est/mtls" --cert app.pem --key app.key --before 4/3
nginx_stop

# A SPIFFE ID with a DNS name: pinned by the token, kept on renewal.
spiffe=spiffe://example.com/ns/prod/sa/web
run 0 "token add with a SPIFFE ID" "$signet" est token add --profile mtls \
	--names "dns:web.example.com,uri:$spiffe"
wtoken=$(cat out)
csr web web.key /CN=web.example.com "DNS:web.example.com,URI:$spiffe"
expect "simpleenroll with a SPIFFE ID" 200 \
	"$(post webenroll "$est/mtls/simpleenroll" web -H "Authorization: Bearer $wtoken")" webenroll
pkcs7 webenroll
cp webenroll.pem web.pem
chmod 600 web.key
csr web2 web2.key /CN=web.example.com "DNS:web.example.com,URI:spiffe://example.com/ns/prod/sa/db"
run 0 "token add with a SPIFFE ID (2)" "$signet" est token add --profile mtls \
	--names "dns:web.example.com,uri:$spiffe"
expect "a CSR with another SPIFFE ID than the token's" 400 \
	"$(post web2e "$est/mtls/simpleenroll" web2 -H "Authorization: Bearer $(cat out)")" web2e
contains web2e.body "does not ask for uri:$spiffe" "... naming the pinned SPIFFE ID"
run 0 "signet renew keeps the SPIFFE ID" "$signet" renew --server "$est/mtls" \
	--cert web.pem --key web.key --cacert tls.pem --force
openssl x509 -in web.pem -noout -ext subjectAltName | grep -q "URI:$spiffe" &&
	ok "the renewed certificate carries the SPIFFE ID" ||
	bad "renewed SANs: $(openssl x509 -in web.pem -noout -ext subjectAltName)"

# ---- an expired certificate: the signer 40 days on ---------------------------
if command -v faketime >/dev/null 2>&1; then
	stop
	# libfaketime is preloaded ahead of the sanitizer runtime.
	env ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		faketime -f +40d "$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	if wait_for healthy; then
		csr re3 svc3.key /CN=svc.example.com DNS:svc.example.com
		expect "an expired client certificate" 403 \
			"$(post expired "$est/mtls/simplereenroll" re3 --cert svc2.pem --key svc2.key)" expired
		contains expired.body "expired" "... saying it expired"
	else
		bad "signet serve 40 days on did not start"
		sed 's/^/  | /' serve.err >&2
	fi
else
	echo "skipped: no faketime for the expired certificate"
fi

stop
# Verified 40 days on: the faketime'd signer's records are the newest.
if command -v faketime >/dev/null 2>&1; then
	log_verifies "after EST" "$work/ca/audit.log" env \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		faketime -f +40d
else
	log_verifies "after EST" "$work/ca/audit.log"
fi
checks_done
