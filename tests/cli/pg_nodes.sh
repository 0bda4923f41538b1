#!/bin/sh
# Three online CA nodes sharing one PostgreSQL database: each node is its
# own instance (signet.yaml, audit log) with the same CA key, and all three
# issue batches and sign CRLs at the same time. Afterwards: no duplicate
# serial, every certificate the nodes wrote is in the database as issued,
# the CRL numbers the nodes published are distinct and, in the order the
# database allocated them, strictly increasing; each node's audit log
# verifies and db check is clean. (A server restart in the middle of a
# batch is tested on the store: tests/unit/test_store_pg.c.) Runs under tests/pg/pg-server.sh run (SIGNET_TEST_STORE_URL,
# SIGNET_PG_PASSWORD_SOURCE).
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_TEST_STORE_URL:?run under tests/pg/pg-server.sh run}"
signet=$SIGNET_BIN
pg_url=$SIGNET_TEST_STORE_URL
pg_pw=$SIGNET_PG_PASSWORD_SOURCE
unset SIGNET_PG_PASSWORD_SOURCE
per_node=${SIGNET_PG_NODES_CSRS:-40}
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-pgnodes.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"

. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

ca_fixture pki
for n in 1 2 3; do
	ca_instance "node$n" --database "$pg_url" \
		--database-password-source "$pg_pw" ||
		{
			bad "signet init node$n on the shared database"
			exit 1
		}
	eval "cfg$n=\$CA_CONFIG"
done
ok "three instances on one PostgreSQL database"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out leaf.key 2>/dev/null
for n in 1 2 3; do
	mkdir "in$n" "out$n"
	i=0
	while [ "$i" -lt "$per_node" ]; do
		ca_csr_key leaf.key "in$n/n$n-$i" "/CN=n$n-$i.example.com" \
			"DNS:n$n-$i.example.com"
		i=$((i + 1))
	done
done

# All three at once: a batch each, and CRLs in between.
for n in 1 2 3; do
	eval "cfg=\$cfg$n"
	(
		"$signet" issue --config "$cfg" --profile tls-server \
			--batch "in$n" --out-dir "out$n" >"issue$n.log" 2>&1 ||
			echo "exit $?" >>"issue$n.log"
		for k in 1 2 3; do
			"$signet" crl --config "$cfg" --out "out$n/crl$k.der" \
				>>"crl$n.log" 2>&1 || echo "crl exit $?" >>"crl$n.log"
		done
	) &
done
wait
for n in 1 2 3; do
	if grep -q "exit" "issue$n.log" "crl$n.log"; then
		bad "node $n: $(cat "issue$n.log" "crl$n.log")"
	else
		ok "node $n issued $per_node certificates and three CRLs"
	fi
done

# Serials: unique, and each one in the database as issued.
for f in out*/*.crt; do
	openssl x509 -in "$f" -noout -serial
done | sed 's/serial=//' | tr 'A-F' 'a-f' | sort >serials
total=$((3 * per_node))
if [ "$(wc -l <serials)" -eq "$total" ] &&
	[ "$(uniq <serials | wc -l)" -eq "$total" ]; then
	ok "$total certificates written, no duplicate serial"
else
	bad "$(wc -l <serials) certificates, $(uniq <serials | wc -l) distinct"
fi
"$signet" list --config "$cfg1" --status valid --json >list.json
/usr/bin/python3 - list.json serials <<'EOF' && ok "every written certificate is issued in the database" || bad "database and files disagree"
import json, sys
rows = json.load(open(sys.argv[1]))
db = {r["serial"].lstrip("0").lower() for r in rows}
files = {s.strip().lstrip("0") for s in open(sys.argv[2]) if s.strip()}
missing = files - db
assert not missing, "not in the database: %s" % sorted(missing)[:5]
assert len(db) == len(files), (len(db), len(files))
EOF

# CRL numbers: nine distinct numbers, increasing with thisUpdate order.
for f in out*/crl*.der; do
	n=$(openssl crl -inform DER -in "$f" -noout -crlnumber | cut -d= -f2)
	echo $((n))
done | sort -n >crlnums
if [ "$(wc -l <crlnums)" -eq 9 ] && [ "$(uniq <crlnums | wc -l)" -eq 9 ]; then
	ok "nine CRLs, nine distinct CRL numbers ($(tr '\n' ' ' <crlnums))"
else
	bad "CRL numbers: $(tr '\n' ' ' <crlnums)"
fi
for n in 1 2 3; do
	prev=0
	for k in 1 2 3; do
		c=$(openssl crl -inform DER -in "out$n/crl$k.der" -noout \
			-crlnumber | cut -d= -f2)
		if [ $((c)) -le "$prev" ]; then
			bad "node $n: CRL $k has number $((c)) after $prev"
		fi
		prev=$((c))
	done
done
ok "each node's CRL numbers increase"

for n in 1 2 3; do
	eval "cfg=\$cfg$n"
	if "$signet" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
		"node$n/audit.log" >av.out 2>&1; then
		ok "node $n: audit log verifies"
	else
		bad "node $n: audit verify: $(cat av.out)"
	fi
done
if "$signet" db check --config "$cfg1" --grace 0 >check.out 2>&1; then
	ok "db check: consistent"
else
	bad "db check: $(cat check.out)"
fi

checks_done
