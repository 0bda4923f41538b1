# Shared by the tests of signet serve. Source it after setting $work (a
# throwaway directory); it sets the EXIT trap that stops the service and
# removes $work, and gives:
#   free_port            a free TCP port on 127.0.0.1
#   serve_kill           SIGKILL to the signer ($signer) and its children
# The test keeps the signer's PID in $signer.
signer=
serve_kill() {
	if [ -n "$signer" ] && kill -0 "$signer" 2>/dev/null; then
		_f=$(pgrep -P "$signer" || true)
		kill -KILL "$signer" 2>/dev/null || true
		for _p in $_f; do kill -KILL "$_p" 2>/dev/null || true; done
	fi
}
serve_cleanup() {
	serve_kill
	rm -rf "$work"
}
trap serve_cleanup EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# serve_config PORT: append a serve: block to $CA_CONFIG listening on
# 127.0.0.1:PORT as nobody, issuer name test-ca, checking for
# revocations every second. More keys may follow under serve:.
serve_config() {
	{
		echo "serve:"
		echo "  listen: 127.0.0.1:$1"
		echo "  user: nobody"
		echo "  issuer-name: test-ca"
		echo "  crl:"
		echo "    check-interval: 1s"
	} >>"$CA_CONFIG"
}
# serve_acme_config HTTPS_PORT HTTP01_PORT [RESOLVE]: after serve_config,
# an HTTPS listener on 127.0.0.1:HTTPS_PORT with a self-signed certificate
# for 127.0.0.1 ($work/tls.pem, which clients trust), and ACME for profile
# tls-server validating http-01 on HTTP01_PORT, allowed to connect to
# 127.0.0.1, with serve.acme.resolve RESOLVE when given.
serve_acme_config() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$work/tls.key" -out "$work/tls.pem" -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		2>/dev/null
	chmod 600 "$work/tls.key"
	{
		echo "  https:"
		echo "    listen: 127.0.0.1:$1"
		echo "    certificate: $work/tls.pem"
		echo "    key: $work/tls.key"
		echo "  acme:"
		echo "    profiles: tls-server"
		echo "    http-01-port: $2"
		echo "    validation-allow: 127.0.0.1/32"
		[ -z "${3:-}" ] || echo "    resolve: $3"
	} >>"$CA_CONFIG"
}
