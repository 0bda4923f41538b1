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

serve_start "$base"

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
serve_survived "$base"

kill -TERM "$signer"
wait "$signer" || true
signer=
acme_nsd_stop
checks_done
