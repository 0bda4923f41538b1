#!/bin/sh
# One ACME service from two `signet serve` nodes on one PostgreSQL
# database (each its own instance, the same CA key), as behind a load
# balancer: acme_nodes.py sends each request to one node or the other
# with the same Host; a nonce from one node is spent on the other, an
# order made on one is validated and finalized on the other, and the
# certificate is found by `signet list` on both instances with the ACME
# account as requester. Runs under tests/pg/pg-server.sh run
# (SIGNET_TEST_STORE_URL, SIGNET_PG_PASSWORD_SOURCE).
set -eu

nodes_test=acme_pg
. "$SIGNET_SOURCE_DIR/tests/cli/serve_nodes.sh"
hport=$(free_port)
for n in 1 2; do
	node_instance $n
	tport=$(free_port)
	eval "tport$n=\$tport"
	serve_acme_config "$tport" "$hport" "www.example.com=127.0.0.1"
done

"$signet" serve --config "$cfg1" >serve1.out 2>serve1.err &
signer=$!
"$signet" serve --config "$cfg2" >serve2.out 2>serve2.err &
signer2=$!
for p in "$port1" "$port2"; do
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/health")" = 200 ]; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			bad "the node on port $p did not come up"
			tail -5 serve1.err serve2.err | sed 's/^/  | /' >&2
			exit 1
		fi
		sleep 0.2
	done
done
ok "both nodes are up"

if PYTHONPATH="$SIGNET_SOURCE_DIR/tests/cli" python3 \
	"$SIGNET_SOURCE_DIR/tests/cli/acme_nodes.py" "$tport1" "$tport2" \
	"$work/tls.pem" "$hport" www.example.com >nodes.out 2>nodes.err; then
	ok "acme_nodes.py: one service from two nodes"
else
	bad "acme_nodes.py failed"
	tail -10 serve1.err serve2.err | sed 's/^/  | /' >&2
fi
sed 's/^/  | /' nodes.out
sed 's/^/  | /' nodes.err >&2
if [ -s acme-nodes.pem ]; then
	serial=$(openssl x509 -in acme-nodes.pem -noout -serial | cut -d= -f2 |
		tr 'A-F' 'a-f')
	for n in 1 2; do
		eval "cfg=\$cfg$n"
		"$signet" list --config "$cfg" --json >list$n.json
		if python3 - "$serial" list$n.json <<'PY'; then
import json, sys
serial = sys.argv[1].lstrip("0")
rows = json.load(open(sys.argv[2]))
hit = [r for r in rows if r.get("serial", "").lstrip("0") == serial]
sys.exit(0 if hit and hit[0].get("requester", "").startswith("acme:") else 1)
PY
			ok "node $n's signet list has it, requested by the ACME account"
		else
			bad "node $n's signet list lacks serial $serial"
		fi
	done
fi
node_stop 1
node_stop 2
checks_done
