#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Standby is the sensor's power state, driven by the bridge (runtime PM of
# the sensor's device, /sys/.../power/runtime_status):
# - not streaming: suspended; streaming at full rate: active;
# - standby with keep-alive 0: the sensor suspends (no frames); a PIR pulse
#   wakes it: active again, standby cleared, frames flow;
# - standby with keep-alive 2 fps: the sensor resumes for each keep-alive
#   frame only (power_ups grows by about one per keep-alive frame) and is
#   suspended in between;
# - after STREAMOFF: suspended, and the runtime PM usage count is balanced.
. "$VIGIL_ROOT/tests/lib.sh"
command -v v4l2-ctl >/dev/null || t_fail "v4l2-ctl not installed"
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
SD=$(t_sensor_debugfs "$T_DEV")
PM=/sys/bus/platform/devices/$(basename "$SD")/power
[ -r "$PM/runtime_status" ] || t_fail "no runtime PM status at $PM"
status() { cat "$PM/runtime_status"; }
stat() { sed -n "s/^$1 //p" "$SD/stats"; }
# replay (mid-grey): the scene's warm objects would wake it
v4l2-ctl -d "$(t_subdev "$T_DEV")" -c test_pattern=1 || t_fail "select replay"
v4l2-ctl -d "$T_DEV" -c standby_keep_alive_fps=0 || t_fail "keep-alive 0"
t_eq "runtime status before streaming" suspended "$(status)"

v4l2-ctl -d "$T_DEV" --set-fmt-video=width=160,height=120,pixelformat=GREY ||
	t_fail "S_FMT"
v4l2-ctl -d "$T_DEV" --stream-mmap --stream-count=100000 --stream-to=/dev/null 2>/dev/null &
cap=$!
trap 'kill $cap 2>/dev/null' EXIT
sleep 1.5
t_eq "runtime status streaming" active "$(status)"

v4l2-ctl -d "$T_DEV" -c standby=1 || t_fail "standby on"
sleep 1
t_eq "runtime status in standby (keep-alive 0)" suspended "$(status)"
grep -qx 'sensor_asleep 1' "$(t_debugfs "$T_DEV")/stats" || t_fail "bridge: sensor not asleep"
ups=$(stat power_ups)
sleep 1
t_eq "resumes in standby without keep-alive" "$ups" "$(stat power_ups)"

echo 1 >"$DBG/pir" || t_fail "PIR high"
sleep 0.5
echo 0 >"$DBG/pir"
t_eq "standby after the PIR wake" "standby: 0" "$(v4l2-ctl -d "$T_DEV" --get-ctrl standby)"
t_eq "runtime status after the wake" active "$(status)"

v4l2-ctl -d "$T_DEV" -c standby_keep_alive_fps=2 -c standby=1 || t_fail "standby, keep-alive 2"
sleep 1
t0=$(date +%s%N)
ups=$(stat power_ups)
sleep 3
n=$(($(stat power_ups) - ups))
t1=$(date +%s%N)
# two keep-alive frames per second of the window (the emulated guest's
# forks take their time: the window is measured, not assumed)
exp=$(((t1 - t0) * 2 / 1000000000))
t_log "power-ups in $(((t1 - t0) / 1000000)) ms of standby at 2 keep-alive fps: $n (expected about $exp)"
[ "$n" -ge $((exp - 2)) ] && [ "$n" -le $((exp + 2)) ] ||
	t_fail "expected $exp +- 2 power-ups, got $n"

kill $cap
wait $cap 2>/dev/null
trap - EXIT
sleep 0.5
t_eq "runtime status after STREAMOFF" suspended "$(status)"
# runtime_usage exists with CONFIG_PM_ADVANCED_DEBUG only
if [ -r "$PM/runtime_usage" ]; then
	t_eq "runtime PM usage count after STREAMOFF" 0 "$(cat "$PM/runtime_usage")"
fi
t_unload || t_fail "unload"
exit 0
