#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The person check (issue #16) on a labelled crop set built at test time
# from OpenCV's sample videos and synthesised shapes (tests/person/crops.py):
# libvigil's detections equal OpenCV's own (python3-opencv) on every crop,
# and recall / false-positive rates per class are within the README's
# bounds. libvigil built without OpenCV is a FAIL here: scripts/deps
# installs libopencv-dev.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${VIGIL_BUILD:-$ROOT/build/userspace}
make -s -C "$ROOT/userspace" "$BIN/tools/vigil-person" "$BIN/libvigil-person-hog.so" >/dev/null
FOOTAGE=$("$ROOT/scripts/footage")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
/usr/bin/python3 "$ROOT/tests/person/crops.py" "$FOOTAGE" "$BIN/tools/vigil-person" "$OUT"
