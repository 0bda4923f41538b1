# A two-level PKI on a throwaway SoftHSM token, for the online CA's tests
# (and any other suite that needs an issuing CA). Source it, then:
#
#   ca_fixture DIR [KEYTYPE]
#
# makes, under DIR:
#   hsm/                SoftHSM tokens: "ca" (PIN in hsm/ca.pin)
#   root.key, root.pem  a root CA with a software P-256 key (tests only)
#   ca.pem              an intermediate issued by the root to a key
#                       generated ON the token ("ca-key", KEYTYPE,
#                       default ec-p256), name-constrained to example.com
#                       as policies/default.yaml's intermediate-ca is
#                       (CA_FIXTURE_NC, if set, replaces its
#                       nameConstraints entries: openssl x509v3 syntax)
#   chain.pem           the root (what init's --chain takes)
# and a second key on the token, "audit-key" (P-256), for the audit log.
# It exports SOFTHSM2_CONF and sets CA_KEY_URI, AUDIT_KEY_URI, CA_PIN
# (a pin-source spec), CA_CERT, CA_ROOT, CA_CHAIN, CA_POLICY.
#
#   ca_instance DIR [init options...]
#
# runs `signet init` for it into DIR/ca and sets CA_CONFIG.
#
#   ca_csr NAME SUBJECT SAN [KEYTYPE]
#
# writes NAME.key and NAME.csr (openssl req) in the current directory:
# SAN like "DNS:www.example.com"; KEYTYPE ec (default) or rsa.
#
# Needs SIGNET_BIN and SIGNET_SOURCE_DIR (set by ctest).

ca_fixture() {
	_d=$1
	_type=${2:-ec-p256}
	mkdir -p "$_d"
	_d=$(cd "$_d" && pwd)
	"$SIGNET_SOURCE_DIR/hsm/mktoken.sh" "$_d/hsm" ca >/dev/null
	SOFTHSM2_CONF=$_d/hsm/softhsm2.conf
	export SOFTHSM2_CONF
	CA_PIN="file:$_d/hsm/ca.pin"
	CA_KEY_URI="pkcs11:token=ca;object=ca-key"
	AUDIT_KEY_URI="pkcs11:token=ca;object=audit-key"
	"$SIGNET_BIN" token keygen --token "pkcs11:token=ca?pin-source=$CA_PIN" \
		--label ca-key --type "$_type" --pubout "$_d/ca-key.pub" \
		>/dev/null || return 1
	"$SIGNET_BIN" token keygen --token "pkcs11:token=ca?pin-source=$CA_PIN" \
		--label audit-key --type ec-p256 --pubout "$_d/audit-key.pub" \
		>/dev/null || return 1
	ca_fixture_certs "$_d" "$_d/ca-key.pub" || return 1
	cp "$_d/root.pem" "$_d/chain.pem"
	CA_CERT=$_d/ca.pem
	CA_ROOT=$_d/root.pem
	CA_CHAIN=$_d/chain.pem
	CA_POLICY=$SIGNET_SOURCE_DIR/policies/default.yaml
	CA_FIXTURE_DIR=$_d
}

# ca_fixture_certs DIR PUB: under DIR, a root CA with a software P-256 key
# (root.key, root.pem) and an intermediate for the public key PUB (ca.pem),
# as ca_fixture describes them; whatever token holds PUB's key.
ca_fixture_certs() {
	_d=$1
	_pub=$2
	_nc=${CA_FIXTURE_NC:-permitted;DNS:example.com, permitted;email:example.com, permitted;email:.example.com, permitted;URI:example.com, excluded;IP:0.0.0.0/0.0.0.0, excluded;IP:::/::}
	cat >"$_d/x509.cnf" <<EOF
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
nameConstraints = critical, $_nc
EOF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$_d/root.key" 2>/dev/null || return 1
	openssl req -x509 -new -key "$_d/root.key" -sha256 -days 3650 \
		-subj "/O=Example Corp/CN=Signet Test Root" \
		-config "$_d/x509.cnf" -extensions root \
		-out "$_d/root.pem" 2>/dev/null || return 1
	openssl x509 -new -force_pubkey "$_pub" \
		-subj "/O=Example Corp/CN=Signet Test Intermediate" \
		-CA "$_d/root.pem" -CAkey "$_d/root.key" -sha256 -days 1825 \
		-set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
		-extfile "$_d/x509.cnf" -extensions intermediate \
		-out "$_d/ca.pem" 2>/dev/null || return 1
}

