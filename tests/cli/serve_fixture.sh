# Shared by the tests of signet serve. Source it after setting $work (a
# throwaway directory); it sets the EXIT trap that stops the service (and
# the nsd of acme_nsd) and removes $work, and gives:
#   free_port            a free TCP port on 127.0.0.1
#   serve_kill           SIGKILL to the signer ($signer) and its children
#   serve_up URL         wait (30 s at most) for URL/health to answer 200
#   tls_cert NAME        NAME.key, NAME.pem: self-signed, for 127.0.0.1
#   serve_https PORT     append serve.https on 127.0.0.1:PORT with
#                        $work/tls.pem and tls.key (tls_cert tls)
#   serve_start URL      start `signet serve` ($signer; serve.out,
#                        serve.err) and wait for URL/health, or fail
#   serve_survived URL   checks: URL/health still answers, no front end
#                        was killed
#   acme_nsd PORT        an nsd on 127.0.0.1:PORT, authoritative for
#                        example.com from $work/nsd/example.com.zone:
#                        SOA, NS, ns.example.com at 127.0.0.1 and the
#                        records read from stdin; its PID in $nsd_pid
#   acme_nsd_reload      make it read the zone file again (SIGHUP)
#   acme_nsd_stop        stop it
# The test keeps the signer's PID in $signer.
signer=
nsd_pid=
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
	acme_nsd_stop
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
serve_up() {
	_i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/health")" = 200 ]; do
		_i=$((_i + 1))
		[ $_i -gt 150 ] && return 1
		sleep 0.2
	done
	return 0
}
tls_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null
	chmod 600 "$1.key"
}
acme_nsd() {
	mkdir -p "$work/nsd"
	{
		echo '$ORIGIN example.com.'
		echo '$TTL 60'
		echo '@ IN SOA ns.example.com. admin.example.com. 1 60 60 60 60'
		echo '@ IN NS ns.example.com.'
		echo 'ns IN A 127.0.0.1'
		cat
	} >"$work/nsd/example.com.zone"
	cat >"$work/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $1
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
	nsd -d -c "$work/nsd/nsd.conf" >"$work/nsd/out" 2>&1 &
	nsd_pid=$!
}
acme_nsd_reload() {
	kill -HUP "$nsd_pid"
}
acme_nsd_stop() {
	if [ -n "$nsd_pid" ]; then
		kill -TERM "$nsd_pid" 2>/dev/null || true
		wait "$nsd_pid" 2>/dev/null || true
	fi
	nsd_pid=
}
# acme_check_cert FILE WHAT [REQUESTER]: an ACME certificate judged by
# openssl verify -x509_strict against $CA_ROOT, found in `signet list
# --json` with requester REQUESTER (default: any acme:...), and in the
# audit log of $work/ca. Sets $serial and $requester. Uses ok and bad
# (checks.sh).
acme_check_cert() {
	_f=$1
	if openssl verify -x509_strict -CAfile "$CA_ROOT" -untrusted "$CA_CERT" \
		"$_f" >verify.out 2>&1; then
		ok "$2: openssl verify -x509_strict"
	else
		bad "$2: $(cat verify.out)"
	fi
	serial=$(openssl x509 -in "$_f" -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f')
	"$SIGNET_BIN" list --json >list.json
	if python3 - "$serial" list.json "${3:-}" >requester.out <<'PY'; then
import json, sys
serial, want = sys.argv[1].lstrip("0"), sys.argv[3]
rows = json.load(open(sys.argv[2]))
hit = [r for r in rows if r.get("serial", "").lstrip("0") == serial]
who = hit[0].get("requester", "") if hit else ""
print(who)
sys.exit(0 if (who == want if want else who.startswith("acme:")) else 1)
PY
		requester=$(cat requester.out)
		ok "$2: in signet list --json with requester $requester"
	else
		bad "$2: serial $serial not listed with requester ${3:-acme:...} (got '$(cat requester.out)')"
		head -c 600 list.json >&2
	fi
	if grep '"event":"cert.issue"' "$work/ca/audit.log" |
		grep -qi "$serial"; then
		ok "$2: in the audit log"
	else
		bad "$2: serial $serial not in the audit log"
	fi
}
# acme_crl_has BASE SERIAL: the CRL served at BASE/crl/test-ca.crl lists
# SERIAL within 60 s (0), or not (1).
acme_crl_has() {
	_i=0
	while [ $_i -lt 60 ]; do
		if curl -s -o crl.der "$1/crl/test-ca.crl" &&
			openssl crl -inform DER -in crl.der -noout -text 2>/dev/null |
			tr 'A-F' 'a-f' | tr -d ' ' | grep -qi "serialnumber:0*$2\$"; then
			return 0
		fi
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}
serve_https() {
	{
		echo "  https:"
		echo "    listen: 127.0.0.1:$1"
		echo "    certificate: $work/tls.pem"
		echo "    key: $work/tls.key"
	} >>"$CA_CONFIG"
}
serve_start() {
	"$SIGNET_BIN" serve >>serve.out 2>>serve.err &
	signer=$!
	if ! serve_up "$1"; then
		bad "the service did not come up"
		sed 's/^/  | /' serve.err >&2
		exit 1
	fi
	ok "signet serve is up"
}
serve_survived() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/health")" = 200 ] &&
		ok "the service still answers /health" || bad "the service is down"
	grep -q "killed by signal" serve.err && bad "a front end died" ||
		ok "no front end died"
}
# serve_acme_config HTTPS_PORT HTTP01_PORT [RESOLVE]: after serve_config,
# an HTTPS listener on 127.0.0.1:HTTPS_PORT with a self-signed certificate
# for 127.0.0.1 ($work/tls.pem, which clients trust), and ACME for profile
# tls-server validating http-01 on HTTP01_PORT, allowed to connect to
# 127.0.0.1, with serve.acme.resolve RESOLVE when given.
serve_acme_config() {
	tls_cert "$work/tls"
	serve_https "$1"
	{
		echo "  acme:"
		echo "    profiles: tls-server"
		echo "    http-01-port: $2"
		echo "    validation-allow: 127.0.0.1/32"
		[ -z "${3:-}" ] || echo "    resolve: $3"
	} >>"$CA_CONFIG"
}
# acme_lab_policy: after ca_fixture, a copy of $CA_POLICY with a profile
# acme-lab that also takes the addresses 127.0.0.1 and ::1 (for ACME ip
# identifiers on loopback); CA_POLICY names the copy.
acme_lab_policy() {
	cp "$CA_POLICY" "$work/policy.yaml"
	cat >>"$work/policy.yaml" <<'YAML'

  - name: acme-lab
    description: ACME clients of the lab, names and loopback addresses
    keys: [ec-p256, ec-p384, rsa-2048..4096]
    names:
      dns:
        allow: [.example.com]
        wildcards: true
      ip:
        allow: [127.0.0.1, "::1"]
        private: true
    common-name: optional
    subject:
      from-csr: [CN]
    validity:
      default: 30d
      max: 90d
      backdate: 5m
    key-usage: [digitalSignature, keyEncipherment]
    extended-key-usage: [serverAuth]
    basic-constraints:
      ca: false
YAML
	CA_POLICY=$work/policy.yaml
}
