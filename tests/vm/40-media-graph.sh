#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The media graph: each camera's media device shows the bridge's capture
# node, the virtual sensor and the immutable, enabled link between them
# (media-ctl -p); S_FMT on the capture node sets the sensor's pad format;
# STREAMON validates the link (a sensor format that does not match the
# capture format gives EPIPE); S_PARM with extreme fractions gives the
# nearest listed interval, and fps= outside the list is rounded to one that
# ENUM_FRAMEINTERVALS lists.
. "$VIGIL_ROOT/tests/lib.sh"

V=$(t_vtool)
t_unload
t_load num_cameras=2 fps=30,7
t_wait_nodes 2
i=0
for dev in $T_DEVS; do
	m=$(t_media "$dev")
	media-ctl -d "$m" -p >"$T_TMP/graph$i" || t_fail "media-ctl -p $m"
	t_log "$dev: $m, sensor $(t_sensor "$dev"), subdev $(t_subdev "$dev")"
	g=$(cat "$T_TMP/graph$i")
	bridge=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$dev")/device")")
	sensor=vigil-sensor.${bridge#vigil.}
	echo "$g" | grep -q "^driver[[:space:]]*vigil$" || t_fail "$m: driver is not vigil"
	echo "$g" | grep -A1 ": $sensor (1 pad, 1 link" | grep -q 'type V4L2 subdev subtype Sensor' ||
		{ echo "$g"; t_fail "$m: no sensor entity $sensor"; }
	echo "$g" | grep -A2 ": $bridge (1 pad, 1 link" | grep -q "device node name $dev" ||
		{ echo "$g"; t_fail "$m: no capture entity $bridge for $dev"; }
	echo "$g" | grep -q "pad0: Source" || t_fail "$m: sensor has no source pad"
	echo "$g" | grep -q "fmt:YUYV8_1X16/640x480" || { echo "$g"; t_fail "$m: sensor pad format"; }
	echo "$g" | grep -q -- "-> \"$bridge\":0 \[ENABLED,IMMUTABLE\]" || { echo "$g"; t_fail "$m: link sensor -> $bridge"; }
	echo "$g" | grep -q "<- \"$sensor\":0 \[ENABLED,IMMUTABLE\]" || { echo "$g"; t_fail "$m: link at $bridge's sink"; }
	i=$((i + 1))
done
set -- $T_DEVS
dev=$1
m=$(t_media "$dev")
sensor=$(t_sensor "$dev")

# S_FMT on the video node configures the sensor (a bus code for GREY)
v4l2-ctl -d "$dev" -v pixelformat=GREY,width=320,height=240 || t_fail "S_FMT GREY 320x240"
media-ctl -d "$m" --get-v4l2 "\"$sensor\":0" | grep -q "Y8_1X8/320x240" ||
	t_fail "sensor pad not Y8_1X8/320x240 after S_FMT: $(media-ctl -d "$m" --get-v4l2 "\"$sensor\":0")"
v4l2-ctl -d "$dev" -v pixelformat=NV12,width=640,height=360 || t_fail "S_FMT NV12"
media-ctl -d "$m" --get-v4l2 "\"$sensor\":0" | grep -q "YUYV8_1X16/640x360" ||
	t_fail "NV12 does not come from a YUYV8_1X16 bus"
"$V" capture "$dev" NV12 640x360 30 3 /dev/null >/dev/null || t_fail "capture NV12 after S_FMT"

# a sensor format that does not match the capture format fails STREAMON
media-ctl -d "$m" -V "\"$sensor\":0 [fmt:YUYV8_1X16/160x120]" || t_fail "set sensor format"
# (v4l2-ctl exits 0 even when STREAMON fails: check what it printed)
v4l2-ctl -d "$dev" --stream-mmap --stream-count=1 --stream-to=/dev/null >"$T_TMP/epipe" 2>&1
grep -q "VIDIOC_STREAMON returned -1 (Broken pipe)" "$T_TMP/epipe" ||
	t_fail "STREAMON with sensor 160x120 and capture 640x360 did not fail with EPIPE: $(cat "$T_TMP/epipe")"
t_log "mismatched link refused: $(tail -n 1 "$T_TMP/epipe")"
v4l2-ctl -d "$dev" -v pixelformat=YUYV,width=640,height=480 || t_fail "S_FMT YUYV"
v4l2-ctl -d "$dev" --stream-mmap --stream-count=3 --stream-to=/dev/null || t_fail "stream after S_FMT"

# S_PARM: no wrap-around for large terms; the nearest listed rate
for want in "1 4294967295:1/60" "2 4294967295:1/60" "4294967295 1:1/1" "4294967295 2:1/1" \
	    "1000 29970:1/30" "0 0:1/30" "1 7:1/5"; do
	args=${want%%:*} exp=${want#*:}
	# shellcheck disable=SC2086
	out=$("$V" parm "$dev" $args) || t_fail "S_PARM $args"
	[ "$out" = "set $exp get $exp" ] || t_fail "S_PARM $args: $out, expected $exp"
done
t_log "S_PARM rounding ok"

# fps=7 (second camera) is not offered: it became 5, which is listed
t_unload
t_load num_cameras=2 fps=30,7
t_wait_nodes 2
set -- $T_DEVS
got=$(v4l2-ctl -d "$2" -P | sed -n 's/.*Frames per second: \([0-9.]*\).*/\1/p')
[ "$got" = 5.000 ] || t_fail "fps=7 gave $got fps, expected 5.000"
v4l2-ctl -d "$2" --list-frameintervals width=640,height=480,pixelformat=YUYV | grep -q "(5.000 fps)" ||
	t_fail "5 fps not listed"
dmesg | grep -q "fps=7 not offered, using 5" || t_fail "no warning for fps=7"
t_unload || t_fail "rmmod vigil"
exit 0
