#!/bin/sh
# Crash safety of the online CA: SIGKILL (SIGNET_FAULT=kill:STEP) at every
# step of single issuance, of batch issuance (pipelined groups) and of CRL
# generation. After each kill:
#   - every signature the token made (C_Sign calls counted by p11fault's
#     call log; the CA key goes through p11fault, the audit key does not)
#     belongs to a database row whose intent the audit log holds;
#   - no certificate file exists for a certificate the database does not
#     record as issued;
#   - the audit log still verifies as one chain;
#   - signet db check reports what is left, and --resolve leaves it clean.
# Needs a build with -DSIGNET_TEST_HOOKS=ON (tests/run.sh makes one).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
if [ "${SIGNET_TEST_HOOKS:-0}" != 1 ]; then
	echo "ca_crash.sh: SKIPPED: the fault points are not compiled in (configure with -DSIGNET_TEST_HOOKS=ON)" >&2
	exit 77
fi
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca-crash.XXXXXX")
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
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
# Small groups put three signatures in the pipeline at once.
sed -i -e 's|^  batch-size: .*|  batch-size: 2|' \
	-e 's|^  workers: .*|  workers: 2|' "$CA_CONFIG"
db=$work/ca/signet.db
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"

signatures() { grep -c '^C_Sign .*CKR_OK' "$P11FAULT_LOG" || true; }
rows() {
	sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status IN ($1)"
}
intents() {
	grep -c '"event":"cert.issue.intent"' "$work/ca/audit.log" || true
}
crl_intents() {
	grep -c '"event":"crl.generate.intent"' "$work/ca/audit.log" || true
}

