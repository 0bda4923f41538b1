#!/bin/sh
# The manual and the installed tree (issue 20), in four parts:
#   lint     every manual page passes mandoc -T lint -W warning, and
#            man-db's lexgrog reads its NAME section (whatis)
#   options  signet(1), docs/cli.md and --help list the same options
#            (tests/cli/docs_options.py)
#   version  --version, the manual pages and
#            debian/changelog say the project version of CMakeLists.txt
#   install  cmake --install with DESTDIR puts every file in place, and
#            nothing outside DESTDIR
set -eu

: "${SIGNET_BIN:?run with ctest}"
: "${SIGNET_SOURCE_DIR:?run with ctest}"
: "${SIGNET_BUILD_DIR:?run with ctest}"
: "${SIGNET_PROJECT_VERSION:?run with ctest}"
part=${1:?which part: lint, options, version or install}
man=$SIGNET_BUILD_DIR/docs/man
work=$(mktemp -d "${TMPDIR:-/tmp}/signet-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# The pages every build must have.
pages="man1/signet.1 man5/signet.yaml.5 man5/signet-policy.5
	man5/signet-ceremony.5 man8/signet-serve.8"

case $part in
lint)
	for tool in mandoc lexgrog; do
		if ! command -v $tool >/dev/null 2>&1; then
			echo "FAIL: $tool is not installed (.ci/install-deps.sh)" >&2
			exit 1
		fi
	done
	n=0
	for page in "$man"/*.[1-8]; do
		n=$((n + 1))
		if ! mandoc -T lint -W warning "$page" >"$work/lint" 2>&1; then
			fail "mandoc -T lint $(basename "$page"):"
			cat "$work/lint" >&2
		elif ! lexgrog "$page" >"$work/lint" 2>&1; then
			# man-db's whatis (apropos, and lintian's
			# bad-whatis-entry) cannot read its NAME section.
			fail "lexgrog $(basename "$page"):"
			cat "$work/lint" >&2
		else
			echo "ok: $(basename "$page")"
		fi
	done
	[ "$n" -ge 5 ] || fail "only $n manual pages in $man"
	;;
options)
	/usr/bin/python3 "$SIGNET_SOURCE_DIR/tests/cli/docs_options.py" \
		"$SIGNET_BIN" "$SIGNET_SOURCE_DIR" || fails=1
	;;
version)
	v=$("$SIGNET_BIN" --version | awk '{ print $1, $2; exit }')
	if [ "$v" != "signet $SIGNET_PROJECT_VERSION" ]; then
		fail "--version says '$v', CMakeLists.txt $SIGNET_PROJECT_VERSION"
	fi
	v2=$("$SIGNET_BIN" version | awk '{ print $1, $2; exit }')
	[ "$v2" = "$v" ] || fail "'signet version' says '$v2', --version '$v'"
	for page in $pages; do
		f=$man/$(basename "$page")
		if ! grep -qx ".Os signet $SIGNET_PROJECT_VERSION" "$f"; then
			fail "$(basename "$f") does not say version" \
				"$SIGNET_PROJECT_VERSION in .Os"
		fi
	done
	# The Debian package takes its version from debian/changelog, which
	# cannot be generated: its newest entry must say the same.
	d=$(sed -n '1s/^signet (\([^)]*\)) .*/\1/p' \
		"$SIGNET_SOURCE_DIR/debian/changelog")
	[ "$d" = "$SIGNET_PROJECT_VERSION" ] ||
		fail "debian/changelog's newest entry is version '$d'," \
			"CMakeLists.txt $SIGNET_PROJECT_VERSION: add an entry"
	# The configured header is the only place the version is written.
	if grep -rn --include='*.c' --include='*.h' \
		'define SIGNET_VERSION' "$SIGNET_SOURCE_DIR/src" \
		"$SIGNET_SOURCE_DIR/include" >"$work/defs"; then
		fail "SIGNET_VERSION defined outside include/signet/version.h.in:"
		cat "$work/defs" >&2
	fi
	[ "$fails" -ne 0 ] || echo "ok: signet $SIGNET_PROJECT_VERSION"
	;;
