#!/bin/sh
# ACME (docs/acme.md) against hostile requests (tests/cli/acme_hostile.py,
# JWS made with python3-cryptography): malformed JWS, wrong url, replayed
# and made-up nonces, unknown kid, finalize before ready, CSRs with a name
# not in the order or with the account key, other accounts' objects,
# validation addresses the guard refuses (from serve.acme.resolve and from
# DNS), a name DNS does not know. Every process started here is
# stopped by its PID. Names come from serve.acme.resolve and from an nsd
# started here on 127.0.0.1. cli_acme_ari runs the same service with
# other settings and tests/cli/acme_ari.py as the driver (renewal
# information, profiles, rate limits: see its docstring).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme-hostile.XXXXXX")
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
	echo "acme_hostile.sh: needs root (the front end drops to another user); skipped"
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
dport=$(free_port)
if ! command -v nsd >/dev/null 2>&1; then
	echo "acme_hostile.sh: nsd is not installed; skipped"
	exit 77
fi
mkdir nsd
cat >nsd/example.com.zone <<'ZONE'
$ORIGIN example.com.
$TTL 60
@ IN SOA ns.example.com. admin.example.com. 1 60 60 60 60
@ IN NS ns.example.com.
ns IN A 127.0.0.1
dns IN A 127.0.0.1
private IN A 10.0.0.1
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
	echo "    profiles: ${SIGNET_TEST_ACME_PROFILES:-tls-server}"
	echo "    http-01-port: $hport"
	echo "    validation-allow: 127.0.0.1/32"
	echo "    resolve: www.example.com=127.0.0.1 blocked.example.com=127.0.0.2"
	echo "    dns-servers: 127.0.0.1:$dport"
	# cli_acme_ari: its limits, "key: value" pairs separated by commas.
	[ -z "${SIGNET_TEST_ACME_SETTINGS:-}" ] ||
		printf '%s\n' "$SIGNET_TEST_ACME_SETTINGS" | tr ',' '\n' |
		sed 's/^/    /'
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

# cli_acme_ari runs tests/cli/acme_ari.py here instead.
driver=${SIGNET_TEST_ACME_DRIVER:-acme_hostile.py}
if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" python3 \
	"$SIGNET_SOURCE_DIR/tests/cli/$driver" "$dir" "$work/tls.pem" \
	"$hport" "$signet" "$base" >hostile.out 2>&1; then
	cat hostile.out
	ok "$driver: every request got its answer"
else
	cat hostile.out
	bad "$driver: ACME requests"
	tail -20 serve.err | sed 's/^/  | /' >&2
fi
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ] &&
	ok "the service still answers /health" || bad "the service is down"
grep -q "killed by signal" serve.err && bad "a front end died" ||
	ok "no front end died"

kill -TERM "$signer"
wait "$signer" || true
signer=
kill -TERM "$nsd_pid"
wait "$nsd_pid" || true
nsd_pid=
checks_done
