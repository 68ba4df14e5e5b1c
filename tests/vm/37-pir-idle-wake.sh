#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A PIR pulse while not streaming, in standby: the motion event carries no
# frame sequence (V4L2_EVENT_MD_FL_HAVE_FRAME_SEQ clear, the PIR event's
# frame_seq is 0xffffffff), standby stays set, and the next stream neither
# starts awake nor gets a VIGIL_EVENT_WAKE for that old pulse. A pulse during
# that stream then wakes it (one wake event, frames flow).
. "$VIGIL_ROOT/tests/lib.sh"
PT=$(t_pirtool)
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
# replay (mid-grey without footage): the scene's warm objects would wake it too
v4l2-ctl -d "$(t_subdev "$T_DEV")" -c test_pattern=1 || t_fail "select replay"
"$PT" stale "$T_DEV" "$DBG" >"$T_TMP/out" || { cat "$T_TMP/out"; t_fail "pirtool stale"; }
cat "$T_TMP/out"
grep -q '^idle-wake' "$T_TMP/out" && t_fail "wake event without a stream"
# V4L2_EVENT_MD_FL_HAVE_FRAME_SEQ is bit 0
awk '$1 == "idle-motion" && $3 % 2 { bad = 1 } END { exit bad }' "$T_TMP/out" ||
	t_fail "motion event while not streaming claims a frame sequence"
grep -q '^idle-motion 1 ' "$T_TMP/out" || t_fail "no motion-start event for the idle pulse"
awk '$1 == "idle-pir" && $2 != 4294967295 { bad = 1 } END { exit bad }' "$T_TMP/out" ||
	t_fail "PIR event while not streaming has a frame sequence"
grep -qx 'standby-after-idle-pulse 1' "$T_TMP/out" || t_fail "the idle pulse cleared standby"
grep -qx 'stream-frames 0 stream-wakes 0' "$T_TMP/out" || t_fail "stale wake fired into the next stream"
# "pulse-frames N pulse-wakes N" (no process substitution: no /dev/fd here)
set -- $(grep '^pulse-frames' "$T_TMP/out")
t_eq "wake events for the pulse while streaming" 1 "${4:-}"
[ "${2:-0}" -gt 5 ] || t_fail "no frames after the wake: ${2:-none}"
t_unload || t_fail "rmmod vigil"
exit 0
