#!/bin/sh
# The online CA end to end on SoftHSM: init, issue under every end-entity
# profile of policies/default.yaml (one by one and in a batch), list, show,
# revoke, full and delta CRLs. Judged by openssl (verify -x509_strict with
# purposes and CRL checks, crl -CAfile), certtool (--verify-crl,
# --verify-chain) and python3-cryptography; at the end no output, log or
# database dump holds the PIN.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"

. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"
# every command's output is kept for the PIN check at the end
outs=$work/outputs
mkdir "$outs"
judge() {
	what=$1
	shift
	if "$@" >judge.out 2>&1; then
		ok "$what"
	else
		bad "$what"
		sed 's/^/  | /' judge.out >&2
	fi
}
judge_fails() {
	what=$1
	shift
	if "$@" >judge.out 2>&1; then
		bad "$what (accepted)"
		sed 's/^/  | /' judge.out >&2
	else
		ok "$what"
	fi
}

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
cat "$CA_CERT" "$CA_ROOT" >bundle.pem

# ---- the instance ----------------------------------------------------------
if [ "$(stat -c %a "$work/ca")" = 700 ] &&
	[ "$(stat -c %a "$work/ca/signet.yaml")" = 600 ] &&
	[ "$(stat -c %a "$work/ca/signet.db")" = 600 ] &&
	[ "$(stat -c %a "$work/ca/audit.log")" = 600 ]; then
	ok "instance directory 0700, files 0600"
else
	bad "instance modes: $(ls -la "$work/ca")"
fi
run 42 "init refuses an existing instance" "$signet" init --dir "$work/ca" \
	--ca-cert "$CA_CERT" --key "$CA_KEY_URI" --audit-key "$AUDIT_KEY_URI" \
	--policy "$CA_POLICY" --pin-source "$CA_PIN"
contains err "refusing to overwrite" "the refusal says why"
# A relative PIN file is the current directory's, as init's other paths
# are, and goes into signet.yaml absolute (relative paths there are the
# instance directory's).
run 0 "init with a relative PIN file" sh -c "cd '$CA_FIXTURE_DIR' &&
	'$signet' init --dir '$work/ca-rel' --ca-cert ca.pem --chain chain.pem \
	--key '$CA_KEY_URI' --audit-key '$AUDIT_KEY_URI' --policy '$CA_POLICY' \
	--pin-source file:hsm/ca.pin"
contains "$work/ca-rel/signet.yaml" "pin-source: \"file:$CA_FIXTURE_DIR/hsm/ca.pin\"" \
	"the relative PIN file is written absolute"

# ---- issuance: every end-entity profile -------------------------------------
ca_csr srv "/CN=www.example.com" "DNS:www.example.com,DNS:example.com"
ca_csr srvrsa "/CN=rsa.example.com" "DNS:rsa.example.com" rsa
ca_csr cli "/CN=alice@example.com" "email:alice@example.com"
ca_csr mtls "/CN=svc.example.com" \
	"DNS:svc.example.com,URI:spiffe://example.com/ns/prod/sa/svc"

run 0 "issue tls-server" "$signet" issue --profile tls-server --csr srv.csr
contains out "written to ./srv.crt" "default output is <stem>.crt beside the CSR"
run 0 "issue tls-server (RSA key) with --chain --json" "$signet" issue \
	--profile tls-server --csr srvrsa.csr --out srvrsa-chain.pem --chain --json
/usr/bin/python3 - out <<'EOF' && ok "issue --json" || bad "issue --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["issued"] is True and j["status"] == 0, j
assert j["file"] == "srvrsa-chain.pem" and len(j["serial"]) >= 32, j
EOF
if [ "$(grep -c 'BEGIN CERTIFICATE' srvrsa-chain.pem)" -eq 2 ]; then
	ok "--chain writes the leaf and the intermediate (not the root)"
else
	bad "--chain file holds $(grep -c 'BEGIN CERTIFICATE' srvrsa-chain.pem) certificates"
fi
run 0 "issue tls-client" "$signet" issue --profile tls-client --csr cli.csr
run 0 "issue mtls, 10 days" "$signet" issue --profile mtls --csr mtls.csr \
	--days 10 --out mtls.crt
