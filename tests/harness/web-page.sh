#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The owner's page (issue #14) in Debian's headless Chromium, driven by
# puppeteer-core (tests/web/package-lock.json, `npm ci` into build/web-test,
# npm's cache under ~/.cache/vigil), against a real vigild on loopback: the
# replay source looping a person scene, the recorder sealing clips to an
# owner key, [http] web_dir = the repository's web/, and the device's wall
# clock an hour ahead (faketime; its monotonic clock untouched).
# tests/web/page.mjs says what is checked; screenshots go to
# build/test/web/ for a person to look at.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
make -s -C "$ROOT/userspace" "$BIN/vigild" "$BIN/tools/vigil-clip" \
	"$BIN/tools/vigil-scene" >/dev/null
for c in chromium node npm; do
	command -v "$c" >/dev/null || { echo "web-page: $c is missing (scripts/deps installs it)" >&2; exit 1; }
done

NODE_MODULES=$("$ROOT/tests/web/npm-ci.sh")
# the page's pure parts, in Node
node "$ROOT/tests/web/app-units.mjs"

T=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# 4 s looped: a person walks through in each pass (an event every pass)
cat >"$T/scene.ini" <<'INI'
[scene]
frames = 60
seed = 3
noise = 3
[item p]
kind = person
start = 20
end = 45
from_x = -10
to_x = 300
y = 70
w = 36
h = 110
contrast = -45
warm = yes
alarm = yes
INI
"$BIN/tools/vigil-scene" "$T/scene.ini" -o "$T/in.y4m" -p "$T/pir.txt" >/dev/null
"$BIN/tools/vigil-clip" keygen -o "$T/owner" >/dev/null
mkdir -p "$T/clips"
# a 4:2:0 clip beside the recorder's grey ones: the page's NV12 path
ffmpeg -v error -f lavfi -i testsrc2=size=160x120:rate=15 -frames:v 8 -pix_fmt yuv420p "$T/colour.y4m"
"$BIN/tools/vigil-clip" encode -p "$T/owner.pub" "$T/colour.y4m" \
	"$T/clips/20200101T000000Z-0001.vclip" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OFFSET_S=3600
# libfaketime preloaded into vigild itself (the faketime wrapper would
# stand between vigild and its signals)
FAKETIME_LIB=$(dpkg -L libfaketime | grep '/libfaketime\.so\.1$' | head -n 1)
[ -n "$FAKETIME_LIB" ] || { echo "web-page: libfaketime.so.1 not found" >&2; exit 1; }
LD_PRELOAD=$FAKETIME_LIB FAKETIME="+${OFFSET_S}s" FAKETIME_DONT_FAKE_MONOTONIC=1 "$BIN/vigild" \
	--source "replay:$T/in.y4m" --pir-events "$T/pir.txt" --loop \
	--events "$T/events.jsonl" \
	--set "http.listen=127.0.0.1:$port" --set "http.token_file=$T/token" \
	--set "http.web_dir=$ROOT/web" --set "record.dir=$T/clips" \
	--set "record.owner_key=$T/owner.pub" --set record.max_clip_s=3 \
	--set record.postroll_s=1 2>"$T/vigild.err" &
pid=$!
for _ in $(seq 100); do
	[ -s "$T/token" ] && break
	sleep 0.1
done

rc=0
VIGIL_CHROMIUM=$(command -v chromium) VIGIL_URL=http://127.0.0.1:$port VIGIL_TOKEN=$(cat "$T/token") VIGIL_KEY=$T/owner.key \
	VIGIL_CLIPS=$T/clips VIGIL_CLIP_TOOL=$BIN/tools/vigil-clip VIGIL_OFFSET_S=$OFFSET_S \
	VIGIL_SHOTS=$ROOT/build/test/web VIGIL_NODE_MODULES=$NODE_MODULES VIGIL_TMP=$T \
	node "$ROOT/tests/web/page.mjs" || rc=1
kill "$pid"
wait "$pid" || { echo "web-page: vigild exited with $?" >&2; rc=1; }
pid=
if [ $rc != 0 ]; then
	echo "web-page: vigild's stderr:" >&2
	tail -n 30 "$T/vigild.err" >&2
fi
exit $rc
