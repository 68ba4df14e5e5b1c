#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# meta-vigil as a new user meets it: with the poky (scarthgap) snapshot, a
# fresh build directory, meta-vigil added, no network.  Checks, failing on
# any bitbake WARNING or ERROR:
#  1. the layer's defaults (published repository, pinned commit) expand
#     without the network: `bitbake -e -b` of both recipes, no override;
#  2. with stand-ins for meta-oe and meta-networking (see below) and the local override (EXTERNALSRC at a copy of this working tree):
#     `bitbake -p` parses every recipe, `bitbake-layers show-recipes` lists
#     meta-vigil's, `bitbake -e vigil-mod` / `bitbake -e vigild` expand.
# bitbake refuses root: run as root, it uses a system user "vigil-bitbake"
# (created if missing).  Poky is unpacked once per tarball hash under
# build/yocto; the build directory (and bitbake's parse cache) is kept there
# between runs.  The tarball: $VIGIL_POKY_TARBALL, default
# ../shared/yocto/poky-scarthgap.tar.gz beside the repository.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARBALL=${VIGIL_POKY_TARBALL:-$ROOT/../shared/yocto/poky-scarthgap.tar.gz}
Y=$ROOT/build/yocto
BBUSER=vigil-bitbake
LAYER=$ROOT/yocto/meta-vigil

fail() { echo "yocto-parse: FAIL: $*" >&2; exit 1; }
if [ ! -f "$TARBALL" ]; then
	echo "yocto-parse: no poky snapshot at $TARBALL (set VIGIL_POKY_TARBALL)" >&2
	exit 77
fi
locale -a 2>/dev/null | grep -qix 'en_US.utf-\?8' ||
	fail "locale en_US.UTF-8 missing (scripts/deps generates it)"

mkdir -p "$Y"
# As root: an unprivileged user owns build/yocto and runs bitbake.
if [ "$(id -u)" = 0 ]; then
	id "$BBUSER" >/dev/null 2>&1 ||
		useradd --system --user-group --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$BBUSER"
	as_user() { runuser -u "$BBUSER" -- "$@"; }
	chown "$BBUSER:" "$Y"
else
	as_user() { "$@"; }
fi
as_user test -r "$LAYER/conf/layer.conf" ||
	fail "$BBUSER cannot read $LAYER (a parent directory not world-readable?)"

# Poky, unpacked once per tarball content.
hash=$(sha256sum "$TARBALL" | cut -c1-16)
POKY=$Y/poky-$hash
if [ ! -f "$POKY/.complete" ]; then
	rm -rf "$POKY" "$POKY.tmp"
	as_user mkdir "$POKY.tmp"
	as_user tar -xzf "$TARBALL" -C "$POKY.tmp"
	top=$(ls "$POKY.tmp")
	as_user mv "$POKY.tmp/$top" "$POKY"
	rmdir "$POKY.tmp"
	as_user touch "$POKY/.complete"
fi
find "$Y" -maxdepth 1 -name 'poky-*' ! -name "poky-$hash" -exec rm -rf {} +

# The source the override points at: the working tree's files (tracked and
# untracked, not ignored), copied, so that externalsrc's hashing neither
# walks build/ nor writes into the repository's git directory.
SRC=$Y/src
rm -rf "$SRC"
as_user mkdir "$SRC"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && cpio -0 -pdm --quiet "$SRC")
else
	(cd "$ROOT" && find . -path ./build -prune -o -print0 | cpio -0 -pdm --quiet "$SRC")
fi
[ "$(id -u)" = 0 ] && chown -R "$BBUSER:" "$SRC"

# A fresh configuration every run; tmp/ (the parse cache) is kept.
B=$Y/build
as_user mkdir -p "$B"
rm -rf "$B/conf"
LOG=$Y/log
rm -rf "$LOG"
as_user mkdir "$LOG"

# bb NAME COMMAND...: run COMMAND in the build environment as the user,
# log it, fail on a non-zero exit or any WARNING/ERROR line.
bb() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	as_user env -i HOME="$Y" PATH=/usr/local/bin:/usr/bin:/bin LANG=en_US.UTF-8 \
		LC_ALL=en_US.UTF-8 bash -c '
		cd "$1" && . ./oe-init-build-env "$2" >/dev/null && shift 2 && "$@"' \
		bb "$POKY" "$B" "$@" >"$LOG/$name.log" 2>&1 || rc=$?
	echo "$name: exit $rc, $(($(date +%s) - start))s"
	if [ $rc != 0 ] || grep -qE '^(WARNING|ERROR)[: ]|^Summary: There (was|were) [0-9]+ (WARNING|ERROR)' \
		"$LOG/$name.log"; then
		grep -E '^(WARNING|ERROR)' "$LOG/$name.log" | head -n 20 || tail -n 40 "$LOG/$name.log"
		fail "$name (exit $rc; log $LOG/$name.log)"
	fi
}

