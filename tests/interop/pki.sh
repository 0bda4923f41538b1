# The demo's PKI and the tools that judge it, shared by tests/demo.sh and
# the interop tests (tests/interop/*.sh). Source it with PKI_SIGNET (the
# signet binary) and PKI_SRC (the source tree) set; ctest's SIGNET_BIN and
# SIGNET_SOURCE_DIR are taken when they are not. The ceremony files and the
# policy come from PKI_SHARE/ceremony and PKI_SHARE/policies (default
# PKI_SRC; an installed signet's share/signet). POSIX sh.
#
#   pki_start DIR          a fresh work directory; cd there, umask 077; on
#                          exit stop every process started here (and with
#                          PKI_REMOVE=1 remove DIR after a success)
#   pki_tokens             SoftHSM tokens "root" and "online" (hsm/), the
#                          example ceremony files and policy copied in
#   pki_ceremony NAME      signet ceremony run --yes ceremony/NAME.yaml
#   pki_root               ceremonies 01 and 02: root key, root certificate
#   pki_root_quorum        the root token under 2 of 3 custodians (00, made
#                          from 10-root-quorum.yaml), and the root's
#                          ceremonies 01, 02, 04 and 05 unlocked by two of
#                          them (their passphrases in custodians/*.pass)
#   pki_intermediate       ceremonies 03 and 04: intermediate key, CSR and
#                          audit key on the online token; the root signs it
#   pki_root_crl           ceremony 05: the root's first CRL
#   pki_root_crl_next N [SERIAL REASON]   the root's CRL N, revoking SERIAL
#   pki_ca_init            signet init of the online CA (ca/), exports
#                          SIGNET_CONFIG
#   pki_hierarchy          tokens, ceremonies 01 to 05, init
#   pki_test NAME          an interop test's start: pki_start in a new
#                          directory (removed after a success), pki_hierarchy
#   pki_verify_audit       signet audit verify of ca/audit.log
#   pki_verify_transcripts signet ceremony verify of ceremonies 01 to 05
#   pki_csr NAME SUBJ SAN [ec|rsa]   NAME.key and NAME.csr (openssl)
#   pki_issue PROFILE NAME [opts]    NAME-chain.pem (leaf, intermediate),
#                          NAME.crt (leaf), NAME.serial (hex)
#   pki_rogue NAME SAN     NAME.key/.crt from a software CA that copies the
#                          root's name (rogue-root.pem): same names, other key
#   pki_crl_bundle         signet crl ($PKI_CRL), then crl-bundle.pem: that
#                          CRL and the root's, what nginx's ssl_crl needs
#   pki_nginx_start CHAIN KEY CA [CRL]   nginx on 127.0.0.1:$PKI_PORT
#   pki_nginx_reload CHAIN KEY CA [CRL]  new configuration, old workers gone
#   pki_nginx_stop
#   pki_curl NAME|none [HOST [CAFILE [PATH]]]   GET with NAME-chain.pem and
#                          NAME.key as the client certificate: HTTP status in
#                          curl.code, body in curl.body, exit in curl.exit
#   pki_curl_expect EXIT CODE TEXT WHAT NAME|none [...]   the same, checked
#   pki_s_server OUT ARGS...  openssl s_server for one connection on
#                          127.0.0.1:$PKI_PORT; pki_s_server_wait: it ended
#
# Checks are counted; pki_done exits 1 if any failed. PKI_FATAL=1 stops at
# the first failure instead, as the demo does.
#   pki_run NAME CMD...            run CMD, output in log/NAME.log ($PKI_LOG),
#                                  must exit 0
#   pki_expect STATUS NAME CMD...  the same, must exit STATUS
#   pki_has FILE TEXT WHAT / pki_hasnt FILE TEXT WHAT   fixed strings
#   pki_equals VALUE EXPECTED WHAT
#   pki_ok WHAT / pki_bad WHAT
#
# PKI_ECHO=1 prints each command as "  $ command", with paths relative to
# the work directory, before running it.

