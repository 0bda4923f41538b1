#!/bin/sh
# The files an instance trusts and the files it writes (issues 13 and 14):
# another local user (nobody, through setpriv) who can write the policy's
# directory, or who owns a file, gets nothing signed; group-writable
# directories and world-writable certificates are refused; --out never
# replaces a file of the instance, nor without --force a file that is no
# certificate or CRL of this CA; init refuses an unrelated chain, a CA
# certificate without subjectKeyIdentifier and a bad policy before keeping
# anything; oversized inputs are named against their limits and classed.
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-ca-files.XXXXXX")
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

ca_fixture "$work/fx"
ca_instance "$work/ca"
export SIGNET_CONFIG="$CA_CONFIG"
cp "$CA_CONFIG" "$work/signet.yaml.orig"
db=$work/ca/signet.db
rows() { sqlite3 "$db" "SELECT count(*) FROM certificates"; }
ca_csr good "/CN=good.example.com" "DNS:good.example.com"
run 0 "a certificate to start with" "$signet" issue --profile tls-server \
	--csr good.csr --out good.crt

# ---- A: files trusted, as OpenSSH's StrictModes trusts them -----------------
as_nobody=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
	id nobody >/dev/null 2>&1; then
	as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
if [ -n "$as_nobody" ]; then
	# A policy in a directory every user may write: nobody swaps it.
	chmod 755 "$work"
	mkdir -m 777 "$work/drop"
	cp "$work/ca/policy.yaml" "$work/drop/policy.yaml"
	chmod 644 "$work/drop/policy.yaml"
	sed -i "s|^policy: .*|policy: $work/drop/policy.yaml|" "$CA_CONFIG"
	$as_nobody sh -c "cp '$work/drop/policy.yaml' '$work/drop/p.new' &&
		echo '# swapped by nobody' >>'$work/drop/p.new' &&
		mv -f '$work/drop/p.new' '$work/drop/policy.yaml'"
	if [ "$(stat -c %U "$work/drop/policy.yaml")" = nobody ]; then
		ok "nobody replaced the policy in a world-writable directory"
	else
		bad "the test could not swap the policy as nobody"
	fi
	r0=$(rows)
	run 3 "a policy another user swapped" "$signet" issue \
		--profile tls-server --csr good.csr --out swapped.crt
	contains err "$work/drop" "the writable directory is named"
	contains err "chmod go-w" "and the fix"
	[ "$(rows)" -eq "$r0" ] && ok "nothing reserved" || bad "a row was added"
	# Even once the directory is closed, the file is nobody's.
	chmod 755 "$work/drop"
	run 3 "a policy owned by another user" "$signet" issue \
		--profile tls-server --csr good.csr --out swapped.crt
	contains err "owned by uid $(id -u nobody)" "its owner is named"
	cp "$work/signet.yaml.orig" "$CA_CONFIG"
	chmod 700 "$work"

	# A PIN file of another user chooses the PIN signet logs in with.
	cp "$CA_FIXTURE_DIR/hsm/ca.pin" "$work/nobody.pin"
	chown nobody "$work/nobody.pin"
	sed -i "s|^  pin-source: .*|  pin-source: \"file:$work/nobody.pin\"|" \
		"$CA_CONFIG"
	run 26 "a PIN file owned by another user" "$signet" issue \
		--profile tls-server --csr good.csr --out x.crt
	contains err "owned by uid" "the owner is named"
	cp "$work/signet.yaml.orig" "$CA_CONFIG"
else
	echo "skip: setpriv as nobody needs root and util-linux"
fi

# A group that may write the instance directory may replace any file in it.
chmod 770 "$work/ca"
run 3 "a group-writable instance directory" "$signet" issue \
	--profile tls-server --csr good.csr --out x.crt
contains err "writable by its group" "the group is named"
chmod 700 "$work/ca"
for f in ca.pem chain.pem policy.yaml signet.yaml; do
	chmod 666 "$work/ca/$f"
	run 3 "$f at mode 0666" "$signet" issue --profile tls-server \
		--csr good.csr --out x.crt
	contains err "$work/ca/$f is writable by others" "$f is named"
	chmod 600 "$work/ca/$f"
done
chmod 666 "$work/ca/audit.log"
run 51 "an audit log at mode 0666" "$signet" issue --profile tls-server \
	--csr good.csr --out x.crt
