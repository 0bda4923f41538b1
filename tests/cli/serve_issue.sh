#!/bin/sh
# Issuance over the signer's IPC (the ISSUE message the enrollment
# protocols use), driven through the test hook POST /test/issue of the
# front end:
#   - the signer re-runs the pipeline: the CSR's names must be exactly the
#     identifiers the front end says it validated, the profile decides the
#     rest; the requester is recorded in the store and the audit log;
#     refusals reserve nothing;
#   - an ISSUE body that does not decode gets the front end killed,
#     audited and restarted;
#   - SIGTERM during an issuance: the request is answered, then the
#     service stops (exit 0);
#   - the front end killed while its request is being signed, and the
#     signer killed at every step of the pipeline: nothing is signed that
#     the audit log did not announce, and nothing recorded differs from
#     what the token signed (tests/cli/crash_judge.py, db check);
#   - the token PIN is nowhere in a core image of the front end.
# Every process started here is stopped by its PID.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-serve-issue.XXXXXX")
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "serve_issue.sh: needs root (the front end drops to another user); skipped"
	exit 77
fi
if [ "${SIGNET_TEST_HOOKS:-0}" != 1 ]; then
	echo "serve_issue.sh: needs -DSIGNET_TEST_HOOKS=ON (POST /test/issue); skipped"
	exit 77
fi

ca_fixture "$work/fx"
ca_instance_p11fault "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
export P11FAULT_LOG="$work/p11.log"
: >"$P11FAULT_LOG"
db=$work/ca/signet.db
log=$work/ca/audit.log
port=$(free_port)
base=http://127.0.0.1:$port
serve_config "$port"
export SIGNET_TEST_SERVE_HOOKS=1

healthy() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"$base/health" || true)" = 200 ]
}
# up: wait up to 30 s for /health; 0 or 1.
up() {
	_i=0
	while [ $_i -lt 150 ]; do
		healthy && return 0
		kill -0 "$signer" 2>/dev/null || return 1
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}
start() {
	"$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	if up; then
		ok "the service is up ($*)"
	else
		bad "the service did not come up ($*)"
		tail -20 serve.err | sed 's/^/  | /' >&2
	fi
}
# stop_wait: the signer's exit status into $st, its front end gone.
stop_wait() {
	_f=$(pgrep -P "$signer" -x signet-frontend || true)
	set +e
	wait "$signer"
	st=$?
	set -e
	signer=
	_i=0
	while [ -n "$_f" ] && kill -0 "$_f" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ -n "$_f" ] && kill -0 "$_f" 2>/dev/null; then
		bad "the front end $_f outlived its signer"
		kill -KILL "$_f" 2>/dev/null || true
	fi
}
front_pid() { pgrep -P "$signer" -x signet-frontend | head -1; }
# post NAME IDS [PROFILE]: POST NAME.der to /test/issue; the HTTP status
# into $code, the body in NAME.out.
post() {
	code=$(curl -s -o "$1.out" -w '%{http_code}' --max-time 60 \
		--data-binary "@$1.der" -H 'Content-Type: application/pkcs10' \
		"$base/test/issue?profile=${3:-tls-server}&requester=acme:acct-1&ids=$2" ||
		true)
}
csr() {
	ca_csr "$1" "/CN=$2" "$3"
	openssl req -in "$1.csr" -outform DER -out "$1.der"
}
rows() { sqlite3 "$db" "SELECT count(*) FROM certificates"; }
# in_flight SIGNAL PID: POST www.der, and half a second later (the
# signature takes a second) send SIGNAL to PID; wait for the answer,
# which lands in www.out.
in_flight() {
	post www "dns:www.example.com" &
	_poster=$!
	sleep 0.5
	kill "$1" "$2"
	wait "$_poster" || true
}

csr www www.example.com "DNS:www.example.com"
csr two www.example.com "DNS:www.example.com,DNS:api.example.com"

