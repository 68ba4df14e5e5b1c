#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# arm64 Debian packages (scripts/cross debs, also `make cross-deb`):
# dpkg-buildpackage -a arm64 against the private arm64 sysroot gives the
# .debs of vigild, libvigil0 and libvigil-dev, lintian with no error or
# warning (scripts/cross checks both; cached by content: a tree already
# built is not built again). Then, unpacked into a throwaway root:
#  - vigild, the tools and libvigil.so.0 are aarch64 ELFs; vigild runs under
#    qemu-aarch64 with libvigil0's library (--version, --check-config of the
#    shipped conffile /etc/vigil/vigild.conf);
#  - the Depends that dpkg-shlibdeps computed name the runtime packages of
#    the libraries vigild links (libgpiod2, liburing2, ...) and vigild
#    depends on libvigil0 only if it links libvigil.so.0;
#  - libvigil-dev's libvigil.so link resolves to libvigil0's library, its
#    pkg-config file names the arm64 library directory, and
#    userspace/tests/install/vigil-hello.c cross-built with it runs (under
#    qemu-aarch64) with libvigil0.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "arm64-debs: FAIL: $*" >&2; exit 1; }
start=$(date +%s)
D=$("$ROOT/scripts/cross" debs)/out
S=$("$ROOT/scripts/cross" sysroot)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ma=aarch64-linux-gnu
for p in vigild libvigil0 libvigil-dev; do
	f=$(echo "$D/${p}"_*_arm64.deb)
	[ -f "$f" ] || fail "no $p arm64 .deb in $D"
	[ "$(dpkg-deb -f "$f" Architecture)" = arm64 ] || fail "$p: not Architecture: arm64"
	dpkg-deb -x "$f" "$T/root"
done
for b in usr/sbin/vigild usr/bin/vigil-clip usr/bin/vigil-lat "usr/lib/$ma/libvigil.so.0"; do
	file -L "$T/root/$b" | grep -q 'ELF 64-bit LSB .*ARM aarch64' || fail "$b: $(file -L "$T/root/$b")"
done
[ "$(readlink -f "$T/root/usr/lib/$ma/libvigil.so")" = "$(readlink -f "$T/root/usr/lib/$ma/libvigil.so.0")" ] ||
	fail "libvigil-dev's libvigil.so does not resolve to libvigil0's library"
# libvigil-dev: pkg-config on the unpacked root plus the sysroot (its
# Requires.private), vigil-hello cross-built against it and run with libvigil0.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$T/root \
	PKG_CONFIG_LIBDIR=$T/root/usr/lib/$ma/pkgconfig:$S/usr/lib/$ma/pkgconfig:$S/usr/share/pkgconfig \
		pkg-config "$@"
}
[ "$(pc --variable=libdir libvigil)" = "$T/root/usr/lib/$ma" ] ||
	fail "libvigil.pc: libdir is not /usr/lib/$ma: $(pc --variable=libdir libvigil)"
# shellcheck disable=SC2046 # pkg-config's flags, one a word
aarch64-linux-gnu-gcc --sysroot="$S" -Wall -Wextra -Werror -o "$T/vigil-hello" \
	"$ROOT/userspace/tests/install/vigil-hello.c" $(pc --cflags --libs libvigil) ||
	fail "aarch64 vigil-hello against libvigil-dev"
dep=$(dpkg-deb -f "$D"/vigild_*_arm64.deb Depends)
for p in libc6 libgpiod2 liburing2 libzstd1 libsodium23; do
	grep -Eq "(^|, )$p( |,|$)" <<<"$dep" || fail "vigild's Depends lack $p: $dep"
done
if readelf -d "$T/root/usr/sbin/vigild" | grep -q 'NEEDED.*\[libvigil\.so\.0\]'; then
	grep -Eq '(^|, )libvigil0( |,|$)' <<<"$dep" || fail "vigild links libvigil.so.0 but does not depend on libvigil0"
fi
q() { qemu-aarch64 -L "$S" -E LD_LIBRARY_PATH="$T/root/usr/lib/$ma" "$@"; }
out=$(q "$T/vigil-hello") || fail "aarch64 vigil-hello with libvigil0 under qemu-aarch64"
echo "$out" | grep -qx "libvigil $(pc --modversion libvigil)" || fail "vigil-hello: $out"
v=$(q "$T/root/usr/sbin/vigild" --version) || fail "packaged aarch64 vigild --version under qemu-aarch64"
q "$T/root/usr/sbin/vigild" --config "$T/root/etc/vigil/vigild.conf" --check-config >/dev/null ||
	fail "packaged aarch64 vigild --check-config /etc/vigil/vigild.conf"
echo "ok: arm64 .debs ($(cd "$D" && ls -- *.deb | tr '\n' ' ')), lintian 0 errors 0 warnings;" \
	"$v (aarch64, qemu-aarch64) checks the shipped conffile; vigil-hello: $(echo "$out" | head -n 1)"
echo "vigild Depends: $dep"
echo "arm64-debs: $(($(date +%s) - start))s"
