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
# serve_stop_wrapped: stop $signer when it is a wrapper (faketime) that
# runs signet as its child: both, waiting for signet itself (bounded).
serve_stop_wrapped() {
	_c=$(pgrep -P "$signer" -x signet || true)
	kill -TERM "$signer" $_c 2>/dev/null || true
	wait "$signer" 2>/dev/null || true
	for _p in $_c; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null || true
	done
	signer=
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
