# Shared by the tests that run two `signet serve` nodes on one PostgreSQL
# database, under tests/pg/pg-server.sh run (SIGNET_TEST_STORE_URL,
# SIGNET_PG_PASSWORD_SOURCE). Set $nodes_test (the test's name) and
# source it: it makes $work and goes there, stops both signers ($signer,
# $signer2) and removes $work on exit, loads serve_fixture.sh,
# ca_fixture.sh and checks.sh, skips unless root, makes the CA fixture,
# and gives
#   node_instance N     instance N on the shared database, its serve:
#                       block listening on a free port; sets cfgN and portN
#   node_stop N         SIGTERM to node N's signer; checks it exits 0
: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_TEST_STORE_URL:?run under tests/pg/pg-server.sh run}"
signet=$SIGNET_BIN
pg_url=$SIGNET_TEST_STORE_URL
pg_pw=$SIGNET_PG_PASSWORD_SOURCE
unset SIGNET_PG_PASSWORD_SOURCE
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-$nodes_test.XXXXXX")
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/serve_fixture.sh"
signer2=
nodes_cleanup() {
	serve_kill
	signer=$signer2
	serve_kill
	rm -rf "$work"
}
trap nodes_cleanup EXIT
. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "$nodes_test: needs root (the front end drops to another user); skipped"
	exit 77
fi
ca_fixture "$work/fx"

node_instance() {
	ca_instance "$work/node$1" --database "$pg_url" \
		--database-password-source "$pg_pw" || {
		bad "signet init node$1 on the shared database"
		exit 1
	}
	_port=$(free_port)
	eval "cfg$1=\$CA_CONFIG port$1=\$_port"
	serve_config "$_port"
}

node_stop() {
	if [ "$1" = 1 ]; then
		_pid=$signer
		signer=
	else
		_pid=$signer2
		signer2=
	fi
	kill -TERM "$_pid"
	set +e
	wait "$_pid"
	_st=$?
	set -e
	[ "$_st" = 0 ] && ok "node $1: SIGTERM, exit 0" || bad "node $1: exit $_st"
}
