#!/bin/sh
# The main job on throwaway SoftHSM tokens, each step printed in plain words.
# Exits non-zero if any step does not behave as shown.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/.ci/install-deps.sh"

step() { printf '\n==> %s\n' "$*"; }

step "Building signet"
cmake -S "$top" -B "$top/build" >/dev/null
cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
signet=$top/build/src/signet

work=$(mktemp -d "${TMPDIR:-/tmp}/signet-demo.XXXXXX")
step "Working in $work"

step "Creating a throwaway SoftHSM token 'demo-root'"
eval "$("$top/hsm/mktoken.sh" "$work/hsm" demo-root)"

step "signet version"
"$signet" --version

root_uri="pkcs11:token=demo-root?pin-source=file:$work/hsm/demo-root.pin"

step "Generating a P-256 key on the token (signet token keygen)"
"$signet" token keygen --token "$root_uri" --label demo-root-key \
	--type ec-p256 --pubout "$work/demo-root-key.pem" | tee "$work/keygen.out"
for want in "type: ec-p256" "sensitive: yes" "extractable: no" \
	"never-extractable: yes"; do
	if ! grep -qx "$want" "$work/keygen.out"; then
		echo "demo: keygen did not report '$want'" >&2
		exit 1
	fi
done

step "Listing the module's tokens, then the token's keys (signet token list)"
"$signet" token list | tee "$work/slots.out"
grep -qF "token: 'demo-root'" "$work/slots.out" ||
	{ echo "demo: token list does not show demo-root" >&2; exit 1; }
"$signet" token list --token "$root_uri" | tee "$work/keys.out"
grep -qF "key 'demo-root-key'" "$work/keys.out" ||
	{ echo "demo: token list does not show the new key" >&2; exit 1; }
grep -qx "  extractable: no" "$work/keys.out" ||
	{ echo "demo: the listed key is not marked non-extractable" >&2; exit 1; }

echo
echo "demo: all steps behaved as shown"