# No subject at all: the names are in the SAN only (common-name optional).
ca_csr nosubj "/" "DNS:nosubj.example.com"
run 0 "issue with an empty subject" "$signet" issue --profile tls-server \
	--csr nosubj.csr --out nosubj.crt
run 0 "list with an empty subject" "$signet" list --profile tls-server
contains out "tls-server" "the empty subject is listed"
run 0 "issue to standard output" "$signet" issue --profile tls-server \
	--csr srv.csr --out -
contains out "BEGIN CERTIFICATE" "the certificate goes to standard output"
contains err "issued certificate" "the report goes to standard error"

judge "openssl verify -x509_strict -purpose sslserver (tls-server)" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" srv.crt
judge "openssl verify -purpose sslserver (RSA, chain file)" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA_ROOT" \
	-untrusted srvrsa-chain.pem srvrsa-chain.pem
judge "openssl verify -x509_strict -purpose sslclient (tls-client)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" cli.crt
judge "openssl verify -purpose sslserver (mtls)" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" mtls.crt
judge "openssl verify -purpose sslclient (mtls)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" mtls.crt
judge_fails "a client certificate is no server certificate" \
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" cli.crt
cat srv.crt "$CA_CERT" >srv-chain.pem
judge "certtool --verify (chain, profile medium)" certtool --verify \
	--verify-profile=medium --load-ca-certificate "$CA_ROOT" \
	--infile srv-chain.pem
if [ "$(openssl x509 -in mtls.crt -noout -enddate | cut -d= -f2 |
	xargs -I{} date -d {} +%s)" -le $(($(date +%s) + 10 * 86400)) ]; then
	ok "--days 10 limits notAfter"
else
	bad "--days 10 not applied: $(openssl x509 -in mtls.crt -noout -enddate)"
fi
/usr/bin/python3 - srv.crt cli.crt mtls.crt <<'EOF' &&
import sys
from cryptography import x509
for f in sys.argv[1:]:
    c = x509.load_pem_x509_certificate(open(f, "rb").read())
    assert c.serial_number > 0 and c.serial_number.bit_length() >= 120
    assert c.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca is False
    c.extensions.get_extension_for_class(x509.SubjectAlternativeName)
EOF
	ok "python3-cryptography parses them strictly" ||
	bad "python3-cryptography refuses a certificate"

# ---- a batch ----------------------------------------------------------------
mkdir csrs
for i in 1 2 3 4 5; do
	ca_csr "csrs/host$i" "/CN=host$i.example.com" "DNS:host$i.example.com"
	rm "csrs/host$i.key"
done
ca_csr csrs/outside "/CN=www.example.org" "DNS:www.example.org"
run 10 "a batch with one refused CSR" "$signet" issue --profile tls-server \
	--batch csrs --out-dir issued
contains err "rejected csrs/outside.csr" "the rejected CSR is named"
contains err "www.example.org" "and the reason"
if [ "$(ls issued | wc -l)" -eq 5 ] && [ ! -e issued/outside.crt ]; then
	ok "five certificates written, none for the refused CSR"
else
	bad "batch output: $(ls issued)"
fi
for i in 1 2 3 4 5; do
	openssl verify -x509_strict -purpose sslserver -CAfile "$CA_ROOT" \
		-untrusted "$CA_CERT" "issued/host$i.crt" >/dev/null 2>&1 ||
		bad "batch certificate host$i does not verify"
done
ok "the batch certificates verify"

# ---- inventory ----------------------------------------------------------------
srv_serial=$(openssl x509 -in srv.crt -noout -serial | cut -d= -f2 |
	tr 'A-F' 'a-f')
cli_serial=$(openssl x509 -in cli.crt -noout -serial | cut -d= -f2 |
	tr 'A-F' 'a-f')
run 0 "list" "$signet" list
contains out "$srv_serial" "list shows the serial"
contains out "CN=www.example.com" "and the subject"
run 0 "list --json --profile tls-client" "$signet" list --json --profile \
	tls-client
/usr/bin/python3 - out "$cli_serial" <<'EOF' && ok "list --json" ||
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["serial"] == sys.argv[2], rows
assert rows[0]["status"] == "valid" and rows[0]["profile"] == "tls-client"
EOF
	bad "list --json"
