#!/bin/sh
# ACME accounts (docs/acme.md) against tests/cli/acme_accounts.py, JWS and
# MACs made with python3-cryptography: external account binding (keys
# from `signet acme eab add`, one revoked with `eab revoke`, one for
# another profile), account updates, keyChange, orders lists,
# authorization deactivation, rejectedIdentifier, and the three ways to
# revoke. Then the audit log holds the account events, and the key of
# the certificate revoked by its own key is blocked. Every process
# started here is stopped by its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme-accounts.XXXXXX")
signer=
cleanup() {
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
	echo "acme_accounts.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
base=http://127.0.0.1:$port
dir=https://127.0.0.1:$tport/acme/tls-server/directory
open_dir=https://127.0.0.1:$tport/acme/tls-client/directory
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout tls.key -out tls.pem -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod 600 tls.key
{
	echo "serve:"
	echo "  listen: 127.0.0.1:$port"
	echo "  user: nobody"
	echo "  issuer-name: test-ca"
	echo "  https:"
	echo "    listen: 127.0.0.1:$tport"
	echo "    certificate: $work/tls.pem"
	echo "    key: $work/tls.key"
	echo "  acme:"
	echo "    profiles: tls-server, tls-client"
	echo "    eab-required: tls-server"
	echo "    http-01-port: $hport"
	echo "    validation-allow: 127.0.0.1/32"
	echo "    resolve: www.example.com=127.0.0.1"
} >>"$CA_CONFIG"

# The CLI first: usage errors, a profile not offered, unknown keys.
run 2 "eab add without --profile" "$signet" acme eab add
run 2 "an unknown acme subcommand" "$signet" acme nosuch
run 2 "eab add for a profile not offered over ACME" "$signet" acme eab add \
	--profile root-ca
run 41 "eab revoke of an unknown key" "$signet" acme eab revoke \
	0123456789abcdef0123456789abcdef
eab() {
	"$signet" acme eab add --profile "$1" --comment "$2" >eab.out
	echo "$(sed -n 's/^eab-kid: //p' eab.out):$(sed -n 's/^eab-hmac-key: //p' eab.out)"
}
k1=$(eab tls-server "account a")
k2=$(eab tls-server "revoked")
k3=$(eab tls-client "another profile")
k4=$(eab tls-server "account b")
run 0 "eab revoke" "$signet" acme eab revoke "${k2%%:*}"
run 42 "eab revoke again" "$signet" acme eab revoke "${k2%%:*}"
"$signet" acme eab list >list.out
grep -q "${k2%%:*}  revoked" list.out && grep -q "${k1%%:*}  unused" list.out &&
	ok "eab list: states" || bad "eab list: $(cat list.out)"

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

if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" timeout 240 python3 \
	"$SIGNET_SOURCE_DIR/tests/cli/acme_accounts.py" "$dir" "$open_dir" \
	"$work/tls.pem" "$hport" "$k1" "$k2" "$k3" "$k4" >accounts.out 2>&1; then
	cat accounts.out
	ok "every ACME account request got its answer"
else
	cat accounts.out
	bad "ACME account requests"
	tail -20 serve.err | sed 's/^/  | /' >&2
fi
for ev in acme.eab.add acme.eab.revoke acme.account.new acme.account.update \
	acme.account.deactivate \
	acme.account.key-change acme.revoke; do
	grep -q "\"event\":\"$ev\"" "$work/ca/audit.log" &&
		ok "audit log: $ev" || bad "audit log: no $ev"
done
grep '"event":"acme.revoke"' "$work/ca/audit.log" | grep -q 'certificate key' &&
	ok "audit log: a revocation by the certificate key" ||
	bad "audit log: no revocation by the certificate key"
for k in "$k1" "$k2" "$k3" "$k4"; do
	if grep -q "${k#*:}" "$work/ca/audit.log" serve.err serve.out; then
		bad "an EAB MAC key is in a log"
	fi
done
ok "no EAB MAC key in the logs"
"$signet" acme eab list --json >list.json
python3 - "${k1%%:*}" "${k4%%:*}" list.json <<'PY' &&
import json, sys
rows = {r["kid"]: r for r in json.load(open(sys.argv[3]))}
sys.exit(0 if all(rows[k]["state"] == "bound" for k in sys.argv[1:3]) else 1)
PY
	ok "eab list --json: both keys bound" || bad "eab list --json: $(cat list.json)"
# The front end's cache of account keys: kid requests were verified from
# it, and the old key after keyChange was refused by the signer.
curl -s "$base/metrics" >metrics.txt
for r in hit miss stale; do
	v=$(sed -n "s/^signet_acme_account_keys_total{result=\"$r\"} //p" metrics.txt)
	[ "${v:-0}" -ge 1 ] && ok "/metrics: account keys $r: $v" ||
		bad "/metrics: no account key $r: $(grep account_keys metrics.txt)"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ] &&
	ok "the service still answers /health" || bad "the service is down"
grep -q "killed by signal" serve.err && bad "a front end died" ||
	ok "no front end died"

kill -TERM "$signer"
wait "$signer" || true
signer=

# A front end that names another key than the one it verified with (a
# test switch in test builds): the signer refuses every operation for an
# account, whatever the front end holds; a new account is still made.
cat >lying.py <<'PY'
import functools, json, ssl, sys
from acme_jws import Key, https_request, jws

request = functools.partial(
    https_request, ssl.create_default_context(cafile=sys.argv[2]))
d = json.loads(request(sys.argv[1])[2])
nonce = lambda: request(d["newNonce"], method="HEAD")[1]["Replay-Nonce"]
key = Key()
st, h, b = request(d["newAccount"], jws(key, d["newAccount"], nonce(),
                                        {"termsOfServiceAgreed": True}))
if st != 201:
    sys.exit("newAccount: %d %s" % (st, b))
kid = h["Location"]
st, h, b = request(kid, jws(key, kid, nonce(), None, kid=kid))
p = json.loads(b) if b else {}
if st != 403 or p.get("type") != "urn:ietf:params:acme:error:unauthorized":
    sys.exit("the account read with a lying front end: %d %s" % (st, b))
PY
for how in wrong empty; do
	SIGNET_TEST_SERVE_ACME_THUMB=$how "$signet" serve >>serve.out \
		2>>serve.err &
	signer=$!
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ]; do
		i=$((i + 1))
		[ $i -gt 150 ] && break
		sleep 0.2
	done
	if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" timeout 60 python3 \
		lying.py "$open_dir" "$work/tls.pem" >lying.out 2>&1; then
		ok "a front end naming another key (thumbprint: $how): the signer refuses (403 unauthorized)"
	else
		bad "a front end naming another key (thumbprint: $how): $(cat lying.out)"
	fi
	kill -TERM "$signer"
	wait "$signer" || true
	signer=
done
checks_done
