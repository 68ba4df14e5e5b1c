#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf with Debian's dkms: `dkms add`, `build`, `install`, `remove` of
# this working tree against every target kernel's headers from the private
# cache ($VIGIL_DKMS_KERNELS, default "6.1 6.12 rt"), with the source, DKMS and
# install trees in a temporary directory: nothing touches /lib/modules,
# /usr/src or /var/lib/dkms.  Then BUILD_EXCLUSIVE_CONFIG: a kernel whose
# .config lacks V4L2 is skipped, not built.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNELS=${VIGIL_DKMS_KERNELS:-6.1 6.12 rt}
command -v dkms >/dev/null || { echo "dkms: not installed (scripts/deps)" >&2; exit 1; }
fail() { echo "dkms: FAIL: $*" >&2; exit 1; }

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/dkms.conf")
[ -n "$ver" ] || fail "no PACKAGE_VERSION in dkms.conf"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src/vigil-$ver" "$T/tree" "$T/inst"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && cpio -0 -pdm --quiet "$T/src/vigil-$ver")
else
	(cd "$ROOT" && find . -path ./build -prune -o -print0 | cpio -0 -pdm --quiet "$T/src/vigil-$ver")
fi
trees=(--sourcetree "$T/src" --dkmstree "$T/tree" --installtree "$T/inst")

# d ARGS...: dkms with the private trees.  (dkms's readelf prints a
# warning about the headers' missing .comment section: noise.)
d() { dkms "$@" "${trees[@]}"; }

for k in $KERNELS; do
	h=$("$ROOT/scripts/kernels" --headers "$k")
	rel=$("$ROOT/scripts/kernels" --release "$k")
	a=(-m vigil -v "$ver" -k "$rel" --kernelsourcedir "$h")
	mkdir -p "$T/inst/$rel"
	d add "${a[@]}" >"$T/add.log" 2>&1 || { cat "$T/add.log"; fail "dkms add ($k)"; }
	start=$(date +%s)
	d build "${a[@]}" >"$T/build.log" 2>&1 || {
		cat "$T/build.log" "$T/tree/vigil/$ver/build/make.log" 2>/dev/null | tail -n 40
		fail "dkms build for $rel"; }
	ko=$(find "$T/tree/vigil/$ver/$rel" -name 'vigil.ko*' | head -n 1)
	[ -n "$ko" ] || fail "dkms build for $rel left no vigil.ko"
	echo "built $rel in $(($(date +%s) - start))s: ${ko#$T/}"
	# depmod would read this machine's /lib/modules: --no-depmod.
	d install --no-depmod "${a[@]}" >"$T/install.log" 2>&1 || {
		cat "$T/install.log"; fail "dkms install for $rel"; }
	inst=$(find "$T/inst/$rel/updates/dkms" -name 'vigil.ko*' | head -n 1)
	[ -n "$inst" ] || fail "dkms install put no vigil.ko under updates/dkms ($rel)"
	[ -n "$(find "$T/inst/$rel/updates/dkms" -name 'vigil-gpio-sim.ko*')" ] ||
		fail "dkms install put no vigil-gpio-sim.ko under updates/dkms ($rel)"
	vm=$(modinfo -F vermagic "$inst" | awk '{print $1}')
	[ "$vm" = "$rel" ] || fail "installed module's vermagic is '$vm', not $rel"
	d status -m vigil -v "$ver" -k "$rel" 2>/dev/null | grep -q ": installed" ||
		fail "dkms status does not say installed for $rel"
	echo "installed $rel: ${inst#$T/} (vermagic $vm)"
	d remove --no-depmod "${a[@]}" >"$T/remove.log" 2>&1 || {
		cat "$T/remove.log"; fail "dkms remove for $rel"; }
	[ -z "$(find "$T/inst/$rel" -name 'vigil*.ko*')" ] || fail "dkms remove left a module ($rel)"
done

# BUILD_EXCLUSIVE_CONFIG: headers whose .config lacks CONFIG_VIDEO_DEV.
h=$("$ROOT/scripts/kernels" --headers 6.12)
rel=$("$ROOT/scripts/kernels" --release 6.12)
mkdir -p "$T/nov4l2"
grep -v '^CONFIG_VIDEO_DEV=' "$h/.config" >"$T/nov4l2/.config"
a=(-m vigil -v "$ver" -k "$rel" --kernelsourcedir "$T/nov4l2")
d add "${a[@]}" >/dev/null 2>&1
rc=0
d build "${a[@]}" >"$T/excl.log" 2>&1 || rc=$?
[ $rc = 77 ] && grep -q 'BUILD_EXCLUSIVE' "$T/excl.log" || {
	cat "$T/excl.log"; fail "a kernel without CONFIG_VIDEO_DEV: exit $rc, expected 77 (excluded)"; }
[ -z "$(find "$T/tree" -name 'vigil.ko*')" ] || fail "a module was built for a kernel without V4L2"
echo "ok: without CONFIG_VIDEO_DEV dkms skips the build (exit 77)"
