#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Privacy mask: with replayed footage as the known source, every masked pixel
# is black (Y=16, neutral chroma) in every frame and every other pixel equals
# the source, in GREY and NV12; clearing the mask restores the source.
. "$VIGIL_ROOT/tests/lib.sh"

command -v ffmpeg >/dev/null || t_skip "ffmpeg not installed"
command -v v4l2-ctl >/dev/null || t_skip "v4l2-ctl not installed"
t_unload
V=$(t_vtool)
t_load
D=$(t_sensor_debugfs "$T_DEV")
S=$(t_subdev "$T_DEV")
CHECK="python3 $VIGIL_ROOT/tests/vm/framecheck.py"

ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i testsrc2=size=320x240:rate=30 \
	-frames:v 8 -c:v ffv1 -y "$T_TMP/clip.mkv" || t_fail "make source clip"
raw=$T_TMP/clip.raw
"$VIGIL_ROOT/scripts/video-to-raw" -f NV12 -s 320x240 "$T_TMP/clip.mkv" "$raw" || t_fail "video-to-raw"
cat "$raw" >"$D/replay" || t_fail "load replay"
v4l2-ctl -d "$S" -c test_pattern=1 || t_fail "select replay"

rects="10,20,64,48 200,100,100,120 300,230,40,40"
"$V" mask "$T_DEV" $rects || t_fail "set privacy mask"
for fmt in GREY NV12; do
	VTOOL_SEQ=1 "$V" capture "$T_DEV" $fmt 320x240 30 6 "$T_TMP/$fmt.cap" 4 \
		2>"$T_TMP/$fmt.seq" >/dev/null || t_fail "capture $fmt"
	# the last rectangle reaches past the frame: it is clipped
	r=$($CHECK mask "$raw" "$T_TMP/$fmt.cap" "$T_TMP/$fmt.seq" $fmt $rects) || t_fail "$fmt: $r"
	t_log "$fmt: $r"
done

"$V" mask "$T_DEV" || t_fail "clear privacy mask"
VTOOL_SEQ=1 "$V" capture "$T_DEV" NV12 320x240 30 4 "$T_TMP/clear.cap" 4 \
	2>"$T_TMP/clear.seq" >/dev/null || t_fail "capture after clearing"
r=$($CHECK replay "$raw" "$T_TMP/clear.cap" "$T_TMP/clear.seq") || t_fail "cleared mask: $r"
t_log "mask cleared: $r"
t_unload || t_fail "rmmod vigil"
exit 0
