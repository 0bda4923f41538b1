#!/bin/sh
# OCSP pre-signing with one bad signature in a turn: signet serve signs a
# turn's responses together on the worker threads; one of them is changed
# after its lint (fault point x509.tbs_tamper), is refused by the check
# after signing, and is signed again at the next check. The
# others are served at once, the refused one later, all good to openssl
# ocsp; the service stays up. Every process started here is stopped by
# its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ocsp-fault.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ocsp_fault.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
base=http://127.0.0.1:$port
serve_config "$port"
{
	echo "  ocsp:"
	echo "    lifetime: 4d"
} >>"$CA_CONFIG"

names="c1 c2 c3 c4 c5 c6"
for n in $names; do
	ca_issue_named "$n" >/dev/null
done

# The signer signs the CRL, then the responder certificate, then the six
# responses in one turn: the fifth signature is the third response.
SIGNET_FAULT=fail:x509.tbs_tamper@5 "$signet" serve >>serve.out \
	2>>serve.err &
signer=$!
serve_up "$base" && ok "signet serve is up" || {
	bad "the service did not come up"
	exit 1
}

is_good() {
	openssl ocsp -issuer "$CA_CERT" -cert "$1" -url "$base/ocsp" \
		-CAfile "$CA_ROOT" -verify_other "$CA_CERT" -no_nonce \
		>"$1.ocsp" 2>&1 &&
		grep -q "^$1: good" "$1.ocsp" &&
		grep -q "Response verify OK" "$1.ocsp"
}
# all_good: every certificate answered good with a verified response.
all_good() {
	for _n in $names; do
		is_good "$_n.crt" || return 1
	done
}
_i=0
until all_good; do
	_i=$((_i + 1))
	if [ $_i -gt 300 ]; then
		bad "not every certificate answered good within 60 s"
		grep -v "^signet-frontend" serve.err | tail -20 | sed "s/^/  | /" >&2
		exit 1
	fi
	sleep 0.2
done
ok "all six certificates answer good, each response verified by openssl ocsp"

refused=$(grep -c "OCSP: cannot sign the response for" serve.err || true)
[ "$refused" -eq 1 ] &&
	ok "exactly one response was refused" ||
	bad "$refused responses refused: $(grep 'OCSP:' serve.err)"
grep "OCSP: cannot sign the response for" serve.err |
	grep -q "differ from the linted ones" &&
	ok "... refused by the check after signing: its bytes are not the linted ones" ||
	bad "$(grep 'OCSP: cannot' serve.err)"
grep "OCSP: cannot sign the response for" serve.err |
	sed -n 's/.* for \([0-9a-f]*\):.*/\1/p' >refused.txt
hit=
for n in $names; do
	[ "$(ca_serial "$n.crt")" = "$(cat refused.txt)" ] && hit=$n
done
[ -n "$hit" ] && ok "the refused one ($hit) was signed again and answers good" ||
	bad "the refused serial $(cat refused.txt) is none of the six"
grep -q "OCSP: 5 responses signed" serve.err &&
	ok "the turn kept the five others" ||
	bad "$(grep 'OCSP:' serve.err)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ] &&
	ok "the service still answers /health" || bad "the service is down"
kill -TERM "$signer"
wait "$signer" 2>/dev/null || true
signer=
checks_done
