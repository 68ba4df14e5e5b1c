#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 50 load/unload cycles of vigil.ko with two virtual cameras; every cycle
# registers both nodes, and nothing stays behind.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
# the first load brings in the dependencies; then plain insmod/rmmod
t_load num_cameras=2
t_wait_nodes 2
# vigil-gpio-sim.ko stays loaded: its controllers serve every cycle
rmmod vigil || t_fail "rmmod"
KO=${VIGIL_KO:-$VIGIL_ROOT/build/kmod/$(uname -r)/vigil/vigil.ko}
# probe is synchronous: both nodes exist when insmod returns (no forks here,
# they are slow under TCG)
for i in $(seq 2 50); do
	insmod "$KO" num_cameras=2 || t_fail "cycle $i: insmod"
	set -- /sys/bus/platform/drivers/vigil/vigil.*/video4linux/video*
	[ $# = 2 ] && [ -c "/dev/${1##*/}" ] && [ -c "/dev/${2##*/}" ] ||
		t_fail "cycle $i: nodes: $*"
	rmmod vigil || t_fail "cycle $i: rmmod"
done
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"
[ -e /sys/bus/platform/devices/vigil.0 ] && t_fail "platform device left behind"
t_unload || t_fail "rmmod vigil_gpio_sim"
t_log "50 cycles"
exit 0
