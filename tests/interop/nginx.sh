#!/bin/sh
# The demo's story as a test, with exact outcomes: a root and an intermediate
# from the example ceremonies on SoftHSM, the online CA, a real nginx with
# ssl_verify_client on trusting only the root. curl and gnutls-cli are the
# clients: a certificate from the CA is accepted (and nginx sees the
# client's SPIFFE ID), none or an impostor's is refused, a wrong server name
# or trust anchor is refused by the client; after revocation and a reload
# with ssl_crl (intermediate and root CRLs) the revoked certificate is
# refused and the others still work. Then the records: audit log,
# transcripts, signet list.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
. "$SIGNET_SOURCE_DIR/tests/interop/pki.sh"
pki_test nginx


# The root put the name constraints into the intermediate.
openssl x509 -in intermediate.pem -noout -ext nameConstraints >nc.txt
pki_has nc.txt "critical" "name constraints are critical"
pki_has nc.txt "DNS:example.com" "the intermediate may issue for example.com"
pki_has nc.txt "IP:0.0.0.0/0.0.0.0" "and for no IPv4 address"

pki_csr www "/CN=www.example.com" "DNS:www.example.com"
pki_issue tls-server www
pki_csr client "/CN=client.example.com" \
	"DNS:client.example.com,URI:spiffe://example.com/ns/demo/sa/client"
pki_issue tls-client client
pki_csr svc "/CN=svc.example.com" \
	"DNS:svc.example.com,URI:spiffe://example.com/ns/demo/sa/svc"
pki_issue mtls svc
pki_rogue rogue "DNS:client.example.com"

# ---- nginx trusting the root, no CRL yet ------------------------------------
pki_nginx_start www-chain.pem www.key root.pem || exit 1
pki_curl_expect 0 200 "hello CN=client.example.com: SUCCESS" \
	"curl with the client certificate" client
pki_curl_expect 0 200 "hello CN=svc.example.com: SUCCESS" \
	"curl with the mtls certificate" svc
pki_curl_expect 0 400 "No required SSL certificate was sent" \
	"curl without a client certificate" none
pki_curl_expect 0 400 "The SSL certificate error" \
	"curl with a certificate from a CA that copies the root's name" rogue
pki_has nginx/error.log \
	"client SSL certificate verify error: (7:certificate signature failure)" \
	"nginx found the impostor by its signature"
pki_curl_expect 60 000 "no alternative certificate subject name matches" \
	"curl refuses the server for another name" client other.example.com
pki_curl_expect 60 000 "SSL certificate problem" \
	"curl refuses the server against another trust anchor" \
	client www.example.com rogue-root.pem

# The SPIFFE ID, as nginx saw the client's certificate.
pki_curl client www.example.com root.pem /cert
/usr/bin/python3 -c 'import sys, urllib.parse
sys.stdout.write(urllib.parse.unquote(open("curl.body").read()))' >seen.pem
openssl x509 -in seen.pem -noout -ext subjectAltName >seen.txt 2>&1 || true
pki_has seen.txt "URI:spiffe://example.com/ns/demo/sa/client" \
	"nginx sees the client's SPIFFE ID (\$ssl_client_escaped_cert)"

# ---- gnutls-cli: the server's chain, and a client certificate ---------------
# gnutls_get PEER-NAME CAFILE [client cert and key options]: GET / over
# gnutls-cli, output in gnutls.out, exit status in gnutls.exit.
gnutls_get() {
	_g_ca=$1
	shift
	set +e
	printf 'GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n' |
		gnutls-cli --x509cafile "$_g_ca" --verify-hostname www.example.com \
			--sni-hostname www.example.com -p "$PKI_PORT" "$@" 127.0.0.1 \
			>gnutls.out 2>&1
	echo $? >gnutls.exit
	set -e
}
gnutls_get root.pem --x509certfile client-chain.pem --x509keyfile client.key
pki_equals "$(cat gnutls.exit)" 0 "gnutls-cli: exit status"
pki_has gnutls.out "Got a certificate list of 2 certificates." \
	"gnutls-cli: nginx sends the leaf and the intermediate"
pki_has gnutls.out "Status: The certificate is trusted." \
	"gnutls-cli trusts the chain up to the root"
pki_has gnutls.out "hello CN=client.example.com: SUCCESS" \
	"gnutls-cli's client certificate accepted by nginx"
gnutls_get root.pem
pki_has gnutls.out "400 No required SSL certificate was sent" \
	"gnutls-cli without a client certificate: refused"
gnutls_get rogue-root.pem
pki_equals "$(cat gnutls.exit)" 1 "gnutls-cli against another trust anchor: exit status"
pki_has gnutls.out "The certificate is NOT trusted" \
	"gnutls-cli refuses the server against another trust anchor"

# ---- revocation -------------------------------------------------------------
pki_run revoke "$SIGNET_BIN" revoke "$(cat client.serial)" \
	--reason keyCompromise
# The intermediate's CRL alone: nginx then has no CRL for the intermediate
# itself, and refuses every client. This is why the bundle has both.
pki_crl_bundle
pki_nginx_reload www-chain.pem www.key root.pem "$PKI_CRL" || exit 1
pki_curl_expect 0 400 "The SSL certificate error" \
	"with the intermediate's CRL alone, nginx refuses even a good client" svc
pki_has nginx/error.log "(3:unable to get certificate CRL)" \
	"nginx wants a CRL for the intermediate too"

: >nginx/error.log
pki_nginx_reload www-chain.pem www.key root.pem crl-bundle.pem || exit 1
pki_curl_expect 0 400 "The SSL certificate error" \
	"the revoked client certificate is refused" client
pki_has nginx/error.log \
	"client SSL certificate verify error: (23:certificate revoked)" \
	"nginx says it is revoked"
pki_curl_expect 0 200 "hello CN=svc.example.com: SUCCESS" \
	"a certificate that is not revoked still works" svc
gnutls_get root.pem --x509certfile client-chain.pem --x509keyfile client.key
pki_has gnutls.out "400 The SSL certificate error" \
	"gnutls-cli with the revoked certificate: refused"
gnutls_get root.pem --x509certfile svc-chain.pem --x509keyfile svc.key
pki_has gnutls.out "hello CN=svc.example.com: SUCCESS" \
	"gnutls-cli with a good certificate: accepted"

master=$PKI_NGINX_PID
if pki_nginx_stop && ! pki_alive "$master"; then
	pki_ok "nginx stopped, master and workers"
else
	pki_bad "nginx still runs"
fi

# ---- the records ------------------------------------------------------------
pki_verify_audit
pki_verify_transcripts
pki_run list "$SIGNET_BIN" list
pki_has "$PKI_LOG" "$(cat client.serial) revoked" "signet list: client revoked"
pki_has "$PKI_LOG" "$(cat www.serial) valid" "signet list: www valid"
pki_run audit-show "$SIGNET_BIN" audit show --serial "$(cat client.serial)" \
	ca/audit.log
pki_has "$PKI_LOG" "cert.revoke success" "the revocation is in the audit log"

pki_done
