#!/bin/sh
# A throwaway TPM 2.0 PKCS#11 token: the second PKCS#11 implementation the
# tests run on (issue 22), beside SoftHSM.
#
#   tests/tpm/tpm-token.sh run CMD [ARG...]
#
# In a fresh temporary directory: starts a software TPM (swtpm) on two free
# 127.0.0.1 ports, a private D-Bus bus, and the TPM resource manager
# (tpm2-abrmd) on that bus; makes a tpm2-pkcs11 store and one token in it
# with random PINs; runs CMD with the environment below; then stops the
# three daemons by their process ids and removes the directory, whatever
# CMD did (also on INT/TERM, and from a watchdog if this shell is killed).
# Exits with CMD's status.
#
#   SIGNET_TPM_MODULE     the tpm2-pkcs11 module (libtpm2_pkcs11.so)
#   SIGNET_TPM_TOKEN      the token's label
#   SIGNET_TPM_PIN_FILE   its user PIN, one line, mode 0600
#   SIGNET_TPM_SO_PIN_FILE  its security officer PIN
#   SIGNET_TPM_DIR        the temporary directory (for CMD's own files)
#   TPM2_PKCS11_STORE, TPM2_PKCS11_TCTI, DBUS_SESSION_BUS_ADDRESS
#                         what the module needs to find its store and TPM
#
# Without the TPM packages (.ci/install-deps.sh: swtpm, tpm2-abrmd,
# libtpm2-pkcs11-1, libtpm2-pkcs11-tools, tpm2-tools, dbus) or when the
# daemons do not start, the script exits 77 (CTest: skipped) -- except
# under CI=true, where a skipped TPM test would hide that nothing ran:
# there it fails (exit 1).
#
# tpm2-pkcs11 cannot work on the TPM directly here: it keeps more objects
# loaded than the TPM has slots ("out of memory for object contexts"), and
# the resource manager swaps them. tpm2_ptool takes the PINs as arguments;
# they are random, for this throwaway token only.
set -eu

log() { echo "tpm-token: $*" >&2; }

unavailable() {
	if [ "${CI:-}" = true ]; then
		log "FAILED: $* (CI=true: the TPM token tests must run)"
		exit 1
	fi
	log "skipped: $*"
	exit 77
}

[ "${1:-}" = run ] && [ $# -ge 2 ] || {
	echo "usage: tpm-token.sh run CMD [ARG...]" >&2
	exit 2
}
shift

