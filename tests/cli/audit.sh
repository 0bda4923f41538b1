#!/bin/sh
# signet audit verify|show|repair on a log written by an independent
# implementation of docs/audit.md (tests/cli/audit_judge.py), and tampered
# with by sed: exit statuses, the line named, and the filters of show.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
judge="/usr/bin/python3 $SIGNET_SOURCE_DIR/tests/cli/audit_judge.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-audit-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fails=0
ok() { printf 'ok: %s\n' "$*"; }
bad() {
	printf 'FAIL: %s\n' "$*" >&2
	fails=$((fails + 1))
}
# expect STATUS DESCRIPTION COMMAND...: run, keep stdout in out, stderr in err
expect() {
	want=$1
	what=$2
	shift 2
	set +e
	"$@" >out 2>err
	got=$?
	set -e
	if [ "$got" -eq "$want" ]; then
		ok "$what (exit $got)"
	else
		bad "$what: exit $got, expected $want"
		sed 's/^/  | /' err >&2
	fi
}
# contains FILE TEXT DESCRIPTION
contains() {
	if grep -qF -- "$2" "$1"; then
		ok "$3"
	else
		bad "$3: '$2' not in:"
		sed 's/^/  | /' "$1" >&2
	fi
}

if ! /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
	echo "python3-cryptography is missing: run .ci/install-deps.sh" >&2
	exit 1
fi
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out key.pem 2>/dev/null
openssl pkey -in key.pem -pubout -out pub.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out other.pem 2>/dev/null
openssl pkey -in other.pem -pubout -out other-pub.pem
$judge write key.pem audit.log 30
lines=$(wc -l <audit.log)

# ---- verify --------------------------------------------------------------
expect 0 "an independently written log verifies" \
	"$signet" audit verify --key pub.pem audit.log
contains out "ok: the chain is intact" "verify says the chain is intact"
contains out "$lines record(s) in 1 file(s)" "verify counts every record"

expect 0 "verify --json" "$signet" audit verify --json --key pub.pem audit.log
if /usr/bin/python3 -c '
import json, sys
s = json.load(open("out"))
assert s["ok"] is True and s["error"] is None
assert s["records"] == int(sys.argv[1]) and s["first_seq"] == 1
assert s["uncovered"] == 0 and s["signatures_checked"] is True
' "$lines"; then
	ok "verify --json summary"
else
	bad "verify --json summary"
fi

cp audit.log edited.log
sed -i '4s/"n":2/"n":9/' edited.log
expect 31 "an edited record is refused" \
	"$signet" audit verify --key pub.pem edited.log
contains err "edited.log:4 (seq 4)" "the edited line is named"
contains out "FAILED at edited.log:4" "the summary names it too"

expect 31 "--json names the edited line" \
	"$signet" audit verify --json --key pub.pem edited.log
if /usr/bin/python3 -c '
import json
s = json.load(open("out"))
assert s["ok"] is False and s["error"]["line"] == 4
assert s["error"]["file"] == "edited.log" and s["error"]["seq"] == 4
'; then
	ok "verify --json error"
else
	bad "verify --json error"
fi

sed '10d' audit.log >deleted.log
expect 31 "a deleted record is found" \
	"$signet" audit verify --key pub.pem deleted.log
contains err "deleted.log:10 (seq 11)" "the gap is named"
contains err "record 10 is missing" "the missing record is named"

sed '3{h;d};4G' audit.log >swapped.log
expect 31 "swapped records are found" \
	"$signet" audit verify --key pub.pem swapped.log
contains err "swapped.log:3 (seq 4)" "the swap is named"

expect 31 "checkpoints by another key are refused" \
	"$signet" audit verify --key other-pub.pem audit.log
contains err "not a trusted audit key" "the key is named"
expect 0 "either of two keys may be trusted" \
	"$signet" audit verify --key other-pub.pem --key pub.pem audit.log

sed '$d' audit.log >uncovered.log
expect 0 "records after the last checkpoint: a warning" \
	"$signet" audit verify --key pub.pem uncovered.log
contains err "not yet covered by a checkpoint" "the warning is given"
expect 31 "records after the last checkpoint: --strict refuses" \
	"$signet" audit verify --strict --key pub.pem uncovered.log

# Without a key anyone could have rebuilt the chain: only on request.
expect 2 "without --key verify refuses to run" \
	"$signet" audit verify audit.log
contains err "give the audit public key with --key" "and says what to do"
expect 0 "--no-signatures checks the chain alone" \
	"$signet" audit verify --no-signatures audit.log
contains err "checkpoint signatures were NOT checked" "and says so loudly"
contains out "ok: the chain is intact" "the chain itself is checked"
expect 31 "--no-signatures still finds an edited record" \
	"$signet" audit verify --no-signatures edited.log
expect 0 "--no-signatures --json" \
	"$signet" audit verify --no-signatures --json audit.log
