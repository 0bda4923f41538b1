#!/bin/sh
# The online CA's speed, in one run, against baselines measured in the same
# run on the same SoftHSM P-256 key (docs/performance.md explains the
# figures):
#   1. the token's raw signing rate through signet_key_signer, 1 thread and
#      one per CPU;
#   2. `signet issue --batch` over N CSRs, fully durable: certificates/s and
#      the ratio to the raw rate;
#   3. `openssl ca -batch -infiles` over the same CSRs, on the same token
#      key through libp11's engine, and the ratio;
#   4. one `signet issue` process at 10,000 and at 1,000,000 certificates in
#      the database (populated by SQL), against one `openssl ca` process at
#      the same index sizes;
#   5. a full CRL with 1,000,000 revoked entries through `signet crl`: time
#      and peak memory, against `openssl ca -gencrl` on the same entries;
#   6. step 2 again with the database on a throwaway PostgreSQL server
#      (fsync on; SIGNET_BENCH_PG=0 skips it);
#   7. reading the 1,000,000 rows of step 4: `signet list` as text, as
#      JSON Lines (--jsonl) and as one JSON array (--json), and `signet db
#      check`: time and peak memory;
#   8. a slow token: tests/p11fault in front of SoftHSM adds 3 ms to every
#      C_Sign (SIGNET_BENCH_SLOW_MS); its raw rate, and a batch through it;
#   9. an RSA-2048 CA key: raw rate on one and two sessions, and a batch.
#
#   bench/run-issue-bench.sh [--quick] [WORKDIR]
#
# WORKDIR (default build-bench/issue-bench) should sit on the disk a CA would
# use. --quick: 1,000 CSRs and 20,000 rows, to try the script.
# SIGNET_BENCH_CSRS and SIGNET_BENCH_ROWS set those two numbers. PINs are
# read from files by signet and by the engine (pin-source), never printed.
#
# Besides wall-clock rates, which follow the load of a shared machine, the
# batches report CPU time (user + system) per certificate, and what is left
# of it once the token's own CPU per signature (bench_issue raw, SoftHSM
# signing in the same process) is taken away.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then
	quick=1
	shift
fi
build=$top/build-bench
work=${1:-$build/issue-bench}
csrs=10000
rows=1000000
singles=21
few=2000 # CSRs for the slow token and the RSA key
if [ "$quick" -eq 1 ]; then
	csrs=1000
	rows=20000
	singles=5
	few=500
fi
csrs=${SIGNET_BENCH_CSRS:-$csrs}
rows=${SIGNET_BENCH_ROWS:-$rows}

. "$top/bench/bench-lib.sh"
bench_build "$top" "$build" signet bench_issue p11fault
SIGNET_BIN=$build/src/signet
SIGNET_SOURCE_DIR=$top
export SIGNET_BIN SIGNET_SOURCE_DIR
bench=$build/bench/bench_issue
signet=$SIGNET_BIN

# The last run's files are removed at the end of this one, not now: ext4
# without a journal will not reuse an inode freed in the last minute, and
# scans past every one of them for each file created (at 10,000 files
# deleted just before, 13% of a batch's CPU went to that scan).
old=""
if [ -e "$work" ]; then
	old=$work.old.$$
	mv "$work" "$old"
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
cd "$work"
results=$work/results.txt
: >"$results"

echo "==> fixture: SoftHSM token, root, intermediate key on the token"
. "$top/tests/cli/ca_fixture.sh"
ca_fixture "$work/fx"
ca_instance "$work/ca"
config=$CA_CONFIG
pin_raw=$work/fx/hsm/ca.pin.raw
(umask 077 && printf '%s' "$(head -n1 "$work/fx/hsm/ca.pin")" >"$pin_raw")
key_uri="pkcs11:token=ca;object=ca-key;type=private?pin-source=file:$pin_raw"

note "machine: $(nproc) CPU(s), $(sed -n 's/^model name[^:]*: //p' \
	/proc/cpuinfo | head -n1), $(free -g | awk '/Mem:/ {print $2}') GiB"
note "software: $(openssl version | cut -d' ' -f1-2), SoftHSM \
$(softhsm2-util --version), $(sqlite3 --version | cut -d' ' -f1 | \
	sed 's/^/SQLite /'), kernel $(uname -r)"
note "work directory: $work ($(df -T "$work" | awk 'NR==2 {print $2}'))"

