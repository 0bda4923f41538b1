#!/bin/sh
# Every command and subcommand answers --help with its usage on standard
# output and exit status 0, and an unknown option with a usage error (2).
set -eu

: "${SIGNET_BIN:?run with ctest}"
signet=$SIGNET_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-help.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
for cmd in "" token "token list" "token keygen" lint ceremony "ceremony run" \
	"ceremony check" "ceremony verify" init issue revoke crl list show \
	db "db check" "db migrate" "db export" "db import" "db copy" audit \
	"audit verify" "audit show" "audit repair"; do
	# shellcheck disable=SC2086
	if ! $signet $cmd --help >out 2>err; then
		echo "FAIL: signet $cmd --help exits $?: $(cat err)" >&2
		fails=$((fails + 1))
	elif ! grep -q "usage:" out; then
		echo "FAIL: signet $cmd --help prints no usage" >&2
		fails=$((fails + 1))
	else
		echo "ok: signet $cmd --help"
	fi
	[ -n "$cmd" ] || continue
	set +e
	# shellcheck disable=SC2086
	$signet $cmd --no-such-option >out 2>err
	st=$?
	set -e
	if [ "$st" -ne 2 ]; then
		echo "FAIL: signet $cmd --no-such-option exits $st, not 2" >&2
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || exit 1
