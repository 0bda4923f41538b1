# Helpers for the shell tests: source it, then
#   ok WHAT / bad WHAT          report a check (bad counts a failure)
#   run STATUS WHAT COMMAND...  run COMMAND (stdout to ./out, stderr to
#                               ./err; copies to $outs/N.* when $outs is
#                               set) and check its exit status
#   contains FILE TEXT WHAT     FILE holds TEXT
#   checks_done                 exit 1 if any check failed
fails=0
runs=0
ok() { printf 'ok: %s\n' "$*"; }
bad() {
	printf 'FAIL: %s\n' "$*" >&2
	fails=$((fails + 1))
}
run() {
	_want=$1
	_what=$2
	shift 2
	set +e
	"$@" >out 2>err
	_got=$?
	set -e
	runs=$((runs + 1))
	if [ -n "${outs:-}" ]; then
		cp out "$outs/$runs.out"
		cp err "$outs/$runs.err"
	fi
	if [ "$_got" -eq "$_want" ]; then
		ok "$_what (exit $_got)"
	else
		bad "$_what: exit $_got, expected $_want"
		sed 's/^/  | /' err >&2
	fi
}
contains() {
	if grep -qF -- "$2" "$1"; then
		ok "$3"
	else
		bad "$3: '$2' not in $1:"
		sed 's/^/  | /' "$1" >&2
	fi
}
checks_done() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails check(s) failed" >&2
		exit 1
	fi
	echo "all checks passed"
}

# log_verifies WHAT LOG [WRAPPER...]: signet audit verify LOG with the CA
# fixture's audit key ($CA_FIXTURE_DIR, tests/cli/ca_fixture.sh), run
# under WRAPPER if given (faketime ...); ok or bad with the verifier's
# output.
log_verifies() {
	_what=$1
	_log=$2
	shift 2
	if "$@" "$SIGNET_BIN" audit verify --key \
		"$CA_FIXTURE_DIR/audit-key.pub" "$_log" >verify.out 2>&1; then
		ok "$_what: the audit log verifies"
	else
		bad "$_what: the audit log does not verify"
		sed 's/^/  | /' verify.out >&2
	fi
}
