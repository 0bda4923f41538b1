#!/bin/sh
# The main job, end to end, on throwaway SoftHSM tokens in a fresh directory:
#
#   1. a root token and an online token;
#   2. key ceremonies: the root key and certificate on the root token, the
#      intermediate key and CSR on the online token, the root signing the
#      intermediate (name-constrained to example.com) and its first CRL;
#   3. signet init: the online CA;
#   4. a server certificate for nginx and a client certificate, from CSRs;
#   5. nginx on 127.0.0.1 requiring client certificates from this PKI: curl
#      with the client certificate gets in, without one or with another
#      CA's it does not;
#   6. the client certificate revoked, the CRLs given to nginx: refused;
#   7. signet serve on 127.0.0.1: the CRL over HTTP, refreshed by itself
#      after a revocation with the CLI; certbot getting a certificate for
#      www.example.com over ACME, nginx serving it, certbot renewing it
#      and nginx serving the new one;
#   8. the records: audit log, ceremony transcripts, certificate list.
#
# Each step is printed in plain words with the commands it runs
# (docs/quickstart.md explains them). The demo stops with a non-zero status
# at the first step that does not behave as shown, and stops every process
# it started, whatever happens. Installs what it needs (.ci/install-deps.sh)
# and builds signet in build/, or runs an installed signet instead.
#
#   tests/demo.sh [DIR]    DIR: where to work, new or empty (default: a new
#                          directory under $TMPDIR or /tmp); kept afterwards
#   SIGNET=/usr/bin/signet tests/demo.sh [DIR]
#                          the installed signet (a path, or a name on PATH)
#                          with its ceremony files and policy (share/signet
#                          beside its bin/), e.g. from the Debian package;
#                          nothing is built
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
-h | --help)
	sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
