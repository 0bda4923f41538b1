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
signer=
nsd_pid=
cleanup() {
	[ -n "$nsd_pid" ] && kill -TERM "$nsd_pid" 2>/dev/null || true
	if [ -n "$signer" ] && kill -0 "$signer" 2>/dev/null; then
		_f=$(pgrep -P "$signer" || true)
		kill -KILL "$signer" 2>/dev/null || true
		for _p in $_f; do kill -KILL "$_p" 2>/dev/null || true; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
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
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
dport=$(free_port)
# An authoritative server for example.com, as the validator's resolver.
mkdir nsd
cat >nsd/example.com.zone <<'ZONE'
$ORIGIN example.com.
$TTL 60
@ IN SOA ns.example.com. admin.example.com. 1 60 60 60 60
@ IN NS ns.example.com.
ns IN A 127.0.0.1
www IN A 127.0.0.1
ZONE
cat >nsd/nsd.conf <<CONF
server:
  ip-address: 127.0.0.1
  port: $dport
  username: ""
  chroot: ""
  zonesdir: "$work/nsd"
  database: ""
  pidfile: "$work/nsd/nsd.pid"
  xfrdfile: "$work/nsd/xfrd.state"
  zonelistfile: "$work/nsd/zone.list"
  logfile: "$work/nsd/nsd.log"
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: example.com.zone
CONF
nsd -d -c "$work/nsd/nsd.conf" >nsd/out 2>&1 &
nsd_pid=$!
base=http://127.0.0.1:$port
dir=https://127.0.0.1:$tport/acme/tls-server/directory
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -out tls.pem -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod 600 tls.key
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$port"
	echo "  user: nobody"
	echo "  issuer-name: test-ca"
	echo "  crl:"
	echo "    check-interval: 1s"
	echo "  https:"
	echo "    listen: 127.0.0.1:$tport"
	echo "    certificate: $work/tls.pem"
	echo "    key: $work/tls.key"
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

"$signet" serve >>serve.out 2>>serve.err &
signer=$!
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ]; do
	i=$((i + 1))
	if [ $i -gt 150 ]; then
		bad "the service did not come up"
		sed 's/^/  | /' serve.err >&2
		exit 1
	fi
	sleep 0.2
done
ok "signet serve is up"

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

# check_cert FILE WHAT: strict verification, listing, audit log.
check_cert() {
	_f=$1
	if openssl verify -x509_strict -CAfile "$CA_ROOT" -untrusted "$CA_CERT" \
		"$_f" >verify.out 2>&1; then
		ok "$2: openssl verify -x509_strict"
	else
		bad "$2: $(cat verify.out)"
	fi
	_serial=$(openssl x509 -in "$_f" -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f')
	"$signet" list --json >list.json
	if python3 - "$_serial" list.json <<'PY'; then
import json, sys
serial = sys.argv[1].lstrip("0")
rows = json.load(open(sys.argv[2]))
hit = [r for r in rows if r.get("serial", "").lstrip("0") == serial]
sys.exit(0 if hit and hit[0].get("requester", "").startswith("acme:") else 1)
PY
		ok "$2: in signet list --json with an acme: requester"
	else
		bad "$2: serial $_serial not listed with an acme: requester"
		head -c 600 list.json >&2
	fi
	if grep '"event":"cert.issue"' "$work/ca/audit.log" |
		grep -qi "$_serial"; then
		ok "$2: in the audit log"
	else
		bad "$2: serial $_serial not in the audit log"
	fi
	serial=$_serial
}
check_cert "$live/cert.pem" "first certificate"
first=$serial
grep -q "acme:" list.json && ok "requester names the ACME account" ||
	bad "no acme: requester"

run 0 "certbot renew --force-renewal" cb renew --force-renewal --no-random-sleep-on-renew \
	--http-01-port "$hport" --http-01-address 127.0.0.1
[ "$fails" -eq 0 ] || {
	show_log
	exit 1
}
check_cert "$live/cert.pem" "renewed certificate"
second=$serial
[ -n "$second" ] && [ "$second" != "$first" ] &&
	ok "the renewal is a new certificate" || bad "renewal: same serial"

run 0 "certbot revoke" cb revoke --cert-path "$live/cert.pem" \
	--reason superseded --no-delete-after-revoke || show_log
# The CRL from the service reflects it within a few seconds.
i=0
found=0
while [ $i -lt 30 ]; do
	if curl -s -o crl.der "$base/crl/test-ca.crl" &&
		openssl crl -inform DER -in crl.der -noout -text 2>/dev/null |
		tr 'A-F' 'a-f' | tr -d ' ' | grep -qi "serialnumber:0*$second"; then
		found=1
		break
	fi
	sleep 1
	i=$((i + 1))
done
[ $found = 1 ] && ok "the revoked certificate is in the served CRL" ||
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
kill -TERM "$nsd_pid"
wait "$nsd_pid" || true
nsd_pid=
checks_done
