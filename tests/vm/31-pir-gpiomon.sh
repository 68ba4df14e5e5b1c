#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The PIR mirror line of the simulated GPIO controller carries the same edges
# as vigil's PIR line: one train is seen complete, in the same run, through
# the V4L2 event path and through the gpiolib character device (libgpiod,
# vigil-lat's gpiocdev path), and a second train through gpiomon.
#
# Debian 12's libgpiod 1.6 uses the v1 line-event uAPI: its IRQ thread reads
# one event per wake-up and the line level at that moment, so edges closer
# together than the thread's scheduling latency merge (no sequence numbers
# to tell). The trains here are slow enough (100 ms between edges) for the
# emulated CPU; the V4L2 path numbers every edge and is exact at any rate
# (30-pir-events).
. "$VIGIL_ROOT/tests/lib.sh"
command -v gpiomon >/dev/null || t_skip "gpiomon (gpiod) not installed"
LAT=$(t_pir_lat)
# a fresh module: no state (standby, source) from an earlier test
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
CHIP=$(basename "$DBG")
N=20

gpiodetect | tee "$T_TMP/gpiodetect"
grep -q "\[$CHIP\] (5 lines)" "$T_TMP/gpiodetect" || t_fail "gpiodetect does not list $CHIP"
gpioinfo "$CHIP" | tee "$T_TMP/gpioinfo"
for l in vigil-pir vigil-pir-mirror vigil-privacy vigil-rec-led vigil-scene-warm; do
	grep -q "\"$l\"" "$T_TMP/gpioinfo" || t_fail "gpioinfo: no line $l"
done
grep -q '"vigil-pir-mirror" *unused *input' "$T_TMP/gpioinfo" || t_fail "mirror line not free"
grep -q '"vigil-pir" .*input.*\[used\]' "$T_TMP/gpioinfo" || t_fail "PIR line not taken by vigil"
grep -q '"vigil-rec-led" .*output.*\[used\]' "$T_TMP/gpioinfo" || t_fail "LED line not taken by vigil"
grep -q '"vigil-scene-warm" .*output.*\[used\]' "$T_TMP/gpioinfo" || t_fail "scene warmth line not taken by vigil"

t_log "train: $N pulses at 5 Hz, V4L2 and gpiocdev in one run"
"$LAT" pir -d "$T_DEV" -c $N -r 5 -w 100000 --json >"$T_TMP/lat.json" || t_fail "vigil-lat pir"
cat "$T_TMP/lat.json"
for p in v4l2 gpiocdev; do
	t_json "$T_TMP/lat.json" "j['$p']['received'] == j['emitted'] == 2 * $N"
	t_json "$T_TMP/lat.json" "j['$p']['rising'] == $N"
	t_json "$T_TMP/lat.json" "j['$p']['order_errors'] == 0"
	t_json "$T_TMP/lat.json" "j['$p']['before_edge'] == 0"
done

t_log "train: $N pulses at 5 Hz, gpiomon on the mirror line"
gpiomon -n $((2 * N)) -F '%e %s %n' "$CHIP" 1 >"$T_TMP/gpiomon" &
mon=$!
# Start the train only once gpiomon holds the line (a fixed sleep lost the
# first edges on a loaded host).
for _ in $(seq 100); do
	gpioinfo "$CHIP" | grep -q '"vigil-pir-mirror" .*\[used\]' && break
	sleep 0.1
done
gpioinfo "$CHIP" | grep -q '"vigil-pir-mirror" .*\[used\]' || t_fail "gpiomon did not take the mirror line"
sleep 0.2
echo "$N 200000 100000" >"$DBG/train" || t_fail "start train"
for _ in $(seq 300); do
	kill -0 $mon 2>/dev/null || break
	sleep 0.1
done
if kill -0 $mon 2>/dev/null; then
	kill $mon
	t_fail "gpiomon saw $(wc -l <"$T_TMP/gpiomon") of $((2 * N)) edges"
fi
wait $mon || t_fail "gpiomon failed"
cp "$DBG/edges" "$T_TMP/edges"
# gpiomon: "EVENT SEC NSEC" (event 1 rising, 0 falling); edges: "I LEVEL NS"
python3 - "$T_TMP/gpiomon" "$T_TMP/edges" <<'PY' || t_fail "gpiomon edges do not match the train"
import sys
mon = [l.split() for l in open(sys.argv[1])]
edges = [l.split() for l in open(sys.argv[2])]
assert len(mon) == len(edges), (len(mon), len(edges))
prev = 0
for (ev, sec, nsec), (i, level, ns) in zip(mon, edges):
    ts = int(sec) * 10**9 + int(nsec)
    assert ev == level, ("edge", i, "event", ev, "level", level)
    assert int(ns) <= ts < int(ns) + 100_000_000, ("edge", i, ns, ts)
    assert ts > prev
    prev = ts
print(len(mon), "edges seen by gpiomon, in order, each after its emission")
PY
t_unload || t_fail "rmmod vigil"
exit 0
