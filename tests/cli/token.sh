#!/bin/sh
# signet token list / keygen: exit statuses, messages, and that no PIN ever
# reaches standard output or error. Runs signet without a controlling
# terminal (setsid, stdin and stdout not a tty) unless a case needs one.
set -eu

: "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_BIN:?run with ctest}"
: "${SIGNET_P11FAULT:?run with ctest}"
signet=$SIGNET_BIN
# p11fault forwards to SoftHSM, logs every call (P11FAULT_LOG) and makes the
# token say what SoftHSM never does (tests/p11fault/README.md).
fault=$SIGNET_P11FAULT
softhsm=/usr/lib/softhsm/libsofthsm2.so

tmp=$(mktemp -d "${TMPDIR:-/tmp}/signet-cli-token.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
eval "$("$SIGNET_SOURCE_DIR/hsm/mktoken.sh" "$tmp/hsm" cli other)"
pin=$(cat "$tmp/hsm/cli.pin")
pinsrc="pin-source=file:$tmp/hsm/cli.pin"
failures=0
cases=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run ARGS...: signet in a new session with no terminal; sets $st and
# leaves stdout in $tmp/out, stderr in $tmp/err.
run() {
	cases=$((cases + 1))
	st=0
	setsid -w "$signet" "$@" </dev/null >"$tmp/out" 2>"$tmp/err" || st=$?
	# Whatever happened, the PIN was not printed.
	if grep -qF "$pin" "$tmp/out" "$tmp/err"; then
		fail "the PIN appears in the output of: signet $*"
	fi
}

# expect STATUS PATTERN [FILE]: the last run's status, and PATTERN in FILE
# (stderr by default).
expect() {
	want=$1
	pattern=$2
	file=${3:-$tmp/err}
	if [ "$st" -ne "$want" ]; then
		fail "exit status $st, expected $want (case $cases)"
		sed 's/^/  | /' "$tmp/err" >&2
	fi
	if ! grep -qF -- "$pattern" "$file"; then
		fail "case $cases: '$pattern' not in $(basename "$file")"
		sed 's/^/  | /' "$file" >&2
	fi
}

# --- help --------------------------------------------------------------------
run token --help
expect 0 "signet token keygen" "$tmp/out"
run token list --help
expect 0 "--pin-env NAME" "$tmp/out"
run token keygen --help
expect 0 "ec-p256, ec-p384, ec-p521, rsa-2048" "$tmp/out"
run token
expect 2 "usage: signet token"
run token frobnicate
expect 2 "unknown subcommand 'frobnicate'"

# --- listing without a login -------------------------------------------------
run token list
expect 0 "token: 'cli'" "$tmp/out"
grep -qF "token: 'other'" "$tmp/out" || fail "token 'other' not listed"
run token list --json
expect 0 '"label": "cli"' "$tmp/out"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(s.get("label")=="cli" for s in d["slots"])' "$tmp/out" ||
	fail "token list --json is not the expected JSON"
run token list --pin-env X
expect 2 "apply only with --token"

# --- key generation ------------------------------------------------------------
run token keygen --token "pkcs11:token=cli?$pinsrc" --label ca-key \
	--type ec-p256 --id 0a0b0c --pubout "$tmp/ca-key.pem"
expect 0 "extractable: no" "$tmp/out"
for want in "sensitive: yes" "always-sensitive: yes" \
	"never-extractable: yes" "type: ec-p256" "id: 0a0b0c" \
	"uri: pkcs11:token=cli;serial=" ";object=ca-key;id=%0A%0B%0C;type=private"; do
	grep -qF -- "$want" "$tmp/out" || fail "keygen output lacks '$want'"
done
# The printed fingerprint is the SHA-256 of the public key's SPKI.
fp=$(sed -n 's/^spki-sha256: //p' "$tmp/out")
fp2=$(openssl pkey -pubin -in "$tmp/ca-key.pem" -outform DER |
	sha256sum | cut -d' ' -f1)
[ -n "$fp" ] && [ "$fp" = "$fp2" ] ||
	fail "spki-sha256 '$fp' is not the public key's ($fp2)"
key_uri=$(sed -n 's/^uri: //p' "$tmp/out")

run token keygen --token "pkcs11:token=cli?$pinsrc" --label ca-key \
	--type ec-p384
expect 42 "already holds an object labelled 'ca-key'"
run token keygen --token "pkcs11:token=cli?$pinsrc" --label other-key \
	--type rsa-2048 --id 0a0b0c
expect 42 "already holds an object with id 0a0b0c"
run token keygen --token "pkcs11:token=cli?$pinsrc" --label x --type ec-p256 \
	--pubout "$tmp/ca-key.pem"
expect 42 "never overwrites"
run token keygen --token "pkcs11:token=cli?$pinsrc" --label x --type dsa-1024
expect 2 "unknown key type 'dsa-1024'"
run token keygen --token "pkcs11:token=cli?$pinsrc" --type ec-p256
expect 2 "--token, --label and --type are required"
run token keygen --token "pkcs11:token=cli?$pinsrc" --label x --type ec-p256 \
	--id zz
expect 2 "--id must be 1 to 64 bytes in hex"
run token keygen --token "pkcs11:token=cli?$pinsrc" --label x --type ec-p256 \
	--bogus
expect 2 "unknown option '--bogus'"

# The new key, found and checked through its URI.
run token list --token "$key_uri?$pinsrc"
expect 0 "key 'ca-key'" "$tmp/out"
grep -qF "extractable: no" "$tmp/out" || fail "listed key not non-extractable"
run token list --json --token "pkcs11:token=cli?$pinsrc"
expect 0 '"never_extractable": true' "$tmp/out"

# pkcs11-tool (OpenSC) agrees on the attributes.
SIGNET_TEST_PIN=$pin
export SIGNET_TEST_PIN
pkcs11-tool --module "$softhsm" --token-label cli --login \
	--pin env:SIGNET_TEST_PIN --list-objects >"$tmp/p11tool" 2>&1 ||
	fail "pkcs11-tool --list-objects failed"
unset SIGNET_TEST_PIN
grep -A4 "^Private Key Object; EC" "$tmp/p11tool" | grep -qF \
	"Access:     sensitive, always sensitive, never extractable, local" ||
	fail "pkcs11-tool does not see a sensitive, never-extractable key"

# --- bad input: one exit status per condition --------------------------------
printf 'WrOnGpIn\n' >"$tmp/wrong.pin"
chmod 600 "$tmp/wrong.pin"
rm -f "$tmp/calls"
export P11FAULT_LOG="$tmp/calls"
run token list --module "$fault" \
	--token "pkcs11:token=cli?pin-source=file:$tmp/wrong.pin"
unset P11FAULT_LOG
expect 24 "CKR_PIN_INCORRECT"
grep -qF "does not retry a failed login" "$tmp/err" || fail "no retry note"
grep -qF "WrOnGpIn" "$tmp/out" "$tmp/err" && fail "the wrong PIN was printed"
logins=$(grep -c '^C_Login ' "$tmp/calls" || true)
[ "$logins" -eq 1 ] || fail "expected exactly one C_Login, saw $logins"
code_pin=$st

run token list --token "pkcs11:token=nope?$pinsrc"
expect 22 "no token matches"
grep -qF "'cli' (serial" "$tmp/err" || fail "existing tokens not listed"
code_token=$st

run token list --token "pkcs11:token=cli;object=nope?$pinsrc"
expect 23 "no private key on token 'cli'"
grep -qF "'ca-key'" "$tmp/err" || fail "existing keys not listed"
code_key=$st

run token list --token "pkcs11:token=cli;objekt=x"
expect 4 "unknown attribute 'objekt'"
code_uri=$st
run token list --token "pkcs11:token=c%zli"
expect 4 "must be followed by two hex digits"
run token list --token "token=cli"
expect 4 "must start with 'pkcs11:'"

run token list --module /lib/x86_64-linux-gnu/libc.so.6
expect 21 "is not a PKCS#11 module: it has no C_GetFunctionList"
code_module=$st
run token list --module "$tmp/no-such-module.so" --token "pkcs11:token=cli"
expect 21 "No such file or directory"

run token list --token "pkcs11:token=cli"
expect 26 "no terminal to ask on"
grep -qF "pin-source=file:PATH" "$tmp/err" || fail "no hint on PIN sources"
code_pinsrc=$st

chmod 644 "$tmp/wrong.pin"
run token list --token "pkcs11:token=cli?pin-source=file:$tmp/wrong.pin"
expect 26 "chmod 600"

run token keygen --token "pkcs11:token=cli" --label y --type ec-p256 \
	--pin-env SIGNET_NO_SUCH_VAR
expect 26 "SIGNET_NO_SUCH_VAR"

codes="$code_pin $code_token $code_key $code_uri $code_module $code_pinsrc"
[ "$(printf '%s\n' $codes | sort -u | wc -l)" -eq 6 ] ||
	fail "exit statuses are not distinct: $codes"

# --- PIN sources ---------------------------------------------------------------
export CLI_PIN="$pin"
run token list --token "pkcs11:token=cli" --pin-env CLI_PIN
unset CLI_PIN
expect 0 "key 'ca-key'" "$tmp/out"
run token list --token "pkcs11:token=cli?pin-value=$pin"
expect 4 "--insecure-pin-in-uri"
run token list --insecure-pin-in-uri --token "pkcs11:token=cli?pin-value=$pin"
expect 0 "warning: the token URI holds a PIN"
grep -qF "key 'ca-key'" "$tmp/out" || fail "pin-value did not log in"

# --- PIN state (SoftHSM never locks; the test module says it did) --------------
rm -f "$tmp/calls"
export P11FAULT_LOG="$tmp/calls" P11FAULT_TOKEN_FLAGS=+CKF_USER_PIN_LOCKED
run token list --module "$fault" --token "pkcs11:token=cli?$pinsrc"
expect 25 "security officer must unlock"
export P11FAULT_TOKEN_FLAGS=+CKF_USER_PIN_FINAL_TRY
run token list --module "$fault" --token "pkcs11:token=cli?$pinsrc"
expect 25 "only one more PIN attempt"
# The log shows signet read the token, and never tried the PIN.
grep -q '^C_GetTokenInfo ' "$tmp/calls" || fail "p11fault logged no calls"
! grep -q '^C_Login ' "$tmp/calls" ||
	fail "a login was attempted on a locked PIN"
unset P11FAULT_LOG
run token list --module "$fault"
expect 0 "PIN FINAL TRY" "$tmp/out"
export P11FAULT_TOKEN_FLAGS=+CKF_USER_PIN_COUNT_LOW
run token list --module "$fault" --token "pkcs11:token=cli?$pinsrc"
expect 0 "PIN count low" "$tmp/out"
unset P11FAULT_TOKEN_FLAGS

# At the final try a PIN typed at the prompt is still accepted: run signet
# on a pseudo-terminal and type the PIN once the prompt is shown.
if command -v script >/dev/null 2>&1; then
	cases=$((cases + 1))
	: >"$tmp/typescript"
	st=0
	(
		i=0
		while ! grep -q "Enter PIN" "$tmp/typescript" && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		printf '%s\n' "$pin"
	) | env P11FAULT_TOKEN_FLAGS=+CKF_USER_PIN_FINAL_TRY script -qfec \
		"'$signet' token list --module '$fault' --token pkcs11:token=cli" \
		"$tmp/typescript" >"$tmp/out" 2>"$tmp/err" || st=$?
	expect 0 "key 'ca-key'" "$tmp/out"
	grep -qF "Enter PIN for token 'cli'" "$tmp/typescript" ||
		fail "no PIN prompt"
	grep -qF "$pin" "$tmp/out" "$tmp/typescript" &&
		fail "the typed PIN was echoed"
fi

# --- check ---------------------------------------------------------------------
run token check --help
expect 0 "signet token check URI" "$tmp/out"
run token check
expect 2 "name the token: signet token check URI"
run token check "pkcs11:token=cli?$pinsrc" extra
expect 2 "unexpected argument 'extra'"
run token check "pkcs11:token=cli?$pinsrc" --type ec-p999
expect 2 "ec-p999"
# SoftHSM offers everything; the round trip works and leaves no key.
run token check "pkcs11:token=cli?$pinsrc"
expect 0 "ec-p521    yes  offered: CKM_EC_KEY_PAIR_GEN and CKM_ECDSA" "$tmp/out"
for line in "sessions   info" "rsa-4096   yes" "rsa-pss    yes" \
	"backup     yes" "random     ok" "keygen     ok" \
	"sign       ok   50 ecdsa-with-SHA256 signatures" "destroy    ok"; do
	grep -qF "$line" "$tmp/out" || fail "check: no '$line' line"
done
run token list --token "pkcs11:token=cli?$pinsrc"
if grep -q "signet-check-" "$tmp/out"; then
	fail "token check left its key on the token"
fi
# A token that lacks a size or a mechanism: a 'no' line naming it, and the
# round trip of a type it cannot sign with fails, before any signature.
export P11FAULT_MECHANISMS='CKM_ECDSA<=384,-CKM_RSA_PKCS_PSS'
run token check --module "$fault" "pkcs11:token=cli?$pinsrc"
expect 0 "ec-p521    no   token 'cli' does not offer CKM_ECDSA with P-521 keys (it takes keys of" "$tmp/out"
expect 0 "rsa-pss    no   token 'cli' does not offer CKM_RSA_PKCS_PSS" "$tmp/out"
run token check --module "$fault" "pkcs11:token=cli?$pinsrc" --type ec-p521
expect 20 "keygen     FAIL token 'cli' does not offer CKM_ECDSA with P-521 keys" "$tmp/out"
expect 20 "failed the check (the FAIL line above)"
unset P11FAULT_MECHANISMS
# A token that allows 3 sessions: the pool stays at 2, one left over.
export P11FAULT_MAX_SESSIONS=3
run token check --module "$fault" "pkcs11:token=cli?$pinsrc"
expect 0 "sessions   info sessions: 3, read-write: 3; signet opens up to 2 to sign" "$tmp/out"
unset P11FAULT_MAX_SESSIONS

echo "token CLI: $cases cases, $failures failures"
[ "$failures" -eq 0 ]
