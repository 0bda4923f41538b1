#!/bin/sh
# The Debian package (debian/), end to end:
#
#   1. dpkg-buildpackage -us -uc -b on a copy of the source tree in
#      OUT/signet-VERSION (build trees, logs and .git left out), so that it
#      can run beside builds and tests in the tree itself; the package is
#      OUT/signet_VERSION_ARCH.deb;
#   2. lintian on it: no errors and no warnings;
#   3. apt-get install -y ./signet_*.deb, which must bring every runtime
#      dependency; the installed signet says the package's version;
#   4. man -w finds every manual page, and man signet renders;
#   5. the demo (tests/demo.sh) against the installed /usr/bin/signet and
#      its files under /usr/share/signet, in OUT/demo;
#   6. apt-get remove --purge -y signet, unless signet was installed before.
#
#   tests/deb.sh [OUT]     OUT: default build-deb/ in the source tree,
#                          emptied first
#
# Steps 3 to 6 run apt-get as root (via sudo when not root): run it on a
# machine where installing signet system-wide is fine. Exits non-zero at the
# first step that fails.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac
version=$(sed -n 's/^project(signet VERSION \([^ ]*\) .*/\1/p' \
	"$top/CMakeLists.txt")
if [ -z "$version" ]; then
	echo "deb: no project(signet VERSION ...) in CMakeLists.txt" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
else
	SUDO=sudo
fi

t0=$(date +%s)
step() {
	printf '\n==> %s (at %d s)\n' "$*" $(($(date +%s) - t0))
}
die() {
	echo "deb: FAIL: $*" >&2
	exit 1
}

"$top/.ci/install-deps.sh"

step "1. dpkg-buildpackage -us -uc -b (signet $version, in $out)"
rm -rf "$out"
src=$out/signet-$version
mkdir -p "$src"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
	--exclude=./demo-out --exclude=./debian/.debhelper \
	--exclude=./debian/signet -cf - . | tar -C "$src" -xf -
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -n 60 "$out/build.log" >&2
	die "dpkg-buildpackage failed; the whole log is $out/build.log"
}
deb=$(cd "$out" && ls signet_"$version"_*.deb) ||
	die "no signet_${version}_*.deb in $out"
echo "$out/$deb"
dpkg-deb -f "$out/$deb" Version Depends Recommends Suggests

step "2. lintian $deb"
# --fail-on: warnings fail too; debian/signet.lintian-overrides says why
# each overridden tag does not apply.
if lintian --fail-on error,warning --display-info "$out/$deb" \
	>"$out/lintian.txt" 2>&1; then
	st=0
else
	st=$?
fi
grep -v '^running with root privileges' "$out/lintian.txt" || true
[ "$st" -eq 0 ] || die "lintian: errors or warnings (above)"
echo "lintian: no errors, no warnings"

step "3. apt-get install -y ./$deb"
was_installed=0
if dpkg-query -W -f='${Status}' signet 2>/dev/null |
	grep -q "install ok installed"; then
	was_installed=1
fi
if [ "$was_installed" -eq 0 ]; then
	trap 'step "6. apt-get remove --purge -y signet"
	      $SUDO apt-get remove --purge -y -q signet >"$out/remove.log" 2>&1 ||
	          echo "deb: apt-get remove failed: $out/remove.log" >&2' EXIT
fi
(cd "$out" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
	"./$deb") >"$out/install.log" 2>&1 || {
	cat "$out/install.log" >&2
	die "apt-get install ./$deb failed"
}
v=$(/usr/bin/signet --version | awk '{ print $2; exit }')
[ "$v" = "$version" ] || die "the installed signet says version '$v'"
ldd /usr/bin/signet /usr/libexec/signet/signet-frontend >"$out/ldd.txt"
if grep 'not found' "$out/ldd.txt" >&2; then
	die "libraries the installed programs need are missing"
fi
/usr/bin/signet --version

step "4. The manual"
for page in 1:signet 5:signet.yaml 5:signet-policy 5:signet-ceremony \
	8:signet-serve; do
	s=${page%%:*}
	n=${page#*:}
	f=$(man -w "$s" "$n" 2>/dev/null) || {
		if dpkg -L signet | grep -q "/man$s/$n\.$s"; then
			die "man -w $s $n finds nothing, yet the package has" \
				"the page: a path-exclude in /etc/dpkg/dpkg.cfg.d?"
		fi
		die "man -w $s $n finds nothing"
	}
	[ "$f" = "/usr/share/man/man$s/$n.$s.gz" ] ||
		die "man -w $s $n gives $f"
	echo "man -w $s $n: $f"
done
MANWIDTH=80 man -P cat signet 2>/dev/null >"$out/signet.1.txt" ||
	die "man signet does not render"
grep -q "signet $version" "$out/signet.1.txt" ||
	die "man signet does not say version $version"
echo "man signet: $(wc -l <"$out/signet.1.txt") lines, signet $version"

step "5. The demo against /usr/bin/signet"
SIGNET=/usr/bin/signet sh "$top/tests/demo.sh" "$out/demo" ||
	die "the demo failed against the installed signet"
echo "deb: every step passed in $(($(date +%s) - t0)) s"
