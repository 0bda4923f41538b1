#!/bin/sh
# The database edited or rolled back behind signet's back (issue 13): db
# check compares it with what is signed (the audit log, the last CRL, the
# stored DER, the blocked keys) and finds each of
#  - an older audit log restored after an issuance and a keyCompromise
#    revocation (the rows have no intent in it);
#  - a keyCompromise row flipped back to issued, or downgraded to
#    superseded;
#  - an issued row deleted, a revoked row deleted;
#  - subject and SANs changed;
# and the next CRL refuses to drop an entry the previous CRL listed.
# Each edit is made on a copy of the database, which is put back after.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-dbtamper.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
log=$work/ca/audit.log
db=$work/ca/signet.db
pub=$CA_FIXTURE_DIR/audit-key.pub
# padded SERIAL: the database's key (40 hex digits)
padded() { printf '%040s' "$1" | tr ' ' 0; }
# sql STATEMENT: an intruder's edit (sqlite3 leaves foreign keys off)
sql() { sqlite3 "$db" "$1"; }
# edited WHAT SQL TEXT...: make the edit on the database, db check finds
# TEXT, then put the database back.
edited() {
	_what=$1
	_sql=$2
	shift 2
	cp "$db" db.good
	sql "$_sql"
	ca_db_check 31 "$_what" "$@"
	cp db.good "$db"
}

kc=$(ca_issue_named kc)
sup=$(ca_issue_named sup)
live=$(ca_issue_named live)
run 0 "revoke kc (keyCompromise)" "$signet" revoke "$kc" --reason keyCompromise
run 0 "revoke sup (superseded)" "$signet" revoke "$sup" --reason superseded
run 0 "a full CRL lists both" "$signet" crl --out c1.crl
ca_db_check 0 "untouched, the database is consistent" "consistent"

# ---- 3. an older audit log restored ----------------------------------------
cp "$log" log.good
late=$(ca_issue_named late)
run 0 "revoke late (keyCompromise)" "$signet" revoke "$late" \
	--reason keyCompromise
cp "$log" log.full
cp log.good "$log"
run 0 "the older log verifies --strict on its own" \
	"$signet" audit verify --strict --key "$pub" "$log"
ca_db_check 31 "an older audit log" \
	"$late is revoked in the database, but the audit log has no cert.issue.intent" \
	"$late is revoked (keyCompromise) in the database, but the audit log has no cert.revoke.intent"
cp log.full "$log"
ca_db_check 0 "the full log back: consistent" "consistent"

# ---- 5. rows edited by hand -------------------------------------------------
flip="UPDATE certificates SET status = 'issued', revoked_at = NULL,
	revocation_reason = NULL, revocation_seq = NULL
	WHERE serial = '$(padded "$kc")'"
edited "keyCompromise flipped to issued" "$flip" \
	"certificate $kc was revoked for keyCompromise" \
	"$kc is revoked (audit log, last CRL), but the database says issued"
edited "keyCompromise downgraded to superseded" \
	"UPDATE certificates SET revocation_reason = 4
	 WHERE serial = '$(padded "$kc")'" \
	"but its row says revoked for reason superseded" \
	"$kc was revoked for keyCompromise (on the last CRL), but the database says superseded"
edited "an issued row deleted" \
	"DELETE FROM certificates WHERE serial = '$(padded "$live")'" \
	"$live is issued (audit log), but the database has no row for it"
edited "a revoked row deleted" \
	"DELETE FROM certificates WHERE serial = '$(padded "$sup")'" \
	"$sup is revoked (on the last CRL), but the database has no row for it"
edited "the subject changed" \
	"UPDATE certificates SET subject = 'CN=evil.example.com'
	 WHERE serial = '$(padded "$live")'" \
	"the row names subject 'CN=evil.example.com'"
edited "the SANs changed" \
	"UPDATE certificates SET sans = 'DNS:evil.example.com'
	 WHERE serial = '$(padded "$live")'" \
	"SANs 'DNS:evil.example.com'"

# ---- 5. the next CRL keeps what the previous one listed --------------------
cp "$db" db.good
sql "$flip"
run 31 "a CRL that would drop a flipped entry is refused" \
	"$signet" crl --out c2.crl
contains err "certificate $kc is on CRL" "the refusal names the entry"
[ ! -e c2.crl ] && ok "no CRL written" || bad "a CRL was written"
cp db.good "$db"
sql "DELETE FROM certificates WHERE serial = '$(padded "$sup")'"
run 31 "a CRL that would drop a deleted entry is refused" \
	"$signet" crl --out c2.crl
contains err "the database has no row for it" "the refusal says why"
cp db.good "$db"
run 0 "the database back: the next CRL is signed" "$signet" crl --out c2.crl
for s in "$kc" "$sup" "$late"; do
	if openssl crl -inform DER -in c2.crl -noout -text | tr -d ':' |
		grep -qi "serial number 0*$s\$"; then
		ok "$s is on the next CRL"
	else
		bad "$s is missing from the next CRL"
	fi
done
ca_db_check 0 "consistent at the end" "consistent"

checks_done
