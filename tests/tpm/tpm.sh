#!/bin/sh
# signet on a TPM 2.0 token (tpm2-pkcs11 over swtpm, tests/tpm/tpm-token.sh):
# the second PKCS#11 implementation, beside SoftHSM (issue 22). Key
# generation for the key types the token offers and clear refusals for the
# others; the root ceremonies (root key, root certificate, intermediate key
# and certificate, root CRL); `signet init` on the ceremony's output; single
# and batch issuance, revocation, CRLs and the audit log's checkpoints,
# every key on the TPM; a few processes issuing at once. Judged by openssl.
#
# Run through tpm-token.sh (CTest does): it starts the TPM and makes the
# token; without one the test is skipped, or fails under CI=true.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_TPM_MODULE:?run through tests/tpm/tpm-token.sh}"
signet=$SIGNET_BIN
module=$SIGNET_TPM_MODULE
label=$SIGNET_TPM_TOKEN
pinfile=$SIGNET_TPM_PIN_FILE
work=$SIGNET_TPM_DIR/work
mkdir "$work"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"
outs=$work/outputs
mkdir "$outs"
tok="pkcs11:token=$label?pin-source=file:$pinfile"

# ---- the token --------------------------------------------------------------
run 0 "token list" "$signet" token list --module "$module"
contains out "token: '$label'" "the TPM token is listed"

# ---- key generation ------------------------------------------------------------
for t in ec-p256 ec-p384; do
	run 0 "keygen $t" "$signet" token keygen --module "$module" \
		--token "$tok" --label "k-$t" --type "$t" --pubout "k-$t.pub"
	contains out "type: $t" "$t: the token made the type asked for"
	contains out "never-extractable: yes" "$t: never extractable"
	contains out "always-sensitive: yes" "$t: always sensitive"
done
# The token's mechanism info says RSA up to 3072 bits: refused before the
# token is asked to generate anything.
run 20 "keygen rsa-4096 is refused" "$signet" token keygen --module "$module" \
	--token "$tok" --label k-rsa-4096 --type rsa-4096
contains err "does not offer CKM_RSA_PKCS_KEY_PAIR_GEN with 4096-bit RSA keys (it takes keys of 1024 to 3072 bits)" \
	"the refusal gives the token's key sizes"
# tpm2-pkcs11 makes CKM_RSA_PKCS signatures with the TPM's raw RSA
# decryption, which a key made unable to decrypt (CKA_DECRYPT false, as
# signet makes every CA key) cannot do: the test signature fails. The
# module then counts the key as in use and will not destroy it in this
# process (CKR_FUNCTION_FAILED); signet says so rather than claim it did.
run 20 "keygen rsa-2048: the token cannot sign with it" "$signet" token \
	keygen --module "$module" --token "$tok" --label k-rsa-2048 \
	--type rsa-2048
contains err "test signature with the new key" "the test signature fails"
rsa_left=0
if grep -q "the key pair was destroyed" err; then
	ok "the RSA key is destroyed"
elif grep -q "the token would not destroy the refused key 'k-rsa-2048'" err; then
	ok "the RSA key the token would not destroy is named"
	rsa_left=1
else
	bad "neither destroyed nor named as left behind:"
	sed 's/^/  | /' err >&2
fi
# tpm2-pkcs11 encodes a P-521 public point with a malformed DER length
# (CKA_EC_POINT one byte short): signet refuses the key and destroys it.
run 20 "keygen ec-p521: the malformed public key is refused" \
	"$signet" token keygen --module "$module" --token "$tok" \
	--label k-ec-p521 --type ec-p521
contains err "the key pair was destroyed" "the refused key is destroyed"
# no_key LABEL WHAT: no key labelled LABEL on the token.
no_key() {
	run 0 "token list --token" "$signet" token list --module "$module" \
		--token "$tok"
	if grep -q "key '$1'" out; then
		bad "$2: key '$1' is on the token"
	else
		ok "$2"
	fi
}
no_key k-ec-p521 "no P-521 key is left on the token"
if [ "$rsa_left" -eq 0 ] && grep -q "k-rsa-2048" out; then
	bad "the RSA key said to be destroyed is still on the token"