start "plain"
# ---- what the signer checks ---------------------------------------------------
post www "dns:www.example.com"
if [ "$code" = 200 ] && openssl verify -x509_strict -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" www.out >verify.out 2>&1; then
	ok "ISSUE: a certificate the root verifies"
else
	bad "ISSUE: HTTP $code: $(cat www.out verify.out 2>/dev/null | head -5)"
fi
[ "$(grep -c 'BEGIN CERTIFICATE' www.out)" = 2 ] &&
	ok "... answered with its chain (leaf and CA, no root)" ||
	bad "... $(grep -c 'BEGIN CERTIFICATE' www.out) certificates in the answer"
serial=$(openssl x509 -in www.out -noout -serial | cut -d= -f2 |
	tr 'A-F' 'a-f')
"$signet" list --json >list.json
python3 - "$serial" list.json <<'EOF' && ok "signet list: requester acme:acct-1" || bad "signet list: requester not recorded"
import json, sys
serial, path = sys.argv[1], sys.argv[2]
rows = json.load(open(path))
rows = rows if isinstance(rows, list) else rows.get("certificates", [])
hit = [r for r in rows if r.get("serial", "").lstrip("0") == serial.lstrip("0")]
sys.exit(0 if hit and hit[0].get("requester") == "acme:acct-1" else 1)
EOF
grep '"event":"cert.issue.intent"' "$log" | grep -F '"requester":"acme:acct-1"' |
	grep -qF '"validated":["dns:www.example.com"]' &&
	ok "the intent records the requester and the validated identifiers" ||
	bad "no intent with requester and validated identifiers"
post www "dns:WWW.Example.COM"
[ "$code" = 200 ] && ok "identifiers compare in normal form (case)" ||
	bad "dns:WWW.Example.COM: HTTP $code $(cat www.out)"

n=$(rows)
post two "dns:www.example.com"
[ "$code" = 403 ] && grep -q "api.example.com, which the requester did not validate" two.out &&
	ok "a CSR name the front end did not validate: refused, named" ||
	bad "unvalidated CSR name: HTTP $code $(cat two.out)"
post www "dns:www.example.com,dns:mail.example.com"
[ "$code" = 403 ] && grep -q "does not ask for dns:mail.example.com" www.out &&
	ok "a validated identifier missing from the CSR: refused" ||
	bad "missing identifier: HTTP $code $(cat www.out)"
post www ""
[ "$code" = 403 ] && ok "no validated identifiers: refused" ||
	bad "no identifiers: HTTP $code $(cat www.out)"
post www "email:www@example.com"
[ "$code" = 403 ] && grep -q "neither dns:NAME nor ip:ADDRESS" www.out &&
	ok "an identifier of another type: refused" ||
	bad "email identifier: HTTP $code $(cat www.out)"
post www "dns:www.example.com" no-such-profile
[ "$code" = 403 ] && ok "an unknown profile: refused" ||
	bad "unknown profile: HTTP $code $(cat www.out)"
csr evil www.example.org "DNS:www.example.org"
post evil "dns:www.example.org"
[ "$code" = 403 ] && ok "a name the profile denies, even validated: refused" ||
	bad "denied name: HTTP $code $(cat evil.out)"
[ "$(rows)" = "$n" ] && ok "refusals reserved no rows" ||
	bad "refusals left rows: $n -> $(rows)"
grep -F '"event":"cert.request"' "$log" | grep -F '"denied"' |
	grep -qF '"requester":"acme:acct-1"' &&
	ok "refusals are audited with the requester" ||
	bad "no audited refusal with the requester"

# ---- a front end that sends an ISSUE that does not decode ----------------------
front=$(front_pid)
curl -s -o /dev/null --max-time 5 "$base/test/ipc-bad-issue" || true
i=0
while [ $i -lt 100 ] && { [ "$(front_pid)" = "$front" ] || ! healthy; }; do
	sleep 0.2
	i=$((i + 1))
done
[ "$(front_pid)" != "$front" ] && healthy &&
	ok "an undecodable ISSUE: the front end is replaced" ||
	bad "the front end was not replaced after an undecodable ISSUE"