: "${PKI_SIGNET:=${SIGNET_BIN:-}}"
: "${PKI_SRC:=${SIGNET_SOURCE_DIR:-}}"
: "${PKI_SHARE:=$PKI_SRC}"
: "${PKI_FATAL:=0}"
: "${PKI_ECHO:=0}"
PKI_FAILS=0
PKI_CHECKS=0
PKI_PIDS=""
PKI_NGINX_PID=""
PKI_CRLS=0

pki_ok() {
	PKI_CHECKS=$((PKI_CHECKS + 1))
	printf '  ok: %s\n' "$*"
}

pki_bad() {
	PKI_CHECKS=$((PKI_CHECKS + 1))
	PKI_FAILS=$((PKI_FAILS + 1))
	printf 'FAIL: %s\n' "$*" >&2
	if [ "$PKI_FATAL" = 1 ]; then
		exit 1
	fi
	return 0
}

# pki_show FILE: FILE indented, for a failure's context.
pki_show() {
	if [ -s "$1" ]; then
		sed 's/^/  | /' "$1" >&2
	fi
}

# The command as a reader would type it: signet for the binary, paths
# relative to the work directory.
pki_echo() {
	[ "$PKI_ECHO" = 1 ] || return 0
	_line=""
	for _a in "$@"; do
		[ "$_a" = "$PKI_SIGNET" ] && _a=signet
		case "$_a" in
		*"$PKI_DIR/"*) _a=$(printf '%s' "$_a" | sed "s|$PKI_DIR/||g") ;;
		*) ;;
		esac
		case "$_a" in
		"&" | ">"*) ;;
		*[!A-Za-z0-9_./:=,@%+-]*) _a="'$_a'" ;;
		*) ;;
		esac
		_line="$_line $_a"
	done
	printf '  $%s\n' "$_line"
}

# pki_status NAME CMD...: run CMD, output in log/NAME.log; sets PKI_STATUS.
pki_status() {
	PKI_LOG=$PKI_DIR/log/$1.log
	shift
	pki_echo "$@"
	set +e
	"$@" >"$PKI_LOG" 2>&1
	PKI_STATUS=$?
	set -e
}

pki_run() {
	pki_status "$@"
	if [ "$PKI_STATUS" -eq 0 ]; then
		return 0
	fi
	pki_bad "$1: exit $PKI_STATUS (log/$1.log)"
	pki_show "$PKI_LOG"
	return 1
}

pki_expect() {
	_want=$1
	shift
	pki_status "$@"
	if [ "$PKI_STATUS" -eq "$_want" ]; then
		pki_ok "$1: exit $_want"
		return 0
	fi
	pki_bad "$1: exit $PKI_STATUS, expected $_want (log/$1.log)"
	pki_show "$PKI_LOG"
	return 1
}

pki_has() {
	if grep -qF -- "$2" "$1"; then
		pki_ok "$3"
	else
		pki_bad "$3: '$2' not in $1"
		pki_show "$1"
	fi
}

pki_hasnt() {
	if grep -qF -- "$2" "$1"; then
		pki_bad "$3: '$2' is in $1"
		pki_show "$1"
	else
		pki_ok "$3"
	fi
}

pki_equals() {
	if [ "$1" = "$2" ]; then
		pki_ok "$3: $2"
	else
		pki_bad "$3: '$1', expected '$2'"
	fi
}

pki_done() {
	if [ "$PKI_FAILS" -ne 0 ]; then
		echo "$PKI_FAILS of $PKI_CHECKS checks failed" >&2
		exit 1
	fi
	echo "all $PKI_CHECKS checks passed"
}

# pki_alive PID: running (a zombie, exited but not yet reaped, is not).
pki_alive() {
	ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'
}

