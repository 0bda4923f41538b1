#!/bin/sh
# The online CA killed (SIGKILL) over and over: each iteration picks an
# operation (single issuance, batch issuance in pipelined groups, CRL
# generation) and a step to kill it at, round-robin over every fault
# point of the operation and of the audit log append under it
# (issue.*, crl.*, audit.write, audit.fsync, file.before_rename,
# file.batch.before_rename), at a pseudo-random occurrence (@N). Nothing
# is repaired between the kills: each run starts from what the last one
# left. Every run must either be killed or succeed.
#
# Every SIGNET_CRASH_CHECK iterations and at the end, tests/cli/
# crash_judge.py checks that every signature the token made was announced
# in the audit log first and that every certificate and CRL file written
# is in the database byte for byte; the log must verify with the audit
# key. At the end, signet db check --resolve must leave a clean database.
#
#   SIGNET_CRASH_ITERATIONS   iterations (default 200)
#   SIGNET_CRASH_SEED         seed of the choices (default: from the clock,
#                             printed, so that a failure can be replayed)
#   SIGNET_CRASH_CHECK        judge every N iterations (default 50)
# Needs -DSIGNET_TEST_HOOKS=ON (tests/run.sh builds with it).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
if [ "${SIGNET_TEST_HOOKS:-0}" != 1 ]; then
	echo "ca_crash_loop.sh: SKIPPED: the fault points are not compiled in (configure with -DSIGNET_TEST_HOOKS=ON)" >&2
	exit 77
fi
signet=$SIGNET_BIN
iterations=${SIGNET_CRASH_ITERATIONS:-200}
seed=${SIGNET_CRASH_SEED:-$(date +%s)}
check_every=${SIGNET_CRASH_CHECK:-50}
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-crash-loop.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
judge=$SIGNET_SOURCE_DIR/tests/cli/crash_judge.py
echo "crash loop: $iterations iterations, seed $seed \
(SIGNET_CRASH_SEED=$seed replays them)"

fails=0
bad() {
	printf 'FAIL: %s\n' "$*" >&2
	fails=$((fails + 1))
}

ca_fixture "$work/fx"
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
# Groups of two keep several signatures in the pipeline at once.
sed -i -e 's|^  batch-size: .*|  batch-size: 2|' \
	-e 's|^  workers: .*|  workers: 2|' "$CA_CONFIG"
db=$work/ca/signet.db
log=$work/ca/audit.log
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"

mkdir out csrs
ca_csr one "/CN=one.example.com" "DNS:one.example.com"
for b in 1 2 3 4; do
	ca_csr_key one.key "csrs/b$b" "/CN=b$b.example.com" "DNS:b$b.example.com"
done
"$signet" issue --profile tls-server --csr one.csr --out out/first.crt \
	>/dev/null

# A small linear congruential generator: the same seed, the same run.
rand=$seed
next_rand() {
	rand=$(((rand * 1103515245 + 12345) % 2147483648))
}
# pick N: a number from 1 to N into $pick.
pick_of() {
	next_rand
	pick=$((rand / 65536 % $1 + 1))
}

# The steps of each operation. The audit and file points are reached
# several times per run; @N picks one of them.
single="issue.policy issue.serial issue.lint issue.reserve issue.intent \
issue.sign issue.record issue.outcome issue.write audit.write:14 \
audit.fsync:4 file.before_rename"
batch="issue.policy:4 issue.serial:2 issue.lint:4 issue.reserve:2 \
issue.intent:2 issue.sign:4 issue.record:2 issue.outcome:2 issue.write:2 \
audit.write:20 audit.fsync:6 file.batch.before_rename:4"
crl="crl.allocate crl.lint crl.intent crl.sign crl.record crl.outcome \
crl.write audit.write:12 audit.fsync:4 file.before_rename"

# nth LIST K: the Kth word (from 0, wrapping around) of LIST into $word.
nth() {
	word=$(echo "$1" | awk -v k="$2" '{ print $(k % NF + 1) }')
}

