#!/bin/sh
# Every profile of policies/default.yaml judged by outside verifiers: the CA
# profiles through the ceremonies' root and intermediate, each end-entity
# profile through certificates issued from CSRs (EC and RSA keys, a
# wildcard, SPIFFE IDs). On every certificate: openssl verify -x509_strict
# for the purposes its profile grants (and a refusal for the one it does
# not), certtool --verify-chain, and python3-cryptography parsing it
# strictly and checking its signature; on every CRL the same parser and
# certtool --verify-crl. Revocation through openssl -crl_check_all, the root
# revoking the intermediate included. And the name constraints: a
# certificate for a name outside them, signed with the intermediate's own
# key outside signet, is refused by openssl, GnuTLS and NSS.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
. "$SIGNET_SOURCE_DIR/tests/interop/pki.sh"
pki_test judges
judge_py=$SIGNET_SOURCE_DIR/tests/unit/x509_judge.py


# The end-entity certificates: NAME PROFILE KEY PURPOSES SUBJECT SANS
# (SANS "-": none; PURPOSES "none": neither TLS purpose). A profile added
# to the policy must be added here (or made by a ceremony): the coverage
# check below fails until it is.
cat >table <<'EOF'
www tls-server ec sslserver /CN=www.example.com DNS:www.example.com,DNS:example.com
rsa tls-server rsa sslserver /CN=rsa.example.com DNS:rsa.example.com
wild tls-server ec sslserver / DNS:*.example.com
user tls-client ec sslclient /CN=alice@example.com email:alice@example.com
device tls-client rsa sslclient / DNS:device1.example.com,URI:spiffe://example.com/device/1
svc mtls ec sslserver,sslclient /CN=svc.example.com DNS:svc.example.com,URI:spiffe://example.com/ns/prod/sa/svc
ocsp ocsp-responder ec none / -
EOF

# ---- coverage: every profile of the policy is judged here ------------------
sed -n 's/^  - name: //p' policies/default.yaml >profiles
while read -r p; do
	if grep -q "^profile: $p$" ceremony/0[1-5]-*.yaml; then
		pki_ok "profile $p: made by $(grep -l "^profile: $p$" \
			ceremony/0[1-5]-*.yaml | xargs -n1 basename | tr '\n' ' ')"
	elif cut -d' ' -f2 table | grep -qx "$p"; then
		pki_ok "profile $p: issued below"
	else
		pki_bad "profile $p of policies/default.yaml is judged by no interop test: add it to the table in tests/interop/judges.sh"
	fi
done <profiles
[ -s profiles ] || pki_bad "no profile found in policies/default.yaml"

# ---- the CA certificates ------------------------------------------------------
for purpose in sslserver sslclient; do
	pki_run "verify-int-$purpose" openssl verify -x509_strict \
		-purpose "$purpose" -CAfile root.pem intermediate.pem &&
		pki_ok "openssl verify -x509_strict -purpose $purpose: intermediate"
done
pki_run verify-root openssl verify -x509_strict -CAfile root.pem root.pem &&
	pki_ok "openssl verify -x509_strict: root"

# pyjudge NAME KIND FILE ISSUER: x509_judge.py on the DER of FILE.
pyjudge() {
	openssl "$2" -in "$3" -outform DER -out "$1.der"
	openssl x509 -in "$4" -outform DER -out "$1.issuer.der"
	if [ "$2" = crl ]; then
		_kind=crl
	else
		_kind=cert
	fi
	pki_run "python-$1" /usr/bin/python3 "$judge_py" "$_kind" "$1.der" \
		"$1.issuer.der" &&
		pki_has "$PKI_LOG" "ok $_kind" "python3-cryptography: $1 ($3)"
}
pyjudge root x509 root.pem root.pem
pyjudge intermediate x509 intermediate.pem root.pem
pyjudge root-crl-1 crl root-crl-1.crl.pem root.pem

# ---- the end-entity certificates, profile by profile ----------------------
while read -r name profile key purposes subject sans; do
	pki_csr "$name" "$subject" "$sans" "$key" || exit 1
	pki_issue "$profile" "$name" || exit 1
	for purpose in sslserver sslclient; do
		case ",$purposes," in
		*",$purpose,"*)
			pki_run "verify-$name-$purpose" openssl verify -x509_strict \
				-purpose "$purpose" -CAfile root.pem \
				-untrusted intermediate.pem "$name.crt" &&
				pki_ok "openssl verify -x509_strict -purpose $purpose: $name ($profile, $key)"
			;;
		*)
			pki_expect 2 "verify-$name-$purpose" openssl verify \
				-x509_strict -purpose "$purpose" -CAfile root.pem \
				-untrusted intermediate.pem "$name.crt" &&
				pki_has "$PKI_LOG" "unsuitable certificate purpose" \
					"openssl refuses $name ($profile) for $purpose"
			;;
		esac
	done
	pki_run "certtool-$name" certtool --verify --verify-profile=medium \
		--load-ca-certificate root.pem --infile "$name-chain.pem" &&
		pki_has "$PKI_LOG" "Chain verification output: Verified." \
			"certtool --verify: $name"
	pyjudge "$name" x509 "$name.crt" intermediate.pem
done <table

