#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild records in colour from vigil.ko: a colour clip (a textured
# gradient with a box crossing it, so the detector raises an alarm) is
# loaded into the sensor's replay as NV12; vigild captures NV12 (MMAP;
# DMABUF takes the same single-plane view, see 51-vigild-dmabuf) and
# records the alarm. The clip says NV12, verifies, and every frame of it,
# exported as Y4M, is a frame of the source byte for byte, chroma included
# (the replay delivers source frame seq % n, as 22-replay-ffmpeg checks
# against ffmpeg's capture), and its chroma is not flat.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
CLIP=$T_BIN/tools/vigil-clip
[ -x "$VIGILD" ] && [ -x "$CLIP" ] || t_skip "vigild not built (make -C userspace)"
command -v python3 >/dev/null || t_fail "python3 missing (scripts/deps installs it)"
command -v v4l2-ctl >/dev/null || t_fail "v4l2-ctl missing (scripts/deps installs it)"
t_log "start ${SECONDS}s"
t_unload
t_load
D=$(t_sensor_debugfs "$T_DEV")
S=$(t_subdev "$T_DEV")

# 30 frames of NV12 made in python (ffmpeg's start-up alone takes half a
# minute under TCG): a textured gradient with a dark box crossing it, the
# box's chroma its own, elsewhere Cb growing left to right and Cr top to
# bottom, shifted a little each frame
raw=$T_TMP/clip-NV12.raw
python3 - "$raw" <<'EOF' || t_fail "make the NV12 source"
import sys
w, h, n, bw, bh = 320, 240, 30, 60, 120
cw, ch = w // 2, h // 2
bg = [bytes((40 + x * 160 // w + y // 4 + (x * 7 + y * 13) % 11) & 255 for x in range(w))
      for y in range(h)]
# interleaved CbCr rows, for each shift 0..3
crow = [[bytes(v for cx in range(cw) for v in (16 + cx * 224 // (cw - 1) + k,
                                               16 + cy * 224 // (ch - 1) + k))
         for k in range(4)] for cy in range(ch)]
with open(sys.argv[1], 'wb') as out:
    out.write(b'VIGIL-RAW NV12 %d %d\n' % (w, h))
    for i in range(n):
        bx = (i * 16) % (w + bw) - bw
        x0, x1 = max(bx, 0), min(bx + bw, w)
        frame = bytearray()
        for y in range(h):
            row = bytearray(bg[y])
            if 60 <= y < 60 + bh and x0 < x1:
                row[x0:x1] = bytes([20]) * (x1 - x0)
            frame += row
        for cy in range(ch):
            row = bytearray(crow[cy][i % 4])
            if 30 <= cy < 30 + bh // 2 and x0 < x1:
                row[x0 // 2 * 2:x1 // 2 * 2] = bytes((200, 60)) * (x1 // 2 - x0 // 2)
            frame += row
        out.write(frame)
EOF
cat "$raw" >"$D/replay" || t_fail "load $raw"
grep -q "NV12 320x240 30 frames" "$D/replay" || t_fail "replay not loaded: $(cat "$D/replay")"
v4l2-ctl -d "$S" -c test_pattern=1 || t_fail "select replay source"
t_log "replay loaded ${SECONDS}s"

# record(IO, extra args...): vigild for 8 s, then check its clips
record() {
	local io=$1 dir=$T_TMP/clips-$1 n
	shift
	mkdir -p "$dir"
	timeout --preserve-status -s TERM 8 "$VIGILD" --source "v4l2:$T_DEV" --io "$io" "$@" \
		--size 320x240 --format NV12 --fps 15 --policy video-only --stats \
		--events "$T_TMP/events-$io.jsonl" --set "record.dir=$dir" \
		--set record.preroll_s=1 --set record.postroll_s=1 2>"$T_TMP/err-$io" ||
		{ cat "$T_TMP/err-$io"; t_fail "$io: vigild failed"; }
	t_log "$io: vigild done ${SECONDS}s"
	grep "stats: recording" "$T_TMP/err-$io" || t_fail "$io: no recording stats"
	grep -q "format NV12 320x240" "$T_TMP/err-$io" || t_fail "$io: not captured as NV12"
	n=0
	for c in "$dir"/*.vclip; do
		[ -e "$c" ] || break
		"$CLIP" verify "$c" >/dev/null || t_fail "$io: $c does not verify"
		"$CLIP" info "$c" | grep -q "format: *NV12 320x240" ||
			t_fail "$io: $c is not NV12: $("$CLIP" info "$c" | grep format)"
		"$CLIP" export -f y4m "$c" "$c.y4m" || t_fail "$io: export $c"
		r=$(python3 - "$raw" "$c.y4m" <<'EOF'
import sys
raw = open(sys.argv[1], 'rb').read()
nl = raw.index(b'\n')
_, fcc, w, h = raw[:nl].decode().split()
w, h = int(w), int(h)
luma, size = w * h, w * h * 3 // 2
body = raw[nl + 1:]
src = []
for i in range(len(body) // size):
    f = body[i * size:(i + 1) * size]
    # NV12 -> I420, as vigil-clip export writes 4:2:0
    src.append(f[:luma] + f[luma::2] + f[luma + 1::2])
y4m = open(sys.argv[2], 'rb').read()
nl = y4m.index(b'\n')
if b' C420jpeg' not in y4m[:nl]:
    print('not a 4:2:0 Y4M: %r' % y4m[:nl]); sys.exit(1)
frames = y4m[nl + 1:].split(b'FRAME\n')[1:]
if not frames or any(len(f) != size for f in frames):
    print('bad frames in the export'); sys.exit(1)
last = None
for i, f in enumerate(frames):
    if f not in src:
        print('frame %d of the clip is no source frame' % i); sys.exit(1)
    k = src.index(f)
    if last is not None and k == last:
        print('frame %d repeats source frame %d' % (i, k)); sys.exit(1)
    last = k
cb = frames[0][luma:luma + luma // 4]
if max(cb) - min(cb) < 64:
    print('flat chroma: Cb %d..%d' % (min(cb), max(cb))); sys.exit(1)
print('%d frames, each a source frame byte for byte, Cb %d..%d' %
      (len(frames), min(cb), max(cb)))
EOF
) || t_fail "$io: $c: $r"
		t_log "$io: $(basename "$c"): $r"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || { cat "$T_TMP/err-$io"; t_fail "$io: no clip recorded"; }
}

record mmap
t_log "checked ${SECONDS}s"
v4l2-ctl -d "$S" -c test_pattern=0
t_unload || t_fail "rmmod vigil after vigild"
exit 0
