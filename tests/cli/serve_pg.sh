#!/bin/sh
# Two `signet serve` nodes on one PostgreSQL database (each its own
# instance and audit log, the same CA key): a revocation made with the
# CLI on one reaches the CRLs both serve; a CRL made with `signet crl`
# on one is served by both; whatever they serve, one CRL number always
# comes with the same bytes, and both end up serving the newest. Runs
# under tests/pg/pg-server.sh run (SIGNET_TEST_STORE_URL,
# SIGNET_PG_PASSWORD_SOURCE).
set -eu

nodes_test=serve_pg
. "$SIGNET_SOURCE_DIR/tests/cli/serve_nodes.sh"
for n in 1 2; do
	node_instance $n
done

"$signet" serve --config "$cfg1" >serve1.out 2>serve1.err &
signer=$!
"$signet" serve --config "$cfg2" >serve2.out 2>serve2.err &
signer2=$!

# fetch N: node N's CRL into crlN.der; its number into $num, and a line
# "number sha256" appended to seen.txt.
fetch() {
	num=
	curl -sf --max-time 5 -o "crl$1.der" \
		"http://127.0.0.1:$(eval echo "\$port$1")/crl/test-ca.crl" ||
		return 1
	# "crlNumber=0x02"
	num=$(($(openssl crl -inform DER -in "crl$1.der" -noout -crlnumber |
		sed 's/.*=//')))
	echo "$num $(sha256sum <"crl$1.der" | cut -c1-64)" >>seen.txt
}
# until_both WHAT TEST: poll both nodes (up to 30 s) until TEST (a shell
# function of $1 = node) holds for both.
until_both() {
	_i=0
	while [ $_i -lt 60 ]; do
		if fetch 1 && "$2" 1 && fetch 2 && "$2" 2; then
			ok "$1"
			return 0
		fi
		sleep 0.5
		_i=$((_i + 1))
	done
	bad "$1 (waited 30 s)"
	tail -5 serve1.err serve2.err | sed 's/^/  | /' >&2
	return 1
}
any() { :; }
until_both "both nodes serve a CRL" any

ca_csr leaf "/CN=www.example.com" "DNS:www.example.com"
"$signet" issue --config "$cfg1" --profile tls-server --csr leaf.csr \
	--out leaf.pem >/dev/null
serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
"$signet" revoke --config "$cfg1" "$serial" --reason keyCompromise >/dev/null
lists() {
	openssl crl -inform DER -in "crl$1.der" -noout -text |
		tr -d ' \n' | grep -qi "SerialNumber:$serial"
}
until_both "a revocation with the CLI on node 1 is in the CRLs of both nodes" lists
# Both nodes may have made a CRL for it: they serve the newest.
newest=0
same() {
	fetch 1 && a=$num && fetch 2 && [ "$a" = "$num" ] && newest=$num
}
until_both "both nodes serve the same, newest CRL number" same

"$signet" crl --config "$cfg2" --out shell.crl >/dev/null
made=$(($(openssl crl -in shell.crl -noout -crlnumber | sed 's/.*=//')))
[ "$made" -gt "$newest" ] && ok "signet crl on node 2 made number $made" ||
	bad "signet crl made number $made, not above $newest"
is_made() { [ "$num" -ge "$made" ]; }
until_both "both nodes serve the CRL made from a shell (or a newer one)" is_made

# One number, one CRL: never two different documents under one number.
if sort -u seen.txt | awk '{ n[$1]++ } END { for (k in n) if (n[k] > 1) exit 1 }'; then
	ok "every CRL number served came with one set of bytes ($(sort -u seen.txt | wc -l) seen)"
else
	bad "one CRL number, two documents: $(sort -u seen.txt | awk '{ print $1 }' | uniq -d)"
fi
node_stop 1
node_stop 2
checks_done
