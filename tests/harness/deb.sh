#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian/: `dpkg-buildpackage -us -uc -b` once, in a copy of this working
# tree (DEB_BUILD_OPTIONS=nocheck: make check runs the unit tests itself);
# lintian with no error and no warning; then the .debs
# unpacked into a throwaway root (dpkg-deb -x: no maintainer scripts run on
# this machine) and checked:
#  - vigild: the binary runs from that root (--version, --check-config of
#    the shipped conffile /etc/vigil/vigild.conf) and detects the two people
#    of tests/scenarios/person-walk.ini rendered by the packaged vigil-scene;
#    the unit and its drop-in (User=vigil), the sysusers file applied with
#    systemd-sysusers --root creating user and group vigil, the udev rule,
#    the maintainer scripts (sysusers, udev, systemd);
#  - vigild-person: the OpenCV person module, only there, loads and runs;
#  - libvigil0 / libvigil-dev: soname, .so link, pkg-config, and
#    userspace/tests/install/vigil-hello.c built and run against them;
#  - vigil-dkms: /usr/src/vigil-VERSION with dkms.conf and exactly the files
#    the module's build reads (dkms.sh builds those for every kernel).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "deb: FAIL: $*" >&2; exit 1; }
for c in dpkg-buildpackage dh lintian dh_dkms systemd-sysusers; do
	command -v "$c" >/dev/null || fail "$c not installed (scripts/deps)"
done

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src/vigil" "$T/root"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && cpio -0 -pdm --quiet "$T/src/vigil")
else
	(cd "$ROOT" && find . -path ./build -prune -o -print0 | cpio -0 -pdm --quiet "$T/src/vigil")
fi

start=$(date +%s)
(cd "$T/src/vigil" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1) || {
	tail -n 40 "$T/build.log"; fail "dpkg-buildpackage -us -uc -b"; }
