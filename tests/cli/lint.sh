#!/bin/sh
# signet lint: input formats (PEM, DER, stdin), text and JSON output, exit
# statuses, --issuer, CRLs made by `openssl ca`. Certificates and CRLs are
# made here with openssl, so signet is judged on others' output too.
set -eu

: "${SIGNET_BIN:?run this test with ctest}"
signet=$SIGNET_BIN
t=$(mktemp -d "${TMPDIR:-/tmp}/signet-lint.XXXXXX")
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

quiet() {
	"$@" >/dev/null 2>&1 || fail "setup step failed: $*"
}

ec() {
	echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
}

# ---- a CA, a good leaf, a bad leaf --------------------------------------
# shellcheck disable=SC2046
quiet openssl req -x509 $(ec) -keyout ca.key -out ca.pem \
	-subj "/CN=Lint Test CA" -days 60 \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
# shellcheck disable=SC2046
quiet openssl req -x509 $(ec) -keyout other.key -out other.pem \
	-subj "/CN=Other CA" -days 30 \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
# shellcheck disable=SC2046
quiet openssl req -new $(ec) -keyout leaf.key -out leaf.csr \
	-subj /CN=www.example.com
cat >good.ext <<'X'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:www.example.com
X
cat >bad.ext <<'X'
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
X
quiet openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 30 -extfile good.ext -out good.pem
quiet openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
	-days 500 -extfile bad.ext -out bad.pem
quiet openssl x509 -in good.pem -outform DER -out good.der

# ---- the table ------------------------------------------------------------
run 0 "$signet" lint --list
has e_serial_positive
has e_crl_certificate_hold
grep -Eq '^e_ocsp_status_store +error +ocsp ' out ||
	fail "--list does not show the OCSP lints as ocsp"
[ "$(wc -l <out)" -ge 60 ] || fail "--list shows fewer than 60 lints"

# ---- certificates -----------------------------------------------------------
run 0 "$signet" lint ca.pem
has "ca.pem: certificate: 0 error(s)"
run 0 "$signet" lint --issuer ca.pem good.pem
has "0 error(s), 0 warning(s)"
run 0 "$signet" lint good.der
has "good.der: certificate"
run 0 sh -c "'$signet' lint - <good.der"
has "certificate: 0 error(s)"

run 11 "$signet" lint --issuer ca.pem bad.pem
has "^error e_ku_critical \[RFC 5280 4.2.1.3"
has "^error e_ku_ec_encipherment"
has "^error e_san_missing_tls"
has "^error e_validity_tls_398"
has "^warning w_validity_exceeds_issuer"
has "bad.pem: certificate: 6 error(s), 1 warning(s)"

# Issued by someone else: the issuer lints say so.
run 11 "$signet" lint --issuer other.pem good.pem
has e_issuer_dn_match
has e_aki_issuer_match
run 0 "$signet" lint good.pem
hasnt e_issuer_dn_match
run 0 "$signet" lint --issuer ca.pem --chain other.pem good.pem
has "0 error(s)"

# JSON for machines.
run 11 "$signet" lint --json --issuer ca.pem bad.pem
/usr/bin/python3 - out <<'PY' || fail "JSON output is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
ids = [f["id"] for f in r["findings"]]
assert r["kind"] == "certificate", r
assert r["errors"] == 6 and r["warnings"] == 1, r
assert "e_ku_critical" in ids and "w_validity_exceeds_issuer" in ids, ids
assert all(f["source"] and f["detail"] for f in r["findings"])
PY
run 0 "$signet" lint --json good.pem
/usr/bin/python3 -c 'import json,sys; r=json.load(open("out")); assert r["errors"]==0 and r["findings"]==[]' ||
	fail "clean JSON report"

# ---- CRLs from openssl ca ---------------------------------------------------
mkdir db
: >db/index.txt
echo 01 >db/crlnumber
cat >ca.cnf <<'X'
[ ca ]
default_ca = test
[ test ]
database = db/index.txt
crlnumber = db/crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
X
quiet openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem \
	-out good.crl
run 0 "$signet" lint --issuer ca.pem good.crl
has "good.crl: crl: 0 error(s)"
quiet openssl crl -in good.crl -outform DER -out good.crl.der
run 0 "$signet" lint good.crl.der
has "crl: 0 error(s)"

quiet openssl ca -config ca.cnf -revoke good.pem -keyfile ca.key \
	-cert ca.pem -crl_reason certificateHold
sed 's/default_crl_days = 7/default_crl_days = 30/' ca.cnf >ca30.cnf
quiet openssl ca -config ca30.cnf -gencrl -keyfile ca.key -cert ca.pem \
	-out bad.crl
run 11 "$signet" lint --issuer ca.pem bad.crl
has e_crl_certificate_hold
has e_crl_next_update_max
# A CA CRL may wait longer.
run 11 "$signet" lint --max-next-update 60d --issuer ca.pem bad.crl
hasnt e_crl_next_update_max
has e_crl_certificate_hold

# ---- what is not a certificate or CRL ---------------------------------------
echo "hello" >garbage
run 11 "$signet" lint garbage
has "e_der_valid"
has "garbage: unknown"
run 11 "$signet" lint leaf.key
has "neither a certificate nor a CRL"
run 50 "$signet" lint missing.pem
has "missing.pem"
run 2 "$signet" lint --bogus good.pem
run 2 "$signet" lint
run 2 "$signet" lint --max-next-update soon good.crl
run 2 "$signet" lint --issuer garbage good.pem
has "garbage is not a certificate"
# A report that cannot be written is a failure, not a pass.
run 50 sh -c "'$signet' lint good.pem >/dev/full"
has "cannot write standard output: No space left on device"
echo "signet lint: all checks passed"
