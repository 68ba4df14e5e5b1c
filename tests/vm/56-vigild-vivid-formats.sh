#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild on a camera that is not vigil.ko: the kernel's vivid, its test
# pattern still while vigild learns the scene, then moving
# (horizontal_movement). format = auto chooses GREY, the
# detector's best, and logs it; then every format vivid offers that vigild
# reads gives motion events on the same moving pattern, single-planar; then
# multiplanar (vivid multiplanar=2, as ISP and CSI receivers deliver):
# auto, packed YUYV, and the separate-plane layouts NV12M (NM12), NV21M
# (NM21), YM12, YM21. Each run records the alarm: the clip is in the
# camera's format (NM12 as NV12, YM21 as YV12, ...); a multiplanar run's
# clip verifies and its first frame's Cb and Cr planes are neither flat
# nor the same (vivid's colour bars).
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
CLIP=$T_BIN/tools/vigil-clip
[ -x "$VIGILD" ] && [ -x "$CLIP" ] || t_skip "vigild not built (make -C userspace)"
command -v v4l2-ctl >/dev/null || t_skip "v4l2-ctl (v4l-utils) not installed"
modprobe vivid n_devs=1 node_types=0x1 || t_fail "modprobe vivid"
trap 'rmmod vivid 2>/dev/null' EXIT
dev=$(t_vivid_cap) || t_fail "no vivid capture node"
t_log "vivid capture node $dev"

# run_vigild NAME ARGS...: video-only detection, events in NAME.jsonl: 4 s
# on the still pattern (warm-up), then 4 s with the pattern moving
run_vigild() {
	local name=$1 rc
	shift
	v4l2-ctl -d "$dev" -c horizontal_movement=3 || t_fail "cannot stop vivid's pattern"
	mkdir -p "$T_TMP/clips-$name"
	"$VIGILD" --source "v4l2:$dev" --size 320x240 --fps 15 --policy video-only \
		--events "$T_TMP/$name.jsonl" --stats --set "record.dir=$T_TMP/clips-$name" \
		--set record.preroll_s=1 "$@" 2>"$T_TMP/$name.err" &
	local pid=$!
	sleep 4
	v4l2-ctl -d "$dev" -c horizontal_movement=6 || t_fail "cannot make vivid's pattern move"
	sleep 4
	t_term $pid
	wait $pid
	rc=$?
	cat "$T_TMP/$name.err"
	[ "$rc" = 0 ] || t_fail "$name: vigild exited $rc"
	grep -q '"event":"start","id"' "$T_TMP/$name.jsonl" || t_fail "$name: no motion event on the moving pattern"
}

# clipfmt FOURCC: the clip's pixel format for a V4L2 format
clipfmt() {
	case $1 in
	NM12) echo NV12 ;; NM21) echo NV21 ;; YU12 | YM12) echo I420 ;; YM21) echo YV12 ;;
	*) echo "$1" ;;
	esac
}

