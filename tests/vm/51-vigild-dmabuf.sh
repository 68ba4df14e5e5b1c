#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild captures from vigil.ko into DMABUF buffers it allocated from vgem
# through libdrm (dumb buffer -> PRIME fd) and imported into the capture
# queue: frames flow, the CPU reads them through dma-buf mappings, SIGTERM
# stops cleanly and both modules unload.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
modprobe vgem 2>/dev/null || t_skip "no vgem module in this kernel"
card=$(t_vgem_card) || t_fail "vgem loaded but no card node"
t_load
t_log "device $T_DEV, DRM $card"

"$VIGILD" --source "v4l2:$T_DEV" --io dmabuf --drm-device "$card" \
	--size 640x480 --format GREY --fps 30 --policy video-only --stats \
	--events "$T_TMP/events.jsonl" 2>"$T_TMP/err" &
pid=$!
sleep 2
kill -0 $pid 2>/dev/null || { cat "$T_TMP/err"; t_fail "vigild exited early"; }
# the CPU reads the frames through the dma-buf mappings, not the video node
bufs=$(grep -c 'dmabuf' /proc/$pid/maps || true)
node=$(grep -c " $T_DEV\$" /proc/$pid/maps || true)
t_log "dma-buf mappings: $bufs, video node mappings: $node"
[ "$bufs" -ge 2 ] || t_fail "expected dma-buf mappings, got $bufs"
[ "$node" -eq 0 ] || t_fail "MMAP buffers mapped in DMABUF mode"
sleep 1
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/err"
t_eq "vigild exit status after SIGTERM" 0 "$rc"
frames=$(sed -n 's/.*stats: frames \([0-9]*\).*/\1/p' "$T_TMP/err")
[ -n "$frames" ] && [ "$frames" -ge 45 ] || t_fail "only ${frames:-no} frames in 3 s at 30 fps"
t_unload || t_fail "rmmod vigil after vigild"
rmmod vgem || t_fail "rmmod vgem: dumb buffers leaked?"
exit 0
