# Shared by the bench scripts (sourced): nginx as the baseline for static
# responses.
#
# nginx_static WORK PORT URL [SERVER_LINES]: nginx with 2 workers and no
# access log on 127.0.0.1:PORT serving WORK/www (SERVER_LINES added to its
# server block), run in the foreground of a background job whose PID is
# left in nginx_pid; returns once URL answers, 1 if it never does. The
# workers run as nobody: WORK and WORK/www must be readable by it.
nginx_static() {
	cat >"$1/nginx.conf" <<EOF
worker_processes 2;
pid $1/nginx.pid;
error_log $1/nginx.err;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	types { application/pkix-crl crl; }
	server {
		listen 127.0.0.1:$2;
		root $1/www;
		etag on;
		${4:-}
	}
}
EOF
	nginx -c "$1/nginx.conf" -p "$1/" 2>"$1/nginx.start" &
	# shellcheck disable=SC2034 # the caller stops it
	nginx_pid=$!
	_i=0
	until curl -sf -o /dev/null "$3"; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || {
			echo "nginx did not start" >&2
			cat "$1/nginx.start" "$1/nginx.err" >&2
			return 1
		}
		sleep 0.1
	done
}
