#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bug 2: the capture node is registered last, after the PIR, the LED and
# the privacy switch exist.
# - While the camera's probe defers (no GPIO controller yet), however often
#   it is retried, no video node is registered (no /dev/videoN churn).
# - A privacy switch asserted before the camera binds is known when the
#   node appears: V4L2_CID_PRIVACY reads 1 (and its SEND_INITIAL event
#   says so), and the very first stream gets no frame until release.
. "$VIGIL_ROOT/tests/lib.sh"
KO=${VIGIL_KO:-$VIGIL_ROOT/build/kmod/$(uname -r)/vigil/vigil.ko}
SIM_KO=${VIGIL_GPIO_SIM_KO:-$(dirname "$KO")/vigil-gpio-sim.ko}
PT=$(t_pirtool)
t_unload
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# the first load through vigil-load brings in the kernel's media modules
t_load
t_unload

mark="vigil-test-46 $$.$RANDOM"
echo "$mark" >/dev/kmsg
# registrations of vigil.0's node since the mark (dev_info at registration)
regs() { dmesg | awk -v m="$mark" 'on; index($0, m) { on = 1 }' | grep -c 'vigil vigil\.0: video[0-9]*: sensor'; }

insmod "$KO" || t_fail "insmod vigil.ko"
for _ in 1 2 3 4 5; do
	# retry the deferred probe (fails again with EPROBE_DEFER)
	echo vigil.0 >/sys/bus/platform/drivers_probe 2>/dev/null
	sleep 0.2
done
grep -q '^vigil\.0' /sys/kernel/debug/devices_deferred ||
	t_fail "vigil.0 not deferred: $(cat /sys/kernel/debug/devices_deferred)"
for v in /sys/class/video4linux/video*; do
	[ -e "$v" ] || continue
	readlink -f "$v/device/driver" | grep -q '/vigil$' && t_fail "node $v while deferred"
done
t_eq "node registrations while deferred" 0 "$(regs)"
rmmod vigil || t_fail "rmmod vigil"

insmod "$SIM_KO" || t_fail "insmod vigil-gpio-sim.ko"
echo 1 >/sys/kernel/debug/vigil-gpio-sim.0/privacy || t_fail "assert privacy"
t_load
t_eq "node registrations" 1 "$(regs)"
t_eq "privacy control when the node appears" "privacy: 1" "$(v4l2-ctl -d "$T_DEV" --get-ctrl privacy)"
"$PT" stream "$T_DEV" 1 >"$T_TMP/priv" || t_fail "pirtool stream"
grep -qx 'privacy-initial 1' "$T_TMP/priv" || t_fail "SEND_INITIAL privacy event: $(grep privacy "$T_TMP/priv")"
t_eq "frames while the switch is asserted" 0 "$(grep -c '^frame ' "$T_TMP/priv")"
echo 0 >/sys/kernel/debug/vigil-gpio-sim.0/privacy || t_fail "release privacy"
"$PT" stream "$T_DEV" 1 >"$T_TMP/free" || t_fail "pirtool stream"
[ "$(grep -c '^frame ' "$T_TMP/free")" -gt 5 ] || t_fail "no frames after release"
t_unload || t_fail "unload"
exit 0