# meta-vigil depends on meta-oe (kissfft, libgpiod, libinih, libsodium, liburing,
# xxhash), which the snapshot lacks and which cannot be fetched here: a
# stand-in layer of the same collection name provides those recipe names,
# empty, so that
# dependency resolution in `bitbake -e` works.  It is only ever parsed.
OE=$Y/meta-oe-standin
rm -rf "$OE"
as_user mkdir -p "$OE/conf" "$OE/recipes-support/standin"
as_user tee "$OE/conf/layer.conf" >/dev/null <<'CONF'
BBPATH .= ":${LAYERDIR}"
BBFILES += "${LAYERDIR}/recipes-*/*/*.bb"
BBFILE_COLLECTIONS += "openembedded-layer"
BBFILE_PATTERN_openembedded-layer = "^${LAYERDIR}/"
BBFILE_PRIORITY_openembedded-layer = "5"
LAYERDEPENDS_openembedded-layer = "core"
LAYERSERIES_COMPAT_openembedded-layer = "scarthgap"
CONF
for r in kissfft libgpiod libinih libsodium liburing xxhash; do
	as_user tee "$OE/recipes-support/standin/$r.bb" >/dev/null <<CONF
SUMMARY = "Stand-in for meta-oe's $r, for vigil's parse test only"
LICENSE = "MIT"
ALLOW_EMPTY:\${PN} = "1"
CONF
done

# meta-networking likewise (mosquitto, for vigild's MQTT).
NET=$Y/meta-networking-standin
rm -rf "$NET"
as_user mkdir -p "$NET/conf" "$NET/recipes-connectivity/standin"
as_user tee "$NET/conf/layer.conf" >/dev/null <<'CONF'
BBPATH .= ":${LAYERDIR}"
BBFILES += "${LAYERDIR}/recipes-*/*/*.bb"
BBFILE_COLLECTIONS += "networking-layer"
BBFILE_PATTERN_networking-layer = "^${LAYERDIR}/"
BBFILE_PRIORITY_networking-layer = "5"
LAYERDEPENDS_networking-layer = "core openembedded-layer"
LAYERSERIES_COMPAT_networking-layer = "scarthgap"
CONF
as_user tee "$NET/recipes-connectivity/standin/mosquitto.bb" >/dev/null <<'CONF'
SUMMARY = "Stand-in for meta-networking's mosquitto, for vigil's parse test only"
LICENSE = "MIT"
ALLOW_EMPTY:${PN} = "1"
CONF

bb add-oe bitbake-layers add-layer "$OE"
bb add-networking bitbake-layers add-layer "$NET"
bb add-layer bitbake-layers add-layer "$LAYER"
cat >>"$B/conf/local.conf" <<CONF

# yocto-parse.sh: a parse, not a build.
INHERIT:remove = "sanity"
BB_NO_NETWORK = "1"
INIT_MANAGER = "systemd"
include vigil-override.conf
CONF

# 1. The defaults, no override: only these two recipes are parsed.
for r in recipes-kernel/vigil-mod/vigil-mod.bb recipes-vigil/vigild/vigild.bb; do
	n=$(basename "$r" .bb)
	bb "default-$n" bitbake -e -b "$LAYER/$r"
	src=$(sed -n 's/^SRC_URI="\(.*\)"$/\1/p' "$LOG/default-$n.log")
	rev=$(sed -n 's/^SRCREV="\(.*\)"$/\1/p' "$LOG/default-$n.log")
	case $src in git://*protocol=https*) ;; *) fail "$n: default SRC_URI is '$src'" ;; esac
	[[ $rev =~ ^[0-9a-f]{40}$ ]] || fail "$n: default SRCREV '$rev' is not a pinned commit"
done

# 2. The local override, then the whole parse.
as_user tee "$B/conf/vigil-override.conf" >/dev/null <<CONF
INHERIT += "externalsrc"
EXTERNALSRC:pn-vigil-mod = "$SRC"
EXTERNALSRC:pn-vigild = "$SRC"
CONF
bb parse bitbake -p
n=$(grep -Eo 'Parsing of [0-9]+ .bb files complete.*' "$LOG/parse.log" | tail -n 1 || true)
echo "parse: ${n:-(cached)}"
bb show-recipes bitbake-layers show-recipes
for r in packagegroup-vigil vigil-mod vigild; do
	grep -A1 "^$r:" "$LOG/show-recipes.log" | grep -q 'meta-vigil' ||
		fail "show-recipes does not list $r from meta-vigil"
done
for r in vigil-mod vigild; do
	bb "env-$r" bitbake -e "$r"
	grep -qx "EXTERNALSRC=\"$SRC\"" "$LOG/env-$r.log" || fail "$r: EXTERNALSRC is not $SRC"
done
# What the expansions must show.
e=$LOG/env-vigil-mod.log
grep -q '^RPROVIDES:vigil-mod=.*kernel-module-vigil' "$e" || fail "vigil-mod: no RPROVIDES kernel-module-vigil"
grep -q '^KERNEL_MODULE_AUTOLOAD=.*vigil' "$e" || fail "vigil-mod: vigil not in KERNEL_MODULE_AUTOLOAD"
grep -q '^FILES:vigil-mod-overlays="/boot/overlays/\*.dtbo"' "$e" || fail "vigil-mod: no overlays package"
e=$LOG/env-vigild.log
grep -q '^SYSTEMD_SERVICE:vigild="vigild.service"' "$e" || fail "vigild: SYSTEMD_SERVICE"
grep -qE '^DEPENDS=".*liburing' "$e" || fail "vigild: DEPENDS lacks liburing"
grep -qE '^DEPENDS=".*mosquitto' "$e" || fail "vigild: DEPENDS lacks mosquitto"
grep -q '^PTEST_ENABLED="1"' "$e" || fail "vigild: ptest not enabled"
echo "ok: meta-vigil parses with poky $(sed -n 's/^DISTRO_VERSION = "\(.*\)"/\1/p' "$POKY/meta-poky/conf/distro/poky.conf")"
