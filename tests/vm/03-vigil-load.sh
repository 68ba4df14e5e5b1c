#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vigil.ko loads, registers a video node bound to the vigil driver, and
# unloads cleanly, leaving no node behind.
. "$VIGIL_ROOT/tests/lib.sh"
t_load
t_log "nodes: $T_DEVS"
[ -c "$T_DEV" ] || t_fail "$T_DEV is not a character device"
grep -q '^vigil ' /proc/modules || t_fail "vigil not in /proc/modules"
t_unload || t_fail "rmmod vigil"
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"
for v in /sys/class/video4linux/video*; do
	[ -e "$v" ] || continue
	d=$(readlink -f "$v/device/driver")
	[ "$(basename "$d")" = vigil ] && t_fail "$v still registered"
done
exit 0