ca_instance() {
	_i=$1
	shift
	"$SIGNET_BIN" init --dir "$_i" --ca-cert "$CA_CERT" \
		--chain "$CA_CHAIN" --key "$CA_KEY_URI" \
		--audit-key "$AUDIT_KEY_URI" --policy "$CA_POLICY" \
		--pin-source "$CA_PIN" "$@" >/dev/null || return 1
	CA_CONFIG=$(cd "$_i" && pwd)/signet.yaml
}

ca_csr() {
	_n=$1
	_subj=$2
	_san=$3
	case "${4:-ec}" in
	rsa) _alg="-newkey rsa:2048" ;;
	*) _alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	esac
	# shellcheck disable=SC2086
	openssl req -new $_alg -nodes -keyout "$_n.key" -out "$_n.csr" \
		-subj "$_subj" -addext "subjectAltName=$_san" 2>/dev/null
}

# ca_csr_key KEYFILE NAME SUBJECT SAN: NAME.csr for an existing key
# (quicker than a fresh key per CSR, for tests that need many).
ca_csr_key() {
	openssl req -new -key "$1" -out "$2.csr" -subj "$3" \
		-addext "subjectAltName=$4" 2>/dev/null
}

# ca_instance_p11fault DIR [init options...]: ca_instance with the CA key
# behind p11fault ($SIGNET_P11FAULT) and the audit key straight on SoftHSM,
# so that p11fault's call log (P11FAULT_LOG) counts the CA key's
# signatures only, and faults hit the CA key alone.
ca_instance_p11fault() {
	_i=$1
	shift
	ca_instance "$_i" --module "$SIGNET_P11FAULT" "$@" || return 1
	sed -i "s|^  key: \"$AUDIT_KEY_URI\"\$|&\\n  module: \"/usr/lib/softhsm/libsofthsm2.so\"|" \
		"$CA_CONFIG"
	grep -q 'module: "/usr/lib/softhsm/libsofthsm2.so"' "$CA_CONFIG" || {
		echo "ca_instance_p11fault: could not route the audit key around p11fault" >&2
		return 1
	}
}

# ca_db_resolve: signet db check (0 or 31: findings), then --resolve, then
# a check that must be clean, in the current directory (check.json is
# left for the caller). Prints what went wrong and returns 1 if anything
# did. Call it in a condition (if ! ca_db_resolve; ...).
ca_db_resolve() {
	_ok=0
	"$SIGNET_BIN" db check --grace 0 --json >check.json 2>check.err
	_st=$?
	if [ "$_st" -ne 0 ] && [ "$_st" -ne 31 ]; then
		echo "db check failed to run (exit $_st):"
		sed 's/^/  | /' check.err
		_ok=1
	fi
	"$SIGNET_BIN" db check --grace 0 --resolve >resolve.out 2>&1
	_rst=$?
	"$SIGNET_BIN" db check --grace 0 >clean.out 2>&1
	_cst=$?
	if [ "$_rst" -ne 0 ] || [ "$_cst" -ne 0 ]; then
		echo "db check --resolve did not leave a clean state (exit" \
			"$_rst, then $_cst):"
		sed 's/^/  | /' resolve.out clean.out
		_ok=1
	fi
	return "$_ok"
}

# ca_serial CERT: the certificate's serial as signet prints it (lower-case
# hex, whole bytes, no leading zero byte).
ca_serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' |
		sed "s/^\\(00\\)*//"
}

# ca_issue_named NAME: a tls-server certificate for NAME.example.com into
# NAME.crt (config from SIGNET_CONFIG); prints its serial.
ca_issue_named() {
	ca_csr "$1" "/CN=$1.example.com" "DNS:$1.example.com"
	"$SIGNET_BIN" issue --profile tls-server --csr "$1.csr" \
		--out "$1.crt" >/dev/null || return 1
	ca_serial "$1.crt"
}

# ca_db_check STATUS WHAT TEXT...: signet db check --grace 0 exits STATUS
# and its output holds every TEXT (run and contains, tests/cli/checks.sh).
ca_db_check() {
	_dst=$1
	_dwhat=$2
	shift 2
	run "$_dst" "$_dwhat" "$SIGNET_BIN" db check --grace 0
	for _t in "$@"; do
		contains out "$_t" "$_dwhat: '$_t' is reported"
	done
}