# Every file in DIR is a certificate the database records as issued.
files_recorded() {
	for f in "$1"/*.crt; do
		[ -e "$f" ] || continue
		s=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2)
		st=$(sqlite3 "$db" "SELECT status FROM certificates WHERE \
serial = substr('0000000000000000000000000000000000000000' || \
lower('$s'), -40)")
		if [ "$st" != issued ] && [ "$st" != revoked ]; then
			bad "$2: $f holds certificate $s, which the database \
records as '${st:-nothing}'"
		fi
	done
}

# After a kill: the invariant, the log, then resolve to a clean state.
check() {
	what=$1
	# A signature is accounted for by a row announced in the log: issued
	# (recorded), or still pending/failed with its intent logged.
	sig=$(signatures)
	announced=$(intents)
	if [ "$sig" -gt "$announced" ]; then
		bad "$what: the token made $sig signatures, the log announced \
only $announced"
	fi
	recorded=$(rows "'issued','revoked'")
	if [ "$recorded" -gt "$sig" ]; then
		bad "$what: $recorded recorded certificates but $sig signatures"
	fi
	files_recorded out "$what"
	if ! "$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
		"$work/ca/audit.log" >verify.out 2>&1; then
		bad "$what: the audit log does not verify"
		sed 's/^/  | /' verify.out >&2
	fi
	if ! ca_db_resolve >resolve.why; then
		bad "$what: $(cat resolve.why)"
	fi
	if [ "$(rows "'pending'")" -ne 0 ]; then
		bad "$what: pending rows remain after --resolve"
	fi
}

# kill STEP COMMAND...: run it with the fault, expect SIGKILL.
killed_at() {
	_spec=$1
	shift
	set +e
	SIGNET_FAULT="kill:$_spec" "$@" >kill.out 2>kill.err
	st=$?
	set -e
	if [ "$st" -ne 137 ]; then
		bad "$_spec: expected SIGKILL (137), got exit $st; is this a \
-DSIGNET_TEST_HOOKS=ON build?"
		sed 's/^/  | /' kill.err >&2
		return 1
	fi
	return 0
}

mkdir out csrs
ca_csr one "/CN=one.example.com" "DNS:one.example.com"
i=0
while [ "$i" -lt 6 ]; do
	i=$((i + 1))
	ca_csr "csrs/b$i" "/CN=b$i.example.com" "DNS:b$i.example.com"
	rm "csrs/b$i.key"
done

# ---- single issuance: the state each step leaves ------------------------------
# step, signatures it has made, rows pending before resolve, file written
for spec in issue.policy:0:0:no issue.serial:0:0:no issue.lint:0:0:no \
	issue.reserve:0:1:no issue.intent:0:1:no issue.sign:1:1:no \
	issue.record:1:0:no issue.outcome:1:0:no issue.write:1:0:yes; do
	step=${spec%%:*}
	rest=${spec#*:}
	want_sig=${rest%%:*}
	rest=${rest#*:}
	want_pending=${rest%%:*}
	want_file=${rest#*:}
	before=$(signatures)
	killed_at "$step" "$signet" issue --profile tls-server --csr one.csr \
		--out "out/one-$step.crt" || continue
	made=$(($(signatures) - before))
	pending=$(rows "'pending'")
	if [ "$made" -eq "$want_sig" ] && [ "$pending" -eq "$want_pending" ]; then
		ok "single, killed after $step: $made signature(s), $pending \
pending row(s)"
	else
		bad "single, killed after $step: $made signature(s) (want \
$want_sig), $pending pending (want $want_pending)"
	fi
	if [ -e "out/one-$step.crt" ] && [ "$want_file" = no ]; then
		bad "single, killed after $step: a certificate file exists"
	elif [ ! -e "out/one-$step.crt" ] && [ "$want_file" = yes ]; then
		bad "single, killed after $step: no certificate file"
	fi
	check "single, killed after $step"
	if [ "$step" = issue.intent ] || [ "$step" = issue.sign ]; then
		grep -q '"audit": "intent-only"' check.json &&
			ok "db check saw the intent without outcome" ||
			bad "db check did not report intent-only for $step"
	fi
	if [ "$step" = issue.reserve ]; then
		grep -q '"audit": "no-intent"' check.json &&
			ok "db check saw a reservation without intent" ||
			bad "db check did not report no-intent for $step"
	fi
done

# ---- batch issuance, groups of two, pipelined -----------------------------------
# Kill at the first and the second time each step is reached (the second
# happens while another group is in flight).
for step in issue.policy issue.serial issue.lint issue.reserve issue.intent \
	issue.sign issue.record issue.outcome issue.write; do
	for at in 1 3; do
		rm -rf bout
		before_sig=$(signatures)
		killed_at "$step@$at" "$signet" issue --profile tls-server \
			--batch csrs --out-dir bout || continue
		files_recorded bout "batch, killed at $step@$at"
		check "batch, killed at $step@$at"
		ok "batch, killed at $step@$at: \
$(($(signatures) - before_sig)) signature(s), invariant holds"
	done
done

# A batch that runs through afterwards is whole.
rm -rf bout
if "$signet" issue --profile tls-server --batch csrs --out-dir bout \
	>batch.out 2>&1 && [ "$(ls bout | wc -l)" -eq 6 ]; then
	ok "a batch after the crashes issues everything"
else
	bad "the batch after the crashes failed"
	sed 's/^/  | /' batch.out >&2
fi

# ---- a pending row of a process still running ----------------------------------
# The token stalls for four seconds; db check --resolve meanwhile must leave
# the row alone (its intent's writer is alive), and the issuance completes.
announced_total=$(intents)
P11FAULT="C_Sign=hang:4000" "$signet" issue --profile tls-server \
	--csr one.csr --out out/alive.crt >alive.out 2>&1 &
alive=$!
i=0
while [ "$(intents)" -eq "$announced_total" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$signet" db check --grace 0 --resolve >running.out 2>&1 || true
if grep -q "still running" running.out &&
	[ "$(rows "'pending'")" -eq 1 ]; then
	ok "db check --resolve leaves a running issuance alone"
else
	bad "db check --resolve touched a running issuance"
	sed 's/^/  | /' running.out >&2
fi
if wait "$alive" && [ -e out/alive.crt ]; then
	ok "the stalled issuance completed"
else
	bad "the stalled issuance failed"
	sed 's/^/  | /' alive.out >&2
fi

# ---- CRL generation ---------------------------------------------------------------
serial=$(openssl x509 -in bout/b1.crt -noout -serial | cut -d= -f2)
"$signet" revoke "$serial" --reason superseded >/dev/null
for spec in crl.allocate:0 crl.lint:0 crl.intent:0 crl.sign:1 \
	crl.record:1 crl.outcome:1 crl.write:1; do
	step=${spec%%:*}
	want_sig=${spec#*:}
	before=$(signatures)
	announced_before=$(crl_intents)
	killed_at "$step" "$signet" crl --out "crl-$step.der" || continue
	made=$(($(signatures) - before))
	announced=$(($(crl_intents) - announced_before))
	if [ "$made" -eq "$want_sig" ] && [ "$made" -le "$announced" ]; then
		ok "CRL, killed after $step: $made signature(s), announced"
	else
		bad "CRL, killed after $step: $made signature(s) (want \
$want_sig), $announced intent(s)"
	fi
	if [ -e "crl-$step.der" ] && [ "$step" != crl.write ]; then
		bad "CRL, killed after $step: a CRL file exists"
	fi
	check "CRL, killed after $step"
done
allocated=$(sqlite3 "$db" "SELECT max(crl_number) FROM crls")
"$signet" crl --out final.der >crl.out
number=$(openssl crl -inform DER -in final.der -noout -crlnumber |
	cut -d= -f2)
if [ "$((number))" -gt "$allocated" ]; then
	ok "the next CRL's number ($((number))) passes every allocated one"
else
	bad "CRL number $((number)) is not above $allocated"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all checks passed"
