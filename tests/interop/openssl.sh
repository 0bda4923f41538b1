#!/bin/sh
# openssl s_server -Verify 1 and s_client as peers, each checking the other
# against the root alone: a tls-server certificate serving a tls-client one,
# and mtls certificates in both directions, the server showing the client's
# SPIFFE ID. Refused, each with OpenSSL's reason: no client certificate, a
# server certificate as a client's and a client certificate as a server's
# (extended key usage), an impostor copying the root's name, a revoked
# client and a revoked server (CRLs of the intermediate and the root).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
. "$SIGNET_SOURCE_DIR/tests/interop/pki.sh"
pki_test openssl

pki_csr www "/CN=www.example.com" "DNS:www.example.com"
pki_issue tls-server www
pki_csr alice "/CN=alice.example.com" \
	"DNS:alice.example.com,email:alice@example.com,URI:spiffe://example.com/user/alice"
pki_issue tls-client alice
pki_csr a "/CN=a.example.com" \
	"DNS:a.example.com,URI:spiffe://example.com/ns/prod/sa/a"
pki_issue mtls a
pki_csr b "/CN=b.example.com" \
	"DNS:b.example.com,URI:spiffe://example.com/ns/prod/sa/b"
pki_issue mtls b
pki_rogue rogue "DNS:rogue.example.com"

# tls NAME SERVER CLIENT|none [s_server options -- s_client options]: one
# connection from s_client with CLIENT's certificate to s_server with
# SERVER's, each sending its chain and trusting $TRUST only. s_server
# answers with its view of the session (-www), the client's certificate
# included. Outputs NAME.server and NAME.client, s_client's status in
# NAME.exit.
tls() {
	_n=$1
	_srv=$2
	_cli=$3
	shift 3
	_sopts=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_sopts="$_sopts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	_host=$(openssl x509 -in "$_srv.crt" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')
	# shellcheck disable=SC2086
	pki_s_server "$_n.server" -cert "$_srv.crt" -cert_chain intermediate.pem \
		-key "$_srv.key" -CAfile "$TRUST" -Verify 1 -verify_return_error \
		-www $_sopts || return 1
	if [ "$_cli" != none ]; then
		set -- -cert "$_cli.crt" -cert_chain intermediate.pem \
			-key "$_cli.key" "$@"
	fi
	set +e
	printf 'GET / HTTP/1.0\r\n\r\n' |
		openssl s_client -connect "127.0.0.1:$PKI_PORT" -servername "$_host" \
			-verify_hostname "$_host" -CAfile "$TRUST" \
			-verify_return_error -ign_eof "$@" >"$_n.client" 2>&1
	echo $? >"$_n.exit"
	set -e
	pki_s_server_wait
}

# accepted NAME WHAT SPIFFE-ID|-: both ends verified each other.
accepted() {
	pki_equals "$(cat "$1.exit")" 0 "$2: s_client's exit status"
	pki_has "$1.client" "Verify return code: 0 (ok)" \
		"$2: the client verified the server"
	pki_has "$1.client" "Client certificate" \
		"$2: the server verified the client's certificate"
	if [ "$3" != - ]; then
		pki_has "$1.client" "URI:$3" "$2: the server sees $3"
	fi
}

# refused NAME WHAT SIDE TEXT: the handshake failed, SIDE (server or
# client) says TEXT.
refused() {
	pki_equals "$(cat "$1.exit")" 1 "$2: s_client's exit status"
	pki_hasnt "$1.client" "Client certificate" "$2: nothing was served"
	pki_has "$1.$3" "$4" "$2: the $3 says '$4'"
}

TRUST=root.pem
tls srv-cli www alice
accepted srv-cli "tls-server serving tls-client" spiffe://example.com/user/alice
pki_has srv-cli.client "email:alice@example.com" \
	"tls-server serving tls-client: the server sees the mailbox"
pki_has srv-cli.server "depth=2 O = Example Corp, CN = Example Corp Root CA R1" \
	"tls-server serving tls-client: the server built the chain to the root"

tls a-b a b
accepted a-b "mtls: a serving b" spiffe://example.com/ns/prod/sa/b
tls b-a b a
accepted b-a "mtls: b serving a" spiffe://example.com/ns/prod/sa/a

tls nocert www none
refused nocert "no client certificate" server \
	"peer did not return a certificate"
pki_has nocert.client "alert certificate required" \
	"no client certificate: the client hears why"

tls srv-as-cli a www
refused srv-as-cli "a tls-server certificate as a client's" server \
	"verify error:num=26:unsuitable certificate purpose"

tls cli-as-srv alice a
refused cli-as-srv "a tls-client certificate as a server's" client \
	"verify error:num=26:unsuitable certificate purpose"

tls impostor www rogue
refused impostor "an impostor's certificate" server \
	"verify error:num=7:certificate signature failure"

# ---- revocation, checked by each end ---------------------------------------
pki_run revoke-alice "$SIGNET_BIN" revoke "$(cat alice.serial)" \
	--reason affiliationChanged
pki_run revoke-b "$SIGNET_BIN" revoke "$(cat b.serial)" --reason superseded
pki_crl_bundle
# s_server and s_client take one CRL with -CRL, but read every CRL in
# their -CAfile: the root and both CRLs in one file.
cat root.pem crl-bundle.pem >root-crls.pem
TRUST=root-crls.pem

tls revoked-cli www alice -crl_check_all
refused revoked-cli "a revoked client" server \
	"verify error:num=23:certificate revoked"
tls good-cli www a -crl_check_all
accepted good-cli "a client that is not revoked, CRLs checked" \
	spiffe://example.com/ns/prod/sa/a
tls revoked-srv b a -- -crl_check_all
refused revoked-srv "a revoked server" client \
	"verify error:num=23:certificate revoked"
tls good-both www a -crl_check_all -- -crl_check_all
accepted good-both "both ends check CRLs" spiffe://example.com/ns/prod/sa/a

pki_done
