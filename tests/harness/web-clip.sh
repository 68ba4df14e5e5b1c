#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The browser's clip decoder (web/clip/, issue #14) in Node, through the
# same modules the page's worker uses, against vigil-clip (tests/web/node):
#  - clips made with `vigil-clip encode` from ffmpeg-made Y4M: GREY and
#    4:2:0 (odd size), lossless and -n 2, plain and sealed, and planes
#    one pixel wide or high (the loop's edges): every frame
#    byte-exact with `vigil-clip export -f y4m`, in order and at random, and
#    the worker's Y4M export byte-identical (decode.mjs);
#  - a sealed clip recorded by a real vigild on the replay source, and a
#    .part clip it was still writing when killed (SIGKILL): the same;
#  - every pixel format a camera may deliver (GREY, NV12, I420, YUYV, NV21,
#    YV12, UYVY), written by libvigil's encoder and clip writer (mkclip.c):
#    planes, detection summaries, events and Y4M against the source
#    (formats.mjs);
#  - wrong key -> code 'key'; one flipped byte at many random positions ->
#    an error or fewer frames, never a frame that differs; cut clips; clip
#    format version 2's AUDI chunks skipped (errors.mjs);
#  - XXH3-64 against libxxhash for every length path (xxh3.mjs);
#  - the vendored libraries are the files web/vendor/README.md lists.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
make -s -C "$ROOT/userspace" BUILD="$BIN" "$BIN/vigild" "$BIN/tools/vigil-clip" \
	"$BIN/tools/vigil-scene" "$BIN/libvigil.a" >/dev/null
VC=$BIN/tools/vigil-clip
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "web-clip: FAIL: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed (scripts/deps installs nodejs)"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 18 ] || fail "node $NODE_MAJOR is too old (18 or newer)"

# the vendored files are the ones web/vendor/README.md lists (offline check;
# scripts/web-vendor --check compares them with the npm packages themselves)
(cd "$ROOT/web/vendor" && sed -n '/^```sha256$/,/^```$/{/^```/d;p}' README.md >"$T/vendor.sha256" &&
	[ "$(wc -l <"$T/vendor.sha256")" -ge 6 ] && sha256sum -c --quiet "$T/vendor.sha256") ||
	fail "web/vendor/ files differ from the checksums in web/vendor/README.md"
echo "PASS: web/vendor/ files match web/vendor/README.md's checksums"

cc -O2 -o "$T/xxh3-ref" "$ROOT/tests/web/node/xxh3-ref.c" -lxxhash
"$T/xxh3-ref" >"$T/xxh3-ref.txt"

cc -O2 -Wall -Wextra -I"$ROOT/userspace/include" -o "$T/mkclip" "$ROOT/tests/web/node/mkclip.c" \
	"$BIN/libvigil.a" -lzstd -lsodium -lxxhash -lpthread -lm