chmod 600 "$work/ca/audit.log"
chmod 666 "$db"
run 40 "a database at mode 0666" "$signet" list
chmod 600 "$db"
# Through a link, the file linked to is judged where it is.
chmod 755 "$work"
mkdir -m 777 "$work/open"
cp "$work/ca/ca.pem" "$work/open/ca.pem"
ln -s "$work/open/ca.pem" "$work/ca/ca-link.pem"
sed -i "s|^certificate: .*|certificate: ca-link.pem|" "$CA_CONFIG"
run 3 "a certificate linked into a world-writable directory" "$signet" issue \
	--profile tls-server --csr good.csr --out x.crt
contains err "$work/open" "the directory is named"
cp "$work/signet.yaml.orig" "$CA_CONFIG"
chmod 700 "$work"
run 0 "all private again" "$signet" issue --profile tls-server \
	--csr good.csr --out good.crt

# ---- C: outputs never replace the instance's files -------------------------
r0=$(rows)
run 42 "issue --out the database" "$signet" issue --profile tls-server \
	--csr good.csr --out "$db"
contains err "a file of the CA instance" "the reason is given"
run 42 "issue --out the database, --force" "$signet" issue --force \
	--profile tls-server --csr good.csr --out "$work/ca/../ca/signet.db"
[ "$(rows)" -eq "$r0" ] && ok "no row reserved" || bad "rows $(rows), was $r0"
sqlite3 "$db" "PRAGMA integrity_check" | grep -qx ok &&
	ok "the database is whole" || bad "the database was damaged"
run 42 "issue --out the audit log" "$signet" issue --profile tls-server \
	--csr good.csr --out "$work/ca/audit.log"
log_verifies "after --out audit.log" "$work/ca/audit.log"
run 42 "crl --out signet.yaml" "$signet" crl --out "$CA_CONFIG"
cmp -s "$CA_CONFIG" "$work/signet.yaml.orig" && ok "signet.yaml intact" ||
	bad "signet.yaml was replaced"
run 42 "crl --out the policy, --force" "$signet" crl --force \
	--out "$work/ca/policy.yaml"
# --out-dir: an output name that leads to the database.
mkdir batch certs
cp good.csr batch/a.csr
ln -s "$db" certs/a.crt
run 42 "a batch whose output leads to the database" "$signet" issue \
	--profile tls-server --batch batch --out-dir certs
[ "$(rows)" -eq "$r0" ] && ok "nothing of the batch reserved" ||
	bad "rows $(rows), was $r0"
rm certs/a.crt
# An existing file that is no certificate of this CA needs --force.
echo "notes" >certs/a.crt
run 42 "a batch over a file that is no certificate" "$signet" issue \
	--profile tls-server --batch batch --out-dir certs
contains err "--force" "the way out is named"
run 0 "the same with --force" "$signet" issue --force \
	--profile tls-server --batch batch --out-dir certs
# Two CSRs of a batch that would write the same file: the first by name
# is issued, the other refused, whatever their number or order on disk.
mkdir same same-out
for n in z m b; do cp good.csr "same/$n.pem"; done
for n in b m z a; do cp good.csr "same/$n.csr"; done
run 10 "a batch where CSRs share an output name" "$signet" issue \
	--profile tls-server --batch same --out-dir same-out
[ "$(grep -c 'which another CSR of the batch writes' err)" -eq 3 ] &&
	ok "the three later ones refused, named" || bad "$(cat err)"
[ "$(ls same-out | tr '\n' ' ')" = "a.crt b.crt m.crt z.crt " ] &&
	ok "one certificate per name" || bad "$(ls same-out)"
run 0 "over a certificate of this CA" "$signet" issue --profile tls-server \
	--csr good.csr --out certs/a.crt
cp "$CA_ROOT" other.crt
run 42 "over another CA's certificate" "$signet" issue --profile tls-server \
	--csr good.csr --out other.crt
cmp -s other.crt "$CA_ROOT" && ok "left as it was" || bad "replaced"
run 0 "a CRL" "$signet" crl --out ca.crl
run 0 "a CRL over the CA's last CRL" "$signet" crl --out ca.crl
run 42 "a CRL over a note" "$signet" crl --out certs/../batch/a.csr
run 0 "a CRL to /dev/null" "$signet" crl --out /dev/null

