#!/bin/sh
# The online CA refusing bad input and bad conditions, each with a clear
# message and its own exit status, leaving no partial row and no file, and
# never asking the token to sign (C_Sign counted through p11fault):
# unknown profile, CSR refused by policy, unknown serial, unusable or busy
# database, audit log that cannot be written, output path that cannot be
# written (the certificate stays recorded and fetchable), a clock earlier
# than the last issuance (faketime), a token key that is not the CA
# certificate's, an extractable key, the audit key being the CA key, and
# configuration mistakes. Needs -DSIGNET_TEST_HOOKS=ON for the fault
# points.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca-err.XXXXXX")
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"
outs=$work/outputs
mkdir "$outs"

ca_fixture "$work/fx"
softhsm=/usr/lib/softhsm/libsofthsm2.so
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
cp "$CA_CONFIG" "$work/signet.yaml.orig"
db=$work/ca/signet.db
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"
signatures() { grep -c '^C_Sign .*CKR_OK' "$P11FAULT_LOG" || true; }
rows() { sqlite3 "$db" "SELECT count(*) FROM certificates"; }
pin=$(head -n1 "$CA_FIXTURE_DIR/hsm/ca.pin")

# nothing_happened WHAT ROWS SIGS: no new row, no signature, no file.
nothing_happened() {
	if [ "$(rows)" -eq "$2" ] && [ "$(signatures)" -eq "$3" ] &&
		[ ! -e out.crt ]; then
		ok "$1: no row, no signature, no file"
	else
		bad "$1: rows $(rows) (was $2), signatures $(signatures) \
(was $3), file $(ls out.crt 2>/dev/null || echo none)"
	fi
	rm -f out.crt
}

ca_csr good "/CN=good.example.com" "DNS:good.example.com"
ca_csr other "/CN=www.example.org" "DNS:www.example.org"
r0=$(rows)
s0=$(signatures)

# ---- requests --------------------------------------------------------------------
run 41 "an unknown profile" "$signet" issue --profile no-such --csr good.csr \
	--out out.crt
contains err "no-such" "the profile is named"
contains err "tls-server" "and the choices listed"
nothing_happened "unknown profile" "$r0" "$s0"

run 10 "a CSR the policy refuses" "$signet" issue --profile tls-server \
	--csr other.csr --out out.crt
contains err "www.example.org" "the refused name is named"
nothing_happened "policy refusal" "$r0" "$s0"
grep -q '"event":"cert.request","outcome":"denied"' "$work/ca/audit.log" &&
	ok "the refusal is in the audit log (cert.request denied)" ||
	bad "no cert.request denied record"

printf 'not a CSR\n' >junk.csr
run 10 "a file that is no CSR" "$signet" issue --profile tls-server \
	--csr junk.csr --out out.crt
contains err "neither PEM nor DER" "the reason is given"
nothing_happened "junk CSR" "$r0" "$s0"

run 50 "a CSR file that does not exist" "$signet" issue --profile tls-server \
	--csr missing.csr --out out.crt
contains err "missing.csr" "the file is named"

run 2 "--csr and --batch together" "$signet" issue --profile tls-server \
	--csr good.csr --batch .
mkdir no-csrs
run 2 "a --batch directory without CSRs" "$signet" issue --profile \
	tls-server --batch no-csrs --out-dir bout
contains err "no CSR files" "the reason is given"
run 2 "--days 0" "$signet" issue --profile tls-server --csr good.csr --days 0
run 10 "more days than the profile allows" "$signet" issue --profile \
	tls-server --csr good.csr --days 400 --out out.crt
nothing_happened "too long a validity" "$r0" "$s0"

run 41 "revoke an unknown serial" "$signet" revoke 0123456789abcdef0123 \
	--reason keyCompromise
