#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The PIR through gpio-cdev ([pir] source = gpio, libgpiod):
#  1. vigil.ko's camera, its PIR read as the simulated gpiochip's mirror
#     line found by name on any chip: the built-in scene's warm person gives
#     a pir-and-video alarm carrying the GPIO edge; the same with vigild
#     built against libgpiod 2.x when that build exists (make check-gpiod2);
#  2. vivid as the camera and vigil's simulated gpiochip as the PIR (chip
#     by label, line by offset): camera and PIR from two drivers, as on a
#     real board; a pulse train on the PIR and vivid's moving pattern give
#     an alarm correlated with the train's edges.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"

# check_alarm NAME: an alarm whose PIR correlation is within the window
check_alarm() {
	local ev=$T_TMP/$1.jsonl delta
	cat "$ev"
	grep -q '"event":"start","id"' "$ev" || t_fail "$1: no alarm"
	grep '"event":"start","id"' "$ev" | head -n 1 | grep -q '"pir":{' || t_fail "$1: alarm without PIR"
	delta=$(grep '"event":"start","id"' "$ev" | head -n 1 | sed 's/.*"delta_ms":\(-\{0,1\}[0-9.]*\).*/\1/')
	t_log "$1: PIR edge - video motion = $delta ms"
	awk -v d="$delta" 'BEGIN { exit !(d >= -1500 && d <= 1500) }' || t_fail "$1: delta $delta ms"
}

# 1. vigil.ko camera, PIR line by name through gpio-cdev
for build in userspace userspace-gpiod2; do
	bin=$VIGIL_ROOT/build/$build/vigild
	[ -x "$bin" ] || { t_log "$build: not built, skipped"; continue; }
	# a fresh module: the scene and the PIR model start with the stream
	t_unload
	t_load
	name=vigil-$build
	"$bin" --source "v4l2:$T_DEV" --size 640x360 --format GREY --fps 15 \
		--policy pir-and-video --pir-gpio vigil-pir-mirror \
		--trace "$T_TMP/$name.trace" --events "$T_TMP/$name.jsonl" 2>"$T_TMP/$name.err" &
	pid=$!
	sleep 11
	t_term $pid
	wait $pid
	rc=$?
	cat "$T_TMP/$name.err"
	t_eq "$name: exit status after SIGTERM" 0 "$rc"
	grep -q "PIR: .* line 1 (vigil-pir-mirror)" "$T_TMP/$name.err" || t_fail "$name: PIR line not reported"
	api=$([ $build = userspace-gpiod2 ] && echo 2 || pkg-config --modversion libgpiod | cut -d. -f1)
	grep -q "libgpiod $api API" "$T_TMP/$name.err" || t_fail "$name: not libgpiod $api"
	grep -q '"pir":1' "$T_TMP/$name.trace" || t_fail "$name: no rising PIR edge traced"
	check_alarm "$name"
done

# 2. vivid camera, vigil's gpiochip PIR (by label and offset), a pulse train
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
CHIP=$(basename "$DBG")
t_log "gpiochip $CHIP, PIR mirror line 1"
modprobe vivid n_devs=1 node_types=0x1 || t_fail "modprobe vivid"
trap 'rmmod vivid 2>/dev/null' EXIT
vdev=$(t_vivid_cap) || t_fail "no vivid capture node"
v4l2-ctl -d "$vdev" -c horizontal_movement=6 || t_fail "cannot make vivid's pattern move"
name=vivid-gpio
"$VIGILD" --source "v4l2:$vdev" --size 320x240 --fps 15 --policy pir-and-video \
	--pir-gpio "$CHIP:1" --trace "$T_TMP/$name.trace" \
	--events "$T_TMP/$name.jsonl" 2>"$T_TMP/$name.err" &
pid=$!
sleep 3
echo "12 400000 200000" >"$DBG/train" || t_fail "start train"
sleep 6
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/$name.err"
t_eq "$name: exit status after SIGTERM" 0 "$rc"
grep -q "format GREY [0-9]*x[0-9]*," "$T_TMP/$name.err" || t_fail "$name: no format logged"
edges=$(grep -c '"pir":' "$T_TMP/$name.trace" || true)
t_log "$name: $edges PIR edges traced"
[ "$edges" -ge 20 ] || t_fail "$name: $edges of 24 train edges"
cat "$T_TMP/$name.jsonl"
# vivid's pattern moves all along: the alarm waits for the PIR and starts
# at its first rising edge (fusion clamps an edge read after later frames
# to the latest time seen, so under load the start may lag the edge)
python3 - "$T_TMP/$name.trace" "$T_TMP/$name.jsonl" <<'PY' || t_fail "$name: alarm not tied to the GPIO PIR"
import json, sys
trace = [json.loads(l) for l in open(sys.argv[1])]
rising = [t["ts_ns"] for t in trace if t.get("pir") == 1]
starts = [e for e in map(json.loads, open(sys.argv[2])) if e["event"] == "start" and "kind" not in e]
assert rising and starts, (len(rising), len(starts))
first = starts[0]
assert first["pir"] and first["pir"]["ts_ns"] >= rising[0], (first, rising[0])
lag = (first["start_ns"] - rising[0]) / 1e6
assert -1500 <= lag <= 3000, ("alarm start - first PIR rising edge, ms", lag)
print("alarm %.1f ms after the first PIR edge; %d rising edges" % (lag, len(rising)))
PY
rmmod vivid || t_fail "rmmod vivid"
trap - EXIT
t_unload || t_fail "rmmod vigil"
exit 0