# ---- D: init's certificates -------------------------------------------------
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout other.key -subj "/CN=Unrelated Root" -days 30 \
	-out unrelated.pem 2>/dev/null
init_with() {
	_dir=$1
	shift
	"$signet" init --dir "$_dir" --key "$CA_KEY_URI" \
		--audit-key "$AUDIT_KEY_URI" --pin-source "$CA_PIN" "$@"
}
run 3 "init with an unrelated --chain" init_with i1 --ca-cert "$CA_CERT" \
	--chain unrelated.pem --policy "$CA_POLICY"
contains err "did not issue" "the break in the chain is named"
[ ! -e i1 ] && ok "nothing kept" || bad "i1 was kept"
# The root's name and key, certified by the unrelated root: it issued the
# CA certificate, but the chain then stops short of a self-signed root.
openssl x509 -in "$CA_ROOT" -noout -pubkey >root-pub.pem
openssl x509 -new -force_pubkey root-pub.pem \
	-subj "/O=Example Corp/CN=Signet Test Root" -CA unrelated.pem \
	-CAkey other.key -sha256 -days 30 -set_serial 9 \
	-extfile "$CA_FIXTURE_DIR/x509.cnf" -extensions root \
	-out cross.pem 2>/dev/null
run 3 "init with a chain that ends short of a root" init_with i1 \
	--ca-cert "$CA_CERT" --chain cross.pem --policy "$CA_POLICY"
contains err "not a self-signed root" "the missing root is named"
cat cross.pem unrelated.pem >cross-chain.pem
run 0 "init with the same chain up to its root" init_with i2 \
	--ca-cert "$CA_CERT" --chain cross-chain.pem --policy "$CA_POLICY"
cat "$CA_CERT" >twice.pem
run 3 "init with the CA certificate as its own chain" init_with i1 \
	--ca-cert "$CA_CERT" --chain twice.pem --policy "$CA_POLICY"
cat >noski.cnf <<'EOF'
[v3]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always
EOF
openssl x509 -new -force_pubkey "$CA_FIXTURE_DIR/ca-key.pub" \
	-subj "/O=Example Corp/CN=No SKI" -CA "$CA_ROOT" \
	-CAkey "$CA_FIXTURE_DIR/root.key" -sha256 -days 30 -set_serial 7 \
	-extfile noski.cnf -extensions v3 -out noski.pem 2>/dev/null
if openssl x509 -in noski.pem -noout -ext subjectKeyIdentifier 2>/dev/null |
	grep -q .; then
	bad "the test could not make a certificate without SKI"
fi
run 3 "init with a CA certificate without subjectKeyIdentifier" init_with i1 \
	--ca-cert noski.pem --chain "$CA_CHAIN" --policy "$CA_POLICY"
contains err "subjectKeyIdentifier" "the missing extension is named"
[ ! -e i1 ] && ok "nothing kept" || bad "i1 was kept"

# ---- E: init judges the policy first; sizes and their classes ---------------
printf 'version: 1\nprofiles:\n  - name: x\n    bogus: 1\n' >bad-policy.yaml
run 3 "init with a bad policy" init_with i1 --ca-cert "$CA_CERT" \
	--chain "$CA_CHAIN" --policy bad-policy.yaml
contains err "bad-policy.yaml:4" "the operator's file is named"
[ ! -e i1 ] && ok "nothing kept" || bad "i1 was kept"
head -c 1100000 /dev/zero | tr '\0' '#' >big-policy.yaml
run 3 "init with a policy over 1 MiB" init_with i1 --ca-cert "$CA_CERT" \
	--chain "$CA_CHAIN" --policy big-policy.yaml
head -c 70000 /dev/zero | tr '\0' 'A' >big.csr
run 50 "a CSR over 64 KiB" "$signet" issue --profile tls-server \
	--csr big.csr --out x.crt
contains err "65536 byte limit" "the CSR limit is named"
cp big-policy.yaml "$work/ca/policy.yaml"
run 3 "an instance whose policy is over 1 MiB" "$signet" issue \
	--profile tls-server --csr good.csr --out x.crt
contains err "1048576 byte limit" "the limit is named"
cp "$work/ca/signet.yaml" big-ceremony.yaml
head -c 1100000 /dev/zero | tr '\0' '#' >>big-ceremony.yaml
run 3 "a ceremony file over its limit" "$signet" ceremony check \
	big-ceremony.yaml

checks_done