echo "dpkg-buildpackage -b: $(($(date +%s) - start))s"
ver=$(cd "$T/src/vigil" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in "vigild_${ver}_$arch" "vigild-person_${ver}_$arch" "libvigil0_${ver}_$arch" "libvigil-dev_${ver}_$arch" \
	"vigil-dkms_${ver}_all"; do
	[ -f "$T/src/$p.deb" ] || fail "no $p.deb"
done

# lintian: errors and warnings fail; the rest is printed (root: lintian
# says it is not recommended, which is noise).
start=$(date +%s)
rc=0
lintian --fail-on error,warning "$T/src/vigil_${ver}_$arch.changes" \
	>"$T/lintian.log" 2>&1 || rc=$?
grep -v 'running with root privileges' "$T/lintian.log" || true
[ $rc = 0 ] || fail "lintian reports errors or warnings (exit $rc)"
echo "lintian: 0 errors, 0 warnings ($(($(date +%s) - start))s)"

for d in "$T"/src/*.deb; do
	case $d in *-dbgsym_*) continue ;; esac
	dpkg-deb -x "$d" "$T/root"
	p=$(dpkg-deb -f "$d" Package)
	mkdir -p "$T/ctl/$p"
	dpkg-deb -e "$d" "$T/ctl/$p"
done
R=$T/root

# ---- vigild ----------------------------------------------------------------
[ -x "$R/usr/sbin/vigild" ] || fail "no /usr/sbin/vigild"
grep -qx /etc/vigil/vigild.conf "$T/ctl/vigild/conffiles" ||
	fail "/etc/vigil/vigild.conf is not a conffile"
out=$("$R/usr/sbin/vigild" --version) || fail "vigild --version"
echo "installed: $out"
"$R/usr/sbin/vigild" --config "$R/etc/vigil/vigild.conf" --check-config ||
	fail "vigild --check-config of the shipped /etc/vigil/vigild.conf"
"$R/usr/bin/vigil-scene" "$ROOT/tests/scenarios/person-walk.ini" -o "$T/walk.y4m" \
	-p "$T/walk.pir" >/dev/null || fail "vigil-scene (packaged)"
"$R/usr/sbin/vigild" --config "$R/etc/vigil/vigild.conf" -s "replay:$T/walk.y4m" \
	--pir-events "$T/walk.pir" --fast -e "$T/events.jsonl" ||
	fail "vigild on a replay with the shipped configuration"
n=$(grep -c '"event":"start"' "$T/events.jsonl" || true)
[ "$n" = 2 ] || { cat "$T/events.jsonl"; fail "expected 2 alarms (two people walk by), got $n"; }
echo "ok: packaged vigild with /etc/vigil/vigild.conf: $n alarms for the two people"
for m in man8/vigild.8 man5/vigild.conf.5 man5/vigil.conf.5 man1/vigil-clip.1; do
	[ -e "$R/usr/share/man/$m.gz" ] || fail "no man page $m"
done

unit=$R/lib/systemd/system/vigild.service
[ -f "$unit" ] || fail "no vigild.service"
grep -qx 'ExecStart=/usr/sbin/vigild --config /etc/vigil/vigild.conf' "$unit" ||
	fail "unit's ExecStart is not /usr/sbin/vigild with /etc/vigil/vigild.conf"
grep -qx 'Documentation=file:/usr/share/doc/vigild/README.md' "$unit" ||
	fail "unit's Documentation is not the packaged README"
[ -f "$R/usr/share/doc/vigild/README.md" ] || fail "no /usr/share/doc/vigild/README.md"
dropin=$R/lib/systemd/system/vigild.service.d/vigild-debian.conf
grep -qx 'User=vigil' "$dropin" && grep -qx 'Group=vigil' "$dropin" ||
	fail "the unit's drop-in does not run vigild as vigil:vigil"
grep -q 'systemd-sysusers.*vigild.conf' "$T/ctl/vigild/postinst" ||
	fail "postinst does not create the user (systemd-sysusers)"
grep -q 'deb-systemd-helper' "$T/ctl/vigild/postinst" || fail "postinst does not enable the unit"
for p in libvigil0 libvigil-dev vigild; do
	[ ! -e "$T/ctl/$p/postinst" ] || ! grep -q dkms "$T/ctl/$p/postinst" ||
		fail "$p's postinst calls dkms"
done
# The user and group, created in the throwaway root as postinst would.
mkdir -p "$R/etc"
touch "$R/etc/passwd" "$R/etc/group" "$R/etc/shadow" "$R/etc/gshadow"
systemd-sysusers --root="$R" "$R/usr/lib/sysusers.d/vigild.conf" ||
	fail "systemd-sysusers --root with the packaged sysusers.d file"
u=$(awk -F: '$1 == "vigil"' "$R/etc/passwd")
g=$(awk -F: '$1 == "vigil"' "$R/etc/group")
[ -n "$u" ] && [ -n "$g" ] || fail "no user or group vigil after systemd-sysusers"
uid=$(echo "$u" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "vigil is not a system user (uid $uid)"
case $(echo "$u" | cut -d: -f7) in */nologin) ;; *) fail "vigil has a login shell: $u" ;; esac
echo "ok: sysusers creates system user and group vigil (uid $uid)"
rules=$(ls "$R"/lib/udev/rules.d/*vigild.rules 2>/dev/null | head -n 1)
[ -n "$rules" ] || fail "no udev rule"
for s in video4linux media gpio; do
	grep -E "^SUBSYSTEM==\"$s\".*GROUP=\"vigil\", MODE=\"0660\"" "$rules" >/dev/null ||
		fail "udev rule gives group vigil no $s node"
done
grep -q 'DRIVERS=="vigil|vigil-sensor"' "$rules" || fail "udev rule misses the sub-device (vigil-sensor)"
echo "ok: udev rule ${rules#$R} (video, media, v4l-subdev, gpiochip)"

# ---- vigild-person ---------------------------------------------------------
# The optional person check module (OpenCV) is in vigild-person, and only
# there; its Depends name vigild at this version and OpenCV's libraries.
mod=usr/lib/$ma/vigil/libvigil-person-hog.so
# (listings in variables: grep -q closing a pipe early fails it, pipefail)
list=$(dpkg-deb -c "$T/src/vigild-person_${ver}_$arch.deb")
grep -q " \./$mod\$" <<<"$list" || fail "vigild-person does not hold /$mod"
list=$(dpkg-deb -c "$T/src/vigild_${ver}_$arch.deb")
! grep -q 'libvigil-person-hog' <<<"$list" ||
	fail "vigild holds the person module (it belongs to vigild-person)"
grep -q "^Depends:.*vigild (= $ver)" "$T/ctl/vigild-person/control" ||
	fail "vigild-person does not depend on vigild (= $ver)"
grep -q '^Depends:.*libopencv-objdetect' "$T/ctl/vigild-person/control" ||
	fail "vigild-person's Depends miss OpenCV (shlibs)"
! grep -q '^Depends:.*libopencv' "$T/ctl/vigild/control" ||
	fail "vigild depends on OpenCV (only vigild-person should)"
readelf -d "$R/$mod" | grep -q 'NEEDED.*libopencv_objdetect' ||
	fail "/$mod does not link OpenCV's objdetect"
# The packaged module loads and runs (the packaged vigil-person, which
# finds it through VIGIL_PERSON_MODULE in this throwaway root); without a
# module the check is unavailable (exit status 3).
rc=0
echo "50 110 70 64 128" | VIGIL_PERSON_MODULE=$T/none "$R/usr/bin/vigil-person" "$T/walk.y4m" \
	>/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || fail "vigil-person without the module: exit $rc, expected 3 (unavailable)"
# frame 50 of person-walk: the walker inside the box (person 1).
out=$(echo "50 110 70 64 128" | VIGIL_PERSON_MODULE=$R/$mod "$R/usr/bin/vigil-person" "$T/walk.y4m") ||
	fail "packaged vigil-person with vigild-person's module"
grep -Eq '^50 110 70 64 128 1 [0-9.]+ [1-9][0-9]*$' <<<"$out" ||
	fail "vigil-person with the module printed: $out"
echo "ok: vigild-person holds /$mod (OpenCV HOG, loads and runs: $out); vigild does not depend on OpenCV"

# ---- libvigil0, libvigil-dev -----------------------------------------------
L=$R/usr/lib/$ma
[ "$(readlink "$L/libvigil.so")" = libvigil.so.0 ] || fail "libvigil.so does not link to libvigil.so.0"
readelf -d "$L/libvigil.so.0" | grep -q 'SONAME.*\[libvigil\.so\.0\]' || fail "no soname libvigil.so.0"
grep -q '^Depends:.*libvigil0 (= '"$ver"')' "$T/ctl/libvigil-dev/control" ||
	fail "libvigil-dev does not depend on libvigil0 (= $ver)"
grep -q '^Multi-Arch: same' "$T/ctl/libvigil0/control" || fail "libvigil0 is not Multi-Arch: same"
grep -q '^libvigil 0 libvigil0' "$T/ctl/libvigil0/shlibs" || fail "libvigil0 has no shlibs entry"
syspc=$(pkg-config --variable pc_path pkg-config)
pc() { PKG_CONFIG_LIBDIR=$L/pkgconfig:$syspc PKG_CONFIG_SYSROOT_DIR=$R pkg-config "$@"; }
[ "$(pc --variable=libdir libvigil)" = "$R/usr/lib/$ma" ] || fail "libvigil.pc's libdir is not /usr/lib/$ma"
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$T/vigil-hello" "$ROOT/userspace/tests/install/vigil-hello.c" \
	$(pc --cflags --libs libvigil) || fail "vigil-hello against libvigil-dev"
out=$(LD_LIBRARY_PATH=$L "$T/vigil-hello") || fail "vigil-hello with libvigil0"
echo "$out" | grep -qx "libvigil $(pc --modversion libvigil)" || fail "vigil-hello: $out"
echo "ok: vigil-hello built with libvigil-dev's pkg-config, runs with libvigil0 ($(echo "$out" | head -n 1))"

# ---- vigil-dkms ------------------------------------------------------------
S=$R/usr/src/vigil-$ver
[ -f "$S/dkms.conf" ] || fail "no /usr/src/vigil-$ver/dkms.conf"
grep -qx "PACKAGE_VERSION=\"$ver\"" "$S/dkms.conf" || fail "dkms.conf's version is not $ver"
grep -q 'dkms' "$T/ctl/vigil-dkms/postinst" || fail "vigil-dkms's postinst does not call dkms"
grep -q '^Depends:.*dkms' "$T/ctl/vigil-dkms/control" || fail "vigil-dkms does not depend on dkms"
# The packaged tree is what dkms.conf's MAKE[0] builds (tests/harness/dkms.sh
# builds the same files from the working tree for every kernel): every
# file the module's build reads is there, and nothing else is needed.
want=$(cd "$ROOT" && git ls-files --cached --others --exclude-standard Kbuild Makefile kmod 2>/dev/null | grep -v '^kmod/README.md$' | sort) ||
	want=
[ -n "$want" ] || want=$(cd "$ROOT" && { echo Kbuild; echo Makefile; find kmod -type f ! -name README.md; } | sort)
got=$(cd "$S" && find . -type f ! -name dkms.conf | sed 's|^\./||' | sort)
[ "$got" = "$want" ] || fail "/usr/src/vigil-$ver is not Kbuild, Makefile and kmod/:
$(diff <(echo "$want") <(echo "$got"))"
grep -q '^MAKE\[0\]="make KERNEL_SRC=${kernel_source_dir} modules"' "$S/dkms.conf" ||
	fail "dkms.conf's MAKE[0] changed: update this test"
echo "ok: /usr/src/vigil-$ver: dkms.conf, Kbuild, Makefile and kmod/ ($(echo "$got" | wc -l) files)"
