#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The installs packagers run, on a copy of this working tree (as Yocto and
# DKMS see it), checking what lands where:
#  1. module.bbclass: `make KERNEL_SRC=… O=<kernel build dir> … modules` with
#     CFLAGS/LDFLAGS unset and KBUILD_OUTPUT exported, then `modules_install`
#     with MODLIB=<image>/lib/modules/<release> DEPMOD=echo, as its
#     do_compile/do_install do (6.12 headers from the private cache); and the
#     plain `modules_install INSTALL_MOD_PATH=…`;
#  2. `make install DESTDIR=… PREFIX=/usr` with CC, CFLAGS and LDFLAGS from
#     the environment: the exact file list, the flags used, the unit's paths;
#  3. meta-vigil's ptest: the recipe's own do_install_ptest on that build,
#     then its run-ptest, which must print PASS: for every test and replay.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=${VIGIL_INSTALL_KERNEL:-6.12}
fail() { echo "install-layout: FAIL: $*" >&2; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=$T/src
mkdir -p "$S"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && cpio -0 -pdm --quiet "$S")
else
	(cd "$ROOT" && find . -path ./build -prune -o -print0 | cpio -0 -pdm --quiet "$S")
fi

# ---- 1. module.bbclass -------------------------------------------------
h=$("$ROOT/scripts/kernels" --headers "$KERNEL")
rel=$("$ROOT/scripts/kernels" --release "$KERNEL")
D=$T/image
(
	unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
	export KBUILD_OUTPUT=$h KERNEL_VERSION=$rel
	cd "$S"
	make -j"$(nproc)" KERNEL_SRC="$h" KERNEL_PATH="$h" KERNEL_VERSION="$rel" \
		CC=gcc LD=ld AR=ar OBJCOPY=objcopy STRIP=strip O="$h" \
		KBUILD_EXTRA_SYMBOLS= modules
	make KERNEL_SRC="$h" DEPMOD=echo MODLIB="$D/lib/modules/$rel" \
		INSTALL_FW_PATH="$D/lib/firmware" CC=gcc LD=ld OBJCOPY=objcopy \
		STRIP=strip O="$h" KBUILD_EXTRA_SYMBOLS= modules_install
) >"$T/kmod.log" 2>&1 || { tail -n 40 "$T/kmod.log"; fail "module.bbclass make for $rel"; }
# module_do_install warns unless ${B}/Module.symvers exists.
[ -f "$S/Module.symvers" ] || fail "no Module.symvers in the build directory"
# modules_install compresses as the kernel's configuration says.
z=
grep -q '^CONFIG_MODULE_COMPRESS_XZ=y' "$h/.config" && z=.xz
grep -q '^CONFIG_MODULE_COMPRESS_ZSTD=y' "$h/.config" && z=.zst
grep -q '^CONFIG_MODULE_COMPRESS_GZIP=y' "$h/.config" && z=.gz
got=$(cd "$D" && find . -type f | sort)
# the two modules of Kbuild: vigil.ko and the simulated GPIO controller
exp=$(printf './lib/modules/%s/updates/%s\n' "$rel" "vigil-gpio-sim.ko$z" "$rel" "vigil.ko$z" | sort)
[ "$got" = "$exp" ] || fail "module.bbclass install: expected
$exp
got
$got"
for ko in vigil.ko$z vigil-gpio-sim.ko$z; do
	vm=$(modinfo -F vermagic "$D/lib/modules/$rel/updates/$ko" | awk '{print $1}')
	[ "$vm" = "$rel" ] || fail "$ko: vermagic '$vm', expected $rel"
done
echo "ok: module.bbclass build and install for $rel:" $exp

make -C "$S" KERNEL_SRC="$h" INSTALL_MOD_PATH="$T/root" modules_install >"$T/mi.log" 2>&1 ||
	{ tail -n 20 "$T/mi.log"; fail "modules_install INSTALL_MOD_PATH"; }
got=$(cd "$T/root" && find . -type f -name '*.ko*' | sort)
[ "$got" = "$exp" ] || fail "INSTALL_MOD_PATH install: expected $exp, got: $got"
echo "ok: modules_install INSTALL_MOD_PATH=… puts" $exp

# ---- 2. userspace make install -------------------------------------------
# A CC wrapper proves CC is taken from the environment; a define in CFLAGS
# and -z now in LDFLAGS that the flags are.
cat >"$T/cc" <<'CC'
#!/bin/sh
echo "$*" >>"${0%/*}/cc.calls"
exec gcc "$@"
CC
chmod +x "$T/cc"
D=$T/dest
CC=$T/cc CFLAGS="-O1 -g -DVIGIL_PACKAGER_CFLAGS" LDFLAGS="-Wl,-z,now" \
	make -C "$S" install DESTDIR="$D" PREFIX=/usr >"$T/us.log" 2>&1 ||
	{ tail -n 40 "$T/us.log"; fail "make install DESTDIR"; }
