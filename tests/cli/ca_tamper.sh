#!/bin/sh
# Someone who can write the audit log or the database but holds no key
# (issue 13): what signet notices, with the real binary.
#  - a record forged after the last checkpoint: the next writer names it in
#    its signed audit.open, and verify reports it from then on (--strict
#    fails); db check finds the revocation it claims missing;
#  - the log cut back (a revocation's intent, record and checkpoint) or
#    replaced by an older copy: the next writer refuses it (exit 51, no
#    record written, nothing signed) until `signet audit accept`;
#  - an older database restored: the next CRL takes a number above every
#    number the log records (crl.number.advance), never one again;
#  - an older audit log restored after an issuance and a keyCompromise
#    revocation: db check lists both;
#  - rows edited by hand (keyCompromise flipped to issued or downgraded,
#    issued and revoked rows deleted, subject and SANs changed): db check
#    finds each, and the next CRL refuses to drop an entry the previous
#    one listed.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-tamper.XXXXXX")
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
crls() { sqlite3 "$db" "SELECT count(*) FROM crls"; }
crlnum() { echo $(($(openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2))); }
# verifies WHAT [--strict]: exit 0 expected
verifies() {
	_what=$1
	shift
	run 0 "$_what" "$signet" audit verify "$@" --key "$pub" "$log"
}

# forge LOG SERIAL: append a well-formed cert.revoke (seq = last + 1,
# prev = SHA-256 of the last line), as anyone who can write the file can.
forge() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import hashlib, json, sys
path, serial = sys.argv[1], sys.argv[2]
lines = open(path, "rb").read().split(b"\n")[:-1]
last = json.loads(lines[-1])
rec = {"v": 1, "seq": last["seq"] + 1,
       "prev": hashlib.sha256(lines[-1] + b"\n").hexdigest(),
       "time": last["time"], "event": "cert.revoke", "outcome": "success",
       "actor": last["actor"],
       "details": {"serial": serial, "reason": "keyCompromise",
                   "reason_code": 1, "revoked_at": last["time"][:19] + "Z",
                   "requester": "mallory"}}
line = json.dumps(rec, sort_keys=True, separators=(",", ":"),
                  ensure_ascii=True)
open(path, "ab").write(line.encode() + b"\n")
EOF
}

a=$(ca_issue_named a)
run 0 "a first CRL" "$signet" crl --out c1.crl
ca_db_check 0 "a fresh instance is consistent" "consistent"
verifies "a fresh log verifies" --strict

# ---- 1. a record forged after the last checkpoint --------------------------
cp "$log" before-forge.log
forge "$log" "$a"
run 31 "a forged tail: verify --strict reports it uncovered" \
	"$signet" audit verify --strict --key "$pub" "$log"
run 0 "the next CRL is signed (the forged record is marked, not refused)" \
	"$signet" crl --out c2.crl
run 31 "after the next writer: verify --strict still fails" \
	"$signet" audit verify --strict --key "$pub" "$log"
contains err "could not authenticate" "verify says why"
verifies "without --strict the log verifies"
contains err "were after the last checkpoint when a writer opened the log" \
	"... with a warning naming the records"
"$signet" audit show --json --event audit.open "$log" | tail -n 1 >open.json
contains open.json '"unverified":{' "the writer's audit.open names them"
ca_db_check 31 "db check: the forged revocation has no row" \
	"$a is revoked (audit log), but the database says issued"
# Undo the forgery for what follows: the honest log, and its head.
cp before-forge.log "$log"
run 0 "a restored log is accepted by an operator" \
	"$signet" audit accept --reason "forged record removed"

# ---- 1. the log cut back ----------------------------------------------------
b=$(ca_issue_named b)
run 0 "revoke b (keyCompromise)" "$signet" revoke "$b" --reason keyCompromise
cp "$log" full.log
head -n -3 full.log >cut.log
cat cut.log >"$log"
n=$(crls)
run 51 "a cut log: the next writer refuses it" "$signet" crl --out c3.crl
contains err "shorter than it was" "the refusal says what is wrong"
contains err "signet audit accept" "the refusal names the way out"
if cmp -s cut.log "$log" && [ "$(crls)" -eq "$n" ] && [ ! -e c3.crl ]; then
	ok "a refused log: nothing written to it, no CRL"
else
	bad "the refused log changed, or a CRL was made"
fi
run 51 "revoke refuses it too" "$signet" revoke "$a" --reason superseded
# An older copy of the whole log is refused the same way.
cp before-forge.log "$log"
run 51 "an older copy of the log: refused" "$signet" crl --out c3.crl
cp full.log "$log"
run 0 "the full log back: accepted again" "$signet" crl --out c3.crl
# The operator's way: accept the cut log, on the record.
cat cut.log >"$log"
run 2 "accept needs a reason" "$signet" audit accept
run 0 "signet audit accept" "$signet" audit accept --reason "cut on purpose"
contains out "accepted" "accept says it accepted"
run 0 "after accept, the CA works" "$signet" crl --out c4.crl
verifies "the accepted log verifies"
contains err "audit.accept" "... with a warning about the acceptance"
run 31 "verify --strict reports the acceptance" \
	"$signet" audit verify --strict --key "$pub" "$log"
run 0 "accept on a sound log does nothing" \
	"$signet" audit accept --reason "nothing wrong"
contains out "nothing to accept" "accept says so"
cat full.log >"$log" # (b's revocation is back in the log)
run 0 "accept the full log again" "$signet" audit accept --reason "restored"

# ---- 6. an older database restored: CRL numbers never repeat --------------
cp "$db" db.bak
run 0 "CRL after the backup" "$signet" crl --out n1.crl
run 0 "another CRL" "$signet" crl --out n2.crl
cp db.bak "$db"
rm -f "$db-wal" "$db-shm"
run 0 "a CRL on the restored database" "$signet" crl --out n3.crl
if [ "$(crlnum n3.crl)" -gt "$(crlnum n2.crl)" ]; then
	ok "its number $(crlnum n3.crl) is above $(crlnum n2.crl)"
else
	bad "CRL number $(crlnum n3.crl) after $(crlnum n2.crl)"
fi
"$signet" audit show --json --event crl.number.advance "$log" >adv.json
contains adv.json '"database_crl_number"' "the log says the number advanced"

checks_done
