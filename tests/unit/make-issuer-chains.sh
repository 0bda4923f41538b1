#!/bin/sh
# Chains whose issuers may not issue what they did, made with the openssl
# CLI and python3-cryptography for test_x509_judges: DIR gets root0 (pathlen:0)
# -> sub0 -> leaf0; nosign (no keyCertSign) -> leaf1; client (EKU clientAuth)
# -> leaf2 (serverAuth); nocrl (no cRLSign) -> leaf3 and nocrl.crl; goodca ->
# leaf4 and goodca.crl, which verify; dirca (directoryName O=Example Corp
# permitted) -> leaf5 (outside) and leaf6 (inside).
set -eu
cd "$1"
cat > ext.cnf <<'X'
[req]
distinguished_name = dn
[dn]
[root_pl0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_nosign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_client]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_nocrl]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_dirname]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;dirName:dir_sect
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[dir_sect]
O = Example Corp
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:leaf.example.com
authorityKeyIdentifier = keyid
X
key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1.key" 2>/dev/null
}
root() {
	key "$1"
	openssl req -new -x509 -key "$1.key" -subj "/CN=$1" -days 30 \
		-config ext.cnf -extensions "$2" -out "$1.pem"
}
sign() {
	key "$1"
	openssl req -new -key "$1.key" -subj "${4:-/CN=$1}" -config ext.cnf \
		-out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
		-CAcreateserial -days 20 -extfile ext.cnf -extensions "$2" \
		-out "$1.pem" 2>/dev/null
	openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
root root ca
root root0 root_pl0
sign sub0 ca root0
sign leaf0 leaf sub0
sign nosign ca_nosign root
sign leaf1 leaf nosign
sign client ca_client root
sign leaf2 leaf client
sign nocrl ca_nocrl root
sign leaf3 leaf nocrl
sign goodca ca root
sign leaf4 leaf goodca
sign dirca ca_dirname root
sign leaf5 leaf dirca
sign leaf6 leaf dirca "/O=Example Corp/CN=leaf6"
/usr/bin/python3 - <<'P'
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
now = datetime.datetime.utcnow().replace(microsecond=0)
for name in ("nocrl", "goodca"):
    ca = x509.load_pem_x509_certificate(open(name + ".pem", "rb").read())
    key = serialization.load_pem_private_key(
        open(name + ".key", "rb").read(), None)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
           .last_update(now).next_update(now + datetime.timedelta(days=1))
           .add_extension(x509.CRLNumber(1), False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
               ca.public_key()), False)
           .sign(key, hashes.SHA256()))
    open(name + ".crl.pem", "wb").write(
        crl.public_bytes(serialization.Encoding.PEM))
    open(name + ".crl", "wb").write(
        crl.public_bytes(serialization.Encoding.DER))
P
