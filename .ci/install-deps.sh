#!/bin/sh
# Install what signet needs to build, test and run its demo, from Debian 12
# packages. Idempotent, and quick when everything is installed already.
# Runs apt-get as root (via sudo when not root).
set -eu

packages="
  build-essential cmake pkg-config
  libssl-dev openssl libp11-dev libp11-kit-dev
  libcyaml-dev libjansson-dev libsqlite3-dev sqlite3 libpq-dev
  libcmocka-dev libgfshare-dev
  softhsm2 opensc libengine-pkcs11-openssl
  gnutls-bin libnss3-tools python3 python3-cryptography python3-idna dumpasn1 jq
  nginx-light curl faketime procps psmisc gdb
  clang libclang-rt-14-dev valgrind
  clang-tidy cppcheck util-linux mandoc
  postgresql
  libmicrohttpd-dev libseccomp-dev nghttp2-client
  debhelper lintian man-db
  swtpm swtpm-tools tpm2-tools tpm2-abrmd libtss2-tcti-tabrmd0 libtss2-tcti-swtpm0
  libtpm2-pkcs11-1 libtpm2-pkcs11-tools dbus
  libcurl4-openssl-dev libc-ares-dev certbot nsd uacme
"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "install-deps: run as root, or install sudo" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