got=$(cd "$D" && find . ! -type d | sort)
# The shared library's version, as the public header states it.
ver=$(awk '/^#define VIGIL_VERSION_(MAJOR|MINOR|PATCH) / {v = v (v ? "." : "") $3}
	END {print v}' "$S/userspace/include/libvigil.h")
exp=$(sort <<LIST
./usr/bin/vigil-clip
./usr/bin/vigil-detect
./usr/bin/vigil-lat
./usr/bin/vigil-person
./usr/bin/vigil-scene
./usr/bin/vigil-score
./usr/include/libvigil.h
./usr/lib/libvigil.a
./usr/lib/libvigil.so
./usr/lib/libvigil.so.${ver%%.*}
./usr/lib/libvigil.so.$ver
./usr/lib/pkgconfig/libvigil.pc
./usr/lib/vigil/libvigil-person-hog.so
./usr/lib/systemd/system/vigild.service
./usr/sbin/vigild
./usr/share/doc/vigil/README.md
./usr/share/doc/vigil/vigild.conf.example
./usr/share/man/man1/vigil-clip.1
./usr/share/man/man1/vigil-detect.1
./usr/share/man/man1/vigil-lat.1
./usr/share/man/man1/vigil-person.1
./usr/share/man/man1/vigil-scene.1
./usr/share/man/man1/vigil-score.1
./usr/share/man/man5/vigil.conf.5
./usr/share/man/man5/vigild.conf.5
./usr/share/man/man8/vigild.8
LIST
)
# the owner's page: every file of web/, as it is (issue #14)
exp=$( (echo "$exp"; cd "$S/web" && find . -type f ! -name '.*' |
	sed 's|^\.|./usr/share/vigil/web|') | sort)
[ "$got" = "$exp" ] || fail "make install DESTDIR: the files differ (-expected +installed):
$(diff <(echo "$exp") <(echo "$got") | grep '^[<>]')"
[ "$(readlink "$D/usr/share/man/man5/vigil.conf.5")" = vigild.conf.5 ] ||
	fail "man5/vigil.conf.5 is not a link to vigild.conf.5"
grep -q 'DVIGIL_PACKAGER_CFLAGS' "$T/cc.calls" || fail "CC from the environment was not used with CFLAGS"
n=$(grep -c 'DVIGIL_PACKAGER_CFLAGS' "$T/cc.calls")
grep -q -- '-Wl,-z,now' "$T/cc.calls" || fail "LDFLAGS from the environment not used"
readelf -d "$D/usr/sbin/vigild" | grep -q 'BIND_NOW' || fail "vigild not linked with LDFLAGS (-z now)"
grep -qx 'ExecStart=/usr/sbin/vigild --config /etc/vigil/vigild.conf' \
	"$D/usr/lib/systemd/system/vigild.service" || fail "the unit's ExecStart path"
grep -qx 'Documentation=file:/usr/share/doc/vigil/README.md' \
	"$D/usr/lib/systemd/system/vigild.service" || fail "the unit's Documentation path"
"$D/usr/sbin/vigild" --help >/dev/null || fail "the installed vigild does not run"
echo "ok: make install DESTDIR=… PREFIX=/usr: $(echo "$got" | wc -l) files as listed; $n compiler calls through \$CC with \$CFLAGS; vigild has BIND_NOW"

# ---- 3. the Yocto ptest ----------------------------------------------------
bb=$S/yocto/meta-vigil/recipes-vigil/vigild
P=$T/ptest
PTEST_PATH=/usr/lib/vigild/ptest
eval "$(sed -n '/^do_install_ptest() {$/,/^}$/p' "$bb/vigild.bb")"
declare -F do_install_ptest >/dev/null || fail "no do_install_ptest in vigild.bb"
(D=$P; do_install_ptest) || fail "vigild.bb's do_install_ptest"
install -m 0755 "$bb/files/run-ptest" "$P$PTEST_PATH/"
out=$(cd / && PATH="$D/usr/sbin:$D/usr/bin:$PATH" "$P$PTEST_PATH/run-ptest" 2>&1) ||
	fail "run-ptest failed:
$out"
want=$(ls "$S/build/userspace/tests" "$S/build/userspace/fuzz" | grep -E '^(test|fuzz)-[a-z0-9-]+$' | sort -u)
have=$(echo "$out" | sed -n 's/^PASS: //p' | sort)
[ "$have" = "$want" ] || fail "run-ptest: PASS lines differ from the built tests (-built +passed):
$(diff <(echo "$want") <(echo "$have") | grep '^[<>]')
$out"
echo "ok: ptest: run-ptest passes all $(echo "$have" | wc -l) tests (test-vigild on the installed vigild)"
