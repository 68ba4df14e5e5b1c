#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvigil as a user gets it: `make install DESTDIR=...` into a scratch
# root, then tests/install/vigil-hello.c built through pkg-config against the
# installed header and shared library (and once against the static one),
# and run. The shared library has its soname, exports only the API (vigil_*)
# and needs neither inih nor the internal parts.
# Run by `make check` from userspace/ (CC, SAN, MAKE, VIGIL_BUILD set).
set -eu
B=${VIGIL_BUILD:?}
D=$B/tests/install-root
CC=${CC:-cc}
SANFLAGS=
[ "${SAN:-}" = 1 ] && SANFLAGS="-fsanitize=address,undefined"
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$D"
${MAKE:-make} -s install DESTDIR="$D" PREFIX=/usr LIBDIR=/usr/lib SAN="${SAN:-}" >/dev/null

# The scratch root first, then the system's own .pc files (libvigil's
# Requires.private: libzstd, libsodium, libxxhash).
syspc=$(pkg-config --variable pc_path pkg-config)
pc() { PKG_CONFIG_LIBDIR=$D/usr/lib/pkgconfig:$syspc PKG_CONFIG_SYSROOT_DIR=$D pkg-config "$@"; }
pc --exists libvigil || fail "pkg-config finds no libvigil.pc"
ver=$(pc --modversion libvigil)
echo "pkg-config: libvigil $ver: $(pc --cflags --libs libvigil)"

# shared
# shellcheck disable=SC2046
$CC $SANFLAGS -Wall -Wextra -Werror -o "$B/tests/vigil-hello" tests/install/vigil-hello.c \
	$(pc --cflags --libs libvigil)
readelf -d "$B/tests/vigil-hello" | grep -q 'NEEDED.*\[libvigil\.so\.0\]' ||
	fail "vigil-hello does not need libvigil.so.0"
out=$(LD_LIBRARY_PATH=$D/usr/lib "$B/tests/vigil-hello") || { echo "$out"; fail "vigil-hello (shared) failed"; }
echo "$out" | head -1
echo "$out" | grep -qx "libvigil $ver" || fail "library version is not $ver"
echo "$out" | grep -q '"event":"end"' || fail "no event from the shared library"

# the shared library itself
so=$D/usr/lib/libvigil.so.0
[ -L "$D/usr/lib/libvigil.so" ] && [ -L "$so" ] || fail "libvigil.so symlinks missing"
readelf -d "$so" | grep -q 'SONAME.*\[libvigil\.so\.0\]' || fail "no soname libvigil.so.0"
readelf -d "$so" | grep -q 'NEEDED.*inih' && fail "libvigil needs inih"
syms=$(nm -D --defined-only "$so" | awk '{ print $3 }')
extra=$(echo "$syms" | grep -v '^vigil_' || true)
[ -z "$extra" ] || fail "exported beyond the API: $(echo $extra)"
for s in vigil_version vigil_detector_new vigil_fusion_new vigil_event_json vigil_y4m_new; do
	echo "$syms" | grep -qx "$s" || fail "$s not exported"
done
for s in vigil_config_load vigil_scene_render vigil_score_scene; do
	echo "$syms" | grep -qx "$s" && fail "internal $s exported"
done
echo "exported: $(echo "$syms" | wc -l) symbols, all vigil_*"
grep -q 'struct vigil_config\|struct vigil_scene\|vigil_config_load\|vigil_scene_render' "$D/usr/include/libvigil.h" &&
	fail "the installed header holds the configuration or the scene generator"

# static
# shellcheck disable=SC2046
$CC $SANFLAGS -Wall -Wextra -Werror -o "$B/tests/vigil-hello-static" \
	tests/install/vigil-hello.c $(pc --cflags libvigil) "$D/usr/lib/libvigil.a" \
	$(pc --static --libs-only-l libvigil | sed 's/-lvigil//')
readelf -d "$B/tests/vigil-hello-static" | grep -q 'NEEDED.*libvigil' &&
	fail "static build still needs the shared library"
"$B/tests/vigil-hello-static" >/dev/null || fail "vigil-hello (static) failed"
echo "PASS: shared and static builds through pkg-config"
