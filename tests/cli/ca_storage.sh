#!/bin/sh
# Storage faults under the online CA: standard output and --out on a full
# device (/dev/full), a full disk under the database, the audit log and
# the outputs (a small tmpfs; skipped with a message without root), a disk
# that fills in the middle of batches, a read-only file system, a deleted
# or replaced audit log (between runs and during a signature), a deleted
# database, a database from a newer schema. Each must end in a clear
# error and a non-zero exit; nothing signed may go unrecorded
# (tests/cli/crash_judge.py), nothing may be half-written, and once the
# fault is gone the log verifies and db check --resolve leaves a clean
# database. Needs -DSIGNET_TEST_HOOKS=ON for nothing, p11fault for the
# signature count.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-storage.XXXXXX")
small=$work/small
cleanup() {
	if mountpoint -q "$small" 2>/dev/null; then
		umount "$small" || umount -l "$small" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"
judge=$SIGNET_SOURCE_DIR/tests/cli/crash_judge.py

ca_fixture "$work/fx"
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
cp "$CA_CONFIG" "$work/signet.yaml.orig"
db=$work/ca/signet.db
log=$work/ca/audit.log
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"
signatures() { grep -c '^C_Sign .*CKR_OK' "$P11FAULT_LOG" || true; }
rows() { sqlite3 "$db" "SELECT count(*) FROM certificates"; }
mkdir issued csrs
ca_csr good "/CN=good.example.com" "DNS:good.example.com"
for b in 1 2 3 4 5 6; do
	ca_csr_key good.key "csrs/b$b" "/CN=b$b.example.com" \
		"DNS:b$b.example.com"
done
"$signet" issue --profile tls-server --csr good.csr --out issued/first.crt \
	>/dev/null
serial=$(sqlite3 "$db" "SELECT serial FROM certificates LIMIT 1")

intents() { grep -c '"event":"cert.issue.intent"' "$log" || true; }
# wait_intent N: until the log holds more than N intents (at most 5 s).
wait_intent() {
	_i=0
	while [ "$(intents)" -le "$1" ] && [ "$_i" -lt 100 ]; do
		_i=$((_i + 1))
		sleep 0.05
	done
}

# unchanged WHAT ROWS SIGS: no new row and no new signature.
unchanged() {
	if [ "$(rows)" -eq "$2" ] && [ "$(signatures)" -eq "$3" ]; then
		ok "$1: no row, no signature"
	else
		bad "$1: rows $(rows) (was $2), signatures $(signatures) \
(was $3)"
	fi
}

# consistent WHAT: the judge, the log and db check after a fault.
consistent() {
	if /usr/bin/python3 "$judge" "$db" "$log" "$P11FAULT_LOG" issued \
		>judge.out 2>&1; then
		ok "$1: every signature announced, every file recorded"
	else
		bad "$1: the judge found problems"
		sed 's/^/  | /' judge.out >&2
	fi
	log_verifies "$1" "$log"
	if ca_db_resolve >resolve.why; then
		ok "$1: db check --resolve leaves a clean database"
	else
		bad "$1: $(cat resolve.why)"
	fi
}

# ---- standard output on a full device -------------------------------------------
# Every command that prints must fail when its output is lost.
run 50 "signet list to /dev/full" sh -c "'$signet' list >/dev/full"
contains err "cannot write standard output: No space left on device" \
	"the lost output is reported"
run 50 "signet show --pem to /dev/full" \
	sh -c "'$signet' show $serial --pem >/dev/full"
run 50 "signet audit verify --json to /dev/full" \
	sh -c "'$signet' audit verify --json --key \
'$CA_FIXTURE_DIR/audit-key.pub' '$log' >/dev/full"
run 50 "signet db check to /dev/full" sh -c "'$signet' db check >/dev/full"
run 50 "signet lint to /dev/full" sh -c "'$signet' lint '$CA_CERT' >/dev/full"
r0=$(rows)
s0=$(signatures)
run 50 "signet issue --out - to /dev/full" \
	sh -c "'$signet' issue --profile tls-server --csr good.csr --out - \
>/dev/full"
contains err "fetch it with: signet show" "the certificate can be fetched"

# ---- --out naming /dev/full -----------------------------------------------------
# Through a link, so that a regression replaces the link, not the device.
ln -s /dev/full full-link
run 50 "issue --out to /dev/full" "$signet" issue --profile tls-server \
	--csr good.csr --out full-link
contains err "No space left on device" "the reason is given"
contains err "was issued and recorded" "the error says it is recorded"
unwritten=$(sed -n 's/.*certificate \([0-9a-f]*\) was issued.*/\1/p' err)
if [ -n "$unwritten" ] && "$signet" show "$unwritten" --pem >fetched.pem &&
	openssl verify -CAfile "$CA_ROOT" -untrusted "$CA_CERT" fetched.pem \
		>/dev/null 2>&1; then
	ok "the certificate written to /dev/full can be fetched and verifies"
else
	bad "the certificate written to /dev/full cannot be fetched"
fi
run 50 "crl --out to /dev/full" "$signet" crl --out full-link
contains err "No space left on device" "the reason is given"
if [ -L full-link ] && [ -c /dev/full ]; then
	ok "the link and /dev/full are still what they were"
else
	bad "--out replaced the link to /dev/full"
fi
run 0 "the next CRL is written" "$signet" crl --out issued/after-full.crl
consistent "output on /dev/full"

# ---- a missing database, a newer schema ---------------------------------------
r0=$(rows)
s0=$(signatures)
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$db" db.saved
sqlite3 "$db" "UPDATE meta SET value = '99' WHERE name = 'schema_version'"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
sum=$(sha256sum "$db" | cut -d' ' -f1)
lines=$(wc -l <"$log")
run 40 "a database from a newer signet (issue)" "$signet" issue \
	--profile tls-server --csr good.csr --out issued/newer.crt
contains err "newer than" "the reason is given"
run 40 "a database from a newer signet (list)" "$signet" list
run 40 "a database from a newer signet (db migrate)" "$signet" db migrate
run 40 "a database from a newer signet (crl)" "$signet" crl \
	--out issued/newer.crl
if [ "$(sha256sum "$db" | cut -d' ' -f1)" = "$sum" ] &&
	[ ! -e issued/newer.crt ] && [ ! -e issued/newer.crl ] &&
	[ "$(signatures)" -eq "$s0" ] && [ "$(wc -l <"$log")" -eq "$lines" ]; then
	ok "the newer database is untouched; nothing signed, logged or written"
else
	bad "a newer database was changed, or something was signed"
fi
rm -f "$db-wal" "$db-shm"
cp db.saved "$db"

mv "$db" db.moved
rm -f "$db-wal" "$db-shm"
run 40 "a deleted database" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/nodb.crt
contains err "no database at" "the reason is given"
[ ! -e "$db" ] && ok "no new database was made in its place" ||
	bad "a new database replaced the deleted one"
mv db.moved "$db"
unchanged "a deleted database" "$r0" "$s0"

# ---- the audit log deleted or replaced ------------------------------------------
cp "$log" log.saved
rm "$log"
run 51 "a deleted audit log" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/nolog.crt
contains err "$log" "the log is named"
[ ! -e "$log" ] && ok "no new log was started in its place" ||
	bad "a new audit log replaced the deleted one"
[ ! -e issued/nolog.crt ] || bad "a certificate was written without a log"
unchanged "a deleted audit log" "$r0" "$s0"
cp log.saved "$log"

# Deleted while a signature is under way (the token takes two seconds):
# the outcome cannot be logged, so the run fails closed. The certificate
# is recorded and its intent logged, so it may still be delivered (the
# judge checks that any file written is in the database).
n0=$(intents)
P11FAULT="C_Sign=hang:2000" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/during.crt >during.out 2>&1 &
pid=$!
wait_intent "$n0"
# While it holds a PIN and a session: no core dump can be made.
if grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" 2>/dev/null; then
	ok "a signet process holding a PIN cannot dump core"
else
	bad "a running signet may dump core: $(grep core "/proc/$pid/limits")"
fi
cp "$log" log.during
rm "$log"
set +e
wait "$pid"
st=$?
set -e
if [ "$st" -eq 51 ]; then
	ok "the log deleted during a signature: exit 51"
else
	bad "the log deleted during a signature: exit $st, expected 51"
fi
contains during.out "deleted" "the deletion is named"
contains during.out "audit" "the audit log is named"
[ ! -e "$log" ] || bad "a new log was started"
# The operator restores the log; db check finds what is missing.
cp log.during "$log"
consistent "the log deleted during a signature"

# Replaced by another file while a signature is under way.
n0=$(intents)
P11FAULT="C_Sign=hang:2000" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/replaced.crt >replaced.out 2>&1 &
pid=$!
wait_intent "$n0"
cp "$log" log.before
cp log.saved other.log
mv other.log "$log"
set +e
wait "$pid"
st=$?
set -e
[ "$st" -eq 51 ] && ok "the log replaced during a signature: exit 51" ||
	bad "the log replaced during a signature: exit $st, expected 51"
contains replaced.out "replaced" "the replacement is named"
cp log.before "$log"
consistent "the log replaced during a signature"

# ---- a full disk (tmpfs), a read-only file system --------------------------------
mkdir "$small"
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$small" 2>mount.err; then
	echo "SKIP: the full-disk and read-only cases need a tmpfs mount \
(root or CAP_SYS_ADMIN): $(cat mount.err)"
	checks_done
	exit 0
fi
fill() {
	dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null || true
}
unfill() { rm -f "$small/filler"; }

# db_to DIR, log_to DIR: move the database or the audit log there.
db_to() {
	sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	mv "$db" "$1/signet.db"
	rm -f "$db-wal" "$db-shm"
	db=$1/signet.db
	sed -i "s|^database: .*|database: \"sqlite:$db\"|" "$CA_CONFIG"
}
log_to() {
	mv "$log" "$1/audit.log"
	log=$1/audit.log
	sed -i "s|^  log: .*|  log: \"$log\"|" "$CA_CONFIG"
}

# The database on the full disk.
db_to "$small"
r0=$(rows)
s0=$(signatures)
fill
run 40 "the database's disk is full" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/dbfull.crt
contains err "the disk is full" "the reason is given"
[ ! -e issued/dbfull.crt ] || bad "a certificate was written"
run 40 "a CRL, the database's disk full" "$signet" crl --out issued/dbfull.crl
[ ! -e issued/dbfull.crl ] || bad "a CRL was written"
unfill
unchanged "the database's disk was full" "$r0" "$s0"
consistent "the database's disk was full"

# The audit log on the full disk.
db_to "$work/ca"
log_to "$small"
r0=$(rows)
s0=$(signatures)
i0=$(grep -c '"event":"cert.issue.intent"' "$log" || true)
fill
run 51 "the audit log's disk is full" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/logfull.crt
contains err "audit" "the audit log is named"
# The intent record may still fit in the free end of the log's last page
# (tmpfs allocates whole pages; the filler takes every free page): then it
# is synced, the token signs, and only the outcome record fails. Either way
# nothing is signed that the log did not announce first (consistent, below).
if [ "$(signatures)" -eq "$s0" ]; then
	ok "nothing signed with the log full"
	[ ! -e issued/logfull.crt ] || bad "a certificate was written"
elif [ "$(grep -c '"event":"cert.issue.intent"' "$log")" -eq $((i0 + 1)) ] &&
	[ "$(signatures)" -eq $((s0 + 1)) ]; then
	ok "the intent fitted in the log's last page: one signature, announced"
else
	bad "the token signed $(($(signatures) - s0)) time(s) with the log full"
fi
unfill
consistent "the audit log's disk was full"

# The outputs on the full disk: recorded, not written, fetchable.
log_to "$work/ca"
mkdir "$small/out"
fill
run 50 "the output's disk is full" "$signet" issue --profile tls-server \
	--csr good.csr --out "$small/out/one.crt"
contains err "fetch it with: signet show" "the error says how to fetch it"
run 50 "a batch whose output disk is full" "$signet" issue --profile \
	tls-server --batch csrs --out-dir "$small/out/batch"
run 50 "a CRL whose output disk is full" "$signet" crl \
	--out "$small/out/full.crl"
left=$(find "$small/out" -name '*tmp*')
if [ -n "$left" ]; then
	bad "temporary files were left on the full disk: $left"
else
	ok "no temporary file left on the full disk"
fi
unfill
consistent "the output's disk was full"

# A disk that fills up in the middle of the work: the database and the log
# share it; batches until something gives.
db_to "$small"
log_to "$small"
dd if=/dev/zero of="$small/filler" bs=1k \
	count=$(($(df -k "$small" | awk 'NR == 2 { print $4 }') - 200)) \
	2>/dev/null || true
i=0
st=0
while [ "$i" -lt 40 ]; do
	i=$((i + 1))
	set +e
	"$signet" issue --profile tls-server --batch csrs \
		--out-dir "issued/fill$i" >fill.out 2>&1
	st=$?
	set -e
	[ "$st" -eq 0 ] || break
done
case $st in
40 | 50 | 51)
	ok "the disk filled after $i batch(es): exit $st"
	sed 's/^/  | /' fill.out | head -n 3
	;;
0) bad "the disk never filled in $i batches" ;;
*)
	bad "the disk filled after $i batch(es): exit $st, expected a store, \
I/O or audit error"
	sed 's/^/  | /' fill.out >&2
	;;
esac
unfill
consistent "a disk that filled in the middle of a batch"

# A read-only file system under the database and the log.
r0=$(rows)
s0=$(signatures)
mount -o remount,ro "$small"
run 40 "a read-only file system" "$signet" issue --profile tls-server \
	--csr good.csr --out issued/ro.crt
[ ! -e issued/ro.crt ] || bad "a certificate was written"
mount -o remount,rw "$small"
unchanged "a read-only file system" "$r0" "$s0"
consistent "the file system was read-only"

checks_done
