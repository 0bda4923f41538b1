#!/bin/sh
# ACME (docs/acme.md) judged by certbot, unmodified: register (refused
# without external account binding, which the directory requires; then
# with a key from `signet acme eab add`), certonly
# with http-01 (certbot's own standalone server on 127.0.0.1), renew
# --force-renewal, revoke. Each certificate is checked with openssl
# verify -x509_strict against the root, found in `signet list --json`
# with the ACME account as requester and in the audit log, and the
# revoked one in the CRL the service serves. Every process started here
# is stopped by its PID. The validator finds www.example.com through
# c-ares asking an nsd started here on 127.0.0.1.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "acme_certbot.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi
for tool in certbot nsd; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "acme_certbot.sh: $tool is not installed; skipped"
		exit 77
	fi
done

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
dport=$(free_port)
# An authoritative server for example.com, as the validator's resolver.
acme_nsd "$dport" <<'ZONE'
www IN A 127.0.0.1
ZONE
base=http://127.0.0.1:$port
dir=https://127.0.0.1:$tport/acme/tls-server/directory
tls_cert tls
serve_config "$port"
serve_https "$tport"
{
	echo "  acme:"
	echo "    profiles: tls-server"
	echo "    http-01-port: $hport"
	echo "    validation-allow: 127.0.0.1/32"
	echo "    dns-servers: 127.0.0.1:$dport"
	echo "    eab-required: tls-server"
	# cli_acme_certbot_bad_nonce: a share of valid nonces refused.
	if [ "${SIGNET_TEST_ACME_BAD_NONCE:-0}" -gt 0 ]; then
		echo "    test-bad-nonce-percent: $SIGNET_TEST_ACME_BAD_NONCE"
	fi
} >>"$CA_CONFIG"

serve_start "$base"

export REQUESTS_CA_BUNDLE="$work/tls.pem"
cb() {
	timeout 120 certbot --non-interactive --config-dir "$work/cb/config" \
		--work-dir "$work/cb/work" --logs-dir "$work/cb/logs" \
		--server "$dir" "$@"
}
show_log() { tail -30 "$work/cb/logs/letsencrypt.log" | sed 's/^/  | /' >&2; tail -10 serve.err | sed 's/^/  | /' >&2; }

run 1 "certbot register without EAB is refused" cb register --agree-tos \
	--register-unsafely-without-email
"$signet" acme eab add --profile tls-server --comment "certbot test" \
	>eab.out 2>eab.err || bad "signet acme eab add: $(cat eab.err)"
eab_kid=$(sed -n 's/^eab-kid: //p' eab.out)
eab_key=$(sed -n 's/^eab-hmac-key: //p' eab.out)
[ ${#eab_kid} -eq 32 ] && [ ${#eab_key} -eq 43 ] &&
	ok "signet acme eab add: a key id and a MAC key" || bad "eab add: $(cat eab.out)"
grep -q "$eab_key" "$work/ca/audit.log" serve.err serve.out &&
	bad "the MAC key is in a log" || ok "the MAC key is in no log"
grep -q '"event":"acme.eab.add"' "$work/ca/audit.log" &&
	ok "eab add is audited" || bad "no acme.eab.add record"
run 0 "certbot register with EAB" cb register --agree-tos \
	--register-unsafely-without-email --eab-kid "$eab_kid" \
	--eab-hmac-key "$eab_key"
[ "$fails" -eq 0 ] || {
	show_log
	exit 1
}
"$signet" acme eab list --json >eab.json
if python3 - "$eab_kid" eab.json <<'PY'; then
import json, sys
rows = [r for r in json.load(open(sys.argv[2])) if r["kid"] == sys.argv[1]]
sys.exit(0 if rows and rows[0]["state"] == "bound" and
         len(rows[0]["account"] or "") == 32 else 1)
PY
	ok "signet acme eab list --json: the key is bound to an account"
else
	bad "eab list: $(cat eab.json)"
fi
grep -q '"event":"acme.account.new"' "$work/ca/audit.log" &&
	ok "the new account is audited" || bad "no acme.account.new record"
run 0 "certbot certonly --standalone (http-01)" cb certonly --standalone \
	--http-01-port "$hport" --http-01-address 127.0.0.1 \
	--preferred-challenges http -d www.example.com
[ "$fails" -eq 0 ] || {
	show_log
	exit 1
}
live=$work/cb/config/live/www.example.com

acme_check_cert "$live/cert.pem" "first certificate"
first=$serial
grep -q "acme:" list.json && ok "requester names the ACME account" ||
	bad "no acme: requester"

run 0 "certbot renew --force-renewal" cb renew --force-renewal --no-random-sleep-on-renew \
	--http-01-port "$hport" --http-01-address 127.0.0.1
[ "$fails" -eq 0 ] || {
	show_log
	exit 1
}
acme_check_cert "$live/cert.pem" "renewed certificate"
second=$serial
[ -n "$second" ] && [ "$second" != "$first" ] &&
	ok "the renewal is a new certificate" || bad "renewal: same serial"

run 0 "certbot revoke" cb revoke --cert-path "$live/cert.pem" \
	--reason superseded --no-delete-after-revoke || show_log
# The CRL from the service reflects it within a few seconds.
acme_crl_has "$base" "$second" &&
	ok "the revoked certificate is in the served CRL" ||
	bad "serial $second not in the served CRL"
run 1 "revoking it again is refused" cb revoke --cert-path "$live/cert.pem" \
	--reason superseded --no-delete-after-revoke
if [ "${SIGNET_TEST_ACME_BAD_NONCE:-0}" -gt 0 ]; then
	n=$(grep -c "urn:ietf:params:acme:error:badNonce" \
		"$work"/cb/logs/letsencrypt.log* | awk -F: '{ s += $NF } END { print s + 0 }')
	[ "$n" -gt 0 ] &&
		ok "certbot got $n badNonce answers ($SIGNET_TEST_ACME_BAD_NONCE% of valid nonces refused) and retried" ||
		bad "no badNonce answer reached certbot"
fi

kill -TERM "$signer"
wait "$signer" || true
signer=
acme_nsd_stop
checks_done