fi
contains out "k-ec-p384" "the keys made are listed"
# A label in use is refused before the token generates anything.
run 42 "keygen refuses a label in use" "$signet" token keygen \
	--module "$module" --token "$tok" --label k-ec-p256 --type ec-p256

# ---- signet token check ----------------------------------------------------------
run 0 "token check" "$signet" token check --module "$module" "$tok"
for line in "ec-p256    yes" "ec-p384    yes" "rsa-4096   no   token '$label' does not offer CKM_RSA_PKCS_KEY_PAIR_GEN with 4096-bit RSA keys" \
	"backup     no   token '$label' does not offer CKM_AES_KEY_WRAP_PAD" \
	"keygen     ok" "sign       ok" "destroy    ok"; do
	contains out "$line" "token check: $line"
done
# The token says it offers P-521; the round trip finds out it does not.
run 20 "token check --type ec-p521 fails" "$signet" token check \
	--module "$module" "$tok" --type ec-p521
contains out "ec-p521    yes" "the token claims P-521"
contains out "keygen     FAIL" "the round trip fails at key generation"

# ---- root ceremonies ---------------------------------------------------------------
# The examples, pointed at the TPM token: the root and the online keys on
# one token, under distinct labels and ids.
cp -r "$SIGNET_SOURCE_DIR/ceremony" "$SIGNET_SOURCE_DIR/policies" .
on_tpm() {
	sed -i -e "s|uri: \"pkcs11:token=[a-z]*\"|uri: \"pkcs11:token=$label\"\\n  module: $module|" \
		-e "s|pin-source: file:hsm/[a-z]*.pin|pin-source: file:$pinfile|" "$1"
}
for f in ceremony/0[1-6]-*.yaml; do
	on_tpm "$f"
done
for f in 01-root-key 02-root-cert 03-intermediate-key 04-intermediate-cert \
	05-root-crl; do
	run 0 "ceremony $f" "$signet" ceremony run --yes "ceremony/$f.yaml"
	contains out "completed" "$f completed"
done
# A key for backup by wrapping: the TPM token cannot wrap, so it is
# refused before anything is generated.
run 20 "ceremony 06-root2-key (wrap-with-trusted) is refused" \
	"$signet" ceremony run --yes ceremony/06-root2-key.yaml
contains err "does not offer CKM_AES_KEY_WRAP_PAD, so it cannot wrap the key in a backup by wrapping" \
	"the refusal says the token cannot wrap"
no_key root2-key "no key for backup was generated"
run 0 "the intermediate verifies under the root" openssl verify -x509_strict \
	-CAfile root.pem intermediate.pem
run 0 "the root CRL verifies" openssl crl -in root-crl-1.crl.pem \
	-CAfile root.pem -noout
run 0 "ceremony verify (root certificate)" "$signet" ceremony verify \
	02-root-cert.transcript.json --cert root.pem
run 0 "ceremony verify (intermediate key)" "$signet" ceremony verify \
	03-intermediate-key.transcript.json --key intermediate.pub.pem

# ---- the online CA ----------------------------------------------------------------
run 0 "init on the TPM token" "$signet" init --dir ca --module "$module" \
	--ca-cert intermediate.pem --chain root.pem \
	--key "pkcs11:token=$label;object=intermediate-key" \
	--audit-key "pkcs11:token=$label;object=audit-key" \
	--policy policies/default.yaml --pin-source "file:$pinfile"
SIGNET_CONFIG=$work/ca/signet.yaml
export SIGNET_CONFIG