*) ;;
esac
if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
if [ $# -eq 1 ] && [ -e "$1" ] && [ -n "$(ls -A "$1")" ]; then
	echo "demo: $1 is not empty; give a new or empty directory" >&2
	exit 2
fi

step() {
	printf '\n==> %s\n' "$*"
}
say() {
	printf '%s\n' "$*" | fold -s -w 76 | sed 's/^/    /'
}
# excerpt PATTERN [FILE]: the lines of FILE (default: the last command's
# output) that match PATTERN, as the command printed them.
excerpt() {
	grep -E -- "$1" "${2:-$PKI_LOG}" | sed 's/^/      | /'
}
# answer: what the last curl got.
answer() {
	if [ "$(cat curl.code)" = 200 ]; then
		say "-> HTTP 200: $(head -n1 curl.body)"
	elif [ "$(cat curl.code)" != 000 ]; then
		say "-> HTTP $(cat curl.code): $(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' curl.body)"
	else
		say "-> curl refused the connection: $(head -n1 curl.err)"
	fi
}

"$top/.ci/install-deps.sh"

if [ -n "${SIGNET:-}" ]; then
	PKI_SIGNET=$(command -v "$SIGNET") || {
		echo "demo: SIGNET=$SIGNET: no such program" >&2
		exit 2
	}
	PKI_SHARE=$(cd "$(dirname "$PKI_SIGNET")/../share/signet" 2>/dev/null &&
		pwd) || {
		echo "demo: no share/signet beside $PKI_SIGNET" >&2
		exit 2
	}
	step "The installed signet ($PKI_SIGNET, files from $PKI_SHARE)"
else
	step "Building signet (cmake, in build/)"
	cmake -S "$top" -B "$top/build" >/dev/null
	cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
	PKI_SIGNET=$top/build/src/signet
fi
"$PKI_SIGNET" --version

PKI_SRC=$top
PKI_FATAL=1
PKI_ECHO=1
. "$top/tests/interop/pki.sh"
if [ $# -eq 1 ]; then
	work=$1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/signet-demo.XXXXXX")
fi
pki_start "$work"
say "Working in $PKI_DIR; the commands below run there ('signet' is" \
	"$PKI_SIGNET). Every command's full output is in log/."

# ---- 1 -------------------------------------------------------------------------
step "1. Two throwaway SoftHSM tokens"
say "'root' stands for the offline root CA's HSM, kept in a safe and used" \
	"only in ceremonies; 'online' for the HSM of the issuing CA's server." \
	"mktoken.sh sets random PINs and writes them to hsm/*.pin (mode 0600)."
pki_tokens
pki_run token-list "$PKI_SIGNET" token list
excerpt "token: '(root|online)'"
pki_has "$PKI_LOG" "token: 'root'" "the root token exists"
pki_has "$PKI_LOG" "token: 'online'" "the online token exists"

# ---- 2 -------------------------------------------------------------------------
step "2. Key ceremonies: the root, then the intermediate"
say "Each ceremony runs a reviewed file from ceremony/, prints its plan," \
	"and leaves a transcript signed by the key it used. At a real ceremony" \
	"an operator confirms the plan by typing the first 8 hex digits of the" \
	"file's SHA-256; the demo passes --yes instead, and the transcripts" \
	"record that no one confirmed."
say "First the root token goes under the control of 2 of 3 custodians" \
	"(CA/B Forum BR 6.2.2): signet draws a new user PIN from the token," \
	"sets it, and splits it into three shares, each sealed under its" \
	"custodian's passphrase. No one sees the PIN; hsm/root.pin stops" \
	"working. Every root ceremony below is unlocked by two custodians" \
	"(Carol and Erin), whom its transcript names:"
pki_root_quorum
excerpt "^Quorum to set up|^Custodians|set-pin|^Ceremony .* completed"
say "The token's former PIN no longer logs in (exit status 24):"
pki_expect 24 old-root-pin "$PKI_SIGNET" token list \
	--token "pkcs11:token=root?pin-source=file:$PKI_DIR/hsm/root.pin"
excerpt "CKR_PIN_INCORRECT"
say "The root key is generated on the root token, non-extractable; the" \
	"root signs its own certificate:"
pki_ceremony 01-root-key
excerpt "quorum-unlock|^Key to generate|cannot leave the token|^Ceremony .* completed"
pki_ceremony 02-root-cert
excerpt "^  (subject|notAfter)  |^Ceremony .* completed"
say "The intermediate key (and the online CA's audit key) on the online" \
	"token, with a CSR; then the root signs the intermediate, limited by" \
	"name constraints to example.com and no IP addresses:"
pki_ceremony 03-intermediate-key
excerpt "^Key to generate|^Audit key|^Ceremony .* completed"
pki_ceremony 04-intermediate-cert
excerpt "^  (subject|issuer|basic constraints|name constraints)  |^    (permitted|excluded)|^Ceremony .* completed"
say "The root's first CRL (empty): TLS servers that check revocation want" \
	"a CRL from every CA in the chain, the root's included."
pki_ceremony 05-root-crl
excerpt "^  (CRL number|nextUpdate) |^Ceremony .* completed"
pki_run verify-intermediate openssl verify -x509_strict -CAfile root.pem \
	intermediate.pem
pki_has "$PKI_LOG" "intermediate.pem: OK" "openssl verifies the intermediate"

# ---- 3 -------------------------------------------------------------------------
step "3. The online CA: signet init"
say "An instance directory (ca/) with its configuration, the intermediate" \
	"certificate, the policy, the certificate database and the audit log." \
	"Both keys stay on the online token; the PIN comes from a file."
pki_ca_init
excerpt "created CA instance"
say "The commands below find the instance through SIGNET_CONFIG" \
	"(export SIGNET_CONFIG=\$PWD/ca/signet.yaml), and the tokens through" \
	"SOFTHSM2_CONF (export SOFTHSM2_CONF=\$PWD/hsm/softhsm2.conf)."

# ---- 4 -------------------------------------------------------------------------
step "4. Certificates for nginx and for a client, from CSRs"
say "The keys are made here with openssl, as their owners would; signet" \
	"sees only the CSRs, checks them against the profile, and signs on the" \
	"online token."
pki_csr www "/CN=www.example.com" "DNS:www.example.com"
pki_issue tls-server www
excerpt "^issued certificate"
pki_csr client "/CN=client.example.com" \
	"DNS:client.example.com,URI:spiffe://example.com/ns/demo/sa/client"
pki_issue tls-client client
excerpt "^issued certificate"
say "www-chain.pem holds the server certificate and the intermediate: what" \
	"nginx sends. The client certificate names:"
openssl x509 -in client.crt -noout -ext subjectAltName >client-san.txt
excerpt "." client-san.txt

# ---- 5 -------------------------------------------------------------------------
step "5. nginx requiring client certificates from this PKI"
say "nginx runs as you, from nginx/nginx.conf, on 127.0.0.1:PORT:" \
	"ssl_verify_client on, trusting only root.pem, ssl_verify_depth 2."
pki_nginx_start www-chain.pem www.key root.pem
excerpt "ssl_|listen" nginx/nginx.conf
say "curl with the client certificate (curl checks nginx's certificate" \
	"against root.pem and the name www.example.com):"
pki_curl_expect 0 200 "hello CN=client.example.com: SUCCESS" \
	"curl with the client certificate" client
answer
say "curl without a client certificate:"
pki_curl_expect 0 400 "No required SSL certificate was sent" \
	"curl without a client certificate" none
answer
say "curl with a certificate from another CA, one that even copies the" \
	"root's name (made with openssl: rogue-root.pem):"
pki_rogue rogue "DNS:client.example.com"
pki_curl_expect 0 400 "The SSL certificate error" \
	"curl with another CA's certificate" rogue
answer

# ---- 6 -------------------------------------------------------------------------
step "6. Revoking the client certificate"
pki_run revoke "$PKI_SIGNET" revoke "$(cat client.serial)" \
	--reason keyCompromise
excerpt "^revoked"
say "A new CRL from the online CA, then the bundle nginx reads: that CRL" \
	"and the root's (ssl_crl makes nginx check every CA of the chain)."
pki_crl_bundle
excerpt "^CRL number" "$PKI_DIR/log/crl-1.log"
say "nginx reloads with ssl_crl crl-bundle.pem:"
pki_nginx_reload www-chain.pem www.key root.pem crl-bundle.pem
say "The same curl as before:"
pki_curl_expect 0 400 "The SSL certificate error" \
	"curl with the revoked client certificate" client
answer
pki_has nginx/error.log "(23:certificate revoked)" \
	"nginx's error log says why"
excerpt "certificate revoked" nginx/error.log
pki_nginx_stop
say "nginx stopped."

# ---- 7 -------------------------------------------------------------------------
step "7. The online CA as a service: signet serve, ACME with certbot"
say "signet serve runs the CA as a service: a signer holding the token, off" \
	"the network, and an unprivileged, sandboxed front end answering HTTP" \
	"(docs/serve.md). Here it publishes the CRL over HTTP and runs an ACME" \
	"server over HTTPS that certbot uses (docs/acme.md). The demo has no" \
	"DNS: the ACME validator is told that www.example.com is 127.0.0.1" \
	"(acme.resolve) and may connect there (acme.validation-allow); the" \
	"service's HTTPS certificate is a self-signed one for 127.0.0.1 (in" \
	"production, one of this CA's for the service's DNS name)."
serve_port=$(pki_free_port)
acme_port=$(pki_free_port)
http01_port=$(pki_free_port)
serve_user=nobody
[ "$(id -u)" -eq 0 ] || serve_user=$(id -un)
pki_run serve-tls openssl req -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout serve-tls.key \
	-out serve-tls.pem -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1
chmod 600 serve-tls.key
cat >>"$PKI_DIR/ca/signet.yaml" <<CONF
serve:
  listen: 127.0.0.1:$serve_port
  user: $serve_user
  issuer-name: intermediate
  crl:
    check-interval: 5s
  https:
    listen: 127.0.0.1:$acme_port
    certificate: $PKI_DIR/serve-tls.pem
    key: $PKI_DIR/serve-tls.key
  acme:
    profiles: tls-server
    http-01-port: $http01_port
    validation-allow: 127.0.0.1/32
    resolve: www.example.com=127.0.0.1
CONF
say "Added to ca/signet.yaml:"
sed -n '/^serve:/,$p' "$PKI_DIR/ca/signet.yaml" | sed 's/^/      | /'
pki_echo "$PKI_SIGNET" serve "&"
"$PKI_SIGNET" serve >"$PKI_DIR/log/serve.out" 2>"$PKI_DIR/log/serve.err" &
serve_pid=$!
PKI_PIDS="$PKI_PIDS $serve_pid"
_i=0
until curl -sf -o served.crl "http://127.0.0.1:$serve_port/crl/intermediate.crl"; do
	_i=$((_i + 1))
	[ $_i -lt 100 ] || pki_bad "signet serve did not answer"
	sleep 0.2
done
say "curl http://127.0.0.1:$serve_port/crl/intermediate.crl:"
cat intermediate.pem root.pem >served-ca.pem
openssl crl -inform DER -in served.crl -CAfile served-ca.pem -noout -text \
	>served.txt 2>&1 || true
pki_has served.txt "verify OK" "the served CRL verifies (intermediate, root)"
pki_has served.txt "$(tr 'a-f' 'A-F' <client.serial)" \
	"it lists the client certificate"
excerpt "verify OK|CRL Number" served.txt

say "A certificate revoked with the CLI while the service runs reaches the" \
	"served CRL by itself within serve.crl.check-interval (5 s here, 30 s" \
	"by default), with no 'signet crl':"
pki_csr api "/CN=api.example.com" "DNS:api.example.com"
pki_issue tls-server api
pki_run revoke-api "$PKI_SIGNET" revoke "$(cat api.serial)" \
	--reason superseded
excerpt "^revoked"
api_up=$(tr 'a-f' 'A-F' <api.serial)
_t0=$(date +%s)
_i=0
until curl -s -o served.crl "http://127.0.0.1:$serve_port/crl/intermediate.crl" &&
	openssl crl -inform DER -in served.crl -noout -text 2>/dev/null |
	grep -q "$api_up"; do
	_i=$((_i + 1))
	[ $_i -lt 600 ] || pki_bad "the served CRL did not list it within 60 s"
	sleep 0.1
done
pki_ok "the served CRL lists it $(($(date +%s) - _t0)) s after the revocation"
openssl crl -inform DER -in served.crl -out served-crl.pem
pki_expect 2 verify-api openssl verify -crl_check -CAfile root.pem \
	-untrusted intermediate.pem -CRLfile served-crl.pem api.crt
pki_has "$PKI_LOG" "certificate revoked" \
	"openssl verify -crl_check refuses it with the served CRL"
excerpt "revoked"

say "certbot, unmodified, gets a certificate for www.example.com from the" \
	"ACME directory of profile tls-server: it registers an account, proves" \
	"control of the name with http-01 (its own web server on" \
	"127.0.0.1:$http01_port, which the validator fetches from) and" \
	"downloads the certificate. It trusts the service's HTTPS certificate" \
	"through REQUESTS_CA_BUNDLE."
acme_dir=https://127.0.0.1:$acme_port/acme/tls-server/directory
REQUESTS_CA_BUNDLE=$PKI_DIR/serve-tls.pem
export REQUESTS_CA_BUNDLE
cb() {
	_what=$1
	shift
	pki_run "certbot-$_what" timeout 180 certbot --non-interactive \
		--config-dir "$PKI_DIR/certbot/config" \
		--work-dir "$PKI_DIR/certbot/work" \
		--logs-dir "$PKI_DIR/certbot/logs" --server "$acme_dir" "$@"
}
cb register register --agree-tos --register-unsafely-without-email
cb certonly certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$http01_port" -d www.example.com
excerpt "Successfully received|saved at"
live=certbot/config/live/www.example.com
acme_serial() {
	openssl x509 -in "$live/cert.pem" -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f'
}
acme1=$(acme_serial)
pki_run verify-acme openssl verify -x509_strict -CAfile root.pem \
	-untrusted intermediate.pem "$live/cert.pem"
pki_run list-acme "$PKI_SIGNET" list --json
pki_has "$PKI_LOG" '"requester": "acme:' \
	"signet list names the ACME account as the requester"

say "nginx serves it (client certificates optional on this server):"
PKI_NGINX_VERIFY=optional
pki_nginx_start "$live/fullchain.pem" "$live/privkey.pem" root.pem
# served_serial: the serial of the certificate nginx presents.
served_serial() {
	openssl s_client -connect "127.0.0.1:$PKI_PORT" \
		-servername www.example.com </dev/null 2>/dev/null |
		openssl x509 -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}
pki_curl_expect 0 200 "hello" "curl to nginx with certbot's certificate" none
answer
pki_equals "$(served_serial)" "$acme1" "nginx presents certbot's certificate"

say "certbot renew --force-renewal replaces it (a new order, a new" \
	"certificate); nginx reloads and serves the new one:"
cb renew renew --force-renewal --no-random-sleep-on-renew \
	--http-01-address 127.0.0.1 --http-01-port "$http01_port"
excerpt "renewed|success"
acme2=$(acme_serial)
if [ "$acme2" != "$acme1" ]; then
	pki_ok "the renewal is a new certificate"
else
	pki_bad "certbot renew left the same certificate"
fi
pki_nginx_reload "$live/fullchain.pem" "$live/privkey.pem" root.pem
pki_curl_expect 0 200 "hello" "curl to nginx after the renewal" none
pki_equals "$(served_serial)" "$acme2" "nginx presents the renewed certificate"
pki_nginx_stop
PKI_NGINX_VERIFY=on
kill -TERM "$serve_pid"
if wait "$serve_pid"; then
	pki_ok "signet serve stopped (SIGTERM, exit 0)"
else
	pki_bad "signet serve did not stop cleanly"
fi

# ---- 8 -------------------------------------------------------------------------
step "8. The records"
say "The audit log, checked with the audit key's public key from the" \
	"intermediate-key ceremony:"
pki_verify_audit
excerpt "."
say "The ceremony transcripts, each checked with the key that signed it:"
pki_verify_transcripts
say "Who unlocked the root token, as 05-root-crl's transcript says:"
pki_run verify-quorum "$PKI_SIGNET" ceremony verify \
	05-root-crl.transcript.json --cert root.pem
excerpt "^quorum:"
pki_has "$PKI_LOG" "quorum: unlocked by: split" \
	"the transcript names the custodians and M of N"
say "The certificates the online CA issued:"
pki_run list "$PKI_SIGNET" list
excerpt "."
pki_has "$PKI_LOG" "$(cat client.serial) revoked" "the client's is revoked"
pki_has "$PKI_LOG" "$(cat www.serial) valid" "the server's is valid"

step "Done: every step behaved as shown"
say "Everything is in $PKI_DIR: tokens (hsm/), ceremony files, outputs" \
	"and transcripts, the CA instance (ca/), nginx's configuration and" \
	"logs (nginx/), every command's output (log/). The tokens are" \
	"throwaway: remove the directory when done."
