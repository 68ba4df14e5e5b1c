#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild records a foreign MJPEG camera in colour. The camera is Debian's
# v4l2loopback, not vigil.ko; its JPEGs are ffmpeg's, made from real
# footage (OpenCV's vtest.avi) at 384x288: 40 frames as 4:2:2 JPEGs (set A)
# and the same 40 as 4:2:0 (set B), with ffmpeg's decode of each
# (scripts/v4l2loopback builds the module and makes them on the host). A
# writer plays A until vigild has fixed the stream's format (4:2:2: YUYV),
# then B and A in turn: the camera changes subsampling mid-stream. vigild
# (format auto) raises an alarm on the people walking and records it.
# Every clip says YUYV 384x288; every frame of it, exported as
# Y4M (C422), is ffmpeg's own decode of one of the JPEGs: an A frame's
# planes as ffmpeg decodes them, a B frame's with its
# 4:2:0 chroma rows doubled (vigild's conversion to the stream's 4:2:2),
# each sample within 1 and at most 5% of the samples differing. Bound: vigild
# decodes with libjpeg-turbo's accurate integer IDCT, ffmpeg with its own;
# both are IEEE 1180 accurate, and on these JPEGs they differ by at most 1
# on about 1.5% of the samples (no colour conversion or resampling on
# either side: the clip is lossless, so it holds exactly libjpeg-turbo's
# output, which userspace/tests/test-mjpeg.c checks byte for byte).
# Frames of both sets must be among those recorded. Meanwhile
# /api/live.mjpeg passes the camera's JPEGs through: every image of it is
# one of the JPEG files byte for byte.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
CLIP=$T_BIN/tools/vigil-clip
[ -x "$VIGILD" ] && [ -x "$CLIP" ] || t_skip "vigild not built (make -C userspace)"
command -v curl >/dev/null || t_fail "curl missing (scripts/deps installs it)"
KO=$VIGIL_ROOT/build/kmod/$(uname -r)/v4l2loopback/v4l2loopback.ko
J=$VIGIL_ROOT/build/v4l2loopback/jpeg
[ -f "$KO" ] && [ -f "$J/.complete" ] ||
	t_fail "no $KO or no $J: run scripts/v4l2loopback (make check does)"
t_log "start ${SECONDS}s"
t_unload
W=384
H=288

modprobe videodev || t_fail "modprobe videodev"
insmod "$KO" devices=1 video_nr=42 card_label=vigil-loopback exclusive_caps=0 ||
	t_fail "insmod $KO"
DEV=/dev/video42
[ -c "$DEV" ] || { rmmod v4l2loopback; t_fail "no $DEV after loading v4l2loopback"; }
cleanup() {
	[ -n "${CHK:-}" ] && kill "$CHK" 2>/dev/null
	[ -n "${FEED:-}" ] && kill "$FEED" 2>/dev/null && wait "$FEED" 2>/dev/null
	rmmod v4l2loopback 2>/dev/null
}
trap cleanup EXIT

# the camera (tests/vm/mjpegfeed.c): A frames until $T_TMP/switch exists,
# then B, A, B, ... at 10 fps, each JPEG one write() on v4l2loopback's
# output side
FEED_BIN=$VIGIL_ROOT/build/tests/mjpegfeed
if [ ! -x "$FEED_BIN" ] || [ "$VIGIL_ROOT/tests/vm/mjpegfeed.c" -nt "$FEED_BIN" ]; then
	t_cc "$FEED_BIN" -O2 -Wall "$VIGIL_ROOT/tests/vm/mjpegfeed.c" || t_fail "cannot build mjpegfeed"
fi
ls "$J"/a*.jpg >"$T_TMP/first"
ls "$J"/b*.jpg "$J"/a*.jpg >"$T_TMP/then"
"$FEED_BIN" "$DEV" "${W}x$H" 10 "$T_TMP/first" "$T_TMP/then" "$T_TMP/switch" \
	>"$T_TMP/feed.log" 2>&1 &
