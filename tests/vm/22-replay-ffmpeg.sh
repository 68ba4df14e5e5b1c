#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Replay: a clip converted by scripts/video-to-raw, loaded through debugfs,
# is captured by ffmpeg -f v4l2; every captured frame equals the source
# frame byte for byte, in order (GREY and NV12).
. "$VIGIL_ROOT/tests/lib.sh"

command -v ffmpeg >/dev/null || t_skip "ffmpeg not installed"
command -v v4l2-ctl >/dev/null || t_skip "v4l2-ctl not installed"
t_unload
t_load
D=$(t_sensor_debugfs "$T_DEV")
S=$(t_subdev "$T_DEV")
CHECK="python3 $VIGIL_ROOT/tests/vm/framecheck.py"

ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i testsrc2=size=352x288:rate=30 \
	-frames:v 24 -c:v ffv1 -y "$T_TMP/clip.mkv" || t_fail "make source clip"

# GREY through ffmpeg -f v4l2
raw=$T_TMP/clip-GREY.raw
"$VIGIL_ROOT/scripts/video-to-raw" -f GREY -s 320x240 "$T_TMP/clip.mkv" "$raw" || t_fail "video-to-raw GREY"
cat "$raw" >"$D/replay" || t_fail "load $raw"
t_log "loaded: $(cat "$D/replay")"
grep -q "GREY 320x240 24 frames" "$D/replay" || t_fail "replay not loaded"
v4l2-ctl -d "$S" -c test_pattern=1 || t_fail "select replay source"
out=$T_TMP/cap-GREY.raw
ffmpeg -hide_banner -loglevel error -nostdin -f v4l2 -input_format gray \
	-video_size 320x240 -framerate 30 -i "$T_DEV" -frames:v 30 \
	-c:v copy -f rawvideo -y "$out" || t_fail "ffmpeg capture"
r=$($CHECK replay "$raw" "$out") || t_fail "GREY via ffmpeg: $r"
t_log "GREY via ffmpeg: $r"

# NV12 (and its scaled GREY view) through vtool, matched by sequence number
raw=$T_TMP/clip-NV12.raw
"$VIGIL_ROOT/scripts/video-to-raw" -f NV12 -s 320x240 "$T_TMP/clip.mkv" "$raw" || t_fail "video-to-raw NV12"
v4l2-ctl -d "$S" -c test_pattern=0 || t_fail "select scene source"
cat "$raw" >"$D/replay" || t_fail "load $raw"
grep -q "NV12 320x240 24 frames" "$D/replay" || t_fail "NV12 replay not loaded"
v4l2-ctl -d "$S" -c test_pattern=1 || t_fail "select replay source"
VTOOL_SEQ=1 "$(t_vtool)" capture "$T_DEV" NV12 320x240 30 30 "$T_TMP/cap-NV12.raw" 4 \
	2>"$T_TMP/nv12.seq" >/dev/null || t_fail "capture NV12"
r=$($CHECK replay "$raw" "$T_TMP/cap-NV12.raw" "$T_TMP/nv12.seq") || t_fail "NV12: $r"
t_log "NV12: $r"
v4l2-ctl -d "$S" -c test_pattern=0
t_unload || t_fail "rmmod vigil"
exit 0
