#!/bin/sh
# Hostile input through the real binary: every case of
# tests/data/hostile/expected.txt (malformed DER and PEM for signet lint
# and for CSRs, hostile YAML as a policy, as signet.yaml and as a ceremony
# file, hostile audit logs) must end with its exit status and its message,
# never a crash (the sanitizer build runs this too).
#
#   hostile.sh files   lint, config, ceremony and audit cases
#   hostile.sh ca      csr and policy cases, against a CA on SoftHSM;
#                      afterwards nothing but the valid policy's request
#                      was issued, and the audit log verifies
set -eu

: "${SIGNET_BIN:?run with ctest}" "${SIGNET_SOURCE_DIR:?run with ctest}"
signet=$SIGNET_BIN
mode=${1:?usage: hostile.sh files|ca}
data=$SIGNET_SOURCE_DIR/tests/data
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$SIGNET_SOURCE_DIR/tests/cli/checks.sh"

/usr/bin/python3 "$data/hostile/make-hostile.py" --big "$work/big"

case $mode in
files)
	kinds="lint config ceremony audit"
	mkdir -m 700 cfg ceremony
	# Every file of the corpus has a case.
	for f in "$data"/hostile/der/* "$data"/hostile/yaml/* \
		"$data"/hostile/audit/*.log; do
		rel=${f#"$data/"}
		grep -q " $rel " "$data/hostile/expected.txt" ||
			bad "$rel has no case in tests/data/hostile/expected.txt"
	done
	;;
ca)
	kinds="csr policy"
	. "$SIGNET_SOURCE_DIR/tests/cli/ca_fixture.sh"
	ca_fixture "$work/fx"
	ca_instance "$work/ca"
	export SIGNET_CONFIG="$CA_CONFIG"
	policy=$work/ca/policy.yaml
	cp "$policy" policy.orig
	ca_csr good "/CN=good.example.com" "DNS:good.example.com"
	;;
*)
	echo "usage: hostile.sh files|ca" >&2
	exit 2
	;;
esac

cases=0
issued=0
while read -r kind file status text; do
	case $kind in '' | '#'*) continue ;; esac
	case " $kinds " in *" $kind "*) ;; *) continue ;; esac
	case $file in
	big/*) path=$work/$file ;;
	*) path=$data/$file ;;
	esac
	cases=$((cases + 1))
	set +e
	case $kind in
	lint)
		"$signet" lint "$path" >out 2>err
		got=$?
		;;
	audit)
		"$signet" audit verify --key "$data/hostile/audit/key.pem" \
			"$path" >out 2>err
		got=$?
		;;
	ceremony)
		"$signet" ceremony check "$path" >out 2>err
		got=$?
		;;
	config)
		cp "$path" cfg/signet.yaml
		chmod 600 cfg/signet.yaml
		"$signet" list --config cfg/signet.yaml >out 2>err
		got=$?
		;;
	csr)
		"$signet" issue --profile tls-server --csr "$path" \
			--out x.crt >out 2>err
		got=$?
		;;
	policy)
		cp "$path" "$policy"
		"$signet" issue --profile tls-server --csr good.csr \
			--out x.crt >out 2>err
		got=$?
		cp policy.orig "$policy"
		;;
	*)
		echo "unknown kind $kind" >err
		got=2
		;;
	esac
	set -e
	rm -f x.crt
	[ "$got" -eq 0 ] && issued=$((issued + 1))
	if [ "$got" -ne "$status" ]; then
		bad "$kind $file: exit $got, expected $status"
		sed 's/^/  | /' err out | head -n 20 >&2
	elif [ "$text" != "-" ] && ! cat out err | grep -qF -- "$text"; then
		bad "$kind $file: '$text' not in the output"
		sed 's/^/  | /' err out | head -n 20 >&2
	else
		ok "$kind $file: exit $got"
	fi
done <"$data/hostile/expected.txt"
echo "$cases cases"
[ "$cases" -gt 0 ] || bad "no case of kinds '$kinds' in expected.txt"

if [ "$mode" = ca ]; then
	rows=$(sqlite3 "$work/ca/signet.db" \
		"SELECT count(*) FROM certificates WHERE status = 'issued'")
	if [ "$rows" -eq "$issued" ]; then
		ok "$rows certificate(s) issued, one per case expected to pass"
	else
		bad "$rows certificate(s) issued, $issued case(s) passed"
	fi
	log_verifies "after the hostile requests" "$work/ca/audit.log"
fi
checks_done