contains err "no certificate with serial" "the serial is reported unknown"
run 2 "revoke a malformed serial" "$signet" revoke xyz --reason superseded
run 2 "revoke with a time in the future" "$signet" revoke 01 \
	--reason superseded --time 2099-01-01T00:00:00Z

# ---- the output path -------------------------------------------------------------
run 50 "an output path that cannot be written" "$signet" issue --profile \
	tls-server --csr good.csr --out "$work/no/such/dir/good.crt"
serial=$(sed -n 's/.*certificate \([0-9a-f]*\) was issued and recorded.*/\1/p' err)
contains err "signet show $serial --pem" "the error says how to fetch it"
if [ -n "$serial" ] && "$signet" show "$serial" --pem >fetched.pem &&
	openssl verify -CAfile "$CA_ROOT" -untrusted "$CA_CERT" fetched.pem \
		>/dev/null 2>&1; then
	ok "the certificate was recorded as issued and can be fetched"
else
	bad "the unwritten certificate cannot be fetched"
fi
r0=$(rows)
s0=$(signatures)

# ---- the audit log ------------------------------------------------------------------
sed -i "s|^  log: audit.log\$|  log: /dev/full|" "$CA_CONFIG"
run 51 "an audit log on /dev/full" "$signet" issue --profile tls-server \
	--csr good.csr --out out.crt
contains err "/dev/full" "the log is named"
nothing_happened "audit log on /dev/full" "$r0" "$s0"
cp "$work/signet.yaml.orig" "$CA_CONFIG"