# check_clip NAME FORMAT [chroma]: NAME's alarm clip is in FORMAT; with
# "chroma", it verifies and its first frame's Cb and Cr are not flat and
# differ
check_clip() {
	local c r
	c=$(ls "$T_TMP/clips-$1"/*.vclip 2>/dev/null | head -n 1)
	[ -n "$c" ] || t_fail "$1: no clip recorded"
	"$CLIP" info "$c" | grep -q "format: *$2 " ||
		t_fail "$1: clip format $("$CLIP" info "$c" | grep format), expected $2"
	[ "${3:-}" = chroma ] || return 0
	"$CLIP" verify "$c" >/dev/null || t_fail "$1: $c does not verify"
	# python reads the first frame alone: export then stops on EPIPE
	r=$({ "$CLIP" export -f y4m "$c" - 2>/dev/null || true; } | python3 -c '
import sys
f = sys.stdin.buffer
hdr = f.readline().split()
w, h = int(hdr[1][1:]), int(hdr[2][1:])
c = [x for x in hdr if x.startswith(b"C")][0]
if f.readline() != b"FRAME\n":
    print("no frame"); sys.exit(1)
luma = w * h
nc = luma // 4 if c.startswith(b"C420") else luma // 2
d = f.read(luma + 2 * nc)
cb, cr = d[luma:luma + nc], d[luma + nc:]
print("Cb %d..%d, Cr %d..%d" % (min(cb), max(cb), min(cr), max(cr)))
sys.exit(max(cb) - min(cb) < 64 or max(cr) - min(cr) < 64 or cb == cr)') ||
		t_fail "$1: chroma of the clip: $r"
	t_log "$1: clip $2, $r"
}

run_vigild auto
grep -q "format GREY [0-9]*x[0-9]*,.*(format = auto)" "$T_TMP/auto.err" || t_fail "format = auto did not choose GREY"

offered=$(v4l2-ctl -d "$dev" --list-formats | sed -n "s/.*\[[0-9]*\]: '\(....\)'.*/\1/p")
t_log "vivid offers: $(echo $offered)"
n=0
for f in GREY NV12 NV21 YU12 YV12 YUYV UYVY; do
	echo "$offered" | grep -qx "$f" || { t_log "$f: not offered by vivid"; continue; }
	run_vigild "fmt-$f" --format "$f"
	grep -q "format $f [0-9]*x[0-9]*," "$T_TMP/fmt-$f.err" || t_fail "$f: not the format used"
	check_clip "fmt-$f" "$(clipfmt "$f")"
	t_log "$f: $(grep -c '"event":"start","id"' "$T_TMP/fmt-$f.jsonl") event(s)"
	n=$((n + 1))
done
[ $n -ge 6 ] || t_fail "only $n of vigild's formats tested"

# a layout the node does not offer: the list of what it offers, status 3
"$VIGILD" --source "v4l2:$dev" --format NM12 --events /dev/null 2>"$T_TMP/nm12.err"
rc=$?
cat "$T_TMP/nm12.err"
t_eq "exit status for a format the device does not offer" 3 "$rc"
grep -q "format NV12 in separate planes is not offered by the device (it offers YUYV, UYVY, .*GREY" \
	"$T_TMP/nm12.err" || t_fail "no list of the offered formats"

# multiplanar: the second instance of vivid
rmmod vivid || t_fail "rmmod vivid"
modprobe vivid n_devs=2 multiplanar=1,2 node_types=0x1,0x1 || t_fail "modprobe vivid multiplanar"
dev=$(t_vivid_cap 2) || t_fail "no second vivid capture node"
v4l2-ctl -d "$dev" -D | grep -q "Video Capture Multiplanar" || t_fail "$dev is not multiplanar"
t_log "multiplanar vivid capture node $dev"
run_vigild mp-auto
grep -q "format GREY [0-9]*x[0-9]*,.*multiplanar (format = auto)" "$T_TMP/mp-auto.err" ||
	t_fail "multiplanar: format = auto did not choose GREY"
offered=$(v4l2-ctl -d "$dev" --list-formats | sed -n "s/.*\[[0-9]*\]: '\(....\)'.*/\1/p")
t_log "multiplanar vivid offers: $(echo $offered)"
n=0
for f in YUYV NM12 NM21 YM12 YM21; do
	echo "$offered" | grep -qx "$f" || { t_log "$f: not offered by vivid"; continue; }
	run_vigild "mp-$f" --format "$f"
	grep -q "format $f [0-9]*x[0-9]*, .*multiplanar" "$T_TMP/mp-$f.err" || t_fail "multiplanar $f: not the format used"
	check_clip "mp-$f" "$(clipfmt "$f")" chroma
	t_log "multiplanar $f: $(grep -c '"event":"start","id"' "$T_TMP/mp-$f.jsonl") event(s)"
	n=$((n + 1))
done
[ $n -ge 5 ] || t_fail "only $n multiplanar formats tested"
exit 0