FEED=$!
for _ in $(seq 300); do
	grep -q feeding "$T_TMP/feed.log" && break
	kill -0 "$FEED" 2>/dev/null || t_fail "mjpegfeed: $(cat "$T_TMP/feed.log")"
	sleep 0.2
done
grep -q feeding "$T_TMP/feed.log" || t_fail "mjpegfeed did not start in 60 s"
t_log "v4l2loopback fed ${SECONDS}s"

# the checker (tests/vm/mjpegcheck.py) starts now: python and numpy take
# long to start under emulation, meanwhile vigild records
python3 "$VIGIL_ROOT/tests/vm/mjpegcheck.py" "$J/ref-a.raw" "$J/ref-b.raw" "$W" "$H" \
	"$T_TMP/go" "$J" "$T_TMP/live.mjpeg" >"$T_TMP/check.log" 2>&1 &
CHK=$!

dir=$T_TMP/clips
mkdir -p "$dir"
# the guest's loopback interface starts down
ip link set lo up 2>/dev/null || busybox ip link set lo up || t_fail "cannot bring lo up"
URL=http://127.0.0.1:18065
"$VIGILD" --source "v4l2:$DEV" --policy video-only --stats --events "$T_TMP/events.jsonl" \
	--set "record.dir=$dir" --set record.preroll_s=3 --set record.postroll_s=3 \
	--set "http.listen=127.0.0.1:18065" --set "http.token_file=$T_TMP/token" \
	--set http.mjpeg_fps=5 2>"$T_TMP/err" &
V=$!
for _ in $(seq 100); do
	grep -q "decoded in colour" "$T_TMP/err" && [ -s "$T_TMP/token" ] && break
	kill -0 "$V" 2>/dev/null || break
	sleep 0.2
done
touch "$T_TMP/switch"
grep -q "format MJPG ${W}x$H, 4:2:2 JPEGs: decoded in colour to YUYV" "$T_TMP/err" ||
	{ kill "$V"; cat "$T_TMP/err"; t_fail "vigild did not take the 4:2:2 MJPEG stream as YUYV"; }
t_log "vigild started, subsampling switches ${SECONDS}s"
# /api/live.mjpeg meanwhile: the camera's own JPEGs
curl -s -N --max-time 5 -H "Authorization: Bearer $(cat "$T_TMP/token")" \
	"$URL/api/live.mjpeg" -o "$T_TMP/live.mjpeg" || [ $? = 28 ] || t_fail "curl $URL/api/live.mjpeg"
sleep 3
t_term "$V"
wait "$V" || { cat "$T_TMP/err"; t_fail "vigild failed"; }
t_log "vigild done ${SECONDS}s"
grep "stats: recording" "$T_TMP/err" || t_fail "no recording stats"
grep -q "chroma subsampling changed: converted to the stream's YUYV" "$T_TMP/err" ||
	{ cat "$T_TMP/err"; t_fail "the subsampling change was not seen"; }

n=0
for c in "$dir"/*.vclip; do
	[ -e "$c" ] || break
	"$CLIP" info "$c" | grep -q "format: *YUYV ${W}x$H" ||
		t_fail "$c is not YUYV: $("$CLIP" info "$c" | grep format)"
	"$CLIP" export -f y4m "$c" "$c.y4m" || t_fail "export $c"
	n=$((n + 1))
done
[ "$n" -ge 1 ] || { cat "$T_TMP/err"; t_fail "no clip recorded"; }
t_log "$n clip(s) exported ${SECONDS}s"
# the list of exported clips starts the check, its result is the checker's
ls "$dir"/*.y4m >"$T_TMP/go.tmp" && mv "$T_TMP/go.tmp" "$T_TMP/go"
wait "$CHK" || t_fail "$(cat "$T_TMP/check.log")"
CHK=
t_log "$(cat "$T_TMP/check.log")"
t_log "checked ${SECONDS}s"
exit 0
