#!/bin/sh
# The token paths under valgrind (memcheck), as CI runs them: the token
# module's tests (SoftHSM and p11fault: logins, PIN states, lost sessions,
# removed tokens, hangs), the online CA's library tests, and the signet
# binary itself generating a key, creating an instance, issuing, revoking
# and making a CRL on SoftHSM. Any memory error, or memory lost for good
# (definite or indirect leaks), fails the run.
#
#   tests/valgrind.sh [BUILD_DIR]
#
# BUILD_DIR is a built test tree (default ./build; not a sanitizer build).
# tests/valgrind.supp holds the suppressions, each for a library signet
# calls into (SoftHSM, p11-kit, OpenSSL), with the reason beside it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
export SIGNET_SOURCE_DIR="$top"
export SIGNET_BUILD_DIR="$build"
export SIGNET_BIN="$build/src/signet"
export SIGNET_P11FAULT="$build/tests/p11fault/libp11fault.so"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed (.ci/install-deps.sh installs it)" >&2
	exit 1
fi
for f in "$SIGNET_BIN" "$SIGNET_P11FAULT" "$build/tests/test_token" \
	"$build/tests/test_ca"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		echo "valgrind: $f is missing; build the tests first" >&2
		exit 1
	fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Leaks that are only "still reachable" at exit are libraries' caches.
# Forked test children _exit() holding what their parent allocated: they
# are checked for memory errors, not for leaks.
vg() {
	valgrind --tool=memcheck --quiet --error-exitcode=99 \
		--child-silent-after-fork=yes \
		--leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		--suppressions="$top/tests/valgrind.supp" --gen-suppressions=all \
		--num-callers=30 "$@"
}

status=0
step() {
	name=$1
	shift
	start=$(date +%s)
	if vg "$@" >"$work/$name.log" 2>&1; then
		echo "==> valgrind $name: clean ($(($(date +%s) - start)) s)"
	else
		echo "==> valgrind $name: FAILED (exit $?)" >&2
		grep -v '^\[ *\(RUN\|OK\|PASSED\|==========\) ' "$work/$name.log" |
			tail -n 80 >&2
		status=1
	fi
}

# The library tests (cmocka; forked children are checked too).
step test_token "$build/tests/test_token"
step test_ca "$build/tests/test_ca"

# The binary on SoftHSM: keygen, init, issue, revoke, CRL.
cli() {
	set -e
	cd "$work"
	. "$top/tests/cli/ca_fixture.sh"
	SIGNET_BIN_REAL=$SIGNET_BIN
	SIGNET_BIN="$work/signet-vg"
	cat >"$SIGNET_BIN" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --quiet --error-exitcode=99 \
	--leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect \
	--suppressions="$top/tests/valgrind.supp" --gen-suppressions=all \
	--num-callers=30 "$SIGNET_BIN_REAL" "\$@"
EOF
	chmod +x "$SIGNET_BIN"
	ca_fixture "$work/fx"
	ca_instance "$work/ca"
	export SIGNET_CONFIG="$CA_CONFIG"
	ca_csr leaf "/CN=vg.example.com" "DNS:vg.example.com"
	"$SIGNET_BIN" issue --profile tls-server --csr leaf.csr --out leaf.crt
	serial=$(openssl x509 -in leaf.crt -noout -serial | cut -d= -f2)
	"$SIGNET_BIN" revoke "$serial" --reason keyCompromise
	"$SIGNET_BIN" crl --out crl.der
	"$SIGNET_BIN" token list --token "pkcs11:token=ca?pin-source=$CA_PIN"
	"$SIGNET_BIN" audit verify --key "$CA_FIXTURE_DIR/audit-key.pub" \
		ca/audit.log
}
start=$(date +%s)
if (cli) >"$work/cli.log" 2>&1; then
	echo "==> valgrind signet (keygen, init, issue, revoke, crl, list, \
verify): clean ($(($(date +%s) - start)) s)"
else
	echo "==> valgrind signet: FAILED" >&2
	tail -n 80 "$work/cli.log" >&2
	status=1
fi
exit "$status"