# Every process pki_* started, stopped: nginx gracefully (its master waits
# for its workers), the rest with TERM.
pki_stop_all() {
	if [ -n "$PKI_NGINX_PID" ]; then
		pki_nginx_stop || true
	fi
	for _p in $PKI_PIDS; do
		if pki_alive "$_p"; then
			kill "$_p" 2>/dev/null || true
		fi
		wait "$_p" 2>/dev/null || true
	done
	PKI_PIDS=""
}

# On exit: stop what was started; with PKI_REMOVE=1 remove the work
# directory after a success, keep it (and say where) after a failure.
pki_exit() {
	_st=$?
	pki_stop_all
	if [ "${PKI_REMOVE:-0}" = 1 ] && [ -n "${PKI_DIR:-}" ]; then
		if [ "$_st" -eq 0 ]; then
			cd /
			rm -rf "$PKI_DIR"
		else
			echo "work directory kept: $PKI_DIR" >&2
		fi
	fi
}

pki_start() {
	if [ -z "$PKI_SIGNET" ] || [ -z "$PKI_SRC" ]; then
		echo "pki.sh: set PKI_SIGNET and PKI_SRC (or run under ctest)" >&2
		exit 2
	fi
	umask 077
	mkdir -p "$1/log"
	PKI_DIR=$(cd "$1" && pwd)
	cd "$PKI_DIR"
	trap 'pki_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# pki_test NAME: an interop test's start: a work directory under $TMPDIR
# removed after a success, the whole hierarchy built in it.
pki_test() {
	PKI_REMOVE=1
	pki_start "$(mktemp -d "${TMPDIR:-/tmp}/signet-$1.XXXXXX")"
	pki_hierarchy || exit 1
}

# ---- the hierarchy: tokens, ceremonies, the online CA ----------------------

pki_tokens() {
	pki_run mktoken "$PKI_SRC/hsm/mktoken.sh" "$PKI_DIR/hsm" root online ||
		return 1
	SOFTHSM2_CONF=$PKI_DIR/hsm/softhsm2.conf
	export SOFTHSM2_CONF
	cp -r "$PKI_SHARE/ceremony" "$PKI_SHARE/policies" "$PKI_DIR/"
}

# pki_ceremony NAME: ceremony/NAME.yaml, with --yes: no operator types the
# confirmation code here (the transcript records that).
pki_ceremony() {
	pki_run "$1" "$PKI_SIGNET" ceremony run --yes "ceremony/$1.yaml"
}

pki_root() {
	pki_ceremony 01-root-key && pki_ceremony 02-root-cert
}

pki_root_quorum() {
	mkdir -p shares custodians || return 1
	for _c in carol dave erin frank; do
		printf 'passphrase of %s, for the demo only\n' "$_c" \
			>"custodians/$_c.pass" || return 1
	done
	chmod 600 custodians/*.pass
	# 10-root-quorum.yaml without its key: the token has none yet, so
	# this one transcript is unsigned; the later ones name the split.
	sed -e '/^# The root key signs/,/^  id: "01"$/d' \
		-e 's/^description: .*/description: Example Corp root token, 2 of 3 custodians/' \
		ceremony/10-root-quorum.yaml >ceremony/00-root-quorum.yaml
	pki_ceremony 00-root-quorum || return 1
	for _f in 01-root-key 02-root-cert 04-intermediate-cert 05-root-crl; do
		sed -i 's|^  pin-source: file:hsm/root.pin$|  pin-source: quorum|' \
			"ceremony/$_f.yaml"
		printf '%s\n' 'quorum:' '  custodians:' \
			'    - name: Carol Custodian' \
			'      share: shares/root-carol.share' \
			'      passphrase-source: file:custodians/carol.pass' \
			'    - name: Erin Custodian' \
			'      share: shares/root-erin.share' \
			'      passphrase-source: file:custodians/erin.pass' \
			>>"ceremony/$_f.yaml"
	done
}

pki_intermediate() {
	pki_ceremony 03-intermediate-key && pki_ceremony 04-intermediate-cert
}

pki_root_crl() {
	pki_ceremony 05-root-crl
}

# pki_root_crl_next N [SERIAL REASON]: the root's CRL number N (after N-1),
# revoking SERIAL (hex) if given; a ceremony file made from 05-root-crl.yaml.
# Sets PKI_ROOT_CRL to its PEM.
pki_root_crl_next() {
	_prev=$(($1 - 1))
	sed -e "s/root-crl-1\.crl/root-crl-$1.crl/g" \
		-e "s/^  number: 1$/  number: $1/" -e "s/CRL 1$/CRL $1/" \
		-e "s/^  # previous-crl: .*/  previous-crl: root-crl-$_prev.crl/" \
		ceremony/05-root-crl.yaml >"ceremony/root-crl-$1.yaml"
	if [ $# -ge 3 ]; then
		printf '%s\n' "  revoked:" "    - serial: \"$2\"" \
			"      date: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
			"      reason: $3" >revoked.yaml
		sed -i '/^  next-update:/r revoked.yaml' "ceremony/root-crl-$1.yaml"
	fi
	# thisUpdate must be later than the previous CRL's, to the second.
	_last=$(openssl crl -inform DER -in "root-crl-$_prev.crl" -noout \
		-lastupdate | cut -d= -f2)
	pki_wait_for 3 pki_later_than "$_last" || return 1
	pki_ceremony "root-crl-$1" || return 1
	PKI_ROOT_CRL=root-crl-$1.crl.pem
}

pki_later_than() {
	[ "$(date -u +%s)" -gt "$(date -u -d "$1" +%s)" ]
}

pki_ca_init() {
	pki_run init "$PKI_SIGNET" init --dir "$PKI_DIR/ca" \
		--ca-cert intermediate.pem --chain root.pem \
		--key "pkcs11:token=online;object=intermediate-key" \
		--audit-key "pkcs11:token=online;object=audit-key" \
		--policy policies/default.yaml \
		--pin-source file:hsm/online.pin || return 1
	SIGNET_CONFIG=$PKI_DIR/ca/signet.yaml
	export SIGNET_CONFIG
}

pki_hierarchy() {
	pki_tokens && pki_root && pki_intermediate && pki_root_crl &&
		pki_ca_init
}

# The records: the audit log verified with the audit key, each ceremony
# transcript with the key that signed it.
pki_verify_audit() {
	pki_run audit-verify "$PKI_SIGNET" audit verify --strict \
		--key audit.pub.pem ca/audit.log &&
		pki_has "$PKI_LOG" "ok: the chain is intact" "the audit log verifies"
}

pki_verify_transcripts() {
	for _t in 01-root-key:--key:root-key.pub.pem 02-root-cert:--cert:root.pem \
		03-intermediate-key:--key:intermediate.pub.pem \
		04-intermediate-cert:--cert:root.pem 05-root-crl:--cert:root.pem; do
		_tr=${_t%%:*}
		_rest=${_t#*:}
		pki_run "verify-$_tr" "$PKI_SIGNET" ceremony verify \
			"$_tr.transcript.json" "${_rest%%:*}" "${_rest#*:}" &&
			pki_has "$PKI_LOG" "verified" "transcript $_tr verified"
	done
}

# ---- subscribers ------------------------------------------------------------

pki_csr() {
	case "${4:-ec}" in
	rsa) set -- "$1" "$2" "$3" -newkey rsa:2048 ;;
	*) set -- "$1" "$2" "$3" -newkey ec -pkeyopt ec_paramgen_curve:P-256 ;;
	esac
	_n=$1
	_subj=$2
	_san=$3
	shift 3
	# SAN "-": none.
	[ "$_san" = - ] || set -- "$@" -addext "subjectAltName=$_san"
	pki_run "csr-$_n" openssl req -new "$@" -nodes -keyout "$_n.key" \
		-out "$_n.csr" -subj "$_subj"
}

pki_issue() {
	_p=$1
	_n=$2
	shift 2
	pki_run "issue-$_n" "$PKI_SIGNET" issue --profile "$_p" \
		--csr "$_n.csr" --out "$_n-chain.pem" --chain "$@" || return 1
	openssl x509 -in "$_n-chain.pem" -out "$_n.crt"
	openssl x509 -in "$_n.crt" -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f' >"$_n.serial"
}

# A CA that copies the root's name with a key of its own, and a leaf from
# it without an authority key identifier: a verifier that finds the issuer
# by name alone must tell the impostor by its signature.
pki_rogue() {
	_n=$1
	if [ ! -f rogue-root.pem ]; then
		printf '%s\n' "[ca]" "basicConstraints=critical,CA:TRUE" \
			"keyUsage=critical,keyCertSign,cRLSign" \
			"subjectKeyIdentifier=hash" >rogue.cnf
		pki_run rogue-root openssl req -x509 -newkey ec \
			-pkeyopt ec_paramgen_curve:P-384 -nodes \
			-keyout rogue-root.key -out rogue-root.pem -days 30 \
			-subj "/O=Example Corp/CN=Example Corp Root CA R1" \
			-config rogue.cnf -extensions ca || return 1
	fi
	pki_csr "$_n" "/CN=rogue" "$2" || return 1
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		"subjectAltName=$2" "authorityKeyIdentifier=none" \
		"subjectKeyIdentifier=none" >"$_n.ext"
	pki_run "rogue-$_n" openssl x509 -req -in "$_n.csr" \
		-CA rogue-root.pem -CAkey rogue-root.key -days 30 \
		-set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
		-extfile "$_n.ext" -out "$_n.crt" || return 1
	cp "$_n.crt" "$_n-chain.pem"
}

# A new CRL of the online CA, and the bundle nginx takes: with ssl_crl,
# OpenSSL checks every certificate of the chain below the root, so the
# root's CRL must be there too (ceremony 05).
pki_crl_bundle() {
	PKI_CRLS=$((PKI_CRLS + 1))
	PKI_CRL=intermediate-$PKI_CRLS.crl.pem
	pki_run "crl-$PKI_CRLS" "$PKI_SIGNET" crl --pem --out "$PKI_CRL" ||
		return 1
	set -- "$PKI_CRL" "${PKI_ROOT_CRL:-root-crl-1.crl.pem}"
	pki_echo cat "$@" ">crl-bundle.pem"
	cat "$@" >crl-bundle.pem
}

# ---- servers ----------------------------------------------------------------

# A TCP port nobody listens on now. Servers retry with another if one is
# taken between this and their bind.
pki_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# pki_wait_for SECONDS CMD...: until CMD succeeds (tenths of a second).
pki_wait_for() {
	_tries=$(($1 * 10))
	shift
	while ! "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# nginx as the user running this, in nginx/ of the work directory: its own
# prefix, pid file, logs and temporary directories, listening on 127.0.0.1
# only. As root, its workers run as nobody (they read no file: the master
# loads certificates, keys and CRLs). PKI_NGINX_VERIFY (default on) is its
# ssl_verify_client: optional serves clients without a certificate too.
pki_nginx_conf() {
	mkdir -p "$PKI_DIR/nginx/tmp"
	_ngx=$PKI_DIR/nginx
	{
		if [ "$(id -u)" -eq 0 ]; then
			echo "user nobody $(id -gn nobody);"
		fi
		cat <<EOF
worker_processes 1;
pid $_ngx/nginx.pid;
error_log $_ngx/error.log info;
events { worker_connections 64; }
http {
    access_log $_ngx/access.log;
    client_body_temp_path $_ngx/tmp/body;
    proxy_temp_path $_ngx/tmp/proxy;
    fastcgi_temp_path $_ngx/tmp/fastcgi;
    uwsgi_temp_path $_ngx/tmp/uwsgi;
    scgi_temp_path $_ngx/tmp/scgi;
    server {
        listen 127.0.0.1:$PKI_PORT ssl;
        server_name www.example.com;
        ssl_certificate $PKI_DIR/$1;
        ssl_certificate_key $PKI_DIR/$2;
        ssl_client_certificate $PKI_DIR/$3;
        ssl_verify_client ${PKI_NGINX_VERIFY:-on};
        ssl_verify_depth 2;
EOF
		if [ -n "${4:-}" ]; then
			echo "        ssl_crl $PKI_DIR/$4;"
		fi
		cat <<'EOF'
        default_type text/plain;
        location / {
            return 200 "hello $ssl_client_s_dn: $ssl_client_verify\n";
        }
        location /cert {
            return 200 "$ssl_client_escaped_cert";
        }
    }
}
EOF
	} >"$_ngx/nginx.conf"
}

pki_nginx_test() {
	pki_run nginx-t nginx -p "$PKI_DIR/nginx" -c "$PKI_DIR/nginx/nginx.conf" \
		-e "$PKI_DIR/nginx/error.log" -t
}

pki_nginx_up() {
	[ -s "$PKI_DIR/nginx/nginx.pid" ] || ! pki_alive "$PKI_NGINX_PID"
}

pki_nginx_start() {
	if ! nginx -V 2>&1 | grep -q -- --with-http_ssl_module; then
		pki_bad "this nginx has no SSL module (nginx -V); install nginx-light"
		return 1
	fi
	for _try in 1 2 3 4 5; do
		PKI_PORT=$(pki_free_port)
		pki_nginx_conf "$@"
		rm -f "$PKI_DIR/nginx/nginx.pid" "$PKI_DIR/nginx/error.log"
		pki_nginx_test || return 1
		set -- nginx -p "$PKI_DIR/nginx" -c "$PKI_DIR/nginx/nginx.conf" \
			-e "$PKI_DIR/nginx/error.log" -g "daemon off;"
		pki_echo "$@" "&"
		# In the foreground of a background job: its pid is ours to stop.
		"$@" >"$PKI_DIR/log/nginx.log" 2>&1 &
		PKI_NGINX_PID=$!
		if ! pki_wait_for 20 pki_nginx_up; then
			pki_bad "nginx did not start within 20 s"
			pki_show "$PKI_DIR/nginx/error.log"
			return 1
		fi
		if pki_alive "$PKI_NGINX_PID"; then
			return 0
		fi
		wait "$PKI_NGINX_PID" 2>/dev/null || true
		PKI_NGINX_PID=""
		if ! grep -q "Address already in use" "$PKI_DIR/nginx/error.log"; then
			break
		fi
	done
	pki_bad "nginx did not start"
	pki_show "$PKI_DIR/nginx/error.log"
	pki_show "$PKI_DIR/log/nginx.log"
	return 1
}

pki_nginx_workers() {
	ps -o pid= --ppid "$PKI_NGINX_PID" | tr -d ' '
}

pki_nginx_gone() {
	for _w in $PKI_OLD_WORKERS; do
		if pki_alive "$_w"; then
			return 1
		fi
	done
	[ -n "$(pki_nginx_workers)" ]
}

# A reload is done when every old worker has exited and a new one runs: from
# then on every connection is served with the new configuration. A
# configuration nginx refuses keeps the old workers: that is a failure here.
pki_nginx_reload() {
	pki_nginx_conf "$@"
	pki_nginx_test || return 1
	PKI_OLD_WORKERS=$(pki_nginx_workers)
	pki_echo kill -HUP "$PKI_NGINX_PID"
	kill -HUP "$PKI_NGINX_PID"
	if ! pki_wait_for 20 pki_nginx_gone; then
		pki_bad "nginx did not reload within 20 s"
		pki_show "$PKI_DIR/nginx/error.log"
		return 1
	fi
}

pki_nginx_stop() {
	[ -n "$PKI_NGINX_PID" ] || return 0
	PKI_OLD_WORKERS=$(pki_nginx_workers)
	kill -TERM "$PKI_NGINX_PID" 2>/dev/null || true
	wait "$PKI_NGINX_PID" 2>/dev/null || true
	PKI_NGINX_PID=""
	for _w in $PKI_OLD_WORKERS; do
		if pki_alive "$_w"; then
			echo "pki.sh: nginx worker $_w outlived its master" >&2
			kill -KILL "$_w" 2>/dev/null || true
			return 1
		fi
	done
}

# pki_curl NAME|none [HOST [CAFILE [PATH]]]: the server's name resolves to
# 127.0.0.1 (--resolve), its certificate is checked against CAFILE (default
# root.pem) and HOST (default www.example.com).
pki_curl() {
	_host=${2:-www.example.com}
	set -- "$1" "$_host" "${3:-root.pem}" "${4:-/}"
	_url=https://$2:$PKI_PORT$4
	_ca=$3
	if [ "$1" = none ]; then
		set -- --cacert "$_ca"
	else
		set -- --cacert "$_ca" --cert "$1-chain.pem" --key "$1.key"
	fi
	set -- "$@" --resolve "$_host:$PKI_PORT:127.0.0.1" "$_url"
	pki_echo curl "$@"
	set +e
	curl -sS --max-time 20 -o curl.body -w '%{http_code}' "$@" \
		>curl.code 2>curl.err
	echo $? >curl.exit
	set -e
}

# pki_curl_expect EXIT CODE TEXT WHAT NAME|none [HOST [CAFILE [PATH]]]: curl
# must exit EXIT with HTTP status CODE and TEXT in the body (or, for an
# exit other than 0, in curl's message).
pki_curl_expect() {
	_exit=$1
	_code=$2
	_text=$3
	_what=$4
	shift 4
	pki_curl "$@"
	if [ "$(cat curl.exit)" != "$_exit" ] || [ "$(cat curl.code)" != "$_code" ]; then
		pki_bad "$_what: curl exit $(cat curl.exit), HTTP $(cat curl.code); expected exit $_exit, HTTP $_code"
		pki_show curl.err
		pki_show curl.body
		return 0
	fi
	if [ "$_exit" -eq 0 ]; then
		pki_has curl.body "$_text" "$_what: HTTP $_code, '$_text'"
	else
		pki_has curl.err "$_text" "$_what: curl exit $_exit, '$_text'"
	fi
}

pki_ss_up() {
	grep -q '^ACCEPT' "$PKI_SS_OUT" 2>/dev/null || ! pki_alive "$PKI_SS_PID"
}

# pki_s_server OUT ARGS...: openssl s_server for one connection on
# 127.0.0.1:$PKI_PORT, its output in OUT; returns once it accepts.
pki_s_server() {
	PKI_SS_OUT=$1
	shift
	for _try in 1 2 3 4 5; do
		PKI_PORT=$(pki_free_port)
		pki_echo openssl s_server -accept "127.0.0.1:$PKI_PORT" "$@"
		openssl s_server -accept "127.0.0.1:$PKI_PORT" -naccept 1 "$@" \
			>"$PKI_SS_OUT" 2>&1 </dev/null &
		PKI_SS_PID=$!
		PKI_PIDS="$PKI_PIDS $PKI_SS_PID"
		if ! pki_wait_for 20 pki_ss_up; then
			pki_bad "s_server did not start within 20 s"
			return 1
		fi
		if pki_alive "$PKI_SS_PID"; then
			return 0
		fi
		if ! grep -q "Address already in use" "$PKI_SS_OUT"; then
			break
		fi
	done
	pki_bad "s_server did not start"
	pki_show "$PKI_SS_OUT"
	return 1
}

# pki_s_server_wait: s_server has served its one connection and exited.
pki_s_server_wait() {
	if ! pki_wait_for 20 pki_ss_gone; then
		pki_bad "s_server still runs 20 s after its connection"
		kill "$PKI_SS_PID" 2>/dev/null || true
	fi
	wait "$PKI_SS_PID" 2>/dev/null || true
}

pki_ss_gone() {
	! pki_alive "$PKI_SS_PID"
}