install)
	: "${SIGNET_INSTALL_PREFIX:?run with ctest}"
	: "${SIGNET_INSTALL_LIBEXECDIR:?run with ctest}"
	: "${SIGNET_INSTALL_DOCDIR:?run with ctest}"
	: "${SIGNET_SYSTEMD_UNITDIR:?run with ctest}"
	root=$work/root
	DESTDIR=$root cmake --install "$SIGNET_BUILD_DIR" \
		>"$work/install.log" 2>&1 || {
		cat "$work/install.log" >&2
		exit 1
	}
	p=$root$SIGNET_INSTALL_PREFIX
	for f in "$SIGNET_INSTALL_BINDIR/signet" \
		"$SIGNET_INSTALL_DATADIR/signet/policies/default.yaml" \
		"$SIGNET_INSTALL_DATADIR/bash-completion/completions/signet"; do
		[ -f "$p/$f" ] || fail "not installed: $f"
	done
	# signet serve: its front end, which signet runs from
	# BINDIR/../libexec/signet/, and its systemd unit.
	frontend=$SIGNET_INSTALL_LIBEXECDIR/signet/signet-frontend
	unit=$SIGNET_SYSTEMD_UNITDIR/signet-serve.service
	[ -f "$p/$frontend" ] && [ -x "$p/$frontend" ] ||
		fail "not installed: $frontend (executable)"
	[ "$p/$SIGNET_INSTALL_BINDIR/../libexec/signet/signet-frontend" -ef \
		"$p/$frontend" ] ||
		fail "$frontend is not BINDIR/../libexec/signet/signet-frontend," \
			"where signet serve looks for it"
	[ -f "$root$unit" ] || fail "not installed: $unit"
	grep -qx "ExecStart=$SIGNET_INSTALL_PREFIX/$SIGNET_INSTALL_BINDIR/signet serve .*" \
		"$root$unit" || fail "$unit does not run the installed signet"
	for f in "$SIGNET_SOURCE_DIR"/docs/*.md; do
		b=$SIGNET_INSTALL_DOCDIR/$(basename "$f")
		cmp -s "$f" "$p/$b" || fail "not installed: $b"
	done
	for page in $pages; do
		[ -f "$p/$SIGNET_INSTALL_MANDIR/$page" ] ||
			fail "not installed: $SIGNET_INSTALL_MANDIR/$page"
	done
	for f in "$SIGNET_SOURCE_DIR"/ceremony/*.yaml; do
		b=$SIGNET_INSTALL_DATADIR/signet/ceremony/$(basename "$f")
		cmp -s "$f" "$p/$b" || fail "not installed: $b"
	done
	cmp -s "$SIGNET_SOURCE_DIR/policies/default.yaml" \
		"$p/$SIGNET_INSTALL_DATADIR/signet/policies/default.yaml" ||
		fail "the installed default.yaml is not policies/default.yaml"
	# Everything cmake installed went below DESTDIR.
	if grep '^-- \(Installing\|Up-to-date\):' "$work/install.log" |
		grep -v "^-- [A-Za-z-]*: $root/" >&2; then
		fail "files installed outside DESTDIR"
	fi
	# The installed binary runs, and the manual it names exists.
	v=$("$p/$SIGNET_INSTALL_BINDIR/signet" --version | awk '{ print $2 }')
	[ "$v" = "$SIGNET_PROJECT_VERSION" ] ||
		fail "the installed signet says version '$v'"
	grep -q "^\.It Pa $SIGNET_INSTALL_PREFIX/$SIGNET_INSTALL_DATADIR/signet/policies/default.yaml\$" \
		"$p/$SIGNET_INSTALL_MANDIR/man1/signet.1" ||
		fail "signet(1) does not name the installed default.yaml"
	for f in "$SIGNET_INSTALL_PREFIX/$frontend" "$unit"; do
		grep -q "^\.It Pa $f\$" \
			"$p/$SIGNET_INSTALL_MANDIR/man8/signet-serve.8" ||
			fail "signet-serve(8) does not name the installed $f"
	done
	# The completion offers the installed binary's commands and options.
	if command -v bash >/dev/null 2>&1; then
		out=$(bash -c '
			. "$1"
			COMP_WORDS=("$2" iss); COMP_CWORD=1; _signet
			echo "${COMPREPLY[*]}"
			COMP_WORDS=("$2" issue --pro); COMP_CWORD=2; _signet
			echo "${COMPREPLY[*]}"' sh \
			"$p/$SIGNET_INSTALL_DATADIR/bash-completion/completions/signet" \
			"$p/$SIGNET_INSTALL_BINDIR/signet")
		[ "$out" = "issue
--profile" ] || fail "bash completion gives '$out'"
	fi
	[ "$fails" -ne 0 ] || echo "ok: installed under $p"
	;;
*)
	echo "docs.sh: unknown part '$part'" >&2
	exit 2
	;;
esac
[ "$fails" -eq 0 ] || exit 1
