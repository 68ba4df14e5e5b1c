#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bug 1: a PIR on a GPIO controller that can sleep (an I2C/SPI expander).
# Its IRQs are nested in the expander's IRQ thread, so no hard handler ever
# runs: events must still arrive, with the timestamp and the level taken in
# the thread. vigil-gpio-sim's can_sleep=1 makes controller 0 such an
# expander (gc->can_sleep, nested-threaded IRQs raised from a work item).
#
# A slow train (4 Hz, 125 ms high): the thread runs long before the next
# edge, so every event maps to its own edge with the right level
# (order_errors 0) and no timestamp precedes its edge (before_edge 0). The
# camera's sensor drives its "warm" line on the same sleeping controller.
. "$VIGIL_ROOT/tests/lib.sh"
LAT=$(t_pir_lat)
SIM_KO=$VIGIL_ROOT/build/kmod/$(uname -r)/vigil/vigil-gpio-sim.ko
t_unload
insmod "$SIM_KO" can_sleep=1 || t_fail "insmod vigil-gpio-sim can_sleep=1"
t_load
DBG=$(t_gpio_sim "$T_DEV")
grep -qx 'can_sleep 1' "$DBG/status" || t_fail "controller 0 is not in can_sleep mode: $(cat "$DBG/status")"
# gpiolib's own view of the controller
grep -E '^gpiochip[0-9]+: .*vigil-gpio-sim\.0[, ].*can sleep' /sys/kernel/debug/gpio ||
	t_fail "gpiolib does not see vigil-gpio-sim.0 as sleeping: $(grep -A1 vigil-gpio-sim.0 /sys/kernel/debug/gpio)"
grep -q "vigil-pir:$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$T_DEV")/device")")" /proc/interrupts ||
	t_fail "no vigil-pir IRQ in /proc/interrupts"
N=8
"$LAT" pir -d "$T_DEV" -c $N -r 4 --no-gpio --json >"$T_TMP/train.json" || t_fail "vigil-lat pir"
cat "$T_TMP/train.json"
t_json "$T_TMP/train.json" "j['emitted'] == 2 * $N"
t_json "$T_TMP/train.json" "j['v4l2']['received'] == 2 * $N"
t_json "$T_TMP/train.json" "j['v4l2']['rising'] == $N"
t_json "$T_TMP/train.json" "j['v4l2']['lost'] == 0"
t_json "$T_TMP/train.json" "j['v4l2']['order_errors'] == 0"
t_json "$T_TMP/train.json" "j['v4l2']['before_edge'] == 0"
t_json "$T_TMP/train.json" "j['v4l2']['irq_delay_max_ns'] < 250000000"
# the sensor's warm line on the sleeping controller: the scene's warm
# objects reach the PIR model while streaming (no WARN for a sleeping line)
"$(t_pirtool)" stream "$T_DEV" 2 >"$T_TMP/stream" || t_fail "pirtool stream"
grep -q '^frame ' "$T_TMP/stream" || t_fail "no frames from a camera on a sleeping controller"
t_unload || t_fail "unload"
grep -q '^vigil_gpio_sim ' /proc/modules && t_fail "vigil-gpio-sim still loaded"
exit 0
