#!/bin/sh
# Two `signet serve` nodes with OCSP on one PostgreSQL database (each its
# own instance, the same CA key and token): node 1 makes the delegated
# responder and signs every response; node 2, started after, takes the
# responder and the responses from the database and signs none; both
# serve the same bytes, which openssl ocsp verifies. A revocation signed
# by one node reaches the other from the database. Runs under
# tests/pg/pg-server.sh run (SIGNET_TEST_STORE_URL,
# SIGNET_PG_PASSWORD_SOURCE).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_TEST_STORE_URL:?run under tests/pg/pg-server.sh run}"
signet=$SIGNET_BIN
pg_url=$SIGNET_TEST_STORE_URL
pg_pw=$SIGNET_PG_PASSWORD_SOURCE
unset SIGNET_PG_PASSWORD_SOURCE
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ocsp-pg.XXXXXX")
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
signer2=
cleanup2() {
	serve_kill
	signer=$signer2
	serve_kill
	rm -rf "$work"
}
trap cleanup2 EXIT
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ocsp_pg.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi

ca_fixture "$work/fx"
for n in 1 2; do
	ca_instance "$work/node$n" --database "$pg_url" \
		--database-password-source "$pg_pw" || {
		bad "signet init node$n on the shared database"
		exit 1
	}
	port=$(free_port)
	eval "cfg$n=\$CA_CONFIG port$n=\$port"
	serve_config "$port"
	echo "  ocsp: {}" >>"$CA_CONFIG"
done

# wait_for WHAT COMMAND...: up to 60 s (bounded) for COMMAND to succeed.
wait_for() {
	_what=$1
	shift
	_i=0
	while [ $_i -lt 300 ]; do
		if "$@" >/dev/null 2>&1; then
			ok "$_what"
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	bad "$_what (waited 60 s)"
	grep -hv '^signet-frontend' serve1.err serve2.err | tail -20 |
		sed 's/^/  | /' >&2
	return 1
}
# ocsp N CERT STATUS: node N's response for CERT into CERT.N.der, which
# openssl ocsp verifies against the root and finds STATUS in.
ocsp() {
	openssl ocsp -issuer "$CA_CERT" -cert "$2" \
		-url "http://127.0.0.1:$(eval echo "\$port$1")/ocsp" \
		-CAfile "$CA_ROOT" -verify_other "$CA_CERT" -no_nonce \
		-respout "$2.$1.der" >"$2.$1.out" 2>&1 &&
		grep -q "Response verify OK" "$2.$1.out" &&
		grep -q "^$2: $3" "$2.$1.out"
}

ca_csr a "/CN=a.example.com" "DNS:a.example.com"
ca_csr b "/CN=b.example.com" "DNS:b.example.com"
"$signet" issue --config "$cfg1" --profile tls-server --csr a.csr \
	--out a.crt >/dev/null
"$signet" issue --config "$cfg1" --profile tls-server --csr b.csr \
	--out b.crt >/dev/null

"$signet" serve --config "$cfg1" >serve1.out 2>serve1.err &
signer=$!
wait_for "node 1 answers OCSP: a.crt good, verified against the root" \
	ocsp 1 a.crt good
wait_for "node 1: b.crt good" ocsp 1 b.crt good
# The responder's own certificate gets its response at node 1's next check.
all_signed() { grep -q "signed (3 certificates)" serve1.err; }
wait_for "node 1 signed for all three certificates (a, b, its responder)" all_signed

"$signet" serve --config "$cfg2" >serve2.out 2>serve2.err &
signer2=$!
wait_for "node 2, started after, answers OCSP: a.crt good" ocsp 2 a.crt good
ocsp 2 b.crt good && ok "node 2: b.crt good" || bad "node 2: $(cat b.crt.2.out)"
log2() { grep -v '^signet-frontend' serve2.err; }
log2 | grep -q "responses taken from the store" &&
	ok "node 2 took node 1's responses from the database" ||
	bad "node 2 did not take them: $(log2)"
if log2 | grep -q "new responder certificate\|responses\? signed"; then
	bad "node 2 signed: $(log2 | grep 'signed\|responder')"
else
	ok "... made no responder of its own and signed no response"
fi
cmp -s a.crt.1.der a.crt.2.der && cmp -s b.crt.1.der b.crt.2.der &&
	ok "both nodes serve the same bytes" || bad "the nodes serve different responses"

# A revocation: whichever node signs the revoked response first, the
# other takes it from the database (or signs its own); both say revoked.
"$signet" revoke --config "$cfg1" "$(ca_serial b.crt)" \
	--reason keyCompromise >/dev/null
wait_for "node 1: b.crt revoked" ocsp 1 b.crt revoked
wait_for "node 2: b.crt revoked" ocsp 2 b.crt revoked

for n in 1 2; do
	eval "pid=\$signer$([ $n = 1 ] && echo '' || echo 2)"
	kill -TERM "$pid"
	set +e
	wait "$pid"
	st=$?
	set -e
	[ "$st" = 0 ] && ok "node $n: SIGTERM, exit 0" || bad "node $n: exit $st"
done
signer=
signer2=
checks_done
