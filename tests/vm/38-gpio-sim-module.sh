#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The simulated GPIO controllers are a module of their own, found through
# gpiolib like any board's controller:
# - vigil.ko loaded without vigil-gpio-sim.ko: the camera's probe defers
#   (no video node); loading the simulator then binds it;
# - each controller's parent is its platform device vigil-gpio-sim.<n>;
# - rmmod vigil_gpio_sim is refused while vigil holds its lines and IRQ
#   (a storm running), succeeds once vigil is gone.
. "$VIGIL_ROOT/tests/lib.sh"
KO=${VIGIL_KO:-$VIGIL_ROOT/build/kmod/$(uname -r)/vigil/vigil.ko}
SIM_KO=${VIGIL_GPIO_SIM_KO:-$(dirname "$KO")/vigil-gpio-sim.ko}
t_unload
grep -q '^vigil_gpio_sim ' /proc/modules && t_fail "vigil_gpio_sim still loaded"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

t_log "vigil.ko first: probe defers"
# the first load through vigil-load brings in the kernel's media modules
t_load
t_unload
insmod "$KO" || t_fail "insmod vigil.ko"
sleep 1
for v in /sys/class/video4linux/video*; do
	[ -e "$v" ] || continue
	readlink -f "$v/device/driver" | grep -q '/vigil$' && t_fail "node $v without a GPIO controller"
done
grep -q '^vigil\.0' /sys/kernel/debug/devices_deferred ||
	t_fail "vigil.0 not deferred: $(cat /sys/kernel/debug/devices_deferred)"
t_log "deferred: $(grep '^vigil\.0' /sys/kernel/debug/devices_deferred)"

t_log "vigil-gpio-sim.ko second: the camera binds"
insmod "$SIM_KO" || t_fail "insmod vigil-gpio-sim.ko"
t_wait_nodes 1
# The chip's device sits under its parent, the platform device.
set -- /sys/bus/platform/devices/vigil-gpio-sim.0/gpiochip*
[ -e "$1" ] || t_fail "no gpiochip under the platform device vigil-gpio-sim.0"
t_log "chip: $(readlink -f "$1")"

t_log "rmmod vigil_gpio_sim under vigil's live IRQ"
DBG=$(t_gpio_sim "$T_DEV")
echo "60000 20 10" >"$DBG/train" || t_fail "storm"
rmmod vigil_gpio_sim 2>"$T_TMP/rmmod.err" && t_fail "rmmod vigil_gpio_sim succeeded while vigil holds its lines"
t_log "refused: $(cat "$T_TMP/rmmod.err")"
grep -q '^vigil_gpio_sim ' /proc/modules || t_fail "vigil_gpio_sim gone although rmmod failed"
[ -c "$T_DEV" ] || t_fail "node gone"
rmmod vigil || t_fail "rmmod vigil"
rmmod vigil_gpio_sim || t_fail "rmmod vigil_gpio_sim after vigil"
exit 0
