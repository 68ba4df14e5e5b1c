#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The simulated GPIO controller's irqchip, driven through the kernel's own
# IRQ API on the free PIR mirror line (debugfs irq_selftest): rising,
# falling and both-edge interrupts count exactly the edges; a level-high
# and a level-low interrupt (IRQF_ONESHOT, threaded) fire again on unmask
# while the level stays active and stop when the simulated device deasserts
# it. Also: the line names and the LED direction as gpioinfo shows them on a
# second controller (".1" suffix: names are unique).
. "$VIGIL_ROOT/tests/lib.sh"
# a fresh module: no state (standby, source) from an earlier test
t_unload
t_load num_cameras=2
DBG=$(t_gpio_sim "$T_DEV")
cat "$DBG/irq_selftest" | tee "$T_TMP/selftest"
[ "$(grep -c ' ok ' "$T_TMP/selftest")" = 5 ] || t_fail "irqchip self-test"
grep -q FAIL "$T_TMP/selftest" && t_fail "irqchip self-test"
gpioinfo vigil-gpio-sim.1 | tee "$T_TMP/gpioinfo1"
grep -q '"vigil-pir-mirror.1"' "$T_TMP/gpioinfo1" || t_fail "no vigil-pir-mirror.1 on the second controller"
grep -q '"vigil-rec-led.1" .*output' "$T_TMP/gpioinfo1" || t_fail "LED of the second controller not an output"
t_unload || t_fail "rmmod vigil"
exit 0
