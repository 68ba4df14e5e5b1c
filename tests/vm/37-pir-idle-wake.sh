#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A PIR pulse while not streaming, in standby: the motion event carries no
# frame sequence (V4L2_EVENT_MD_FL_HAVE_FRAME_SEQ clear, the PIR event's
# frame_seq is 0xffffffff), standby stays set, and the next stream neither
# starts awake nor reports a wake (tracepoint vigil:vigil_pir_wake) for that
# old pulse. A pulse during that stream then wakes it (one wake record,
# for that pulse; frames flow).
. "$VIGIL_ROOT/tests/lib.sh"
PT=$(t_pirtool)
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
# replay (mid-grey without footage): the scene's warm objects would wake it too
v4l2-ctl -d "$(t_subdev "$T_DEV")" -c test_pattern=1 || t_fail "select replay"
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR || t_fail "mount tracefs"
echo 0 >$TR/tracing_on
: >$TR/trace
echo 1 >$TR/events/vigil/vigil_pir_wake/enable || t_fail "enable vigil:vigil_pir_wake"
echo 1 >$TR/tracing_on
"$PT" stale "$T_DEV" "$DBG" >"$T_TMP/out" || { cat "$T_TMP/out"; t_fail "pirtool stale"; }
echo 0 >$TR/events/vigil/vigil_pir_wake/enable
grep -o 'vigil_pir_wake: .*' $TR/trace >"$T_TMP/trace"
cat "$T_TMP/out" "$T_TMP/trace"
# V4L2_EVENT_MD_FL_HAVE_FRAME_SEQ is bit 0
awk '$1 == "idle-motion" && $3 % 2 { bad = 1 } END { exit bad }' "$T_TMP/out" ||
	t_fail "motion event while not streaming claims a frame sequence"
grep -q '^idle-motion 1 ' "$T_TMP/out" || t_fail "no motion-start event for the idle pulse"
awk '$1 == "idle-pir" && $2 != 4294967295 { bad = 1 } END { exit bad }' "$T_TMP/out" ||
	t_fail "PIR event while not streaming has a frame sequence"
grep -qx 'standby-after-idle-pulse 1' "$T_TMP/out" || t_fail "the idle pulse cleared standby"
grep -qx 'stream-frames 0' "$T_TMP/out" || t_fail "stale wake fired into the next stream"
# one wake in all, for the pulse while streaming (its edge after "pulse-at")
t_eq "wake trace records" 1 "$(grep -c . "$T_TMP/trace")"
at=$(sed -n 's/^pulse-at //p' "$T_TMP/out")
irq=$(sed -n 's/.* irq_ns=\([0-9]*\) .*/\1/p' "$T_TMP/trace")
[ -n "$at" ] && [ -n "$irq" ] && [ "$irq" -ge "$at" ] ||
	t_fail "the wake is not for the pulse while streaming (pulse at ${at:-?}, irq ${irq:-?})"
# "pulse-frames N" (no process substitution: no /dev/fd here)
set -- $(grep '^pulse-frames' "$T_TMP/out")
[ "${2:-0}" -gt 5 ] || t_fail "no frames after the wake: ${2:-none}"
t_unload || t_fail "rmmod vigil"
exit 0
