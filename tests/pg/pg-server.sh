#!/bin/sh
# A throwaway PostgreSQL server for the store tests.
#
#   pg-server.sh start DIR     initdb in a fresh temporary directory, start
#                              the server on 127.0.0.1 (a free port) with TLS
#                              on, and print the connection URL. DIR keeps
#                              what the tests need: env (sourced by run),
#                              ca.crt, password, pgpass.
#                              SIGNET_PG_FSYNC=on: fsync as in production
#                              (for benchmarks; tests run without it).
#                              SIGNET_PG_WATCH_PID=PID: stop when PID exits
#                              (default: the parent, i.e. ctest).
#   pg-server.sh stop DIR      stop the server and remove its files.
#   pg-server.sh restart DIR   stop and start it again, same port and data.
#   pg-server.sh run DIR NAME CMD...
#                              make a fresh database NAME owned by the test
#                              role and run CMD with SIGNET_TEST_STORE_URL
#                              (TLS, verify-full) and SIGNET_PG_PASSWORD_SOURCE
#                              pointing at it.
#
# Run as root (CI), the server runs as the postgres user (or nobody): initdb
# refuses root. The test role logs in over TCP with scram-sha-256 and a
# random password kept in DIR/password (mode 0600); the admin role only over
# the server's Unix socket (trust), which lives in the private data
# directory. A watchdog stops the server if the process that started it
# (ctest) goes away without running stop.
#
# Without PostgreSQL binaries start fails, loudly; with SIGNET_PG_OPTIONAL=1
# it records that and run exits 77, which CTest reports as skipped.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: pg-server.sh start|stop|restart|run DIR [NAME CMD...]" >&2
	exit 2
}

log() { echo "pg-server: $*" >&2; }

find_bin() {
	# SIGNET_PG_BIN: that directory and no other.
	if [ -n "${SIGNET_PG_BIN:-}" ]; then
		[ -x "$SIGNET_PG_BIN/initdb" ] || return 1
		echo "$SIGNET_PG_BIN"
		return 0
	fi
	for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	fi
	d=$(command -v initdb 2>/dev/null || true)
	[ -n "$d" ] && { dirname "$d"; return 0; }
	return 1
}

# Run a command as the server's user.
as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$server_user" -- "$@"
	else
		"$@"
	fi
}

load_state() {
	[ -f "$dir/state" ] || { log "no server state in $dir; run start first"; exit 1; }
	# shellcheck disable=SC1091
	. "$dir/state"
}

server_start() {
	# Tests need no durability; benchmarks want it (SIGNET_PG_FSYNC=on).
	fsync=${SIGNET_PG_FSYNC:-off}
	# -w waits until it accepts connections; the log says why if not.
	as_server "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port \
		    -c unix_socket_directories=$root \
		    -c ssl=on -c ssl_cert_file=$root/server.crt \
		    -c ssl_key_file=$root/server.key \
		    -c fsync=$fsync -c synchronous_commit=on -c full_page_writes=$fsync \
		    -c max_connections=60 -c shared_buffers=32MB \
		    -c log_min_messages=warning -c deadlock_timeout=200ms" \
		start </dev/null >"$root/pg_ctl.out" 2>&1
}