module=""
for m in /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so \
	/usr/lib/*/pkcs11/libtpm2_pkcs11.so /usr/lib/pkcs11/libtpm2_pkcs11.so; do
	[ -f "$m" ] && { module=$m; break; }
done
[ -n "$module" ] || unavailable "no tpm2-pkcs11 module (Debian libtpm2-pkcs11-1)"
for tool in swtpm tpm2-abrmd dbus-daemon tpm2_ptool tpm2_getrandom python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		unavailable "no $tool (install the packages named in .ci/install-deps.sh)"
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/signet-tpm.XXXXXX")
chmod 700 "$dir"
swtpm_pid=""
dbus_pid=""
abrmd_pid=""
watchdog_pid=""

# Stop what was started, newest first, by process id only.
stop_all() {
	for p in $abrmd_pid $dbus_pid $swtpm_pid; do
		kill "$p" 2>/dev/null || true
	done
	for p in $abrmd_pid $dbus_pid $swtpm_pid; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap 'st=$?; stop_all; exit $st' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Print the daemon logs, then give up.
start_failed() {
	for f in "$dir"/*.log; do
		[ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" >&2
	done
	unavailable "$*"
}

# A port P with P+1 free too (swtpm's server and control channels).
free_port_pair() {
	python3 -c '
import socket
for _ in range(50):
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    if p >= 65535:
        continue
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break
'
}

# wait_for SECONDS CMD...: until CMD succeeds, for at most SECONDS.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The software TPM, on a free pair of ports (tried again if one was taken
# between choosing and binding).
mkdir "$dir/tpm"
attempt=0
while :; do
	attempt=$((attempt + 1))
	port=$(free_port_pair)
	[ -n "$port" ] || start_failed "no free pair of ports on 127.0.0.1"
	swtpm socket --tpm2 --tpmstate dir="$dir/tpm" \
		--server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear \
		</dev/null >"$dir/swtpm.log" 2>&1 &
	swtpm_pid=$!
	if wait_for 10 python3 -c '
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port"; then
		kill -0 "$swtpm_pid" 2>/dev/null && break
	fi
	kill "$swtpm_pid" 2>/dev/null || true
	swtpm_pid=""
	[ $attempt -lt 5 ] || start_failed "swtpm did not start on 127.0.0.1:$port"
done

# A private session bus: the resource manager registers its name there.
# Its own configuration, so that Debian's session.conf (a package that
# dbus only recommends) is not needed: this bus, this socket, and no
# policy beyond "anyone here may talk to anyone".
cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$dir/bus.conf" --nofork \
	--print-address=3 3>"$dir/bus.address" </dev/null >"$dir/dbus.log" 2>&1 &
dbus_pid=$!
wait_for 10 test -s "$dir/bus.address" ||
	start_failed "dbus-daemon did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$dir/bus.address")
export DBUS_SESSION_BUS_ADDRESS

tpm2-abrmd --session --allow-root --flush-all \
	--tcti="swtpm:host=127.0.0.1,port=$port" \
	</dev/null >"$dir/abrmd.log" 2>&1 &
abrmd_pid=$!
TPM2_PKCS11_TCTI=tabrmd:bus_type=session
TPM2TOOLS_TCTI=$TPM2_PKCS11_TCTI
export TPM2_PKCS11_TCTI TPM2TOOLS_TCTI
wait_for 20 tpm2_getrandom 8 ||
	start_failed "tpm2-abrmd does not answer on the session bus"

# Whoever started this script gone without the traps running (SIGKILL):
# stop the daemons anyway.
parent=$$
(
	trap '' HUP INT
	while kill -0 "$parent" 2>/dev/null; do
		sleep 2
	done
	kill "$abrmd_pid" "$dbus_pid" "$swtpm_pid" 2>/dev/null
	rm -rf "$dir"
) </dev/null >/dev/null 2>&1 &
watchdog_pid=$!

# The store, and a token in it.
umask 077
TPM2_PKCS11_STORE=$dir/store
mkdir "$TPM2_PKCS11_STORE"
export TPM2_PKCS11_STORE
label=signet-tpm
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >"$dir/user.pin"
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >"$dir/so.pin"
echo >>"$dir/user.pin"
echo >>"$dir/so.pin"
if ! tpm2_ptool init --path "$TPM2_PKCS11_STORE" >"$dir/ptool.log" 2>&1 ||
	! tpm2_ptool addtoken --pid=1 --label="$label" --path "$TPM2_PKCS11_STORE" \
		--userpin="$(head -n 1 "$dir/user.pin")" \
		--sopin="$(head -n 1 "$dir/so.pin")" >>"$dir/ptool.log" 2>&1; then
	start_failed "tpm2_ptool could not make a token"
fi

# Under the sanitizers, the module's own leaks are suppressed (lsan.supp);
# matching them by function needs whole stacks through OpenSSL, which the
# fast unwinder cannot walk.
case "${ASAN_OPTIONS:-}" in
*detect_leaks=1*)
	ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
	LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS LSAN_OPTIONS
	;;
esac

SIGNET_TPM_MODULE=$module
SIGNET_TPM_TOKEN=$label
SIGNET_TPM_PIN_FILE=$dir/user.pin
SIGNET_TPM_SO_PIN_FILE=$dir/so.pin
SIGNET_TPM_DIR=$dir
export SIGNET_TPM_MODULE SIGNET_TPM_TOKEN SIGNET_TPM_PIN_FILE \
	SIGNET_TPM_SO_PIN_FILE SIGNET_TPM_DIR
log "swtpm on 127.0.0.1:$port, token '$label' in $TPM2_PKCS11_STORE"
st=0
"$@" || st=$?
exit "$st"