grep -q '"action":"killed".*"reason":"ISSUE does not decode"' "$log" &&
	ok "... and the kill is audited" || bad "no audit record of the kill"

# ---- the PIN is not in the front end's memory ---------------------------------
fe=$(dirname "$signet")/signet-frontend
if ldd "$fe" 2>/dev/null | grep -q libasan; then
	ok "core image search skipped: AddressSanitizer's shadow memory makes the core huge"
elif ! command -v gcore >/dev/null; then
	bad "gcore (Debian gdb) is not installed"
else
	front=$(front_pid)
	pin=$(cat "$work/fx/hsm/ca.pin")
	if gcore -o "$work/core" "$front" >gcore.out 2>&1 &&
		[ -s "$work/core.$front" ]; then
		# The control: the issuer name it serves is there.
		grep -q -a "test-ca" "$work/core.$front" &&
			ok "gcore of the front end (control: its issuer name is found)" ||
			bad "the core image search finds nothing at all"
		if grep -q -a -F -- "$pin" "$work/core.$front"; then
			bad "the token PIN is in the front end's memory"
		else
			ok "the token PIN is not in the front end's memory"
		fi
		rm -f "$work/core.$front"
	else
		bad "gcore of the front end failed: $(tail -3 gcore.out)"
	fi
fi
kill -TERM "$signer"
stop_wait
[ "$st" = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $st"

# ---- SIGTERM while a certificate is being signed ------------------------------
# Each signature by the CA key takes a second longer (p11fault).
export P11FAULT='C_Sign@*=hang:1000'
start "signatures take a second"
in_flight -TERM "$signer"
stop_wait
[ "$st" = 0 ] && ok "SIGTERM during an issuance: exit 0" ||
	bad "SIGTERM during an issuance: exit $st"
# post ran in a subshell: its status is lost, its file is not.
if grep -q 'BEGIN CERTIFICATE' www.out && openssl verify -CAfile "$CA_ROOT" \
	-untrusted "$CA_CERT" www.out >/dev/null 2>&1; then
	ok "... the request in flight got its certificate first"
else
	bad "... the request in flight was dropped: $(head -3 www.out)"
fi

# ---- the front end killed while its request is signed -------------------------
start "signatures take a second"
front=$(front_pid)
n=$(rows)
in_flight -KILL "$front"
i=0
while [ $i -lt 100 ] && ! healthy; do
	sleep 0.2
	i=$((i + 1))
done
healthy && ok "front end killed during an issuance: replaced, healthy" ||
	bad "no healthy front end after killing one during an issuance"
[ "$(rows)" = $((n + 1)) ] &&
	[ "$(sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status = 'pending'")" = 0 ] &&
	ok "... the signer finished and recorded the certificate" ||
	bad "... rows $n -> $(rows), pending: $(sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status = 'pending'")"
# ... and the signer killed while it signs.
in_flight -KILL "$signer"
stop_wait
[ "$st" = 137 ] && ok "signer killed during an issuance" ||
	bad "signer killed during an issuance: exit $st"
unset P11FAULT

# ---- the token fails every signature -----------------------------------------
export P11FAULT='C_Sign@*=CKR_DEVICE_ERROR'
start "the CA key cannot sign"
issued() {
	sqlite3 "$db" "SELECT count(*) FROM certificates WHERE status = 'issued'"
}
n=$(issued)
code=$(curl -s -D hdr -o www.out -w '%{http_code}' --max-time 60 \
	--data-binary @www.der \
	"$base/test/issue?profile=tls-server&requester=acme:acct-1&ids=dns:www.example.com" ||
	true)
[ "$code" = 503 ] && grep -qi '^Retry-After:' hdr &&
	ok "a token fault: 503 with Retry-After" ||
	bad "a token fault: HTTP $code $(cat www.out)"
curl -s --max-time 10 "$base/metrics" >metrics.txt || true
grep -q '^signet_token_errors_total [1-9]' metrics.txt &&
	ok "... counted in /metrics (signet_token_errors_total)" ||
	bad "... not in /metrics: $(grep token_errors metrics.txt)"
