#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Privacy-mask rectangles are checked against the current format: a
# rectangle not inside the current frame is refused (ERANGE); S_FMT to a
# smaller frame clips the rectangles that reach past it and removes those
# wholly outside it, and the mask read back says so; at the smaller size a
# rectangle that fitted before is refused, and one that fits is kept.
. "$VIGIL_ROOT/tests/lib.sh"
command -v v4l2-ctl >/dev/null || t_fail "v4l2-ctl not installed"
t_unload
V=$(t_vtool)
t_load
v4l2-ctl -d "$T_DEV" --set-fmt-video=width=640,height=480,pixelformat=GREY || t_fail "S_FMT 640x480"
"$V" mask "$T_DEV" 600,0,100,10 2>"$T_TMP/err" && t_fail "mask reaching past 640 accepted at 640x480"
grep -q 'Numerical result out of range' "$T_TMP/err" || t_fail "mask error: $(cat "$T_TMP/err")"
"$V" mask "$T_DEV" 0,470,10,20 2>/dev/null && t_fail "mask reaching past 480 accepted at 640x480"
"$V" mask "$T_DEV" 10,10,20,20 300,200,100,100 500,400,100,50 0,0,640,480 ||
	t_fail "rectangles inside 640x480 refused"
"$V" getmask "$T_DEV" >"$T_TMP/m640" || t_fail "getmask"
t_eq "mask at 640x480" "10,10,20,20 300,200,100,100 500,400,100,50 0,0,640,480" "$(tr '\n' ' ' <"$T_TMP/m640" | sed 's/ $//')"
v4l2-ctl -d "$T_DEV" --set-fmt-video=width=320,height=240,pixelformat=GREY || t_fail "S_FMT 320x240"
"$V" getmask "$T_DEV" >"$T_TMP/m320" || t_fail "getmask"
# kept, clipped, removed (wholly outside), clipped to the whole frame
t_eq "mask after S_FMT 320x240" "10,10,20,20 300,200,20,40 0,0,320,240" "$(tr '\n' ' ' <"$T_TMP/m320" | sed 's/ $//')"
"$V" mask "$T_DEV" 300,200,100,100 2>/dev/null && t_fail "rectangle beyond 320x240 accepted at 320x240"
"$V" getmask "$T_DEV" >"$T_TMP/m320b" || t_fail "getmask"
cmp -s "$T_TMP/m320" "$T_TMP/m320b" || t_fail "a refused mask changed the mask"
"$V" mask "$T_DEV" 300,220,20,20 || t_fail "rectangle inside 320x240 refused"
# back to the larger frame: nothing grows back, nothing is lost
v4l2-ctl -d "$T_DEV" --set-fmt-video=width=640,height=480,pixelformat=GREY || t_fail "S_FMT 640x480"
t_eq "mask after S_FMT back to 640x480" "300,220,20,20" "$("$V" getmask "$T_DEV")"
t_unload || t_fail "unload"
exit 0