start() {
	mkdir -p "$dir"
	chmod 700 "$dir"
	rm -f "$dir/unavailable" "$dir/env" "$dir/state"
	if ! bin=$(find_bin); then
		if [ "${SIGNET_PG_OPTIONAL:-0}" = 1 ]; then
			log "no PostgreSQL server binaries (initdb); SIGNET_PG_OPTIONAL=1: the PostgreSQL tests are skipped"
			echo "no PostgreSQL binaries" >"$dir/unavailable"
			exit 0
		fi
		log "FAILED: no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or on PATH;"
		log "install Debian's postgresql package (.ci/install-deps.sh), or set SIGNET_PG_OPTIONAL=1 to skip these tests"
		exit 1
	fi
	server_user=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		if id postgres >/dev/null 2>&1; then
			server_user=postgres
		else
			server_user=nobody
		fi
		command -v runuser >/dev/null 2>&1 || {
			log "FAILED: running as root needs runuser (util-linux) to start the server as $server_user"
			exit 1
		}
	fi
	# Short path: the Unix socket's name must fit in 107 bytes.
	root=$(mktemp -d /tmp/signet-pg.XXXXXX)
	chmod 700 "$root"

	# TLS: a CA and a server certificate for 127.0.0.1 and localhost.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" -days 2 \
		-subj "/CN=signet test database CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$root/server.key" -out "$root/server.csr" \
		-subj "/CN=127.0.0.1" 2>/dev/null
	printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		"basicConstraints=critical,CA:FALSE" \
		"extendedKeyUsage=serverAuth" >"$root/server.ext"
	openssl x509 -req -in "$root/server.csr" -CA "$dir/ca.crt" \
		-CAkey "$dir/ca.key" -CAcreateserial -days 2 \
		-extfile "$root/server.ext" -out "$root/server.crt" 2>/dev/null
	chmod 600 "$root/server.key"

	# Passwords: random, in files only.
	umask 077
	openssl rand -hex 24 >"$dir/password"
	openssl rand -hex 24 >"$root/admin-password"
	chmod 600 "$dir/password"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$server_user" "$root"
	fi

	if ! as_server "$bin/initdb" -D "$root/data" -U signet_admin \
		--pwfile="$root/admin-password" --auth-local=trust \
		--auth-host=scram-sha-256 -E UTF8 --no-sync \
		>"$root/initdb.log" 2>&1; then
		log "FAILED: initdb as $server_user:"
		cat "$root/initdb.log" >&2
		rm -rf "$root"
		exit 1
	fi
	# The test role: TCP only, with its password.
	printf '%s\n' "hostssl all all 127.0.0.1/32 scram-sha-256" \
		"host all all 127.0.0.1/32 scram-sha-256" \
		"local all signet_admin trust" >"$root/data/pg_hba.conf"

	attempt=0
	while :; do
		attempt=$((attempt + 1))
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		if server_start; then
			break
		fi
		if [ "$attempt" -ge 5 ] || ! grep -q "in use" "$root/server.log" 2>/dev/null; then
			log "FAILED: the server did not start on port $port:"
			cat "$root/pg_ctl.out" "$root/server.log" >&2 2>/dev/null || true
			as_server "$bin/pg_ctl" -D "$root/data" -m immediate stop >/dev/null 2>&1 || true
			rm -rf "$root"
			exit 1
		fi
	done

	cat >"$dir/state" <<EOF
bin='$bin'
root='$root'
port='$port'
server_user='$server_user'
EOF
	# The role's password travels on stdin, never in argv.
	pw=$(cat "$dir/password")
	as_server "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$root" -p "$port" \
		-U signet_admin -d postgres >/dev/null <<EOF
CREATE ROLE signet LOGIN PASSWORD '$pw';
EOF
	unset pw
	printf '127.0.0.1:%s:*:signet:%s\n' "$port" "$(cat "$dir/password")" >"$dir/pgpass"
	chmod 600 "$dir/pgpass"

	url="postgresql://signet@127.0.0.1:$port/signet?sslmode=verify-full&sslrootcert=$dir/ca.crt"
	cat >"$dir/env" <<EOF
SIGNET_TEST_PG_DIR='$dir'
SIGNET_TEST_PG_HOSTPORT='127.0.0.1:$port'
SIGNET_TEST_PG_SOCKET='$root'
SIGNET_TEST_PG_PORT='$port'
SIGNET_TEST_PG_CA='$dir/ca.crt'
SIGNET_TEST_PG_PASSWORD_FILE='$dir/password'
SIGNET_TEST_PG_PGPASS='$dir/pgpass'
SIGNET_TEST_PG_ADMIN_URL='postgresql://signet_admin@/postgres?host=$root&port=$port'
export SIGNET_TEST_PG_DIR SIGNET_TEST_PG_HOSTPORT SIGNET_TEST_PG_SOCKET SIGNET_TEST_PG_PORT
export SIGNET_TEST_PG_CA SIGNET_TEST_PG_PASSWORD_FILE SIGNET_TEST_PG_PGPASS SIGNET_TEST_PG_ADMIN_URL
EOF

	# Stop the server if whoever started it dies without calling stop.
	watch=${SIGNET_PG_WATCH_PID:-$PPID}
	pidfile="$root/data/postmaster.pid"
	(
		trap '' HUP INT
		while kill -0 "$watch" 2>/dev/null && [ -f "$pidfile" ]; do
			sleep 2
		done
		if [ -f "$pidfile" ]; then
			as_server "$bin/pg_ctl" -D "$root/data" -m immediate stop
			rm -rf "$root"
		fi
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/watchdog.pid"
	log "PostgreSQL $("$bin/postgres" --version | awk "{print \$3}") running as $server_user on 127.0.0.1:$port (data in $root)"
	echo "$url"
}

stop() {
	[ -f "$dir/unavailable" ] && { rm -f "$dir/unavailable"; exit 0; }
	[ -f "$dir/state" ] || { log "no server was started in $dir"; exit 0; }
	load_state
	status=0
	if [ -f "$root/data/postmaster.pid" ]; then
		if ! as_server "$bin/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
			as_server "$bin/pg_ctl" -D "$root/data" -m immediate stop >/dev/null 2>&1 || status=1
		fi
	fi
	if [ -f "$dir/watchdog.pid" ]; then
		kill "$(cat "$dir/watchdog.pid")" 2>/dev/null || true
		rm -f "$dir/watchdog.pid"
	fi
	rm -rf "$root"
	rm -f "$dir/state" "$dir/env" "$dir/password" "$dir/pgpass" "$dir/ca.key" "$dir/ca.crt" "$dir/ca.srl"
	[ "$status" -eq 0 ] || log "FAILED: the server in $root did not stop"
	exit "$status"
}

restart() {
	load_state
	as_server "$bin/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null
	server_start || {
		cat "$root/pg_ctl.out" "$root/server.log" >&2
		exit 1
	}
}

run() {
	name=${3:-}
	[ -n "$name" ] || { log "run needs a database name"; exit 2; }
	shift 3
	if [ -f "$dir/unavailable" ]; then
		log "skipped: $(cat "$dir/unavailable") (SIGNET_PG_OPTIONAL=1)"
		exit 77
	fi
	if [ ! -f "$dir/env" ]; then
		if [ "${SIGNET_PG_OPTIONAL:-0}" = 1 ]; then
			log "skipped: no test server running in $dir (SIGNET_PG_OPTIONAL=1)"
			exit 77
		fi
		log "FAILED: no test server running in $dir (did pg_server_start fail?)"
		exit 1
	fi
	load_state
	# shellcheck disable=SC1091
	. "$dir/env"
	as_server "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$root" -p "$port" \
		-U signet_admin -d postgres >/dev/null <<EOF
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $name WITH (FORCE);
CREATE DATABASE $name OWNER signet;
EOF
	SIGNET_TEST_STORE_URL="postgresql://signet@127.0.0.1:$port/$name?sslmode=verify-full&sslrootcert=$dir/ca.crt"
	SIGNET_PG_PASSWORD_SOURCE="file:$dir/password"
	SIGNET_TEST_PG_DB=$name
	export SIGNET_TEST_STORE_URL SIGNET_PG_PASSWORD_SOURCE SIGNET_TEST_PG_DB
	exec "$@"
}

case "$cmd" in
start) start ;;
stop) stop ;;
restart) restart ;;
run) run "$@" ;;
*)
	echo "pg-server.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
