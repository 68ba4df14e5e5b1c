#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# V4L2_CID_DETECT_MD_MODE: a menu, Global by default (V4L2_EVENT_MOTION_DET
# is sent for PIR motion); Disabled stops the motion events while
# VIGIL_EVENT_PIR keeps coming; a value beyond Global is refused.
. "$VIGIL_ROOT/tests/lib.sh"
PT=$(t_pirtool)
MD_MODE=$((0x00a30900 + 1))	# V4L2_CID_DETECT_MD_MODE
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
t_eq "default mode (Global)" 1 "$("$PT" ctrl "$T_DEV" $MD_MODE)"
"$PT" ctrl "$T_DEV" $MD_MODE 2 2>/dev/null && t_fail "mode Threshold Grid accepted"

# run MODE OUT: stream 3 s with two PIR pulses, counting the events.
run() {
	"$PT" ctrl "$T_DEV" $MD_MODE "$1" || t_fail "set mode $1"
	"$PT" stream "$T_DEV" 3 >"$2" &
	local pid=$!
	for _ in $(seq 100); do grep -q '^led' "$2" && break; sleep 0.05; done
	echo "2 300000 100000" >"$DBG/train" || t_fail "train"
	wait $pid || t_fail "pirtool stream"
}
run 0 "$T_TMP/disabled"
run 1 "$T_TMP/global"
pd=$(grep -c '^pir ' "$T_TMP/disabled")
md=$(grep -c '^motion ' "$T_TMP/disabled")
pg=$(grep -c '^pir ' "$T_TMP/global")
mg=$(grep -c '^motion ' "$T_TMP/global")
t_log "disabled: $pd PIR events, $md motion events; global: $pg PIR, $mg motion"
[ "$pd" -ge 4 ] || t_fail "PIR events missing with motion detection disabled"
t_eq "motion events while disabled" 0 "$md"
[ "$pg" -ge 4 ] || t_fail "PIR events missing in global mode"
[ "$mg" -ge 1 ] || t_fail "no motion event in global mode"
t_unload || t_fail "rmmod vigil"
exit 0
