#!/bin/sh
# NSS (vfychain, libpkix) on the certificates the CA issues: server and
# client certificates for their usages and not for the other one, an
# impostor refused; with the CA's CRL in the database a revoked certificate
# is refused and the others accepted, without it the revoked one passes
# (NSS knows only what it is given). The root's CRL revoking the
# intermediate refuses everything below it when the chain is checked.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
. "$SIGNET_SOURCE_DIR/tests/interop/pki.sh"
pki_test nss

pki_csr www "/CN=www.example.com" "DNS:www.example.com"
pki_issue tls-server www
pki_csr client "/CN=client.example.com" \
	"DNS:client.example.com,email:client@example.com,URI:spiffe://example.com/user/client"
pki_issue tls-client client
pki_csr svc "/CN=svc.example.com" \
	"DNS:svc.example.com,URI:spiffe://example.com/ns/prod/sa/svc"
pki_issue mtls svc
pki_rogue rogue "DNS:rogue.example.com"

# nssdb DIR [CRL...]: a database trusting the root for TLS servers and
# clients, with the intermediate as an untrusted certificate and the CRLs
# (DER) given.
nssdb() {
	_db=$1
	shift
	mkdir "$_db"
	pki_run "$_db-db" certutil -N -d "sql:$_db" --empty-password &&
		pki_run "$_db-root" certutil -A -d "sql:$_db" -n root \
			-t "CT,C,C" -a -i root.pem &&
		pki_run "$_db-int" certutil -A -d "sql:$_db" -n intermediate \
			-t ",," -a -i intermediate.pem || return 1
	for _crl in "$@"; do
		pki_run "$_db-$_crl" crlutil -I -d "sql:$_db" -t 1 -i "$_crl" ||
			return 1
	done
}

# vfy DB NAME USAGE STATUS TEXT [revocation options]: vfychain -pp (libpkix)
# on NAME.crt for USAGE (0 TLS client, 1 TLS server) must exit STATUS and
# say TEXT.
vfy() {
	_db=$1
	_n=$2
	_u=$3
	_st=$4
	_text=$5
	shift 5
	pki_expect "$_st" "vfy-$_db-$_n-$_u${1:+-rev}" vfychain -d "sql:$_db" -pp \
		-u "$_u" "$@" -a "$_n.crt" &&
		pki_has "$PKI_LOG" "$_text" "$_n for usage $_u ($_db${1:+, $*}): $_text"
}

nssdb nss || exit 1
vfy nss www 1 0 "Chain is good!"
vfy nss client 0 0 "Chain is good!"
vfy nss svc 0 0 "Chain is good!"
vfy nss svc 1 0 "Chain is good!"
vfy nss www 0 1 "ERROR -8101: Certificate type not approved for application."
vfy nss client 1 1 "ERROR -8101: Certificate type not approved for application."
vfy nss rogue 0 1 "ERROR -8182: Peer's certificate has an invalid signature."

# ---- the CA's CRL -------------------------------------------------------------
pki_run revoke "$SIGNET_BIN" revoke "$(cat client.serial)" \
	--reason keyCompromise
pki_crl_bundle
openssl crl -in "$PKI_CRL" -outform DER -out intermediate.crl
nssdb crl intermediate.crl root-crl-1.crl || exit 1
# No network: NSS is to use the CRLs it has, never the distribution points.
leaf="-g leaf -m crl -s forbidFetching"
# shellcheck disable=SC2086
{
	vfy crl client 0 1 "ERROR -8180: Peer's Certificate has been revoked." $leaf
	vfy crl www 1 0 "Chain is good!" $leaf
	vfy crl svc 0 0 "Chain is good!" $leaf
	vfy nss client 0 0 "Chain is good!" $leaf
}

# ---- the root's CRL revoking the intermediate ---------------------------------
pki_root_crl_next 2 "$(openssl x509 -in intermediate.pem -noout -serial |
	cut -d= -f2)" cACompromise || exit 1
nssdb root2 intermediate.crl root-crl-2.crl || exit 1
chain="-g chain -m crl -s forbidFetching $leaf"
# shellcheck disable=SC2086
{
	vfy root2 www 1 1 "ERROR -8180: Peer's Certificate has been revoked." $chain
	vfy root2 svc 0 1 "ERROR -8180: Peer's Certificate has been revoked." $chain
	vfy crl www 1 0 "Chain is good!" $chain
	# The leaf itself is not revoked: the refusal is the intermediate's.
	vfy root2 www 1 0 "Chain is good!" $leaf
}

pki_done
