#!/bin/sh
# Several signet processes on one CA instance at once: two, then three
# `signet issue --batch`, then two `signet crl`. No duplicate serials, no
# lock failures, one audit chain, distinct and increasing CRL numbers.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca-conc.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"

fails=0
ok() { printf 'ok: %s\n' "$*"; }
bad() {
	printf 'FAIL: %s\n' "$*" >&2
	fails=$((fails + 1))
}

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
# Small groups: many transactions and audit syncs to interleave.
sed -i 's|^  batch-size: .*|  batch-size: 8|' "$CA_CONFIG"
db=$work/ca/signet.db

per=24
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out shared.key 2>/dev/null
for d in a b c d e; do
	mkdir "csr-$d"
	i=0
	while [ "$i" -lt "$per" ]; do
		i=$((i + 1))
		ca_csr_key shared.key "csr-$d/$d$i" "/CN=$d$i.example.com" \
			"DNS:$d$i.example.com"
	done
done

# run_batches DIR...: one signet per directory, all at once.
run_batches() {
	pids=
	for d in "$@"; do
		"$signet" issue --profile tls-server --batch "csr-$d" \
			--out-dir "out-$d" >"$d.out" 2>"$d.err" &
		pids="$pids $!"
	done
	for p in $pids; do
		set +e
		wait "$p"
		_st=$?
		set -e
		[ "$_st" -eq 0 ] || bad "a concurrent batch failed (exit $_st)"
	done
	for d in "$@"; do
		if [ "$(ls "out-$d" | wc -l)" -ne "$per" ]; then
			bad "batch $d wrote $(ls "out-$d" | wc -l) of $per"
			sed 's/^/  | /' "$d.err" >&2
		fi
		if grep -qi "lock" "$d.err"; then
			bad "batch $d reported a lock problem"
			sed 's/^/  | /' "$d.err" >&2
		fi
	done
}

invariants() {
	total=$(sqlite3 "$db" "SELECT count(*) FROM certificates")
	distinct=$(sqlite3 "$db" "SELECT count(DISTINCT serial) FROM certificates")
	issued=$(sqlite3 "$db" \
		"SELECT count(*) FROM certificates WHERE status = 'issued'")
	if [ "$total" -eq "$1" ] && [ "$distinct" -eq "$1" ] &&
		[ "$issued" -eq "$1" ]; then
		ok "$2: $total certificates, all issued, no duplicate serial"
	else
		bad "$2: $total rows, $distinct serials, $issued issued (want $1)"
	fi
	serials=$(for f in out-*/*.crt; do
		openssl x509 -in "$f" -noout -serial
	done | sort -u | wc -l)
	if [ "$serials" -eq "$1" ]; then
		ok "$2: the files carry $serials distinct serials"
	else
		bad "$2: the files carry $serials distinct serials (want $1)"
	fi
	if "$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
		"$work/ca/audit.log" >verify.out 2>&1; then
		ok "$2: the audit log verifies as one chain"
	else
		bad "$2: the audit log does not verify"
		sed 's/^/  | /' verify.out >&2
	fi
	intents=$(grep -c '"event":"cert.issue.intent"' "$work/ca/audit.log")
	outcomes=$(grep -c '"event":"cert.issue","outcome":"success"' \
		"$work/ca/audit.log" || true)
	if [ "$intents" -eq "$1" ] && [ "$outcomes" -eq "$1" ]; then
		ok "$2: one intent and one outcome per certificate"
	else
		bad "$2: $intents intents, $outcomes outcomes (want $1)"
	fi
	if "$signet" db check --grace 0 >check.out 2>&1; then
		ok "$2: db check is clean"
	else
		bad "$2: db check"
		sed 's/^/  | /' check.out >&2
	fi
}

run_batches a b
invariants $((2 * per)) "two batches at once"
run_batches c d e
invariants $((5 * per)) "three batches at once"

# ---- two CRLs at once ------------------------------------------------------------
"$signet" revoke "$(openssl x509 -in out-a/a1.crt -noout -serial |
	cut -d= -f2)" --reason superseded >/dev/null
"$signet" crl --out one.der >crl1.out 2>crl1.err &
p1=$!
"$signet" crl --out two.der >crl2.out 2>crl2.err &
p2=$!
wait "$p1" || bad "the first concurrent CRL failed"
wait "$p2" || bad "the second concurrent CRL failed"
n1=$(openssl crl -inform DER -in one.der -noout -crlnumber | cut -d= -f2)
n2=$(openssl crl -inform DER -in two.der -noout -crlnumber | cut -d= -f2)
if [ "$((n1))" -ne "$((n2))" ] && [ "$((n1))" -ge 1 ] && [ "$((n2))" -ge 1 ]; then
	ok "two CRLs at once got distinct numbers ($((n1)), $((n2)))"
else
	bad "CRL numbers $n1 and $n2"
fi
"$signet" crl --out three.der >/dev/null
n3=$(openssl crl -inform DER -in three.der -noout -crlnumber | cut -d= -f2)
if [ "$((n3))" -gt "$((n1))" ] && [ "$((n3))" -gt "$((n2))" ]; then
	ok "the next CRL's number is higher still ($((n3)))"
else
	bad "CRL number $n3 after $n1 and $n2"
fi
recorded=$(sqlite3 "$db" "SELECT count(*) FROM crls WHERE der IS NOT NULL")
[ "$recorded" -eq 3 ] && ok "all three CRLs are recorded" ||
	bad "$recorded CRLs recorded"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all checks passed"
