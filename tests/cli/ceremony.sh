#!/bin/sh
# signet ceremony: the example ceremonies from a fresh workspace, as
# docs/ceremony.md runs them; the operator's confirmation typed at a real
# terminal (script(1)); every refusal with its exit status and a message
# naming the problem; a ceremony that fails between two outputs; verify.
set -eu

: "${SIGNET_BIN:?run this test with ctest}"
: "${SIGNET_SOURCE_DIR:?run this test with ctest}"
signet=$SIGNET_BIN
src=$SIGNET_SOURCE_DIR
t=$(mktemp -d "${TMPDIR:-/tmp}/signet-ceremony.XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"

fail() {
	echo "FAIL: $*" >&2
	[ -f out ] && sed 's/^/  | /' out >&2
	exit 1
}

# run STATUS CMD...: run CMD, output in ./out, insist on its exit status.
run() {
	want=$1
	shift
	set +e
	"$@" >out 2>&1
	got=$?
	set -e
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

has() {
	grep -q -- "$1" out || fail "output lacks '$1'"
}

hasnt() {
	if grep -q -- "$1" out; then fail "output has '$1'"; fi
}

exists() {
	[ -e "$1" ] || fail "$1 is missing"
}

absent() {
	if [ -e "$1" ]; then fail "$1 exists"; fi
}

# A ceremony file in the workspace from a here-document.
file() {
	cat >"$1"
}

code() {
	sha256sum "$1" | cut -c1-8
}

# Type lines at the terminal: tty "line1\nline2\n" CMD...
tty() {
	input=$1
	shift
	# shellcheck disable=SC2059
	printf "$input" | script -qec "$*" /dev/null
}

# ---- a fresh workspace: two tokens, the examples, the policy -------------
eval "$("$src/hsm/mktoken.sh" hsm root online)"
cp -r "$src/ceremony" "$src/policies" .

run 0 "$signet" ceremony --help
has "CI ONLY"
has "check"
run 2 "$signet" ceremony
run 2 "$signet" ceremony dance ceremony/01-root-key.yaml
run 2 "$signet" ceremony verify 01-root-key.transcript.json
has "needs --cert"

run 0 "$signet" ceremony check ceremony/01-root-key.yaml
has "confirmation code $(code ceremony/01-root-key.yaml)"
has "Key to generate        'root-key' id 01, ec-p384"
has "user PIN from file:"

# ---- the operator types the code at the terminal --------------------------
if ! command -v script >/dev/null 2>&1; then
	fail "script(1) is needed (util-linux)"
fi
run 2 tty 'deadbeef\n' "$signet" ceremony run ceremony/01-root-key.yaml
has "did not confirm"
has "Not confirmed"
absent root-key.pub.pem
ls 01-root-key.transcript.failed-*.json >/dev/null 2>&1 ||
	fail "a declined ceremony left no transcript"
run 0 tty "$(code ceremony/01-root-key.yaml)\n" \
	"$signet" ceremony run ceremony/01-root-key.yaml
has "PLAN"
has "Ceremony root-key completed"
exists root-key.pub.pem
exists 01-root-key.transcript.json.sig
[ "$(jq -r .confirmation.confirmed 01-root-key.transcript.json)" = true ] ||
	fail "the typed confirmation is not recorded"

# No terminal and no --yes: refused, nothing generated.
file nokey.yaml <<'X'
ceremony: root-key
operators: [Tess]
token:
  uri: "pkcs11:token=root"
  pin-source: file:hsm/root.pin
key:
  type: ec-p256
  label: notty
  id: "0e"
outputs:
  public-key: notty.pem
X
run 2 setsid -w "$signet" ceremony run nokey.yaml
has "no terminal to confirm"
absent notty.pem

# Operators asked for at the terminal when the file names none.
sed '/^operators:/d' nokey.yaml >asked.yaml
run 0 tty "Alice Asked\nBob Asked\n\n$(code asked.yaml)\n" \
	"$signet" ceremony run asked.yaml
[ "$(jq -c .operators asked.transcript.json)" = '["Alice Asked","Bob Asked"]' ] ||
	fail "the operators typed are not recorded"

# ---- the rest of the hierarchy, --yes (CI) -------------------------------
for f in 02-root-cert 03-intermediate-key 04-intermediate-cert 05-root-crl; do
	run 0 "$signet" ceremony run --yes "ceremony/$f.yaml"
	has "--yes: the plan is not confirmed"
	has "PLAN"
	[ "$(jq -r .confirmation.assume_yes "$f.transcript.json")" = true ] ||
		fail "$f: --yes is not recorded"
	[ "$(jq -r .confirmation.confirmed "$f.transcript.json")" = false ] ||
		fail "$f: --yes recorded as an operator's confirmation"
done
run 0 openssl verify -x509_strict -CAfile root.pem intermediate.pem

# ---- verify -----------------------------------------------------------------
run 0 "$signet" ceremony verify 02-root-cert.transcript.json --cert root.pem
has "ok: signature"
has "ok: output certificate"
run 0 "$signet" ceremony verify 03-intermediate-key.transcript.json \
	--key intermediate.pub.pem
run 0 "$signet" ceremony verify 01-root-key.transcript.json \
	--key root-key.pub.pem
run 31 "$signet" ceremony verify 04-intermediate-cert.transcript.json \
	--cert intermediate.pem
has "not by the key given"
# The same check with openssl alone.
openssl x509 -in root.pem -pubkey -noout >root.pub
run 0 openssl dgst -sha384 -verify root.pub \
	-signature 04-intermediate-cert.transcript.json.sig \
	04-intermediate-cert.transcript.json
# A changed output is named; a missing one is listed.
cp intermediate.pem keep.pem
sed 's/^M/N/' keep.pem >intermediate.pem
run 31 "$signet" ceremony verify 04-intermediate-cert.transcript.json \
	--cert root.pem
has "intermediate.pem"
has "has changed since the ceremony"
rm intermediate.pem
run 0 "$signet" ceremony verify 04-intermediate-cert.transcript.json \
	--cert root.pem
has "missing"
mv keep.pem intermediate.pem
# Verified from elsewhere, with the files in --dir.
mkdir -p audit
cp 04-intermediate-cert.transcript.json 04-intermediate-cert.transcript.json.sig audit/
run 0 "$signet" ceremony verify audit/04-intermediate-cert.transcript.json \
	--cert root.pem --dir .
has "ok: output certificate"

# ---- refusals, each with its exit status ----------------------------------
# An existing label, and an existing id (the token is checked first).
sed -e 's/label: notty/label: root-key/' -e 's/"0e"/"0f"/' \
	-e 's/notty.pem/l.pem/' nokey.yaml >label.yaml
run 42 "$signet" ceremony run --yes label.yaml
has "already holds a private key labelled 'root-key'"
absent l.pem
sed -e 's/label: notty/label: fresh/' -e 's/"0e"/"01"/' \
	-e 's/notty.pem/i.pem/' nokey.yaml >id.yaml
run 42 "$signet" ceremony run --yes id.yaml
has "with id 01"

# An existing output: refused before any token is touched, no transcript.
run 42 "$signet" ceremony run --yes ceremony/02-root-cert.yaml
has "root.pem exists already"
has "never overwrites"

# A file that breaks the schema, at its line.
file bad.yaml <<'X'
ceremony: root-key
token:
  uri: "pkcs11:token=root"
key:
  type: ec-p256
  label: x
  id: "0a"
  colour: blue
outputs:
  public-key: x.pem
X
run 3 "$signet" ceremony check bad.yaml
has "bad.yaml:8: unknown key 'colour'"
sed -e '/colour/d' -e 's/label: x/label:/' bad.yaml >empty.yaml
run 3 "$signet" ceremony run --yes empty.yaml
has "empty.yaml:6: key.label: no value given"
sed -e '/colour/d' -e 's/^token:/token:\n  pin: "13572468"/' bad.yaml >pin.yaml
run 3 "$signet" ceremony run --yes pin.yaml
has "pin.yaml:3: token.pin: a PIN never goes in a ceremony file"
hasnt 13572468
sed -e '/colour/d' -e 's/^outputs:/crl:\n  number: 1\noutputs:/' bad.yaml >type.yaml
run 3 "$signet" ceremony check type.yaml
has "type.yaml:8: crl: does not belong in a root-key ceremony"

# A wrong PIN: refused by the token, an unsigned transcript says so.
umask 077
echo 00000000 >hsm/wrong.pin
umask 022
sed -e 's|hsm/root.pin|hsm/wrong.pin|' -e 's/root.pem$/w.pem/' \
	ceremony/02-root-cert.yaml >wrongpin.yaml
run 24 "$signet" ceremony run --yes wrongpin.yaml
has "CKR_PIN_INCORRECT"
hasnt 00000000
absent w.pem
[ "$(jq -r .signature.signed wrongpin.transcript.failed-*.json)" = false ] ||
	fail "a transcript signed without a key"

# The root public key input is not the token key's.
sed -e 's/public-key: root-key.pub.pem/public-key: intermediate.pub.pem/' \
	-e 's/root.pem$/mism.pem/' ceremony/02-root-cert.yaml >mismatch.yaml
run 31 "$signet" ceremony run --yes mismatch.yaml
has "is not the public key of key 'root-key'"
absent mism.pem
[ "$(jq -r .signature.signed mismatch.transcript.failed-*.json)" = true ] ||
	fail "the refusal is not signed by the root key"
run 0 "$signet" ceremony verify mismatch.transcript.failed-*.json \
	--cert root.pem
has "FAILED at step 'prepare'"

# A CSR whose signature does not verify (a byte of its signature changed).
openssl req -in intermediate.csr -outform DER -out csr.der
python3 - <<'X'
d = bytearray(open("csr.der", "rb").read())
d[-5] ^= 0x01
open("bad.csr", "wb").write(bytes(d))
X
sed -e 's/csr: intermediate.csr/csr: bad.csr/' -e 's/intermediate.pem$/b.pem/' \
	ceremony/04-intermediate-cert.yaml >badcsr.yaml
run 10 "$signet" ceremony run --yes badcsr.yaml
has "signature does not verify"
absent b.pem
# A CSR for another key than the intermediate key named.
sed -e 's/public-key: intermediate.pub.pem/public-key: audit.pub.pem/' \
	-e 's/intermediate.pem$/o.pem/' ceremony/04-intermediate-cert.yaml >otherkey.yaml
run 31 "$signet" ceremony run --yes otherkey.yaml
has "is for another key than inputs.public-key"

# Lint: a CA CRL's nextUpdate is at most twelve months away (BR 4.9.7).
sed -e 's/next-update: 180d/next-update: 400d/' -e 's/number: 1/number: 2/' \
	-e 's/root-crl-1/root-crl-x/g' ceremony/05-root-crl.yaml >lint.yaml
run 11 "$signet" ceremony run --yes lint.yaml
has "e_crl_next_update_max"
absent root-crl-x.crl
absent root-crl-x.crl.pem

# CRL numbers strictly increase over the previous CRL given.
sed -e 's/# previous-crl:/previous-crl:/' -e 's/root-crl-1.crl/root-crl-2.crl/g' \
	-e 's/previous-crl: root-crl-2.crl/previous-crl: root-crl-1.crl/' \
	ceremony/05-root-crl.yaml >crl-same.yaml
run 42 "$signet" ceremony run --yes crl-same.yaml
has "crl.number 1 is not greater than the number of the previous CRL (1"
sed 's/number: 1/number: 2/' crl-same.yaml >crl2.yaml
# thisUpdate must also be later than CRL 1's: not within the same second.
sleep 1
run 0 "$signet" ceremony run --yes crl2.yaml
run 0 openssl crl -inform DER -in root-crl-2.crl -noout -text
has "CRL Number:"
grep -A1 "CRL Number" out | grep -q "2" || fail "CRL 2 has another number"
# Revoking the intermediate: CRL 3 lists its serial, and openssl agrees.
serial=$(openssl x509 -in intermediate.pem -noout -serial | cut -d= -f2)
sed -e 's/number: 2/number: 3/' -e 's/root-crl-2/root-crl-3/g' \
	-e 's/previous-crl: root-crl-1.crl/previous-crl: root-crl-2.crl/' \
	-e "s/^  # revoked:/  revoked:/" \
	-e "s/^  #   - serial: .*/    - serial: \"$serial\"/" \
	-e "s/^  #     date: .*/      date: 2026-01-02T00:00:00Z/" \
	-e "s/^  #     reason: .*/      reason: cessationOfOperation/" \
	crl2.yaml >crl3.yaml
# thisUpdate must be later than CRL 2's, made within this second.
sleep 1
run 0 "$signet" ceremony run --yes crl3.yaml
has "cessationOfOperation"
openssl crl -inform DER -in root-crl-3.crl -out root-crl-3.pem
run 2 openssl verify -x509_strict -crl_check -CRLfile root-crl-3.pem \
	-CAfile root.pem intermediate.pem
has "certificate revoked"
run 0 openssl verify -x509_strict -crl_check -CRLfile root-crl-1.crl.pem \
	-CAfile root.pem intermediate.pem

# Relative paths are taken from --dir, wherever signet runs.
run 42 sh -c "cd / && '$signet' ceremony check --dir '$t' '$t/ceremony/01-root-key.yaml'"
has "$t/root-key.pub.pem exists already"
run 0 sh -c "cd / && '$signet' ceremony verify --dir '$t' '$t/02-root-cert.transcript.json' --cert '$t/root.pem'"
has "ok: output certificate"

# A previous CRL that is not this root's.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout other.key -out other.pem -subj "/CN=Other" -days 2 \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
touch index.txt
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnum\ndefault_md=sha256\ndefault_crl_days=1\n' >ca.cnf
echo 05 >crlnum
openssl ca -config ca.cnf -gencrl -keyfile other.key -cert other.pem \
	-out other.crl >/dev/null 2>&1
sed -e 's/previous-crl: root-crl-1.crl/previous-crl: other.crl/' \
	-e 's/root-crl-2/root-crl-9/g' -e 's/number: 2/number: 9/' crl2.yaml >crl-other.yaml
run 31 "$signet" ceremony run --yes crl-other.yaml
has "was not issued and signed by this root"

# ---- a failure between two outputs -----------------------------------------
file mid.yaml <<'X'
ceremony: intermediate-key
operators: [Tess]
token:
  uri: "pkcs11:token=online"
  pin-source: file:hsm/online.pin
key:
  type: ec-p256
  label: mid-key
  id: "21"
subject:
  CN: Mid
outputs:
  public-key: mid.pub.pem
  csr: mid.csr
X
if [ "${SIGNET_TEST_HOOKS:-0}" != 1 ]; then
	echo "ceremony.sh: built without SIGNET_TEST_HOOKS: mid-write failure not tested" >&2
else
	set +e
	SIGNET_FAULT=fail:ceremony.write@2 "$signet" ceremony run --yes mid.yaml >out 2>&1
	got=$?
	set -e
	# With the fault points compiled in, a run that succeeds means the
	# fault point is gone or renamed.
	[ "$got" -eq 50 ] || fail "mid-write failure exited $got, expected 50"
	has "ceremony.write"
	# The first output is whole, the second not there at all.
	run 0 openssl pkey -pubin -in mid.pub.pem -noout
	absent mid.csr
	tr=$(ls mid.transcript.failed-*.json)
	[ "$(jq -r .failure.step "$tr")" = write ] || fail "failure step not recorded"
	[ "$(jq -r '.outputs[0].written' "$tr")" = true ] || fail "output 1 not recorded"
	[ "$(jq -r '.outputs[1].written' "$tr")" = false ] || fail "output 2 recorded"
	# Signed by the new key, which exists on the token.
	run 0 "$signet" ceremony verify "$tr" --key mid.pub.pem
	has "FAILED at step 'write'"
	has "ok: output public-key"
fi
# Nothing half-written anywhere in the workspace.
if ls ./*.tmp* .*.tmp* >/dev/null 2>&1; then fail "temporary files left"; fi

echo "ceremony.sh: all checks passed"
