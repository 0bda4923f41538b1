#!/bin/sh
# ACME (docs/acme.md) judged by uacme, unmodified: an ES256 account
# (-t EC -b 256); a certificate for the address 127.0.0.1 through
# http-01, served by a web server started here (python3 -m http.server)
# from the files the hook (tests/cli/acme_uacme_hook.sh) writes; one for
# dns01.example.com and *.dns01.example.com through dns-01, the hook
# writing TXT records into the zone of an nsd started here on 127.0.0.1,
# which the validator asks. Each certificate is checked with openssl
# verify -x509_strict against the root, found in `signet list --json`
# with the uacme account as requester and in the audit log; one is
# revoked with uacme and found in the CRL the service serves within 60 s.
# uacme (libcurl with GnuTLS) trusts the system's CA bundle only: it runs
# in a mount namespace where /etc/ssl/certs holds the service's TLS
# certificate. Every process started here is stopped by its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-uacme.XXXXXX")
web_pid=
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
trap 'if [ -n "$web_pid" ]; then kill -TERM "$web_pid" 2>/dev/null || true; fi; serve_cleanup' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "acme_uacme.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi
for tool in uacme nsd unshare; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "acme_uacme.sh: $tool is not installed; skipped"
		exit 77
	fi
done
if ! unshare --mount true 2>/dev/null; then
	echo "acme_uacme.sh: cannot make a mount namespace (uacme trusts the system's CA bundle only); skipped"
	exit 77
fi

# An intermediate whose name constraints permit 127.0.0.1, and a profile
# for names under example.com (wildcards too) and that address. No DNS
# subtree: uacme's request for 127.0.0.1 has CN=127.0.0.1, which OpenSSL
# checks against DNS subtrees as a host name.
CA_FIXTURE_NC="permitted;IP:127.0.0.1/255.255.255.255, excluded;IP:::/::"
ca_fixture "$work/fx"
acme_lab_policy
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
port=$(free_port)
tport=$(free_port)
hport=$(free_port)
dport=$(free_port)
acme_nsd "$dport" </dev/null
base=http://127.0.0.1:$port
dir=https://127.0.0.1:$tport/acme/acme-lab/directory
tls_cert tls
serve_config "$port"
serve_https "$tport"
{
	echo "  acme:"
	echo "    profiles: acme-lab"
	echo "    http-01-port: $hport"
	echo "    validation-allow: 127.0.0.1/32"
	echo "    dns-servers: 127.0.0.1:$dport"
} >>"$CA_CONFIG"

serve_start "$base"

# The web server http-01 is fetched from, and the hook's settings.
mkdir -p www/.well-known/acme-challenge
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$hport" \
	>web.out 2>&1 &
web_pid=$!
echo up >www/up
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$hport/up"; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		bad "the web server did not come up"
		cat web.out >&2
		exit 1
	fi
	sleep 0.2
done
export HOOK_WWW="$work/www" HOOK_ZONE="$work/nsd/example.com.zone" \
	HOOK_NSD_PID="$nsd_pid" HOOK_DNS_PORT="$dport"
# The service's TLS certificate as the only trusted one, for uacme.
mkdir certs
cp tls.pem certs/ca-certificates.crt
openssl rehash certs 2>/dev/null || true
ua() {
	unshare --mount sh -c 'mount --bind "$1" /etc/ssl/certs && shift &&
		exec "$@"' sh "$work/certs" timeout 120 uacme -v -c "$work/uacme" \
		-a "$dir" -t EC -b 256 -y -o \
		-h "$SIGNET_SOURCE_DIR/tests/cli/acme_uacme_hook.sh" "$@"
}
show() {
	sed 's/^/  | /' ua.out | tail -25 >&2
	[ -f hook.log ] && sed 's/^/  hook | /' hook.log >&2
	tail -10 serve.err | sed 's/^/  | /' >&2
}

if ua new >ua.out 2>&1; then
	ok "uacme new"
else
	bad "uacme new"
	show
	exit 1
fi
account=$(grep -o 'acct/[0-9a-f]*' ua.out | head -n 1 | cut -d/ -f2)
[ -n "$account" ] && ok "the account is $account" ||
	bad "no account URL in uacme's output"
if openssl pkey -in uacme/private/key.pem -noout -text 2>/dev/null |
	grep -q "prime256v1\|P-256"; then
	ok "the account key is P-256 (ES256)"
else
	bad "the account key is not P-256"
fi

if ua issue 127.0.0.1 >ua.out 2>&1; then
	ok "uacme issue 127.0.0.1 (http-01)"
else
	bad "uacme issue 127.0.0.1 (http-01)"
	show
fi
grep -q "begin http-01 127.0.0.1" hook.log && ok "... answered through http-01" ||
	bad "... not through http-01"
if [ -f uacme/127.0.0.1/cert.pem ]; then
	openssl x509 -in uacme/127.0.0.1/cert.pem -out ip.pem
	acme_check_cert ip.pem "127.0.0.1" "acme:$account"
	ip_serial=$serial
	openssl x509 -in ip.pem -noout -ext subjectAltName 2>/dev/null |
		grep -q "IP Address:127.0.0.1" && ok "... names IP Address:127.0.0.1" ||
		bad "... does not name 127.0.0.1"
fi

if ua issue dns01.example.com '*.dns01.example.com' >ua.out 2>&1; then
	ok "uacme issue dns01.example.com *.dns01.example.com (dns-01)"
else
	bad "uacme issue dns01.example.com *.dns01.example.com (dns-01)"
	show
fi
[ "$(grep -c "begin dns-01" hook.log)" -eq 2 ] &&
	ok "... both answered through dns-01" || bad "... not through dns-01"
if [ -f uacme/dns01.example.com/cert.pem ]; then
	openssl x509 -in uacme/dns01.example.com/cert.pem -out dns.pem
	acme_check_cert dns.pem "dns01.example.com" "acme:$account"
	openssl x509 -in dns.pem -noout -ext subjectAltName 2>/dev/null |
		grep -q "DNS:\*.dns01.example.com" &&
		ok "... names DNS:*.dns01.example.com" ||
		bad "... does not name the wildcard"
fi

if [ -n "${ip_serial:-}" ] && ua revoke uacme/127.0.0.1/cert.pem >ua.out 2>&1; then
	ok "uacme revoke"
	acme_crl_has "$base" "$ip_serial" &&
		ok "the revoked certificate is in the served CRL" ||
		bad "serial $ip_serial not in the served CRL within 60 s"
else
	bad "uacme revoke"
	show
fi

kill -TERM "$web_pid"
wait "$web_pid" || true
web_pid=
kill -TERM "$signer"
wait "$signer" || true
signer=
acme_nsd_stop
checks_done
