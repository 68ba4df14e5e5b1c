#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bug 3: a buffer the CPU cannot map (an imported dma-buf that refuses
# vmap: vb2_plane_vaddr() is NULL) is never written through and never
# delivered as a frame: it comes back with V4L2_BUF_FLAG_ERROR, and every
# frame delivered around it carries the privacy mask. The bridge's debugfs
# knob no_cpu_mapping takes the mapping away from the next N buffers.
. "$VIGIL_ROOT/tests/lib.sh"
V=$(t_vtool)
t_unload
t_load
D=$(t_debugfs "$T_DEV")
[ -f "$D/no_cpu_mapping" ] || t_fail "no debugfs no_cpu_mapping"
"$V" mask "$T_DEV" 40,30,64,48 || t_fail "set privacy mask"
N=3
echo $N >"$D/no_cpu_mapping"
VTOOL_ERRORS=1 VTOOL_SEQ=1 "$V" capture "$T_DEV" GREY 320x240 30 10 "$T_TMP/cap" 4 \
	2>"$T_TMP/seq" >"$T_TMP/out" || { cat "$T_TMP/out" "$T_TMP/seq"; t_fail "capture"; }
cat "$T_TMP/out"
grep -q " errors=$N\$" "$T_TMP/out" || t_fail "expected $N error buffers: $(cat "$T_TMP/out")"
grep -q '^frames=10 ' "$T_TMP/out" || t_fail "expected 10 frames: $(cat "$T_TMP/out")"
t_eq "no_cpu_mapping left" 0 "$(cat "$D/no_cpu_mapping")"
# error buffers come first (the knob was set before STREAMON), frames after
awk '/^error-seq/ { if (f) bad = 1; e++ } /^seq/ { f++ } END { exit bad || e != '$N' }' "$T_TMP/seq" ||
	t_fail "error buffers not where they were injected: $(tr '\n' ' ' <"$T_TMP/seq")"
# every delivered frame is masked: the rectangle is Y=16, the scene is not
python3 - "$T_TMP/cap" <<'PY' || t_fail "a delivered frame is not masked"
import sys
W, H = 320, 240
data = open(sys.argv[1], 'rb').read()
assert len(data) == 10 * W * H, len(data)
for i in range(10):
    f = data[i * W * H:(i + 1) * W * H]
    inside = [f[y * W + x] for y in range(30, 78) for x in range(40, 104)]
    assert all(v == 16 for v in inside), "frame %d: mask not drawn" % i
    assert any(v != 16 for v in f[W * 100:]), "frame %d: all black" % i
PY
t_unload || t_fail "unload"
exit 0