# The streamed array is what one json_dumps of the whole would print.
run 0 "list --json" "$signet" list --json
cp out list.json
run 0 "list --jsonl" "$signet" list --jsonl
/usr/bin/python3 - list.json out <<'EOF' && ok "list --json and --jsonl" ||
import json, sys
text = open(sys.argv[1]).read()
rows = json.loads(text)
assert len(rows) >= 2, rows
assert text == json.dumps(rows, indent=2, sort_keys=True,
                          ensure_ascii=False, separators=(",", ": ")) + "\n"
lines = open(sys.argv[2]).read().splitlines()
assert [json.loads(l) for l in lines] == rows
EOF
	bad "list --json and --jsonl"
run 2 "list --json --jsonl" "$signet" list --json --jsonl
run 0 "list --expiring 11" "$signet" list --expiring 11
if [ "$(grep -c mtls out)" -eq 1 ] && ! grep -q tls-client out; then
	ok "only the 10-day certificate expires within 11 days"
else
	bad "list --expiring 11:"
	sed 's/^/  | /' out >&2
fi
run 0 "show" "$signet" show "$srv_serial"
contains out "status:      issued" "show says issued"
run 0 "show --pem" "$signet" show "$srv_serial" --pem
if cmp -s out srv.crt; then
	ok "show --pem gives back the certificate file"
else
	bad "show --pem differs from srv.crt"
fi
run 0 "show --json" "$signet" show --json "$srv_serial"
contains out '"status": "issued"' "show --json status"
run 41 "show an unknown serial" "$signet" show 0123456789abcdef
contains err "no certificate with serial" "the serial is reported unknown"

# ---- revocation and CRLs -------------------------------------------------------
# Full CRLs point to the delta CRL (RFC 5280 5.2.6), which OpenSSL needs
# before it looks at a delta at all.
sed -i 's|^  delta-next-update: 1d$|&\n  freshest-url: "http://pki.example.com/delta.crl"|' \
	"$work/ca/signet.yaml"
run 0 "a full CRL before any revocation" "$signet" crl --out crl0.der
run 0 "revoke tls-client (superseded)" "$signet" revoke "$cli_serial" \
	--reason superseded
run 42 "revoking twice is refused" "$signet" revoke "$cli_serial" \
	--reason affiliationChanged
contains err "already revoked" "the refusal says why"
run 0 "escalating to keyCompromise is allowed" "$signet" revoke \
	"$cli_serial" --reason keyCompromise
run 41 "revoking an unknown serial" "$signet" revoke 0abc --reason \
	superseded
run 2 "an unknown reason" "$signet" revoke "$cli_serial" --reason bogus
run 2 "certificateHold is refused" "$signet" revoke "$cli_serial" \
	--reason certificateHold
# The revocation time lies between notBefore and now; 1970 is a time, not
# "no time given"; cACompromise and aACompromise are for CA certificates
# (BR 7.2.2). None of these revokes anything.
run 2 "a revocation time in year 1" "$signet" revoke "$srv_serial" \
	--reason superseded --time 0001-01-01T00:00:00Z
contains err "0001-01-01T00:00:00Z is before certificate" \
	"... is refused as before notBefore, the year written out"
run 2 "a revocation time of 1970" "$signet" revoke "$srv_serial" \
	--reason superseded --time 1970-01-01T00:00:00Z
contains err "1970-01-01T00:00:00Z is before certificate" \
	"... is a time too, not 'now'"
for reason in cACompromise aACompromise; do
	run 2 "$reason for a subscriber certificate" "$signet" revoke \
		"$srv_serial" --reason "$reason"
	contains err "is for CA certificates" "... is refused (BR 7.2.2)"
done
run 0 "show after the refusals" "$signet" show "$srv_serial"
contains out "status:      issued" "... the certificate is still issued"
run 0 "a delta CRL" "$signet" crl --delta --out delta.der --json
/usr/bin/python3 - out <<'EOF' && ok "crl --json" || bad "crl --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["kind"] == "delta" and j["entries"] == 1 and j["base_crl_number"] == 1
assert j["crl_number"] == 2, j
EOF
run 0 "a full CRL (PEM)" "$signet" crl --out crl.pem --pem
run 0 "list --status revoked" "$signet" list --status revoked
contains out "$cli_serial" "the revoked certificate is listed"