# The fault points (audit.fsync, audit.write, revoke.record) need the test
# hooks compiled in.
if [ "${SIGNET_TEST_HOOKS:-0}" = 1 ]; then
	run 51 "an audit log that cannot be synced" \
		env SIGNET_FAULT=fail:audit.fsync "$signet" issue --profile tls-server --csr good.csr --out out.crt
	contains err "nothing was signed" "the error says nothing was signed"
	if [ "$(signatures)" -eq "$s0" ] && [ ! -e out.crt ] &&
		[ "$(sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status = \
	'failed'")" -ge 1 ]; then
		ok "the token was never asked to sign; the reserved row is failed"
	else
		bad "after the failed intent sync: signatures $(signatures) (was $s0)"
	fi
	rm -f out.crt
	run 51 "an audit log that cannot be written (batch)" \
		env SIGNET_FAULT=fail:audit.write "$signet" issue --profile tls-server --batch . --out-dir bout
	[ "$(signatures)" -eq "$s0" ] && ok "... and no signature" ||
		bad "a batch signed with a broken audit log"
	# A revocation is logged before the database changes: with no log, nothing
	# is revoked; killed between the two, the log has the intent and the
	# certificate is still valid.
	run 0 "issue one to revoke" "$signet" issue --profile tls-server \
		--csr good.csr --out torevoke.crt
	rserial=$(openssl x509 -in torevoke.crt -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f')
	rstatus() {
		sqlite3 "$db" "SELECT status FROM certificates WHERE serial LIKE \
'%$rserial'"
	}
	run 51 "revoke with an audit log that cannot be synced" \
		env SIGNET_FAULT=fail:audit.fsync "$signet" revoke "$rserial" \
		--reason superseded
	contains err "was not revoked" "the error says nothing was revoked"
	[ "$(rstatus)" = issued ] && ok "... and the certificate is still issued" ||
		bad "revoked without an audit record: $(rstatus)"
	set +e
	env SIGNET_FAULT=kill:revoke.record "$signet" revoke "$rserial" \
		--reason superseded >/dev/null 2>&1
	got=$?
	set -e
	[ "$got" -eq 137 ] && ok "killed between the intent and the database" ||
		bad "revoke.record: exit $got, expected 137"
	if [ "$(rstatus)" = issued ] &&
		grep "\"event\":\"cert.revoke.intent\"" "$work/ca/audit.log" |
		grep -q "$rserial"; then
		ok "... the log has the intent, the certificate is still issued"
	else
		bad "after the kill: status $(rstatus), intent $(grep -c \
cert.revoke.intent "$work/ca/audit.log")"
	fi
	# notBefore itself is the earliest revocation time, and the confirmation
	# says which time was recorded.
	nb=$(date -u -d "$(openssl x509 -in torevoke.crt -noout -startdate |
		cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	run 0 "revoking again after the crash" "$signet" revoke "$rserial" \
		--reason superseded --time "$nb"
	contains out "as of $nb;" "... as of notBefore, as given"
	[ "$(rstatus)" = revoked ] && ok "... revoked" || bad "status $(rstatus)"
	rm -f torevoke.crt
else
	echo "ca_errors.sh: built without SIGNET_TEST_HOOKS: the audit log's fault points not tested" >&2
fi

r0=$(rows)
s0=$(signatures)

# ---- the database -------------------------------------------------------------------
chmod 400 "$db"
run 40 "a read-only database" "$signet" issue --profile tls-server \
	--csr good.csr --out out.crt
contains err "read-only" "the reason is given"
chmod 600 "$db"
nothing_happened "read-only database" "$r0" "$s0"
cp "$db" db.saved
rm -f "$db-wal" "$db-shm"
printf 'this is no database, it only looks like one. %0100d\n' 0 >"$db"
run 40 "a damaged database" "$signet" list
contains err "not an SQLite database" "the reason is given"
cp db.saved "$db"
chmod 664 "$db"
run 40 "a database others may write" "$signet" list
contains err "chmod" "the fix is given"
chmod 600 "$db"
# Another process holds the write lock for two seconds: signet waits.
sqlite3 "$db" "BEGIN IMMEDIATE; SELECT count(*) FROM certificates;" \
	".shell sleep 2" "COMMIT;" >/dev/null &
locker=$!
sleep 0.5
run 0 "a database locked for a while is waited for" "$signet" issue \
	--profile tls-server --csr good.csr --out out.crt
wait "$locker"
rm -f out.crt
r0=$(rows)
s0=$(signatures)

# ---- keys ----------------------------------------------------------------------------
"$signet" token keygen --token "pkcs11:token=ca?pin-source=$CA_PIN" \
	--label stranger --type ec-p256 >/dev/null
sed -i 's|object=ca-key|object=stranger|' "$CA_CONFIG"
run 3 "a token key that is not the CA certificate's" "$signet" issue \
	--profile tls-server --csr good.csr --out out.crt
contains err "is not the key of the CA certificate" "the mismatch is named"
nothing_happened "wrong key" "$r0" "$s0"
run 3 "init with the wrong key" "$signet" init --dir "$work/ca2" \
	--ca-cert "$CA_CERT" --key "pkcs11:token=ca;object=stranger" \
	--audit-key "$AUDIT_KEY_URI" --policy "$CA_POLICY" --pin-source "$CA_PIN"
[ ! -e "$work/ca2" ] && ok "the failed init left nothing behind" ||
	bad "the failed init left $(ls "$work/ca2")"

SIGNET_TEST_PIN=$pin pkcs11-tool --module "$softhsm" --token-label ca \
	--login --pin env:SIGNET_TEST_PIN --keypairgen --key-type \
	EC:prime256v1 --label loose --id 7777 --usage-sign --extractable \
	>/dev/null 2>&1 || bad "pkcs11-tool could not make an extractable key"
cp "$work/signet.yaml.orig" "$CA_CONFIG"
sed -i 's|object=ca-key|object=loose|' "$CA_CONFIG"
run 27 "an extractable key" "$signet" issue --profile tls-server \
	--csr good.csr --out out.crt
contains err "extractable" "the reason is given"
nothing_happened "extractable key" "$r0" "$s0"

cp "$work/signet.yaml.orig" "$CA_CONFIG"
ca_id=$("$signet" token list --token "pkcs11:token=ca?pin-source=$CA_PIN" \
	--json | /usr/bin/python3 -c '
import json, sys
print([k["id"] for k in json.load(sys.stdin)["keys"]
       if k["label"] == "ca-key"][0])')
if [ -n "$ca_id" ]; then
	pct=$(printf '%s' "$ca_id" | sed 's/\(..\)/%\1/g')
	sed -i "s|^  key: \"$AUDIT_KEY_URI\"|  key: \"pkcs11:token=ca;id=$pct\"|" \
		"$CA_CONFIG"
	run 3 "the audit key is the CA key" "$signet" issue --profile \
		tls-server --csr good.csr --out out.crt
	contains err "audit.key names the CA key itself" "the reason is given"
	nothing_happened "audit key = CA key" "$r0" "$s0"
else
	bad "could not read the CA key's id"
fi
cp "$work/signet.yaml.orig" "$CA_CONFIG"

# ---- configuration -------------------------------------------------------------------
printf 'bogus: 1\n' >>"$CA_CONFIG"
run 3 "an unknown key in signet.yaml" "$signet" list
contains err "signet.yaml:" "the file is named"
contains err "unknown key 'bogus'" "the key is named"
cp "$work/signet.yaml.orig" "$CA_CONFIG"
chmod 666 "$CA_CONFIG"
run 3 "a configuration others may write" "$signet" list
contains err "chmod" "the fix is given"
chmod 600 "$CA_CONFIG"
# Whoever can edit the policy decides what is signed; whoever can write
# the log can cut it short.
r0=$(rows)
s0=$(signatures)
chmod 664 "$work/ca/policy.yaml"
run 3 "a policy others may write" "$signet" issue --profile tls-server \
	--csr good.csr --out out.crt
contains err "refusing policy" "the policy is named"
contains err "chmod go-w" "the fix is given"
chmod 600 "$work/ca/policy.yaml"
chmod 606 "$work/ca/audit.log"
run 51 "an audit log others may write" "$signet" issue --profile \
	tls-server --csr good.csr --out out.crt
contains err "refusing audit log" "the log is named"
chmod 600 "$work/ca/audit.log"
nothing_happened "policy or log writable by others" "$r0" "$s0"
run 3 "no configuration" env -u SIGNET_CONFIG "$signet" list
contains err "no CA configuration" "the reason is given"
run 3 "a missing --config" "$signet" list --config "$work/nope.yaml"

# ---- after all that --------------------------------------------------------------------
if "$signet" db check --grace 0 --resolve >check.out 2>&1 &&
	"$signet" db check --grace 0 >>check.out 2>&1; then
	ok "the database is consistent"
else
	bad "db check after the errors"
	sed 's/^/  | /' check.out >&2
fi
log_verifies "after the errors" "$work/ca/audit.log"
sqlite3 "$db" .dump >"$outs/db.dump"
if grep -rqF -- "$pin" "$outs" "$work/ca/audit.log"; then
	bad "the PIN appears in an output, the log or the database"
else
	ok "the PIN appears in no output, log or database dump"
fi

# ---- the clock --------------------------------------------------------------------
# An issuance two days ahead (faketime), then the real clock is earlier
# than the latest time the database recorded.
asan="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
run 0 "an issuance with the clock two days ahead" \
	env ASAN_OPTIONS="$asan" faketime -f '+2d' "$signet" issue \
	--profile tls-server --csr good.csr --out ahead.crt
r0=$(rows)
s0=$(signatures)
run 42 "a clock earlier than the last issuance" "$signet" issue \
	--profile tls-server --csr good.csr --out out.crt
contains err "clock went backwards" "the reason is given"
nothing_happened "clock behind" "$r0" "$s0"
run 42 "a CRL with the clock behind" "$signet" crl --out old.crl
[ ! -e old.crl ] && ok "no CRL written" || bad "a CRL was written"
run 31 "db check reports the times in the future" "$signet" db check
contains out "later than now" "the finding says so"

checks_done
