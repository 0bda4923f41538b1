#!/bin/sh
# ACME dns-01, tls-alpn-01 and wildcard names (docs/acme.md), good and
# hostile (tests/cli/acme_challenges.py): dns-01 with the record among
# others and through a CNAME; an answer over the size bound, a CNAME
# loop, a wrong value, no record; a wildcard order (dns-01 only, the
# certificate names *.wild.example.com), refused where the profile has
# no wildcards; tls-alpn-01 for a name, 127.0.0.1 and ::1 (reverse-name
# SNI), and certificates with the wrong digest, a non-critical or
# missing acmeIdentifier, other names, no ALPN, an address the guard
# refuses. The wildcard certificate is judged by openssl verify
# -x509_strict; certbot (--manual, dns-01) obtains another. Every process started here is stopped by its PID; the
# validator asks an nsd started here on 127.0.0.1.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-acme-ch.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "acme_challenges.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi
if ! command -v nsd >/dev/null 2>&1; then
	echo "acme_challenges.sh: nsd is not installed; skipped"
	exit 77
fi

ca_fixture "$work/fx"
# Loopback addresses as ip identifiers: profile acme-lab.
acme_lab_policy
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
aport=$(free_port)
dport=$(free_port)
{
	cat <<'ZONE'
tls IN A 127.0.0.1
private IN A 10.0.0.1
_acme-challenge.alias IN CNAME alias-target
_acme-challenge.loop IN CNAME loop1
loop1 IN CNAME loop2
loop2 IN CNAME loop1
_acme-challenge.wrong IN TXT "nope"
ZONE
	# 40 records of 200 bytes: over the validator's 4096-byte bound.
	i=0
	while [ $i -lt 40 ]; do
		printf '_acme-challenge.big IN TXT "%s%0196d"\n' "r$i" 0
		i=$((i + 1))
	done
} >records
acme_nsd "$dport" <records
base=http://127.0.0.1:$port
dir=https://127.0.0.1:$tport/acme/tls-server/directory
tls_cert tls
serve_config "$port"
serve_https "$tport"
{
	echo "  acme:"
	echo "    profiles: tls-server, mtls, acme-lab"
	echo "    http-01-port: $hport"
	echo "    tls-alpn-01-port: $aport"
	echo "    validation-allow: 127.0.0.1/32, ::1/128"
	echo "    dns-servers: 127.0.0.1:$dport"
} >>"$CA_CONFIG"

serve_start "$base"

if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" timeout 300 python3 \
	"$SIGNET_SOURCE_DIR/tests/cli/acme_challenges.py" "$dir" "$work/tls.pem" \
	"$aport" "$dport" "$work/nsd/example.com.zone" "$nsd_pid" \
	>challenges.out 2>&1; then
	cat challenges.out
	ok "dns-01, tls-alpn-01 and wildcards"
else
	cat challenges.out
	bad "dns-01, tls-alpn-01 and wildcards"
	tail -20 serve.err | sed 's/^/  | /' >&2
fi
if [ -f wildcard.pem ]; then
	openssl x509 -in wildcard.pem -out wildcard-leaf.pem
	acme_check_cert wildcard-leaf.pem "the wildcard certificate"
else
	bad "no wildcard certificate to judge"
fi

# certbot as a second real client for wildcards: --manual with an auth
# hook (the uacme test's, called as uacme would) for dns-01.
if command -v certbot >/dev/null 2>&1; then
	export REQUESTS_CA_BUNDLE="$work/tls.pem" HOOK_WWW="$work/www" \
		HOOK_ZONE="$work/nsd/example.com.zone" HOOK_NSD_PID="$nsd_pid" \
		HOOK_DNS_PORT="$dport"
	hook="$SIGNET_SOURCE_DIR/tests/cli/acme_uacme_hook.sh"
	mkdir -p www
	if timeout 120 certbot --non-interactive --config-dir "$work/cb/config" \
		--work-dir "$work/cb/work" --logs-dir "$work/cb/logs" \
		--server "$dir" register --agree-tos \
		--register-unsafely-without-email >cb.out 2>&1 &&
		timeout 120 certbot --non-interactive \
			--config-dir "$work/cb/config" --work-dir "$work/cb/work" \
			--logs-dir "$work/cb/logs" --server "$dir" certonly \
			--manual --preferred-challenges dns \
			--manual-auth-hook "$hook begin dns-01 \$CERTBOT_DOMAIN t \$CERTBOT_VALIDATION" \
			-d '*.cb.example.com' -d cb.example.com >>cb.out 2>&1; then
		ok "certbot certonly --manual (dns-01) for *.cb.example.com"
		acme_check_cert "$work/cb/config/live/cb.example.com/cert.pem" \
			"certbot's wildcard certificate"
		openssl x509 -in "$work/cb/config/live/cb.example.com/cert.pem" \
			-noout -ext subjectAltName 2>/dev/null |
			grep -q 'DNS:\*\.cb\.example\.com' &&
			ok "... names DNS:*.cb.example.com" ||
			bad "... does not name the wildcard"
	else
		bad "certbot certonly --manual (dns-01) for *.cb.example.com"
		tail -20 cb.out | sed 's/^/  | /' >&2
		tail -30 "$work/cb/logs/letsencrypt.log" | sed 's/^/  | /' >&2
	fi
else
	echo "skip: certbot is not installed"
fi
serve_survived "$base"

kill -TERM "$signer"
wait "$signer" || true
signer=
acme_nsd_stop
checks_done
