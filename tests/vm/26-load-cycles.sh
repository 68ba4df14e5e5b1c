#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 50 load/unload cycles of vigil.ko with two virtual cameras; every cycle
# registers both nodes, and nothing stays behind.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
for i in $(seq 50); do
	t_load num_cameras=2
	t_wait_nodes 2
	t_unload || t_fail "cycle $i: rmmod"
done
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"
[ -e /sys/bus/platform/devices/vigil.0 ] && t_fail "platform device left behind"
t_log "50 cycles"
exit 0
