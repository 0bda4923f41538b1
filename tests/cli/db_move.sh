#!/bin/sh
# signet db migrate, export, import and copy, and an online CA whose
# database is PostgreSQL: a CA on SQLite issues and revokes; its database
# is exported, imported into an empty one and copied to PostgreSQL; every
# copy reports the source's content hash; an instance configured with the
# PostgreSQL database (password from database-password-source, not the
# URL) lists, issues, revokes and signs CRLs. Refusals: a destination that
# is not empty, an existing export file, an altered export, a password
# source signet cannot use. Runs under tests/pg/pg-server.sh run, which
# sets SIGNET_TEST_STORE_URL and SIGNET_PG_PASSWORD_SOURCE.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_TEST_STORE_URL:?run under tests/pg/pg-server.sh run}"
signet=$SIGNET_BIN
pg_url=$SIGNET_TEST_STORE_URL
pg_pw=$SIGNET_PG_PASSWORD_SOURCE
# Only what the configuration says may give signet the password.
unset SIGNET_PG_PASSWORD_SOURCE
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-db.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"

. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"
hash_of() { sed -n 's/.*content sha256 \([0-9a-f]*\)$/\1/p' "$1"; }

ca_fixture pki
ca_instance sq
export SIGNET_CONFIG="$CA_CONFIG"

for n in 1 2 3; do
	ca_csr "s$n" "/CN=s$n.example.com" "DNS:s$n.example.com"
	run 0 "issue s$n on SQLite" "$signet" issue --profile tls-server \
		--csr "s$n.csr"
done
serial=$(openssl x509 -in s2.crt -noout -serial | sed 's/serial=//' |
	tr 'A-F' 'a-f')
run 0 "revoke s2" "$signet" revoke "$serial" --reason superseded
run 0 "a full CRL" "$signet" crl --out crl1.der
run 0 "migrate: nothing to do" "$signet" db migrate
contains out "nothing to do" "migrate says the schema is current"

# ---- export and import ------------------------------------------------------
run 0 "export" "$signet" db export dump.jsonl
src_hash=$(hash_of out)
[ -n "$src_hash" ] && ok "export prints the content hash" ||
	bad "no content hash in: $(cat out)"
contains out "3 certificate(s), 1 CRL(s)" "export counts the rows"
if [ "$(stat -c %a dump.jsonl)" = 600 ]; then
	ok "the export file is mode 0600"
else
	bad "export file mode $(stat -c %a dump.jsonl)"
fi
cp dump.jsonl dump.orig
run 42 "export refuses an existing file" "$signet" db export dump.jsonl
cmp -s dump.jsonl dump.orig && ok "the existing file is untouched" ||
	bad "export changed an existing file"
run 42 "import refuses a database that is not empty" "$signet" db import \
	dump.jsonl

# A second configuration of the same CA on an empty database.
sed "s|^database: .*|database: imported.db|" sq/signet.yaml >sq/import.yaml
chmod 600 sq/import.yaml
sed 's/"revocation_reason": *4/"revocation_reason": 1/' dump.jsonl \
	>altered.jsonl
if cmp -s dump.jsonl altered.jsonl; then
	bad "the altered export is not altered (format changed?)"
else
	run 31 "import refuses an altered export" "$signet" db import \
		altered.jsonl --config sq/import.yaml
	contains err "hash" "the refusal names the hash"
fi
run 0 "import into an empty database" "$signet" db import dump.jsonl \
	--config sq/import.yaml
[ "$(hash_of out)" = "$src_hash" ] && ok "imported: same content hash" ||
	bad "imported hash $(hash_of out), source $src_hash"
run 0 "list from the imported database" "$signet" list \
	--config sq/import.yaml
[ "$(grep -c example.com out)" -eq 3 ] && ok "three certificates listed" ||
	bad "list: $(cat out)"

# ---- copy to PostgreSQL -------------------------------------------------------
run 2 "copy needs --to" "$signet" db copy
run 0 "copy to PostgreSQL" "$signet" db copy --to "$pg_url" \
	--to-password-source "$pg_pw"
[ "$(hash_of out)" = "$src_hash" ] && ok "copied: same content hash" ||
	bad "copied hash $(hash_of out), source $src_hash"
run 42 "copy refuses a database that is not empty" "$signet" db copy \
	--to "$pg_url" --to-password-source "$pg_pw"
# SIGNET_TEST_LIBPQ is read only with the test hooks compiled in.
if [ "${SIGNET_TEST_HOOKS:-0}" = 1 ]; then
	run 40 "copy without libpq" env SIGNET_TEST_LIBPQ=libpq-missing.so.5 \
		"$signet" db copy --to "$pg_url" --to-password-source "$pg_pw"
	contains err "install the libpq5 package" "the error names the package"
else
	echo "db_move.sh: built without SIGNET_TEST_HOOKS: a missing libpq not tested" >&2
fi
run 40 "copy without a password" "$signet" db copy --to "$pg_url"
if grep -q "$(sed -n 1p "${pg_pw#file:}")" out err; then
	bad "the password appears in the output"
else
	ok "no password in the output"
fi

# ---- the CA on PostgreSQL -------------------------------------------------------
{
	grep -v '^database:' sq/signet.yaml
	printf 'database: "%s"\ndatabase-password-source: "%s"\n' "$pg_url" "$pg_pw"
} >sq/pg.yaml
chmod 600 sq/pg.yaml
export SIGNET_CONFIG="$work/sq/pg.yaml"
run 0 "db check on PostgreSQL" "$signet" db check
run 0 "list on PostgreSQL" "$signet" list --status revoked
contains out "$serial" "the revoked certificate is there"
ca_csr s4 "/CN=s4.example.com" "DNS:s4.example.com"
run 0 "issue on PostgreSQL" "$signet" issue --profile tls-server --csr s4.csr
run 0 "a full CRL on PostgreSQL" "$signet" crl --out crl2.der
n1=$(openssl crl -inform DER -in crl1.der -noout -crlnumber | cut -d= -f2)
n2=$(openssl crl -inform DER -in crl2.der -noout -crlnumber | cut -d= -f2)
[ $((n2)) -eq $((n1 + 1)) ] &&
	ok "the CRL number continues from SQLite's ($n1 -> $n2)" ||
	bad "CRL numbers $n1 then $n2"
openssl crl -inform DER -in crl2.der -noout -text >crl2.txt
contains crl2.txt "$(echo "$serial" | tr 'a-f' 'A-F')" \
	"the copied revocation is in the new CRL"
run 0 "migrate on PostgreSQL: nothing to do" "$signet" db migrate
sed 's|^database-password-source: .*|database-password-source: prompt|' \
	sq/pg.yaml >sq/bad.yaml
chmod 600 sq/bad.yaml
run 3 "database-password-source: prompt is refused" "$signet" list \
	--config sq/bad.yaml
contains err "file:PATH or env:NAME" "the refusal says what works"

checks_done
