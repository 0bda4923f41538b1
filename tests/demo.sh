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

echo
echo "demo: all steps behaved as shown"
