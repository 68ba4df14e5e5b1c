#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bounds of the simulated GPIO controller's test interface:
# - a pulse train's period and width are kept without truncation up to the
#   10 s limit (a 32-bit nanosecond field wrapped 10 s to 1.41 s): the
#   train reads back as written and its first edge does not come early;
# - the PIR model times (rise_delay_ms, hold_ms, blind_ms) refuse 0 (a 0 ms
#   hold re-armed the hard model timer at 0 ns from its own callback, an
#   endless hard-IRQ loop while a warm object stayed in view) and values
#   above 60000, and keep their previous value.
. "$VIGIL_ROOT/tests/lib.sh"
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")

t_log "train: 10 s period"
echo "1 10000000 5000000" >"$DBG/train" || t_fail "train 1 10000000 5000000 refused"
read -r state <"$DBG/train"
t_log "train reads: $state"
case $state in
"running count 1 period_us 10000000 width_us 5000000 emitted 0") ;;
*) t_fail "train read back as '$state'" ;;
esac
# The first rising edge is due 10 s after the write; a wrapped period
# (1.41 s) would have emitted it by now.
sleep 2
read -r state <"$DBG/train"
case $state in
*" emitted 0") ;;
*) t_fail "edge emitted early: '$state'" ;;
esac
echo stop >"$DBG/train" || t_fail "train stop"
echo "1 10000001 1000" >"$DBG/train" 2>/dev/null && t_fail "period above 10 s accepted"

t_log "PIR model times"
for f in rise_delay_ms hold_ms blind_ms; do
	old=$(cat "$DBG/$f")
	echo 0 >"$DBG/$f" 2>/dev/null && t_fail "$f=0 accepted"
	echo 60001 >"$DBG/$f" 2>/dev/null && t_fail "$f=60001 accepted"
	t_eq "$f after refused writes" "$old" "$(cat "$DBG/$f")"
	echo 1 >"$DBG/$f" || t_fail "$f=1 refused"
	t_eq "$f" 1 "$(cat "$DBG/$f")"
done
# The shortest times with a warm object in view: the model keeps
# retriggering every millisecond and the guest stays responsive.
echo 1 >"$DBG/presence" || t_fail "presence 1"
sleep 1
grep -q '^pir_model high' "$DBG/status" || t_fail "model not high with a warm object: $(grep pir_model "$DBG/status")"
echo 0 >"$DBG/presence"
sleep 0.2
t_unload || t_fail "rmmod vigil"
exit 0