openssl crl -inform DER -in crl0.der -out crl0.pem
openssl crl -inform DER -in delta.der -out delta.pem
judge "openssl crl -CAfile (full)" openssl crl -in crl.pem -CAfile \
	bundle.pem -noout
judge "openssl crl -CAfile (delta)" openssl crl -in delta.pem -CAfile \
	bundle.pem -noout
judge "certtool --verify-crl (full)" certtool --verify-crl \
	--load-ca-certificate "$CA_CERT" --infile crl.pem
judge "certtool --verify-crl (delta)" certtool --verify-crl \
	--load-ca-certificate "$CA_CERT" --infile delta.pem
openssl crl -in crl.pem -noout -text >crl.txt
contains crl.txt "X509v3 CRL Number: " "the CRL has a number"
contains crl.txt "Freshest CRL" "the full CRL points to the delta CRL"
if grep -A1 "CRL Number" crl.txt | grep -qx " *3"; then
	ok "CRL numbers increase: 1 (full), 2 (delta), 3 (full)"
else
	bad "CRL number of the second full CRL:"
	sed 's/^/  | /' crl.txt >&2
fi
contains crl.txt "Key Compromise" "the reason code is on the CRL"
contains crl.txt "Authority Key Identifier" "the CRL has an AKI"
contains crl.txt "$(echo "$cli_serial" | tr 'a-f' 'A-F')" \
	"the revoked serial is on the CRL"
openssl crl -in delta.pem -noout -text >delta.txt
contains delta.txt "Delta CRL Indicator: critical" "the delta CRL is marked"

judge_fails "openssl verify -crl_check rejects the revoked certificate" \
	openssl verify -x509_strict -crl_check -CRLfile crl.pem -CAfile \
	"$CA_ROOT" -untrusted "$CA_CERT" cli.crt
grep -q "certificate revoked" judge.out && ok "... as revoked" ||
	bad "revoked certificate refused for another reason"
judge "openssl verify -crl_check accepts the others" \
	openssl verify -x509_strict -crl_check -CRLfile crl.pem -CAfile \
	"$CA_ROOT" -untrusted "$CA_CERT" srv.crt mtls.crt issued/host1.crt
judge_fails "... and with -use_deltas the delta alone revokes it" \
	openssl verify -x509_strict -crl_check -use_deltas -CRLfile crl0.pem \
	-CRLfile delta.pem -CAfile "$CA_ROOT" -untrusted "$CA_CERT" cli.crt
judge "certtool --verify with the CRL accepts a valid one" \
	certtool --verify --load-ca-certificate "$CA_CERT" \
	--load-crl crl.pem --infile srv.crt
judge_fails "certtool --verify with the CRL refuses the revoked one" \
	certtool --verify --load-ca-certificate "$CA_CERT" \
	--load-crl crl.pem --infile cli.crt

# A new CSR for the compromised key is refused: its key is blocked.
openssl req -new -key cli.key -subj "/CN=bob@example.com" \
	-addext "subjectAltName=email:bob@example.com" -out again.csr
run 10 "the compromised key is refused" "$signet" issue --profile \
	tls-client --csr again.csr
contains err "compromised-key list" "the refusal names the blocklist"

# ---- the database and the log agree ---------------------------------------------
run 0 "db check" "$signet" db check
contains out "ok: the database is consistent" "db check is clean"
run 0 "audit verify" "$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
	"$work/ca/audit.log"
for ev in config.load token.login policy.load cert.issue.intent cert.issue \
	cert.request cert.revoke crl.generate.intent crl.generate; do
	grep -q "\"event\":\"$ev\"" "$work/ca/audit.log" ||
		bad "no $ev record in the audit log"
done
ok "the audit log holds every kind of event"

# ---- the PIN appears nowhere ------------------------------------------------------
pin=$(head -n1 "$CA_FIXTURE_DIR/hsm/ca.pin")
sqlite3 "$work/ca/signet.db" .dump >"$outs/db.dump"
if grep -rqF -- "$pin" "$outs" "$work/ca/audit.log" "$work/ca/signet.yaml" \
	"$work"/*.crt "$work"/*.pem "$work"/*.der issued; then
	bad "the PIN appears in an output, the log or the database"
else
	ok "the PIN appears in no output, log, file or database dump"
fi

checks_done