judge_now() {
	if ! /usr/bin/python3 "$judge" "$db" "$log" "$P11FAULT_LOG" out \
		>judge.out 2>&1; then
		bad "after iteration $1: the judge found problems:"
		sed 's/^/  | /' judge.out >&2
	else
		echo "after iteration $1: $(cat judge.out)"
	fi
	if ! "$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
		"$log" >verify.out 2>&1; then
		bad "after iteration $1: the audit log does not verify"
		sed 's/^/  | /' verify.out >&2
	fi
}

kills=0
through=0
i=0
while [ "$i" -lt "$iterations" ]; do
	i=$((i + 1))
	# Operations in turn; the step round-robin within each.
	case $((i % 3)) in
	0)
		op=single
		nth "$single" $((i / 3))
		;;
	1)
		op=batch
		nth "$batch" $((i / 3))
		;;
	*)
		op=crl
		nth "$crl" $((i / 3))
		;;
	esac
	step=${word%%:*}
	at=1
	if [ "$step" != "$word" ]; then
		pick_of "${word#*:}"
		at=$pick
	fi
	spec="$step@$at"
	set +e
	case $op in
	single)
		SIGNET_FAULT="kill:$spec" "$signet" issue --profile tls-server \
			--csr one.csr --out "out/s$i.crt" >run.out 2>&1
		;;
	batch)
		SIGNET_FAULT="kill:$spec" "$signet" issue --profile tls-server \
			--batch csrs --out-dir "out/b$i" >run.out 2>&1
		;;
	*)
		SIGNET_FAULT="kill:$spec" "$signet" crl --out "out/c$i.crl" \
			>run.out 2>&1
		;;
	esac
	st=$?
	set -e
	case $st in
	137) kills=$((kills + 1)) ;;
	0) through=$((through + 1)) ;;
	*)
		bad "iteration $i ($op killed at $spec): exit $st, expected \
SIGKILL or success"
		sed 's/^/  | /' run.out >&2
		;;
	esac
	# Now and then a revocation, so that CRLs have entries.
	if [ $((i % 20)) -eq 0 ]; then
		serial=$(sqlite3 "$db" "SELECT serial FROM certificates WHERE \
status = 'issued' ORDER BY id LIMIT 1")
		"$signet" revoke "$serial" --reason superseded >run.out 2>&1 ||
			{
				bad "revoking $serial after iteration $i failed"
				sed 's/^/  | /' run.out >&2
			}
	fi
	if [ $((i % check_every)) -eq 0 ] && [ "$i" -lt "$iterations" ]; then
		judge_now "$i"
	fi
	[ "$fails" -lt 5 ] || break
done
echo "$i iterations: $kills killed, $through ran through (the step was \
not reached that often)"
if [ "$kills" -lt $((i / 2)) ]; then
	bad "only $kills of $i runs were killed: are the fault points \
compiled in (-DSIGNET_TEST_HOOKS=ON)?"
fi

judge_now "$i"
if ca_db_resolve >resolve.why; then
	echo "db check --resolve: $(grep -c . resolve.out) line(s) of \
findings resolved; then clean"
else
	bad "$(cat resolve.why)"
fi
if [ "$(sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status = \
'pending'")" -ne 0 ]; then
	bad "pending rows remain after --resolve"
fi
# And the CA still works: a batch, a CRL, both judged.
if "$signet" issue --profile tls-server --batch csrs --out-dir out/final \
	>final.out 2>&1 && "$signet" crl --out out/final.crl >>final.out 2>&1 &&
	[ "$(ls out/final | wc -l)" -eq 4 ]; then
	echo "after the crashes, a batch and a CRL go through"
else
	bad "the CA does not work after the crashes"
	sed 's/^/  | /' final.out >&2
fi
judge_now "the final batch"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed (seed $seed)" >&2
	exit 1
fi
echo "all checks passed"
