#!/bin/sh
# Make throwaway SoftHSM tokens for development, tests and the demo.
#
#   hsm/mktoken.sh DIR LABEL [LABEL...]
#
# Creates DIR/softhsm2.conf and DIR/tokens/, initialises one token per LABEL
# with fresh random PINs, and writes them to DIR/LABEL.pin (user PIN) and
# DIR/LABEL.so-pin (security officer PIN), mode 0600. Prints the line to
# export SOFTHSM2_CONF.
#
# These tokens are for development only. softhsm2-util takes the PINs as
# arguments, so they are briefly visible to other users of this machine in
# the process list; a production HSM is initialised with its vendor's tools
# (docs/hsm.md).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 DIR LABEL [LABEL...]" >&2
	exit 2
fi
dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)

umask 077
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
sed "s|@TOKENDIR@|$dir/tokens|" "$here/softhsm2.conf.in" >"$dir/softhsm2.conf"
SOFTHSM2_CONF=$dir/softhsm2.conf
export SOFTHSM2_CONF

newpin() {
	od -An -N8 -tx1 /dev/urandom | tr -d ' \n'
}

for label in "$@"; do
	pin=$(newpin)
	sopin=$(newpin)
	printf '%s\n' "$pin" >"$dir/$label.pin"
	printf '%s\n' "$sopin" >"$dir/$label.so-pin"
	softhsm2-util --init-token --free --label "$label" \
		--so-pin "$sopin" --pin "$pin" >/dev/null
done
echo "export SOFTHSM2_CONF=$dir/softhsm2.conf"
