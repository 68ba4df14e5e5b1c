#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recording survives a power cut (issue #8). Boot 1: vigild records the
# virtual board's alarms through vigil.ko onto an ext4 disk image, short
# clips, and the guest is powered off in the middle of a clip (sysrq o: no
# sync, no unmount; QEMU quits). Boot 2, fresh, the same disk: every closed
# <id>.vclip verifies and the open <id>.vclip.part recovers into a clip
# that verifies, and vigild started on that directory recovers it itself
# into <id>.vclip with the same frames as vigil-clip recover (issue #8).
# Guest halves: tests/harness/vm-power-cut.guest.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=${VIGIL_POWER_CUT_KERNEL:-6.12}
work=$(mktemp -d "$ROOT/build/power-cut.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$ROOT/scripts/build-kmod" "$KERNEL" >/dev/null || fail "building vigil.ko for $KERNEL"
truncate -s 96M "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img" || fail "mkfs.ext4"
mkdir -p "$work/out1" "$work/out2"
"$ROOT/scripts/vm" --kernel "$KERNEL" --out "$work/out1" --disk "$work/disk.img" \
	--timeout 300 -- "$ROOT/tests/harness/vm-power-cut.guest" record ||
	fail "boot 1 (recording, then the power cut)"
# (had sysrq not cut the power, the guest half would have exited 1)
"$ROOT/scripts/vm" --kernel "$KERNEL" --out "$work/out2" --disk "$work/disk.img" \
	--timeout 300 -- "$ROOT/tests/harness/vm-power-cut.guest" check ||
	fail "boot 2 (checking the clips)"
echo "ok: after a power cut while recording, every closed clip verifies and the open one recovers (vigild at its next start as vigil-clip recover)"
