#!/bin/sh
# M of N custodians (issue 19), on SoftHSM behind p11fault, whose call log
# counts every C_Login and C_SetPIN:
#   - quorum-split 2 of 3: share files 0600, the former PIN refused, the
#     transcript and verify name the custodians and M/N;
#   - every 2-subset of the 3 shares opens the token;
#   - one share, an altered share, a share given twice or as another
#     custodian's, a share of another token's split, a wrong passphrase:
#     refused with no C_Login at all, the token's PIN flags unchanged;
#   - a re-split: the old shares refused before any login, the new ones
#     open the token;
#   - the PIN (rebuilt independently by quorum_judge.py) in no output, no
#     file, no transcript, and no core image of a signet killed while it
#     holds the PIN.
set -eu

: "${SIGNET_BIN:?run this test with ctest}"
: "${SIGNET_SOURCE_DIR:?run this test with ctest}"
: "${SIGNET_P11FAULT:?run this test with ctest}"
signet=$SIGNET_BIN
src=$SIGNET_SOURCE_DIR
judge=$src/tests/cli/quorum_judge.py
t=$(mktemp -d "${TMPDIR:-/tmp}/signet-quorum.XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"
# Test builds seal shares with a cheaper scrypt (files record their cost).
export SIGNET_TEST_SCRYPT_LOG2N=12

fail() {
	echo "FAIL: $*" >&2
	[ -f out ] && sed 's/^/  | /' out >&2
	exit 1
}

# run STATUS CMD...: run CMD, output in ./out (and kept in ./all.log).
run() {
	want=$1
	shift
	set +e
	"$@" >out 2>&1
	got=$?
	set -e
	cat out >>all.log
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

has() {
	grep -q -- "$1" out || fail "output lacks '$1'"
}

eval "$("$src/hsm/mktoken.sh" hsm root online)"
cp -r "$src/policies" .
mkdir shares custodians
for c in alice bob carol dave erin; do
	printf 'passphrase of %s\n' "$c" >"custodians/$c.pass"
done
printf 'not the passphrase\n' >custodians/wrong.pass
chmod 600 custodians/*

export P11FAULT_LOG="$t/p11.log"
: >"$P11FAULT_LOG"
logins() { grep -c '^C_Login ' "$P11FAULT_LOG" || true; }
setpins() { grep -c '^C_SetPIN .*CKR_OK' "$P11FAULT_LOG" || true; }
flags() { "$signet" token list | grep -A5 "token: '$1'" | grep 'flags:'; }

# custodian NAME SHARE [PASSFILE]: one entry of a custodians: list.
custodian() {
	printf '    - name: %s\n      share: %s\n      passphrase-source: file:custodians/%s.pass\n' \
		"$1" "$2" "${3:-$(echo "$1" | tr 'A-Z' 'a-z')}"
}

head_yaml() { # TYPE TOKEN PIN-SOURCE
	printf 'ceremony: %s\noperators: [Tess Tester]\ntoken:\n  uri: "pkcs11:token=%s"\n  module: %s\n  pin-source: %s\n' \
		"$1" "$2" "$SIGNET_P11FAULT" "$3"
}

# unlock TAG CUSTODIAN-LINES: a root-cert ceremony opened by a quorum.
unlock() {
	{
		head_yaml root-cert root quorum
		printf 'quorum:\n  custodians:\n%s\n' "$2"
		cat <<EOF
key: {label: root-key, id: "01"}
policy: policies/default.yaml
profile: root-ca
subject: {O: Example Corp, CN: Example Corp Root CA R1}
inputs: {public-key: root-key.pub.pem}
outputs: {certificate: cert-$1.pem}
EOF
	} >"unlock-$1.yaml"
}

# refused TAG STATUS MESSAGE: the unlock is refused with no C_Login.
refused() {
	: >"$P11FAULT_LOG"
	run "$2" "$signet" ceremony run --yes "unlock-$1.yaml"
	has "$3"
	[ "$(logins)" -eq 0 ] || fail "$1: C_Login was called $(logins) times"
	[ ! -e "cert-$1.pem" ] || fail "$1: a certificate was signed"
	[ "$(flags root)" = "$flags_before" ] ||
		fail "$1: the token's PIN flags changed: $(flags root)"
}

# ---- the root key, then the quorum ---------------------------------------
cat >root-key.yaml <<'EOF'
ceremony: root-key
operators: [Tess Tester]
token:
  uri: "pkcs11:token=root"
  pin-source: file:hsm/root.pin
key: {type: ec-p256, label: root-key, id: "01"}
outputs: {public-key: root-key.pub.pem}
EOF
run 0 "$signet" ceremony run --yes root-key.yaml

{
	head_yaml quorum-split root file:hsm/root.pin
	printf 'key: {label: root-key, id: "01"}\nsplit:\n  threshold: 2\n  custodians:\n'
	custodian Alice shares/a.share
	custodian Bob shares/b.share
	custodian Carol shares/c.share
} >split.yaml
run 0 "$signet" ceremony check split.yaml
has "New quorum             2 of 3 custodians"
# A split that fails before the PIN changed leaves no share file behind,
# and the token its former PIN (fault points of test builds).
if [ "${SIGNET_TEST_HOOKS:-0}" = 1 ]; then
	for f in fail:quorum.write@2 fail:quorum.setpin; do
		SIGNET_FAULT=$f run 50 "$signet" ceremony run --yes split.yaml
		for s in a b c; do
			[ ! -e "shares/$s.share" ] || fail "$f: shares/$s.share was left"
		done
		rm -f split.transcript.failed-*.json
	done
	: >"$P11FAULT_LOG"
	unlock stillpin "$(custodian Alice shares/a.share)"
	sed -i -e 's/pin-source: quorum/pin-source: file:hsm\/root.pin/' \
		-e '/^quorum:/,/^key:/{/^key:/!d}' unlock-stillpin.yaml
	run 0 "$signet" ceremony run --yes unlock-stillpin.yaml
	[ "$(setpins)" -eq 0 ] || fail "a failed split changed the PIN"
fi
: >"$P11FAULT_LOG"
run 0 "$signet" ceremony run --yes split.yaml
has "Ceremony quorum-split completed"
[ "$(setpins)" -eq 1 ] || fail "C_SetPIN succeeded $(setpins) times, not once"
for s in a b c; do
	[ "$(stat -c %a "shares/$s.share")" = 600 ] ||
		fail "shares/$s.share is not mode 0600"
done
[ "$(jq -r '.quorum.split | "\(.threshold) of \(.shares): \([.custodians[].name] | join(","))"' split.transcript.json)" = \
	"2 of 3: Alice,Bob,Carol" ] || fail "the split is not in the transcript"
run 0 "$signet" ceremony verify split.transcript.json --key root-key.pub.pem
has "quorum: new split, shares to: split"
has "Carol, share 3, fingerprint"
run 42 "$signet" ceremony check split.yaml
has "shares/a.share exists already"

# The former PIN no longer opens the token.
unlock oldpin "$(custodian Alice shares/a.share)"
sed -i -e 's/pin-source: quorum/pin-source: file:hsm\/root.pin/' \
	-e '/^quorum:/,/^key:/{/^key:/!d}' unlock-oldpin.yaml
run 24 "$signet" ceremony run --yes unlock-oldpin.yaml

# ---- every 2-subset opens the token ----------------------------------------
unlock AB "$(custodian Alice shares/a.share; custodian Bob shares/b.share)"
unlock AC "$(custodian Alice shares/a.share; custodian Carol shares/c.share)"
unlock BC "$(custodian Bob shares/b.share; custodian Carol shares/c.share)"
for s in AB AC BC; do
	: >"$P11FAULT_LOG"
	run 0 "$signet" ceremony run --yes "unlock-$s.yaml"
	has "Ceremony root-cert completed"
	[ "$(logins)" -eq 1 ] || fail "$s: $(logins) C_Login calls, expected 1"
	run 0 "$signet" ceremony verify "unlock-$s.transcript.json" \
		--cert "cert-$s.pem"
	has "quorum: unlocked by: split"
	[ "$(jq -r '.quorum.unlock | "\(.threshold)/\(.shares) \(.custodians | length)"' \
		"unlock-$s.transcript.json")" = "2/3 2" ] ||
		fail "$s: the quorum is not in the transcript"
done

# ---- refusals, none costing a PIN try --------------------------------------
flags_before=$(flags root)
unlock one "$(custodian Alice shares/a.share)"
refused one 31 "it takes 2 of 3: the token cannot be unlocked"

cp shares/b.share shares/b-altered.share
# Change the first hex digit of the sealed share.
sed -i 's/"ciphertext": "0/"ciphertext": "1/;t;s/"ciphertext": "./"ciphertext": "0/' \
	shares/b-altered.share
cmp -s shares/b.share shares/b-altered.share && fail "the share was not altered"
unlock altered "$(custodian Alice shares/a.share; custodian Bob shares/b-altered.share)"
refused altered 31 "passphrase is wrong, or the file was altered"

cp shares/a.share shares/a-copy.share
unlock twice "$(custodian Alice shares/a.share; custodian Bob shares/a-copy.share alice)"
refused twice 31 "is the share of custodian 'Alice', not of 'Bob'"
unlock samefile "$(custodian Alice shares/a.share; custodian Bob shares/a.share)"
refused samefile 3 "is listed twice"

unlock wrongpass "$(custodian Alice shares/a.share wrong; custodian Bob shares/b.share)"
refused wrongpass 31 "passphrase is wrong"

# Another token's split: mixed with this one's, or on its own.
{
	head_yaml quorum-split online file:hsm/online.pin
	printf 'split:\n  threshold: 2\n  custodians:\n'
	custodian Dave shares/online-d.share
	custodian Erin shares/online-e.share
} >online-split.yaml
run 0 "$signet" ceremony run --yes online-split.yaml
unlock mixed "$(custodian Alice shares/a.share; custodian Dave shares/online-d.share)"
refused mixed 31 "come from different splits"
unlock foreign "$(custodian Dave shares/online-d.share; custodian Erin shares/online-e.share)"
refused foreign 31 "and this is token 'root'"
has "no login was tried"

# ---- at the terminal: passphrases typed twice without echo, an absent
# custodian passed with an empty line -----------------------------------------
# typed CMD LINE...: CMD under script(1) (output in ./out), each LINE typed
# once the next "Enter " prompt has appeared (a prompt flushes what was
# typed ahead of it).
typed() {
	_cmd=$1
	shift
	: >out
	set +e
	{
		_n=0
		for _line in "$@"; do
			_n=$((_n + 1))
			_i=0
			while [ "$(grep -o 'Enter ' out | wc -l)" -lt "$_n" ]; do
				_i=$((_i + 1))
				[ $_i -lt 300 ] || break
				sleep 0.1
			done
			printf '%s\n' "$_line"
		done
		sleep 1
	} | script -qec "$_cmd" /dev/null >out 2>&1
	got=$?
	set -e
	cat out >>all.log
	[ "$got" -eq 0 ] || fail "'$_cmd' at the terminal exited $got"
}
{
	head_yaml quorum-split online quorum
	printf 'quorum:\n  custodians:\n'
	custodian Dave shares/online-d.share
	custodian Erin shares/online-e.share
	printf 'split:\n  threshold: 2\n  custodians:\n'
	printf '    - {name: Gina, share: shares/online-g.share}\n'
	printf '    - {name: Hank, share: shares/online-h.share, passphrase-source: prompt}\n'
} >online-prompt.yaml
typed "$signet ceremony run --yes online-prompt.yaml" \
	'gina passphrase 1' 'gina passphrase 1' \
	'hank passphrase 2' 'hank typo' \
	'hank passphrase 2' 'hank passphrase 2'
has "Ceremony quorum-split completed"
has "Enter passphrase of custodian 'Gina' (shares/online-g.share): "
has "The two entries differ; once more."
if grep -q 'passphrase [12]\|typo' out; then fail "a passphrase was echoed"; fi
{
	head_yaml quorum-split online quorum
	printf 'quorum:\n  custodians:\n'
	printf '    - {name: Ivy, share: shares/online-i.share}\n'
	printf '    - {name: Gina, share: shares/online-g.share}\n'
	printf '    - {name: Hank, share: shares/online-h.share}\n'
	printf 'split:\n  threshold: 2\n  custodians:\n'
	custodian Dave shares/online-2-d.share
	custodian Erin shares/online-2-e.share
} >online-absent.yaml
typed "$signet ceremony run --yes online-absent.yaml" \
	'' 'gina passphrase 1' 'hank passphrase 2'
has "custodian 'Ivy' is not present"
has "Ceremony quorum-split completed"
[ "$(jq -c '[.quorum.unlock.custodians[].name]' online-absent.transcript.json)" = \
	'["Gina","Hank"]' ] || fail "the custodians at the terminal are not recorded"

# ---- on paper: a share shown as 36 words at the terminal, unlocking alone
# or with a file; a misread word refused before any login ---------------------
{
	head_yaml quorum-split online quorum
	printf 'quorum:\n  custodians:\n'
	custodian Dave shares/online-2-d.share
	custodian Erin shares/online-2-e.share
	printf 'split:\n  threshold: 2\n  custodians:\n'
	printf '    - {name: Jo, share: shares/online-j.share, passphrase-source: file:custodians/alice.pass, paper: true}\n'
	custodian Kim shares/online-k.share bob
} >online-paper.yaml
typed "$signet ceremony run --yes online-paper.yaml"
has "They are shown once."
tr -d '\r' <out | sed -n '/They are shown once\./{n;N;N;N;N;N;p;q}' |
	tr '\n' ' ' >custodians/jo.words
chmod 600 custodians/jo.words
[ "$(wc -w <custodians/jo.words)" -eq 36 ] || fail "not 36 words: $(cat custodians/jo.words)"
if grep -q -F -- "$(cut -d' ' -f1-6 custodians/jo.words)" online-paper.transcript.json; then
	fail "the words are in the transcript"
fi
paper_unlock() { # TAG WORDS-FILE
	{
		head_yaml quorum-split online quorum
		printf 'quorum:\n  custodians:\n'
		printf '    - {name: Jo, words-source: file:custodians/%s}\n' "$2"
		custodian Kim shares/online-k.share bob
		printf 'split:\n  threshold: 2\n  custodians:\n'
		custodian Dave "shares/online-$1-d.share"
		custodian Erin "shares/online-$1-e.share"
	} >"paper-$1.yaml"
}
sed 's/^b/d/;t;s/^./b/' custodians/jo.words >custodians/jo-misread.words
chmod 600 custodians/jo-misread.words
paper_unlock misread jo-misread.words
: >"$P11FAULT_LOG"
run 31 "$signet" ceremony run --yes paper-misread.yaml
has "fail their checksum"
[ "$(logins)" -eq 0 ] || fail "misread words: C_Login was called"
paper_unlock words jo.words
run 0 "$signet" ceremony run --yes paper-words.yaml
has "custodian 'Jo' gave share 1 of 2"
[ "$(jq -r '.quorum.unlock.custodians[0].share_fingerprint' paper-words.transcript.json)" = \
	"$(jq -r '.quorum.split.custodians[0].share_fingerprint' online-paper.transcript.json)" ] ||
	fail "the words' share has another fingerprint than the file's"

# ---- re-split: the old shares stop working ----------------------------------
{
	head_yaml quorum-split root quorum
	printf 'quorum:\n  custodians:\n'
	custodian Alice shares/a.share
	custodian Carol shares/c.share
	printf 'key: {label: root-key, id: "01"}\nsplit:\n  threshold: 2\n  custodians:\n'
	custodian Alice shares/a2.share
	custodian Bob shares/b2.share
	custodian Dave shares/d2.share
} >resplit.yaml
: >"$P11FAULT_LOG"
run 0 "$signet" ceremony run --yes resplit.yaml
[ "$(setpins)" -eq 1 ] || fail "the re-split did not set a new PIN"
run 0 "$signet" ceremony verify resplit.transcript.json --key root-key.pub.pem
has "quorum: unlocked by: split"
has "quorum: new split, shares to: split"
flags_before=$(flags root)
unlock old "$(custodian Alice shares/a.share; custodian Bob shares/b.share)"
refused old 31 "no longer open the token"
unlock new "$(custodian Bob shares/b2.share; custodian Dave shares/d2.share)"
: >"$P11FAULT_LOG"
run 0 "$signet" ceremony run --yes unlock-new.yaml
[ "$(logins)" -eq 1 ] || fail "new shares: $(logins) C_Login calls"

# ---- the PIN is nowhere ------------------------------------------------------
old_pin=$(/usr/bin/python3 "$judge" shares/a.share custodians/alice.pass \
	shares/c.share custodians/carol.pass) || fail "the judge cannot rebuild the first PIN"
pin=$(/usr/bin/python3 "$judge" shares/b2.share custodians/bob.pass \
	shares/d2.share custodians/dave.pass) || fail "the judge cannot rebuild the PIN"
[ "${#pin}" -eq 32 ] || fail "the judge's PIN is not 32 characters"
[ "$pin" != "$old_pin" ] || fail "the re-split kept the PIN"

# A signet holding the PIN (its login stalled), killed with SIGSEGV: no core.
cat /proc/sys/kernel/core_pattern >core_pattern 2>/dev/null || :
unlock core "$(custodian Bob shares/b2.share; custodian Dave shares/d2.share)"
mkdir core-dir
(
	cd core-dir
	ulimit -c unlimited 2>/dev/null || :
	P11FAULT='C_Login=hang:5000' exec "$signet" ceremony run --yes \
		--dir .. ../unlock-core.yaml >../core.out 2>&1
) &
core_pid=$!
i=0
until grep -q '^C_GetTokenInfo' "$P11FAULT_LOG" 2>/dev/null && grep -q 'quorum-unlock' core.out; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
	sleep 0.1
done
sleep 1
pkill -SEGV -P "$core_pid" 2>/dev/null || kill -SEGV "$core_pid" 2>/dev/null || :
wait "$core_pid" 2>/dev/null || :
if grep -q '^core' core_pattern; then
	[ -z "$(ls -A core-dir)" ] || fail "a core image was written: $(ls core-dir)"
else
	echo "note: core_pattern is '$(cat core_pattern)': the core check is vacuous here"
fi

for p in "$pin" "$old_pin"; do
	if grep -r -l -F -- "$p" .; then
		fail "a PIN appears in a file"
	fi
	if grep -q -F -- "$p" all.log core.out; then fail "a PIN appears in signet's output"; fi
done

# ---- the examples: 10, 11 and 12 after 01, 02 and 05 -------------------------
mkdir ex
cd ex
eval "$("$src/hsm/mktoken.sh" hsm root)"
cp -r "$src/ceremony" "$src/policies" .
mkdir shares custodians
for c in carol dave erin frank; do
	printf 'passphrase of %s\n' "$c" >"custodians/$c.pass"
done
chmod 600 custodians/*
for f in 01-root-key 02-root-cert 05-root-crl 10-root-quorum \
	11-root-crl-quorum 12-root-requorum; do
	# CRL 2's thisUpdate must be a later second than CRL 1's.
	[ "$f" = 11-root-crl-quorum ] && sleep 1
	run 0 "$signet" ceremony run --yes "ceremony/$f.yaml"
	[ "$f" = 01-root-key ] && continue
	run 0 "$signet" ceremony verify "$f.transcript.json" --cert root.pem
done
has "quorum: unlocked by: split"
has "Frank Custodian, share 3"
# Carol and Erin's first shares no longer open the root.
sed -e 's/number: 2/number: 3/' -e 's/root-crl-2/root-crl-3/g' \
	-e 's/root-crl-1\.crl$/root-crl-2.crl/' ceremony/11-root-crl-quorum.yaml \
	>retired.yaml
run 31 "$signet" ceremony run --yes retired.yaml
has "no longer open the token"
cd ..
echo "quorum: all checks passed"
