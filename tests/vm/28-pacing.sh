#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hrtimer pacing: 300 frames of 640x480 YUYV at 30 fps with buffers always
# queued come with 0 sequence gaps and 0 dropped frames, in about 10 s.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
V=$(t_vtool)
t_load
start=$(date +%s%N)
out=$("$V" capture "$T_DEV" YUYV 640x480 30 300 /dev/null 8) || t_fail "capture"
ms=$((($(date +%s%N) - start) / 1000000))
t_log "$out in $ms ms; $(tr '\n' ' ' <"$(t_debugfs "$T_DEV")/stats")"
echo "$out" | grep -q '^frames=300 gaps=0 first=0 last=299 dropped=0$' || t_fail "gaps or drops"
# 300 periods of 33.3 ms: not faster than real time
[ "$ms" -ge 9900 ] || t_fail "300 frames in $ms ms: not paced at 30 fps"
t_unload || t_fail "rmmod vigil"
exit 0