csr() {
	openssl req -new -key "$work/leaf.key" -out "$1.csr" -subj "/CN=$1.example.com" \
		-addext "subjectAltName=DNS:$1.example.com" 2>/dev/null
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out leaf.key 2>/dev/null
csr www
run 0 "issue one" "$signet" issue --profile tls-server --csr www.csr
run 0 "it verifies" openssl verify -x509_strict -purpose sslserver \
	-CAfile root.pem -untrusted intermediate.pem www.crt

mkdir batch
n=0
while [ $n -lt 25 ]; do
	n=$((n + 1))
	(cd batch && csr "host$n")
done
run 0 "issue a batch of 25" "$signet" issue --profile tls-server \
	--batch batch --out-dir issued
if [ "$(ls issued | wc -l)" -eq 25 ]; then
	ok "25 certificates written"
else
	bad "batch output: $(ls issued | wc -l) files"
fi
run 0 "the batch verifies" openssl verify -x509_strict -purpose sslserver \
	-CAfile root.pem -untrusted intermediate.pem issued/host1.crt \
	issued/host13.crt issued/host25.crt

# Three processes issuing on the one token at once (the module lock,
# docs/hsm.md).
for p in 1 2 3; do
	(cd batch && csr "par$p")
	mkdir "par$p"
	mv "batch/par$p.csr" "par$p/"
done
pids=""
for p in 1 2 3; do
	"$signet" issue --profile tls-server --csr "par$p/par$p.csr" \
		>"par$p.out" 2>&1 &
	pids="$pids $!"
done
pst=0
for p in $pids; do
	wait "$p" || pst=1
done
if [ $pst -eq 0 ] && [ -s par1/par1.crt ] && [ -s par2/par2.crt ] &&
	[ -s par3/par3.crt ]; then
	ok "three processes issued at once"
else
	bad "three processes at once:"
	cat par1.out par2.out par3.out | sed 's/^/  | /' >&2
fi

serial=$(openssl x509 -in www.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
run 0 "revoke" "$signet" revoke "$serial" --reason keyCompromise
run 0 "a full CRL" "$signet" crl --out crl.pem --pem
cat intermediate.pem root.pem >bundle.pem
run 0 "the CRL verifies" openssl crl -in crl.pem -CAfile bundle.pem -noout
run 2 "the revoked certificate is refused" openssl verify -x509_strict \
	-crl_check -CRLfile crl.pem -CAfile root.pem -untrusted intermediate.pem \
	www.crt
cat out err >verify.txt
contains verify.txt "certificate revoked" "... as revoked"
run 0 "a delta CRL" "$signet" crl --delta --out delta.pem --pem
run 0 "the delta CRL verifies" openssl crl -in delta.pem -CAfile bundle.pem \
	-noout

# ---- the audit log: chain and checkpoints, signed by the TPM's audit key -------
run 0 "db check" "$signet" db check
run 0 "audit verify" "$signet" audit verify --key audit.pub.pem ca/audit.log
contains out "checkpoint" "the checkpoints are verified"
if grep -q '"event":"audit.checkpoint"' ca/audit.log; then
	ok "the log holds checkpoints"
else
	bad "no checkpoint in the audit log"
fi

# ---- a lost session, beside a second token with the same serial ---------------
# Every token of a tpm2-pkcs11 store reports serial 0000000000000000:
# after a lost session signet finds its token again by label too.
# p11fault (tests/p11fault) forwards to the TPM module and closes the
# sessions during a signature.
if [ -n "${SIGNET_P11FAULT:-}" ]; then
	tpm2_ptool addtoken --pid=1 --label=other --path "$TPM2_PKCS11_STORE" \
		--userpin="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		--sopin="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		>/dev/null 2>&1 || bad "tpm2_ptool could not add a second token"
	# tpm2-pkcs11 then counts the key as in use (a signature was started
	# on the closed session) and will not destroy it in this process: the
	# destroy line names it, and the exit status is 20.
	st=0
	env P11FAULT_MODULE="$module" P11FAULT="C_Sign@3=close-sessions" \
		"$signet" token check --module "$SIGNET_P11FAULT" "$tok" \
		>out 2>err || st=$?
	contains out "a lost session was recovered" \
		"the lost session is recovered, the token found by label"
	if grep -q "^destroy    ok" out ||
		{ [ "$st" -eq 20 ] && grep -q "^destroy    FAIL .*would not destroy the check's key" out; }; then
		ok "the round trip ends, the key destroyed or named"
	else
		bad "token check through p11fault: exit $st"
		sed 's/^/  | /' out err >&2
	fi
fi

# No output, log or database holds the PIN.
pin=$(head -n 1 "$pinfile")
if grep -rqF "$pin" "$outs" ca 2>/dev/null; then
	bad "the PIN appears in an output"
else
	ok "the PIN appears nowhere"
fi
checks_done