if /usr/bin/python3 -c '
import json
s = json.load(open("out"))
assert s["ok"] is True and s["signatures_checked"] is False
assert any("NOT checked" in w for w in s["warnings"])
'; then
	ok "--json says the signatures were not checked"
else
	bad "--json says the signatures were not checked"
fi
expect 31 "--strict refuses --no-signatures" \
	"$signet" audit verify --strict --no-signatures audit.log
expect 2 "--strict without --key is a usage error" \
	"$signet" audit verify --strict audit.log
expect 2 "--key and --no-signatures contradict" \
	"$signet" audit verify --key pub.pem --no-signatures audit.log

expect 50 "a missing file is an I/O error" \
	"$signet" audit verify --key pub.pem nonexistent.log
contains err "nonexistent.log" "the missing file is named"
expect 2 "no file is a usage error" "$signet" audit verify --key pub.pem
expect 2 "an unknown option is a usage error" \
	"$signet" audit verify --bogus audit.log
expect 2 "a key that is not a public key" \
	"$signet" audit verify --key audit.log audit.log

# The independent judge agrees, and disagrees where signet does.
expect 0 "the judge accepts the log" $judge verify pub.pem audit.log
expect 1 "the judge refuses the edited log" $judge verify pub.pem edited.log

# ---- show ----------------------------------------------------------------
expect 0 "show" "$signet" audit show audit.log
[ "$(wc -l <out)" -eq "$lines" ] && ok "show prints one line per record" ||
	bad "show printed $(wc -l <out) lines for $lines records"
contains out "#4 cert.issue success judge@judge" "show is readable"

expect 0 "show --event cert.issue" \
	"$signet" audit show --event cert.issue audit.log
[ "$(wc -l <out)" -eq 10 ] && ok "--event picks one event" ||
	bad "--event cert.issue gave $(wc -l <out) lines"
! grep -v ' cert.issue ' out >/dev/null && ok "--event shows nothing else" ||
	bad "--event let other events through"

expect 0 "show --event cert" "$signet" audit show --event cert audit.log
[ "$(wc -l <out)" -eq 30 ] && ok "--event cert picks the family" ||
	bad "--event cert gave $(wc -l <out) lines"

expect 0 "show --serial" "$signet" audit show --serial 0B:22 audit.log
[ "$(wc -l <out)" -eq 9 ] && ok "--serial matches, ignoring case and colons" ||
	bad "--serial gave $(wc -l <out) lines"
! grep -v 'serial=0b22' out >/dev/null && ok "--serial shows nothing else" ||
	bad "--serial let other serials through"

expect 0 "show --since the future" \
	"$signet" audit show --since 2999-01-01T00:00:00Z audit.log
[ ! -s out ] && ok "--since filters by time" || bad "--since let records through"
expect 0 "show --since 1h" "$signet" audit show --since 1h audit.log
[ "$(wc -l <out)" -eq "$lines" ] && ok "--since takes a duration" ||
	bad "--since 1h gave $(wc -l <out) lines"

expect 0 "show --json" "$signet" audit show --json audit.log
cmp -s out audit.log && ok "--json prints the records as stored" ||
	bad "--json changed the records"

expect 2 "show --event of no event" \
	"$signet" audit show --event cert.explode audit.log
expect 2 "show --serial that is not hex" \
	"$signet" audit show --serial xyz audit.log

# A hostile record: shown escaped, never raw, and flagged.
printf '{"x":"\033[31m"}\n' >>edited.log
expect 31 "show flags unreadable records" "$signet" audit show edited.log
contains err "edited.log:$((lines + 1)): unreadable record" \
	"show names the unreadable line"
if grep -q "$(printf '\033')" out err; then
	bad "show printed an escape character"
else
	ok "show never prints control characters"
fi

# ---- repair --------------------------------------------------------------
cp audit.log torn.log
torn='{"actor":{"host":"judge","pid":1'
printf '%s' "$torn" >>torn.log
expect 31 "a torn last record is found" \
	"$signet" audit verify --key pub.pem torn.log
contains err "torn.log:$((lines + 1)): the last line has no newline" \
	"the torn line is named"
expect 0 "repair" "$signet" audit repair torn.log
contains out "removed ${#torn} bytes" "repair says what it removed"
expect 0 "a repaired log verifies" "$signet" audit verify --key pub.pem torn.log
contains err "audit.repair" "and the repair is pointed out"
expect 0 "show the repair" "$signet" audit show --event audit.repair torn.log
contains out "removed_bytes=${#torn}" "the repair record says what was cut"
expect 0 "repair of a clean log" "$signet" audit repair audit.log
contains out "nothing to repair" "repair leaves a clean log alone"

expect 2 "audit without a subcommand" "$signet" audit
expect 0 "audit --help" "$signet" audit --help
contains out "signet audit verify" "help describes verify"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all audit CLI checks passed"