# The key usages the profiles give: keyEncipherment only to RSA keys.
openssl x509 -in rsa.crt -noout -ext keyUsage >ku-rsa.txt
pki_has ku-rsa.txt "Digital Signature, Key Encipherment" \
	"tls-server with an RSA key: keyEncipherment"
openssl x509 -in www.crt -noout -ext keyUsage >ku-ec.txt
pki_hasnt ku-ec.txt "Key Encipherment" "tls-server with an EC key: none"

# ---- revocation ----------------------------------------------------------------
pki_crl_bundle
pyjudge intermediate-crl-empty crl "$PKI_CRL" intermediate.pem
pki_run revoke-rsa "$SIGNET_BIN" revoke "$(cat rsa.serial)" \
	--reason keyCompromise
pki_run revoke-user "$SIGNET_BIN" revoke "$(cat user.serial)" \
	--reason cessationOfOperation
pki_crl_bundle
pyjudge intermediate-crl crl "$PKI_CRL" intermediate.pem
pki_run certtool-crl certtool --verify-crl \
	--load-ca-certificate intermediate.pem --infile "$PKI_CRL" &&
	pki_has "$PKI_LOG" "Verification output: Verified" \
		"certtool --verify-crl: the intermediate's CRL"
pki_run certtool-root-crl certtool --verify-crl \
	--load-ca-certificate root.pem --infile root-crl-1.crl.pem &&
	pki_has "$PKI_LOG" "Verification output: Verified" \
		"certtool --verify-crl: the root's CRL"
# crl_verify NAME PURPOSE STATUS TEXT: openssl verify -crl_check_all with
# the CRL bundle.
crl_verify() {
	pki_expect "$3" "crl-verify-$1" openssl verify -x509_strict \
		-purpose "$2" -crl_check_all -CRLfile crl-bundle.pem \
		-CAfile root.pem -untrusted intermediate.pem "$1.crt" &&
		pki_has "$PKI_LOG" "$4" "openssl verify -crl_check_all: $1: $4"
}
crl_verify rsa sslserver 2 "error 23 at 0 depth lookup: certificate revoked"
crl_verify user sslclient 2 "error 23 at 0 depth lookup: certificate revoked"
crl_verify www sslserver 0 "www.crt: OK"
crl_verify svc sslclient 0 "svc.crt: OK"

pki_root_crl_next 2 "$(openssl x509 -in intermediate.pem -noout -serial |
	cut -d= -f2)" keyCompromise || exit 1
pyjudge root-crl-2 crl root-crl-2.crl.pem root.pem
cat "$PKI_CRL" root-crl-2.crl.pem >crl-bundle.pem
crl_verify www sslserver 2 "error 23 at 1 depth lookup: certificate revoked"
crl_verify svc sslclient 2 "error 23 at 1 depth lookup: certificate revoked"

# ---- the name constraints, with the intermediate's key misused --------------
pki_csr evil "/CN=www.evil.test" "DNS:www.evil.test"
pki_expect 10 issue-evil "$SIGNET_BIN" issue --profile tls-server \
	--csr evil.csr --out evil-signet.pem &&
	pki_has "$PKI_LOG" "www.evil.test" "signet refuses www.evil.test"
# libp11 reads the whole PIN file: one without the newline.
tr -d '\n' <hsm/online.pin >hsm/online.rawpin
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
	"subjectAltName=DNS:www.evil.test" "authorityKeyIdentifier=keyid" \
	"subjectKeyIdentifier=none" >evil.ext
pki_run evil-sign openssl x509 -req -in evil.csr -engine pkcs11 \
	-CAkeyform engine -CA intermediate.pem \
	-CAkey "pkcs11:token=online;object=intermediate-key;type=private?pin-source=file:$PKI_DIR/hsm/online.rawpin" \
	-set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
	-days 30 -extfile evil.ext -out evil.crt || exit 1
pki_expect 2 verify-evil openssl verify -x509_strict -purpose sslserver \
	-CAfile root.pem -untrusted intermediate.pem evil.crt &&
	pki_has "$PKI_LOG" "error 47 at 0 depth lookup: permitted subtree violation" \
		"openssl: www.evil.test is outside the intermediate's constraints"
cat evil.crt intermediate.pem >evil-chain.pem
pki_expect 1 certtool-evil certtool --verify --verify-profile=medium \
	--load-ca-certificate root.pem --infile evil-chain.pem &&
	pki_has "$PKI_LOG" "The certificate chain violates the signer's constraints." \
		"GnuTLS: www.evil.test is outside the intermediate's constraints"
mkdir nss
certutil -N -d sql:nss --empty-password
certutil -A -d sql:nss -n root -t "CT,C,C" -a -i root.pem
certutil -A -d sql:nss -n intermediate -t ",," -a -i intermediate.pem
pki_expect 1 vfychain-evil vfychain -d sql:nss -u 1 -a evil.crt &&
	pki_has "$PKI_LOG" "ERROR -8080: The Certifying Authority for this certificate is not permitted to issue a certificate with this name." \
		"NSS: www.evil.test is outside the intermediate's constraints"
pki_run vfychain-www vfychain -d sql:nss -u 1 -a www.crt &&
	pki_has "$PKI_LOG" "Chain is good!" "NSS: www.example.com is inside"

pki_done