# ---- 1. raw signing rate -----------------------------------------------------
echo "==> 1. raw signing rate"
"$bench" raw "$config" 20000 >raw.txt
raw1=$(get raw_1 raw.txt)
rawn=$(get raw_n raw.txt)
threads=$(get threads raw.txt)
raw=$(echo "$raw1 $rawn" | awk '{print ($1 > $2) ? $1 : $2}')
tokcpu=$(get raw_cpu_us raw.txt)
note "1. raw P-256 signatures/s: $raw1 (1 thread), $rawn ($threads threads); \
CPU per signature $tokcpu us"

# ---- what each step costs, without the token --------------------------------
echo "==> the steps of issuance in CPU time (software CA key, no token)"
"$bench" csrs "$work/one-csr" 1 >/dev/null
"$bench" stages "$CA_POLICY" "$work/one-csr/c0000000.csr" "$CA_ROOT" \
	"$work/fx/root.key" 2000 >stages.txt
note "   CPU per certificate, one thread: policy (parse + verify the CSR) \
$(get stage_policy_us stages.txt) us, build $(get stage_build_us stages.txt) \
us, lint $(get stage_lint_us stages.txt) us, check of the signature \
$(get stage_check_us stages.txt) us: $(get stage_outside_key_us stages.txt) \
us outside the key (the software key signing: \
$(get stage_key_sign_us stages.txt) us)"
note "   all steps but the token: $(get stages_1 stages.txt)/s on 1 thread, \
$(get stages_n stages.txt)/s on $threads threads"

# ---- 2. signet issue --batch -------------------------------------------------
echo "==> 2. $csrs CSRs"
"$bench" csrs "$work/csrs" "$csrs" >/dev/null
# cpu_per N FILE: CPU microseconds per certificate from /usr/bin/time's
# "%e %U %S" in FILE.
cpu_per() { tail -n1 "$2" | awk -v n="$1" '{printf "%.0f", ($2 + $3) / n * 1e6}'; }
/usr/bin/time -f "%e %U %S" -o batch.time "$signet" issue --config "$config" \
	--profile tls-server --batch "$work/csrs" --out-dir "$work/out" >/dev/null
t=$(cut -d' ' -f1 batch.time)
n_out=$(ls "$work/out" | wc -l)
rate=$(echo "$n_out $t" | awk '{printf "%.0f", $1 / $2}')
bcpu=$(cpu_per "$n_out" batch.time)
note "2. signet issue --batch: $n_out certificates in ${t}s = $rate/s \
($(ratio "$rate" "$raw") of the raw rate), durable; CPU $bcpu us per \
certificate, $(echo "$bcpu $tokcpu" | awk '{printf "%.0f", $1 - $2}') us \
of it outside the token"

