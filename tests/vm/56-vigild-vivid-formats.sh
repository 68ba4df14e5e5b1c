#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild on a camera that is not vigil.ko: the kernel's vivid, its test
# pattern still while vigild learns the scene, then moving
# (horizontal_movement). format = auto chooses GREY, the
# detector's best, and logs it; then every format vivid offers that vigild
# reads gives motion events on the same moving pattern, single-planar; then
# multiplanar (vivid multiplanar=2, as ISP and CSI receivers deliver):
# auto, packed YUYV, and the separate-plane layouts NV12M (NM12), NV21M
# (NM21), YM12, YM21.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
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
	"$VIGILD" --source "v4l2:$dev" --size 320x240 --fps 15 --policy video-only \
		--events "$T_TMP/$name.jsonl" --stats "$@" 2>"$T_TMP/$name.err" &
	local pid=$!
	sleep 4
	v4l2-ctl -d "$dev" -c horizontal_movement=6 || t_fail "cannot make vivid's pattern move"
	sleep 4
	kill -TERM $pid
	wait $pid
	rc=$?
	cat "$T_TMP/$name.err"
	[ "$rc" = 0 ] || t_fail "$name: vigild exited $rc"
	grep -q '"event":"start","id"' "$T_TMP/$name.jsonl" || t_fail "$name: no motion event on the moving pattern"
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
	t_log "multiplanar $f: $(grep -c '"event":"start","id"' "$T_TMP/mp-$f.jsonl") event(s)"
	n=$((n + 1))
done
[ $n -ge 5 ] || t_fail "only $n multiplanar formats tested"
exit 0
