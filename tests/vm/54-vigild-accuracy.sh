#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The labelled accuracy suite through the real driver: each scenario of
# tests/scenarios is translated for vigil.ko's scene generator
# (vigil-scene --kernel), played by the virtual sensor with its PIR model,
# watched live by vigild (--trace records every frame's detection and every
# PIR event), then scored for the three policies by vigil-score, which
# asserts the pir-and-video targets. Scenarios without a kernel equivalent
# (rain) are left out and named.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
SCENE=$T_BIN/tools/vigil-scene
SCORE=$T_BIN/tools/vigil-score
for b in "$VIGILD" "$SCENE" "$SCORE"; do
	[ -x "$b" ] || t_skip "$b not built (make -C userspace)"
done
t_load
dbg=$(t_sensor_debugfs "$T_DEV")
[ -w "$dbg/scenario" ] || t_skip "no scenario file in $dbg"
t_log "device $T_DEV, debugfs $dbg"

pairs=()
for ini in "$VIGIL_ROOT"/tests/scenarios/*.ini; do
	name=$(basename "${ini%.ini}")
	rc=0
	"$SCENE" "$ini" --kernel >"$T_TMP/$name.scn" 2>"$T_TMP/$name.err" || rc=$?
	if [ "$rc" = 3 ]; then
		t_log "$name: left out ($(cat "$T_TMP/$name.err"))"
		continue
	fi
	[ "$rc" = 0 ] || t_fail "vigil-scene $name: $(cat "$T_TMP/$name.err")"
	# "scene NAME frames F fps P"
	line=$("$SCENE" "$ini" --truth | head -n 1)
	frames=$(echo "$line" | cut -d" " -f4) fps=$(echo "$line" | cut -d" " -f6)
	cat "$T_TMP/$name.scn" >"$dbg/scenario" || t_fail "$name: scenario rejected ($(dmesg | tail -n 2))"
	secs=$(( (frames + fps - 1) / fps + 1 ))
	timeout --preserve-status -s TERM "$secs" "$VIGILD" --source "v4l2:$T_DEV" \
		--size 320x240 --format GREY --fps "$fps" --policy pir-and-video \
		--trace "$T_TMP/$name.trace" --events "$T_TMP/$name.events" \
		2>"$T_TMP/$name.vigild" || { cat "$T_TMP/$name.vigild"; t_fail "$name: vigild failed"; }
	t_log "$name: $(grep -c '^{"frame"' "$T_TMP/$name.trace") frames, $(grep -c '^{"pir"' "$T_TMP/$name.trace") PIR edges, $(grep -c '"start"' "$T_TMP/$name.events") alarms"
	pairs+=("$ini" "$T_TMP/$name.trace")
done
[ ${#pairs[@]} -ge 16 ] || t_fail "fewer than 8 scenarios ran"
"$SCORE" --assert "${pairs[@]}" | tee "$VIGIL_OUT/accuracy-vm.txt"
rc=${PIPESTATUS[0]}
t_unload
[ "$rc" = 0 ] || t_fail "pir-and-video misses its targets through the driver"
exit 0