# ---- 3. openssl ca -batch -infiles ---------------------------------------------
echo "==> 3. openssl ca over the same CSRs"
mkdir -p osslca/newcerts
: >osslca/index.txt
cat >osslca/openssl.cnf <<EOF
[ca]
default_ca = CA_default
[CA_default]
dir = $work/osslca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = $CA_CERT
rand_serial = yes
default_md = sha256
default_days = 90
default_crl_days = 7
policy = policy_any
x509_extensions = server_ext
crl_extensions = crl_ext
copy_extensions = copy
unique_subject = no
[policy_any]
commonName = supplied
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://pki.example.com/intermediate.crl
authorityInfoAccess = caIssuers;URI:http://pki.example.com/intermediate.crt
[crl_ext]
authorityKeyIdentifier = keyid
EOF
/usr/bin/time -f "%e %U %S" -o ossl.time openssl ca -config \
	"$work/osslca/openssl.cnf" -batch -engine pkcs11 -keyform engine \
	-keyfile "$key_uri" -notext -out "$work/osslca/all.pem" -infiles \
	"$work"/csrs/*.csr >/dev/null 2>&1
t=$(tail -n1 ossl.time | cut -d' ' -f1)
o_out=$(ls osslca/newcerts | wc -l)
orate=$(echo "$o_out $t" | awk '{printf "%.0f", $1 / $2}')
ocpu=$(cpu_per "$o_out" ossl.time)
note "3. openssl ca -batch -infiles (libp11 engine): $o_out certificates in \
${t}s = $orate/s ($(ratio "$orate" "$raw") of the raw rate), not synced; \
CPU $ocpu us per certificate; signet/openssl = $(echo "$rate $orate" |
	awk '{printf "%.2f", $1 / $2}') by rate, $(echo "$ocpu $bcpu" |
	awk '{printf "%.2f", $1 / $2}') by CPU per certificate"

# ---- 4. one certificate per process ---------------------------------------------
echo "==> 4. one signet issue process"
cp "$work/csrs/c0000001.csr" one.csr
single() {
	"$bench" time "$singles" -- "$signet" issue --config "$config" \
		--profile tls-server --csr one.csr --out one.crt >"$1"
	"$bench" time "$singles" -- openssl ca -config \
		"$work/osslca/openssl.cnf" -batch -engine pkcs11 -keyform engine \
		-keyfile "$key_uri" -notext -out one-ossl.crt -in one.csr \
		>"$1.ossl" 2>/dev/null
}
have=$(sqlite3 "$work/ca/signet.db" "SELECT count(*) FROM certificates")
if [ "$have" -lt 10000 ]; then
	cp "$work/out/c0000000.crt" template.pem
	"$bench" populate "$config" $((10000 - have)) template.pem \
		osslca/index.txt >/dev/null
fi
single small.txt
note "4. one process, 10,000 certificates in the database: signet issue \
median $(get median_ms small.txt) ms (min $(get min_ms small.txt)); openssl \
ca median $(get median_ms small.txt.ossl) ms (min $(get min_ms \
small.txt.ossl))"
cp "$work/out/c0000000.crt" template.pem
have=$(sqlite3 "$work/ca/signet.db" "SELECT count(*) FROM certificates")
pop=$(
	"$bench" populate "$config" $((rows - have)) template.pem \
		osslca/index.txt
)
note "   populated to $rows rows in $(echo "$pop" | cut -d' ' -f3)s \
($(du -m "$work/ca/signet.db" | cut -f1) MB)"
single big.txt
note "   $rows certificates: signet issue median $(get median_ms big.txt) ms \
(min $(get min_ms big.txt)); openssl ca median $(get median_ms \
big.txt.ossl) ms (min $(get min_ms big.txt.ossl))"

# ---- 5. a full CRL of every revoked certificate -------------------------------------
echo "==> 5. CRLs"
revoked=$(sqlite3 "$work/ca/signet.db" \
	"SELECT count(*) FROM certificates WHERE status = 'revoked'")
/usr/bin/time -f "%e %M" -o crl.time "$signet" crl --config "$config" \
	--out full.crl >/dev/null
entries=$(openssl crl -inform DER -in full.crl -noout -text |
	grep -c "Serial Number" || true)
note "5. signet crl, $revoked revoked: $(cut -d' ' -f1 crl.time)s, peak RSS \
$(($(cut -d' ' -f2 crl.time) / 1024)) MB, $(du -k full.crl | cut -f1) KB, \
$entries entries"
/usr/bin/time -f "%e %M" -o ocrl.time openssl ca -config \
	"$work/osslca/openssl.cnf" -gencrl -engine pkcs11 -keyform engine \
	-keyfile "$key_uri" -out ossl.crl 2>/dev/null
note "   openssl ca -gencrl, $(grep -c '^R' osslca/index.txt) revoked: \
$(cut -d' ' -f1 ocrl.time)s, peak RSS $(($(cut -d' ' -f2 ocrl.time) / \
1024)) MB"

# ---- 6. the same batch with the database on PostgreSQL -----------------------
# A second instance of the same CA whose database is a throwaway PostgreSQL
# server (tests/pg/pg-server.sh, fsync on), issuing the same CSRs.
if [ "${SIGNET_BENCH_PG:-1}" = 1 ] &&
	SIGNET_PG_FSYNC=on SIGNET_PG_WATCH_PID=$$ \
		sh "$top/tests/pg/pg-server.sh" start "$work/pg" >/dev/null; then
	echo "==> 6. $csrs CSRs, database on PostgreSQL (fsync on)"
	cat >pg-batch.sh <<EOF
set -eu
"$signet" init --dir "$work/ca-pg" --ca-cert "$CA_CERT" --chain "$CA_CHAIN" \\
	--key "$CA_KEY_URI" --audit-key "$AUDIT_KEY_URI" --policy "$CA_POLICY" \\
	--pin-source "$CA_PIN" --database "\$SIGNET_TEST_STORE_URL" \\
	--database-password-source "\$SIGNET_PG_PASSWORD_SOURCE" >/dev/null
t0=\$(date +%s.%N)
"$signet" issue --config "$work/ca-pg/signet.yaml" --profile tls-server \\
	--batch "$work/csrs" --out-dir "$work/out-pg" >/dev/null
t1=\$(date +%s.%N)
echo "\$t0 \$t1" | awk '{printf "%.3f", \$2 - \$1}'
EOF
	t=$(sh "$top/tests/pg/pg-server.sh" run "$work/pg" signet_bench \
		sh pg-batch.sh)
	n_pg=$(ls "$work/out-pg" | wc -l)
	prate=$(echo "$n_pg $t" | awk '{printf "%.0f", $1 / $2}')
	note "6. signet issue --batch, database on PostgreSQL: $n_pg \
certificates in ${t}s = $prate/s ($(ratio "$prate" "$raw") of the raw rate, \
$(ratio "$prate" "$rate") of the SQLite run)"
	sh "$top/tests/pg/pg-server.sh" stop "$work/pg" >/dev/null 2>&1 || true
else
	note "6. PostgreSQL: not measured (SIGNET_BENCH_PG=0 or no server)"
fi

# ---- 7. reading a million rows ------------------------------------------------
echo "==> 7. reading $rows rows"
measure() { # measure NAME COMMAND...: "seconds peak-MB" of one run
	_n=$1
	shift
	/usr/bin/time -f "%e %M" -o "$_n.time" "$@" >/dev/null 2>&1 || true
	# (a non-zero exit adds a line first: db check exits 31 on findings)
	tail -n1 "$_n.time" >"$_n.t" && mv "$_n.t" "$_n.time"
	awk '{printf "%.1fs, %d MB", $1, $2 / 1024}' "$_n.time"
}
lt=$(measure list "$signet" list --config "$config")
lj=$(measure jsonl "$signet" list --jsonl --config "$config")
la=$(measure json "$signet" list --json --config "$config")
dc=$(measure check "$signet" db check --config "$config")
note "7. $rows rows: signet list $lt; --jsonl $lj; --json $la; \
signet db check $dc (jsonl/text time: $(echo "$(cut -d' ' -f1 jsonl.time) \
$(cut -d' ' -f1 list.time)" | awk '{printf "%.2f", $1 / $2}'))"

# A batch of the first $few CSRs, on instance $1's config, into $2.
few_csrs() {
	mkdir -p "$work/few"
	ls "$work/csrs" | head -n "$few" | while read -r f; do
		[ -e "$work/few/$f" ] || ln -s "$work/csrs/$f" "$work/few/$f"
	done
}
few_batch() {
	_t=$(elapsed "$signet" issue --config "$1" --profile tls-server \
		--batch "$work/few" --out-dir "$2")
	echo "$(ls "$2" | wc -l) $_t" | awk '{printf "%.0f", $1 / $2}'
}
few_csrs

# ---- 8. a slow token ----------------------------------------------------------------
slow_ms=${SIGNET_BENCH_SLOW_MS:-3}
echo "==> 8. a token that takes $slow_ms ms longer per signature"
SIGNET_P11FAULT=$(find "$build" -name libp11fault.so | head -n1)
export SIGNET_P11FAULT
ca_instance_p11fault "$work/ca-slow"
slow_config=$CA_CONFIG
P11FAULT="C_Sign@1+=hang:$slow_ms"
export P11FAULT
"$bench" raw "$slow_config" 600 >raw-slow.txt
srate=$(few_batch "$slow_config" "$work/out-slow")
unset P11FAULT
sraw=$(echo "$(get raw_1 raw-slow.txt) $(get raw_n raw-slow.txt)" |
	awk '{print ($1 > $2) ? $1 : $2}')
note "8. slow token (+$slow_ms ms per C_Sign): raw $(get raw_1 raw-slow.txt)/s \
(1 session), $(get raw_n raw-slow.txt)/s ($threads); signet issue --batch \
($few CSRs) $srate/s = $(ratio "$srate" "$sraw") of the raw rate"

# ---- 9. an RSA-2048 CA key ------------------------------------------------------------
echo "==> 9. an RSA-2048 CA key"
ca_fixture "$work/fx-rsa" rsa-2048 >/dev/null
ca_instance "$work/ca-rsa" >/dev/null
"$bench" raw "$CA_CONFIG" 4000 >raw-rsa.txt
rrate=$(few_batch "$CA_CONFIG" "$work/out-rsa")
note "9. RSA-2048 CA key: raw $(get raw_1 raw-rsa.txt)/s (1 session), \
$(get raw_n raw-rsa.txt)/s ($threads sessions); signet issue --batch \
($few CSRs) $rrate/s = $(ratio "$rrate" "$(get raw_n raw-rsa.txt)") of the \
raw rate on $threads sessions"

if [ -n "$old" ]; then
	rm -rf "$old"
fi
echo "==> results (also in $results)"
cat "$results"