cd "$T"
# every pixel format the camera may deliver, through libvigil's writer
FORMATS=
# (codec 1, which older clips use, and codec 2, the writer's default)
for f in GREY:37:1:1 NV12:37:0:1 I420:37:2:1 NV21:37:0:1 YV12:37:1:1 YUYV:38:0:1 UYVY:38:1:1 \
	 GREY:37:1:2 NV12:37:0:2 I420:37:2:2 NV21:37:0:2 YV12:37:1:2 YUYV:38:0:2 UYVY:38:1:2; do
	IFS=: read -r fmt w near codec <<<"$f"
	m=m-$fmt-c$codec
	ev=$(./mkclip "$fmt" "$w" 23 11 "$near" 4 "$m.clip" "$m.planar" "$codec") ||
		fail "mkclip $fmt codec $codec"
	[ "$(od -An -tu4 -j40 -N4 "$m.clip" | tr -d ' ')" = "$codec" ] ||
		fail "$m.clip: HEAD codec is not $codec"
	"$VC" export "$m.clip" "$m.ref.y4m"
	FORMATS+="${FORMATS:+,}
 {\"fmt\": \"$fmt\", \"w\": $w, \"h\": 23, \"frames\": 11, \"near\": $near,
  \"codec\": $codec, \"clip\": \"$m.clip\", \"planar\": \"$m.planar\", \"ref\": \"$m.ref.y4m\",
  \"event\": $ev}"
done
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 30 -pix_fmt gray \
	-f yuv4mpegpipe grey.y4m
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 30 -vf scale=161:121 \
	-pix_fmt yuv420p -strict -1 -f yuv4mpegpipe i420.y4m
# the edges of the prediction loop: one-pixel-wide planes and rows
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 12 -vf scale=1:9 \
	-pix_fmt gray -f yuv4mpegpipe tiny-grey.y4m
ffmpeg -v error -y -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 12 -vf scale=3:2 \
	-pix_fmt yuv420p -strict -1 -f yuv4mpegpipe tiny-i420.y4m
"$VC" keygen -o owner >/dev/null
"$VC" encode -k 5 tiny-grey.y4m tiny-grey.clip >/dev/null
"$VC" encode -n 1 -k 5 tiny-i420.y4m tiny-i420.clip >/dev/null
"$VC" encode -k 7 grey.y4m grey-k7.clip >/dev/null
"$VC" encode -p owner.pub grey.y4m grey-sealed.clip >/dev/null
"$VC" encode -k 4 i420.y4m i420.clip >/dev/null
"$VC" encode -n 2 -k 7 -p owner.pub i420.y4m i420-n2-sealed.clip >/dev/null
for c in grey-k7 i420 tiny-grey tiny-i420; do "$VC" export "$c.clip" "$c.ref.y4m"; done
for c in grey-sealed i420-n2-sealed; do "$VC" export -K owner.key "$c.clip" "$c.ref.y4m"; done

# A real vigild recording on the replay source (the scene test-record uses).
cat >scene.ini <<'INI'
[scene]
width = 320
height = 240
fps = 15
frames = 60
seed = 3
noise = 2
[item p]
kind = person
start = 20
end = 45
from_x = -10
to_x = 300
y = 70
w = 60
h = 150
contrast = -45
warm = yes
alarm = yes
INI
"$BIN/tools/vigil-scene" scene.ini -o scene.y4m >/dev/null
REC=(--source replay:scene.y4m --fast --policy video-only --events /dev/null
	--set record.owner_key="$T/owner.pub" --set record.preroll_s=1 --set record.keyint=5
	--set record.postroll_s=0.5)
mkdir rec
"$BIN/vigild" "${REC[@]}" --set record.dir="$T/rec" 2>vigild.err ||
	fail "vigild: $(cat vigild.err)"
CLOSED=$(find rec -name '*.vclip' | head -n 1)
[ -n "$CLOSED" ] || fail "vigild recorded no clip: $(ls rec) $(tail -n 5 vigild.err)"
cp "$CLOSED" vigild.clip
"$VC" export -K owner.key vigild.clip vigild.ref.y4m
EVENTS=$("$VC" info -K owner.key vigild.clip | sed -n 's/^frames: .* \([0-9]*\) events$/\1/p')

# ... and a clip it is still writing: SIGKILL mid-recording leaves a .part
PART=
for ms in 300 500 700 900 1100 1300; do
	rm -rf part && mkdir part
	"$BIN/vigild" "${REC[@]}" --loop --set record.dir="$T/part" --set record.sync_frames=4 \
		2>/dev/null &
	pid=$!
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill -KILL $pid
	wait $pid 2>/dev/null || true
	for p in part/*.vclip.part; do
		[ -f "$p" ] || continue
		if "$VC" info -K owner.key "$p" | grep -q '^frames: *[1-9]'; then
			PART=$p
			break 2
		fi
	done
done
[ -n "$PART" ] || fail "no .part clip with frames after 6 SIGKILLed recordings"
cp "$PART" vigild-part.clip
"$VC" export -K owner.key vigild-part.clip vigild-part.ref.y4m

cat >manifest.json <<JSON
{"vigilClip": "$VC",
"clips": [
 {"name": "grey-k7", "clip": "grey-k7.clip", "key": null, "ref": "grey-k7.ref.y4m",
  "source": "grey.y4m", "near": 0, "complete": true, "events": 0},
 {"name": "grey-sealed", "clip": "grey-sealed.clip", "key": "owner.key",
  "ref": "grey-sealed.ref.y4m", "source": "grey.y4m", "near": 0, "complete": true},
 {"name": "i420", "clip": "i420.clip", "key": null, "ref": "i420.ref.y4m",
  "source": "i420.y4m", "near": 0, "complete": true},
 {"name": "i420-n2-sealed", "clip": "i420-n2-sealed.clip", "key": "owner.key",
  "ref": "i420-n2-sealed.ref.y4m", "source": "i420.y4m", "near": 2, "complete": true},
 {"name": "tiny-grey", "clip": "tiny-grey.clip", "key": null, "ref": "tiny-grey.ref.y4m",
  "source": "tiny-grey.y4m", "near": 0, "complete": true},
 {"name": "tiny-i420", "clip": "tiny-i420.clip", "key": null, "ref": "tiny-i420.ref.y4m",
  "source": "tiny-i420.y4m", "near": 1, "complete": true},
 {"name": "vigild", "clip": "vigild.clip", "key": "owner.key", "ref": "vigild.ref.y4m",
  "complete": true, "events": ${EVENTS:-null}},
 {"name": "vigild-part", "clip": "vigild-part.clip", "key": "owner.key",
  "ref": "vigild-part.ref.y4m", "complete": false}
],
"formats": [$FORMATS
]}
JSON

rc=0
for t in xxh3 decode formats errors; do
	echo "== tests/web/node/$t.mjs"
	node "$ROOT/tests/web/node/$t.mjs" "$T" || rc=1
done
exit $rc
