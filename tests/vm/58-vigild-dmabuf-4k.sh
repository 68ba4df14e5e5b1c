#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild imports DMABUF buffers for a 4K YUYV stream (7680-byte lines) from
# the kernel's vivid, allocated as vgem dumb buffers: the buffers are shaped
# in rows any DRM driver accepts (not one 8-bit pixel per byte of a line),
# frames flow, every CPU read is bracketed by SYNC_START/SYNC_END, SIGTERM
# stops cleanly and both modules unload.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
modprobe vgem 2>/dev/null || t_skip "no vgem module in this kernel"
modprobe vivid n_devs=1 node_types=0x1 || t_fail "modprobe vivid"
trap 'rmmod vivid vgem 2>/dev/null' EXIT
card=$(t_vgem_card) || t_fail "vgem loaded but no card node"
dev=$(t_vivid_cap) || t_fail "no vivid video node"
for _ in $(seq 20); do [ -c "$card" ] && [ -c "$dev" ] && break; sleep 0.1; done
t_log "device $dev (vivid webcam), DRM $card"

# run_vigild SECONDS: one capture run; sets frames and ioctls (the total).
# 2 fps: 4K frames under TCG come slowly.
run_vigild() {
	"$VIGILD" --source "v4l2:$dev" --io dmabuf --drm-device "$card" \
		--size 3840x2160 --format YUYV --fps 2 --policy video-only --stats \
		--set source.buffers=3 --events "$T_TMP/events.jsonl" 2>"$T_TMP/err" &
	pid=$!
	# wait for the stream, then a while more
	for _ in $(seq 40); do
		kill -0 $pid 2>/dev/null || break
		n=$(grep -c dmabuf /proc/$pid/maps 2>/dev/null || true)
		[ "${n:-0}" -ge 3 ] && break
		sleep 0.25
	done
	kill -0 $pid 2>/dev/null || { cat "$T_TMP/err"; t_fail "vigild exited early"; }
	bufs=$(grep -c 'dmabuf' /proc/$pid/maps || true)
	t_log "dma-buf mappings: $bufs"
	[ "$bufs" -ge 3 ] || t_fail "expected 3 dma-buf mappings, got $bufs"
	sleep "$1"
	t_term $pid
	wait $pid
	rc=$?
	cat "$T_TMP/err"
	t_eq "vigild exit status after SIGTERM" 0 "$rc"
	frames=$(sed -n 's/.*stats: frames \([0-9]*\).*/\1/p' "$T_TMP/err")
	[ -n "$frames" ] && [ "$frames" -ge 2 ] || t_fail "only ${frames:-no} 4K frames"
	per=$(sed -n 's/.*v4l2_ioctls_per_frame \([0-9.]*\).*/\1/p' "$T_TMP/err")
	ioctls=$(awk -v p="$per" -v f="$frames" 'BEGIN { printf "%d", p * f + 0.5 }')
}
# Set-up (the format enumeration: vivid offers dozens) costs the same in
# both runs, so the difference between a short and a long run is the
# steady state: per frame DQBUF, SYNC_START, SYNC_END, QBUF, and the DQBUF
# finding the queue empty.
run_vigild 2
f1=$frames i1=$ioctls
run_vigild 8
f2=$frames i2=$ioctls
t_log "4K YUYV: $f1 frames in $i1 ioctls, then $f2 frames in $i2 ioctls"
[ "$f2" -ge $((f1 + 4)) ] || t_fail "the longer run got $f2 frames, the shorter $f1"
awk -v a="$i1" -v b="$i2" -v f="$f1" -v g="$f2" 'BEGIN { exit !((b - a) <= 5 * (g - f)) }' ||
	t_fail "$((i2 - i1)) ioctls for $((f2 - f1)) more frames, expected 5 each"
# vigild set the format it was asked for (it stays on the device)
if command -v v4l2-ctl >/dev/null; then
	fmt=$(v4l2-ctl -d "$dev" --get-fmt-video)
	echo "$fmt" | grep -q "Width/Height *: 3840/2160" || { echo "$fmt"; t_fail "not 3840x2160"; }
	echo "$fmt" | grep -q "'YUYV'" || { echo "$fmt"; t_fail "not YUYV"; }
fi
rmmod vivid || t_fail "rmmod vivid"
rmmod vgem || t_fail "rmmod vgem: dumb buffers leaked?"
trap - EXIT
exit 0
