#!/bin/sh
# The online CA on a slow token, in one run: a TPM 2.0 token (tpm2-pkcs11
# over swtpm and tpm2-abrmd, tests/tpm/tpm-token.sh), the CA key and the
# audit key on it (P-256), the root in software (docs/performance.md
# explains the figures):
#   1. the token's raw signing rate through signet_key_signer, 1 thread
#      and one per CPU (the baseline);
#   2. `signet issue --batch` over N CSRs, fully durable: certificates/s
#      and the ratio to the raw rate, i.e. how busy issuance keeps the
#      token; then the same CSRs with 1 and 4 worker threads;
#   3. `signet token check` on the same token (its round trip's rate).
#
#   bench/run-tpm-bench.sh [--quick] [WORKDIR]
#
# WORKDIR (default build-bench/tpm-bench). --quick: 300 CSRs instead of
# 3,000. The PIN is read from a file by signet, never printed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# Inside the fixture: the token is there.
if [ -z "${SIGNET_TPM_MODULE:-}" ]; then
	quick=0
	if [ "${1:-}" = "--quick" ]; then
		quick=1
		shift
	fi
	build=$top/build-bench
	work=${1:-$build/tpm-bench}
	. "$top/bench/bench-lib.sh"
	bench_build "$top" "$build" signet bench_issue
	rm -rf "$work"
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
	SIGNET_BENCH_BUILD=$build SIGNET_BENCH_WORK=$work \
		SIGNET_BENCH_QUICK=$quick CI= \
		exec sh "$top/tests/tpm/tpm-token.sh" run sh "$0"
fi

build=$SIGNET_BENCH_BUILD
work=$SIGNET_BENCH_WORK
csrs=3000
[ "$SIGNET_BENCH_QUICK" = 1 ] && csrs=300
signet=$build/src/signet
bench=$build/bench/bench_issue
module=$SIGNET_TPM_MODULE
label=$SIGNET_TPM_TOKEN
pin="file:$SIGNET_TPM_PIN_FILE"
tok="pkcs11:token=$label?pin-source=$pin"
cd "$work"
results=$work/results.txt
: >"$results"
. "$top/bench/bench-lib.sh"

note "machine: $(nproc) CPU(s), $(sed -n 's/^model name[^:]*: //p' \
	/proc/cpuinfo | head -n1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
note "software: $(openssl version | cut -d' ' -f1-2), \
$(swtpm --version 2>&1 | head -n1 | cut -d, -f1), tpm2-pkcs11 \
$(dpkg-query -W -f='${Version}' libtpm2-pkcs11-1 2>/dev/null || echo '?'), \
tpm2-abrmd $(dpkg-query -W -f='${Version}' tpm2-abrmd 2>/dev/null || echo '?')"

echo "==> the CA on the TPM token"
"$signet" token keygen --module "$module" --token "$tok" --label ca-key \
	--type ec-p256 --pubout ca-key.pub >/dev/null
"$signet" token keygen --module "$module" --token "$tok" --label audit-key \
	--type ec-p256 --pubout audit-key.pub >/dev/null
SIGNET_SOURCE_DIR=$top
. "$top/tests/cli/ca_fixture.sh"
ca_fixture_certs "$work" "$work/ca-key.pub"
"$signet" init --dir ca --module "$module" --ca-cert ca.pem --chain root.pem \
	--key "pkcs11:token=$label;object=ca-key" \
	--audit-key "pkcs11:token=$label;object=audit-key" \
	--policy "$top/policies/default.yaml" --pin-source "$pin" >/dev/null
config=$work/ca/signet.yaml

# ---- 1. raw signing rate -------------------------------------------------------
echo "==> 1. raw signing rate"
"$bench" raw "$config" 2000 >raw.txt
raw1=$(get raw_1 raw.txt)
rawn=$(get raw_n raw.txt)
threads=$(get threads raw.txt)
raw=$(echo "$raw1 $rawn" | awk '{print ($1 > $2) ? $1 : $2}')
note "1. raw P-256 signatures/s on the TPM: $raw1 (1 thread), $rawn \
($threads threads)"

# ---- 2. signet issue --batch ------------------------------------------------------
echo "==> 2. $csrs CSRs"
"$bench" csrs "$work/csrs" "$csrs" >/dev/null
t=$(elapsed "$signet" issue --config "$config" --profile tls-server \
	--batch "$work/csrs" --out-dir "$work/out")
n_out=$(ls "$work/out" | wc -l)
rate=$(echo "$n_out $t" | awk '{printf "%.0f", $1 / $2}')
note "2. signet issue --batch on the TPM: $n_out certificates in ${t}s = \
$rate/s ($(ratio "$rate" "$raw") of the raw rate), durable"
openssl verify -x509_strict -CAfile root.pem -untrusted ca.pem \
	"$work/out/c0000000.crt" >/dev/null
# The same CSRs with other numbers of worker threads (issuance.workers;
# 0, above, is one per CPU): on a token that works on this machine's CPUs,
# more threads compete with it.
for w in 1 4; do
	sed -i "s/^  workers: .*/  workers: $w/" "$config"
	t=$(elapsed "$signet" issue --config "$config" --profile tls-server \
		--batch "$work/csrs" --out-dir "$work/out-w$w")
	wrate=$(echo "$(ls "$work/out-w$w" | wc -l) $t" |
		awk '{printf "%.0f", $1 / $2}')
	note "   workers: $w: $wrate/s ($(ratio "$wrate" "$raw") of the raw rate)"
done
sed -i "s/^  workers: .*/  workers: 0/" "$config"

# ---- 3. signet token check -----------------------------------------------------------
echo "==> 3. signet token check"
"$signet" token check --module "$module" "$tok" >check.txt
note "3. signet token check: $(sed -n 's/^sign  *ok  *//p' check.txt)"
note "   raw rate again after the batch: $("$bench" raw "$config" 1000 |
	awk '/^raw_1/ {print $2}')/s (1 thread)"

echo "==> results (also in $results)"
cat "$results"
