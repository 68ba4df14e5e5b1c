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
# to tell). The vigil-lat train is slow (100 ms between edges); the gpiomon
# part raises each edge only after gpiomon printed the one before. The V4L2
# path numbers every edge and is exact at any rate (30-pir-events).
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
# vigil's path: every edge. gpio-cdev: every edge received or counted as
# merged (missing), never one invented, out of order or early (see above;
# the gpiomon part below shows the mirror line itself loses nothing).
t_json "$T_TMP/lat.json" "j['v4l2']['received'] == j['emitted'] == 2 * $N"
t_json "$T_TMP/lat.json" "j['v4l2']['rising'] == $N"
t_json "$T_TMP/lat.json" "j['gpiocdev']['received'] + j['gpiocdev']['missing'] == j['emitted']"
for p in v4l2 gpiocdev; do
	t_json "$T_TMP/lat.json" "j['$p']['order_errors'] == 0"
	t_json "$T_TMP/lat.json" "j['$p']['before_edge'] == 0"
done

t_log "$N pulses, one edge at a time, gpiomon on the mirror line"
# Each edge is raised only once gpiomon has printed the previous one, so the
# IRQ thread's scheduling latency (unbounded on a loaded emulated host) can
# never merge two edges: what is checked is the mirror line through gpiod's
# own tool, not the host's load.
# line-buffered: each edge reaches the file as gpiomon prints it
stdbuf -oL gpiomon -n $((2 * N)) -F '%e %s %n' "$CHIP" 1 >"$T_TMP/gpiomon" &
mon=$!
for _ in $(seq 100); do
	gpioinfo "$CHIP" | grep -q '"vigil-pir-mirror" .*\[used\]' && break
	sleep 0.1
done
gpioinfo "$CHIP" | grep -q '"vigil-pir-mirror" .*\[used\]' || t_fail "gpiomon did not take the mirror line"
# gpiomon: "EVENT SEC NSEC" (1 rising, 0 falling), CLOCK_MONOTONIC. The
# debugfs write raises the interrupt before it returns, so the hard-IRQ
# timestamp lies between the clock read before and after it.
python3 - "$DBG/pir" "$T_TMP/gpiomon" "$N" <<'PY' || t_fail "gpiomon edges do not match the levels set"
import sys, time
pir, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def lines():
    with open(out) as f:
        return [l.split() for l in f if l.endswith("\n")]
windows = []
for i in range(2 * n):
    level = "1" if i % 2 == 0 else "0"
    t0 = time.monotonic_ns()
    with open(pir, "w") as f:
        f.write(level)
    t1 = time.monotonic_ns()
    windows.append((level, t0, t1))
    deadline = time.monotonic() + 30
    while len(lines()) < i + 1:
        assert time.monotonic() < deadline, ("gpiomon never printed edge", i)
        time.sleep(0.01)
mon = lines()
assert len(mon) == 2 * n, (len(mon), 2 * n)
for i, ((ev, sec, nsec), (level, t0, t1)) in enumerate(zip(mon, windows)):
    ts = int(sec) * 10**9 + int(nsec)
    assert ev == level, ("edge", i, "event", ev, "level set", level)
    assert t0 <= ts <= t1, ("edge", i, "timestamp", ts, "outside the write", t0, t1)
print(len(mon), "edges seen by gpiomon, each stamped inside the write that raised it")
PY
for _ in $(seq 100); do
	kill -0 $mon 2>/dev/null || break
	sleep 0.1
done
if kill -0 $mon 2>/dev/null; then
	kill $mon
	t_fail "gpiomon did not exit after $((2 * N)) edges"
fi
wait $mon || t_fail "gpiomon failed"
t_unload || t_fail "rmmod vigil"
exit 0
