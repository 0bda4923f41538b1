#!/bin/sh
# Clock sanity of the online CA, with the real binary under faketime:
# signet issue, crl and revoke refuse (exit 42, "the clock went
# backwards") when the clock reads earlier than the latest time the
# database recorded: the last issuance, the last CRL's thisUpdate, the
# last revocation. A refusal signs nothing, writes nothing and adds no
# row; once the clock is right again, everything works.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-clock.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if ! command -v faketime >/dev/null 2>&1; then
	echo "faketime is not installed (.ci/install-deps.sh installs it)" >&2
	exit 1
fi
# libfaketime is preloaded ahead of the sanitizer runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
at() {
	_off=$1
	shift
	faketime -f "$_off" "$@"
}

ca_fixture "$work/fx"
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
db=$work/ca/signet.db
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"
signatures() { grep -c '^C_Sign .*CKR_OK' "$P11FAULT_LOG" || true; }
rows() { sqlite3 "$db" "SELECT count(*) FROM certificates"; }
crls() { sqlite3 "$db" "SELECT count(*) FROM crls"; }
ca_csr good "/CN=good.example.com" "DNS:good.example.com"

# refused WHAT OFFSET COMMAND...: exit 42, the reason, nothing done.
refused() {
	_what=$1
	_off=$2
	shift 2
	_r=$(rows)
	_c=$(crls)
	_s=$(signatures)
	rm -f new.crt new.crl
	run 42 "$_what" at "$_off" "$@"
	contains err "clock went backwards" "$_what: the reason is given"
	if [ "$(rows)" -eq "$_r" ] && [ "$(crls)" -eq "$_c" ] &&
		[ "$(signatures)" -eq "$_s" ] && [ ! -e new.crt ] &&
		[ ! -e new.crl ]; then
		ok "$_what: nothing signed, recorded or written"
	else
		bad "$_what: rows $(rows) (was $_r), CRLs $(crls) (was $_c), \
signatures $(signatures) (was $_s)"
	fi
}
# ---- set back after an issuance ---------------------------------------------------
# The fixture's CA certificate starts now, so the clock goes ahead first.
run 0 "an issuance with the clock two days ahead" at +2d "$signet" issue \
	--profile tls-server --csr good.csr --out first.crt
serial=$(openssl x509 -in first.crt -noout -serial | cut -d= -f2)
refused "issue with the clock set a day back" +1d "$signet" issue \
	--profile tls-server --csr good.csr --out new.crt
refused "issue with the clock set ten minutes back" +2870m "$signet" issue \
	--profile tls-server --csr good.csr --out new.crt
refused "crl with the clock set a day back" +1d "$signet" crl --out new.crl
refused "revoke with the clock set a day back" +1d "$signet" revoke \
	"$serial" --reason superseded
if [ "$(sqlite3 "$db" "SELECT status FROM certificates WHERE serial = \
lower('$serial')")" = issued ]; then
	ok "the refused revocation left the certificate issued"
else
	bad "the refused revocation changed the certificate"
fi
grep -q '"event":"cert.revoke","outcome":"denied"' "$work/ca/audit.log" &&
	ok "the refused revocation is in the audit log" ||
	bad "no cert.revoke denied record"

# ---- a CRL from the future --------------------------------------------------------
# A CRL made while the clock ran three days ahead: its thisUpdate is now
# the latest recorded time, and the clock two days ahead is behind it.
run 0 "a CRL with the clock three days ahead" at +3d "$signet" crl \
	--out ahead.crl
this_update=$(openssl crl -inform DER -in ahead.crl -noout -lastupdate |
	cut -d= -f2)
ok "its thisUpdate is $this_update"
refused "issue with the clock behind the CRL's thisUpdate" +2d \
	"$signet" issue --profile tls-server --csr good.csr --out new.crt
contains err "$(date -u -d "$this_update" +%Y-%m-%d)" \
	"the recorded time is named"
refused "crl with the clock behind the last thisUpdate" +2d \
	"$signet" crl --out new.crl
run 31 "db check (real clock) reports times in the future" "$signet" db \
	check
contains out "later than now" "the finding says so"

# ---- a revocation from the future -------------------------------------------------
run 0 "a revocation with the clock four days ahead" at +4d "$signet" \
	revoke "$serial" --reason superseded
refused "crl with the clock three days ahead, behind the revocation" +3d \
	"$signet" crl --out new.crl

# ---- the clock right again ----------------------------------------------------------
run 0 "issue once the clock passed every recorded time" at +5d "$signet" \
	issue --profile tls-server --csr good.csr --out later.crt
run 0 "and a CRL" at +5d "$signet" crl --out later.crl
if openssl crl -inform DER -in later.crl -noout -text 2>/dev/null |
	grep -qi "serial number: *$serial"; then
	ok "the CRL lists the revocation"
else
	bad "the CRL does not list $serial"
fi
log_verifies "after the clock went back and forth" "$work/ca/audit.log" \
	at +5d

checks_done
