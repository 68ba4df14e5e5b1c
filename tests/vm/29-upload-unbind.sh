#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A scenario or replay upload is applied when its debugfs file is closed.
# Close it after the virtual sensor was unbound: the upload must still
# complete against the (refcounted) sensor without touching freed memory;
# the bridge's capture node goes with its sensor and comes back when the
# sensor is bound again. The kernel log scan fails on any report.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
t_load
node=$(basename "$T_DEV")
pdev=$(t_sensor "$T_DEV")
dbg=$(t_sensor_debugfs "$T_DEV")
drv=/sys/bus/platform/drivers/vigil-sensor

# Open both upload files for writing and send part of each.
exec 3>"$dbg/scenario" || t_fail "open scenario"
exec 4>"$dbg/replay" || t_fail "open replay"
printf 'loop 1000\nbackground level=100 contrast=20\n' >&3
printf 'VIGIL-RAW GREY 160 120\n' >&4
head -c $((160 * 120 * 2)) /dev/zero >&4

echo "$pdev" >"$drv/unbind" || t_fail "unbind $pdev"
[ -e "/sys/class/video4linux/$node" ] && t_fail "$node still registered after unbind"
# Finish and close the uploads on the unbound device.
printf 'noise 3\n' >&3
exec 3>&- 4>&-
t_log "uploads closed after unbind"

echo "$pdev" >"$drv/bind" || t_fail "bind $pdev"
t_wait_nodes 1
t_unload || t_fail "rmmod vigil"
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"
exit 0
