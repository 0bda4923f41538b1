#!/bin/sh
# ACME (docs/acme.md) against hostile requests (tests/cli/acme_hostile.py,
# JWS made with python3-cryptography): malformed JWS, wrong url, replayed
# and made-up nonces, unknown kid, finalize before ready, CSRs with a name
# not in the order or with the account key, other accounts' objects,
# validation addresses the guard refuses (from serve.acme.resolve and from
# DNS), a name DNS does not know. Every process started here is
# stopped by its PID. Names come from serve.acme.resolve and from an nsd
# started here on 127.0.0.1.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme-hostile.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
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
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
dport=$(free_port)
if ! command -v nsd >/dev/null 2>&1; then
	echo "acme_hostile.sh: nsd is not installed; skipped"
	exit 77
fi
acme_nsd "$dport" <<'ZONE'
dns IN A 127.0.0.1
private IN A 10.0.0.1
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
	echo "    resolve: www.example.com=127.0.0.1 blocked.example.com=127.0.0.2"
	echo "    dns-servers: 127.0.0.1:$dport"
} >>"$CA_CONFIG"

serve_start "$base"

if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" python3 \
	"$SIGNET_SOURCE_DIR/tests/cli/acme_hostile.py" "$dir" "$work/tls.pem" \
	"$hport" >hostile.out 2>&1; then
	cat hostile.out
	ok "every hostile request got its problem document"
else
	cat hostile.out
	bad "hostile ACME requests"
	tail -20 serve.err | sed 's/^/  | /' >&2
fi
serve_survived "$base"

kill -TERM "$signer"
wait "$signer" || true
signer=
acme_nsd_stop
checks_done