healthy && ok "... the service stays up" || bad "... the service is down"
[ "$(issued)" = "$n" ] && ok "... nothing issued" ||
	bad "... issued rows $n -> $(issued)"
kill -TERM "$signer"
stop_wait
unset P11FAULT

# ---- the signer killed at each step of the pipeline ---------------------------
for step in issue.policy issue.serial issue.lint issue.reserve issue.intent \
	issue.sign issue.record issue.outcome; do
	SIGNET_FAULT="kill:$step" "$signet" serve >>serve.out 2>>serve.err &
	signer=$!
	if ! up; then
		bad "$step: the service did not come up"
		tail -5 serve.err | sed 's/^/  | /' >&2
		stop_wait
		continue
	fi
	post www "dns:www.example.com"
	stop_wait
	if [ "$st" = 137 ] && [ "$code" != 200 ]; then
		ok "killed at $step: no certificate handed out (HTTP $code)"
	else
		bad "killed at $step: signer exit $st, HTTP $code"
	fi
done

mkdir -p out
if /usr/bin/python3 "$SIGNET_SOURCE_DIR/tests/cli/crash_judge.py" "$db" "$log" \
	"$P11FAULT_LOG" out >judge.out 2>&1; then
	ok "crash judge: $(cat judge.out)"
else
	bad "crash judge:"
	sed 's/^/  | /' judge.out >&2
fi
"$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" "$log" \
	>verify.out 2>&1 && ok "the audit log verifies" || {
	bad "the audit log does not verify"
	sed 's/^/  | /' verify.out >&2
}
if ca_db_resolve >resolve.why; then
	ok "db check --resolve leaves a clean database"
else
	bad "$(cat resolve.why)"
fi
# ... and with a request rate limit and the request log as JSON.
sed -i 's/^serve:$/serve:\n  max-request-rate: 5/' "$CA_CONFIG"
: >serve.err
"$signet" serve --log-format json >>serve.out 2>>serve.err &
signer=$!
up && ok "the service is up (5 requests/s per client, JSON log)" ||
	bad "the service did not come up with a rate limit"
post www "dns:www.example.com"
[ "$code" = 200 ] && ok "after the kills, issuance over IPC works" ||
	bad "after the kills: HTTP $code $(cat www.out)"
: >codes
i=0
while [ $i -lt 40 ]; do
	curl -s -o /dev/null -D "h$i" -w '%{http_code}\n' --max-time 5 \
		"$base/health" >>codes || true
	i=$((i + 1))
done
n429=$(grep -c '^429$' codes || true)
n200=$(grep -c '^200$' codes || true)
[ "$n429" -gt 0 ] && [ "$n200" -ge 5 ] &&
	ok "40 requests at once: $n200 answered, $n429 refused with 429" ||
	bad "rate limit: $n200 answered, $n429 refused"
grep -l '^HTTP/1.1 429' h* | head -1 | xargs grep -qi '^Retry-After: 1' &&
	ok "... 429 says Retry-After" || bad "... no Retry-After on 429"
sleep 1.2
healthy && ok "... and a second later the client is served again" ||
	bad "... still refused a second later"
curl -s --max-time 5 "$base/metrics" >metrics.txt || true
grep -q '^signet_http_rate_limited_total [1-9]' metrics.txt &&
	ok "... counted in /metrics" || bad "... not in /metrics"
python3 - serve.err <<'EOF' && ok "--log-format json: one JSON object per request" || bad "--log-format json: request lines are not JSON"
import json, sys
n = 0
for line in open(sys.argv[1]):
    if line.startswith("{"):
        o = json.loads(line)
        assert set(o) == {"time", "client", "method", "path", "status", "bytes", "ms"}, o
        assert o["client"] == "127.0.0.1", o
        n += 1
sys.exit(0 if n >= 40 else 1)
EOF
kill -TERM "$signer"
stop_wait
checks_done
