#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload and unbind while PIR events are pending and a pulse storm is running:
# - rmmod vigil is refused while a subscriber holds the capture node;
# - rmmod vigil_gpio_sim is refused while vigil holds its lines and IRQ, and
#   while gpiomon holds the PIR mirror line (the controller's module is the
#   lines' owner), and succeeds once both are gone;
# - unbinding the camera with a subscriber holding unread events during a
#   storm, closing, rebinding, and rmmod during a storm all succeed;
# - repeated load / storm / unload cycles.
# The runner fails the test on any WARNING/BUG/lockdep report in dmesg.
. "$VIGIL_ROOT/tests/lib.sh"
STORM="60000 20 10"

# subscriber DEV: subscribe to VIGIL_EVENT_PIR, never read, hold the node
# until $T_TMP/hold is removed.
subscriber() {
	touch "$T_TMP/hold"
	python3 - "$1" "$T_TMP/hold" <<'PY' &
import fcntl, os, struct, sys, time
VIDIOC_SUBSCRIBE_EVENT = 0x4020565a
VIGIL_EVENT_PIR = 0x08000000 + 0x100
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.ioctl(fd, VIDIOC_SUBSCRIBE_EVENT, struct.pack("8I", VIGIL_EVENT_PIR, 0, 0, 0, 0, 0, 0, 0))
print("subscribed", flush=True)
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
os.close(fd)
PY
	sub=$!
	for _ in $(seq 100); do grep -q subscribed "$T_TMP/sub" 2>/dev/null && return; sleep 0.1; done
	t_fail "subscriber did not subscribe"
}
release() { rm -f "$T_TMP/hold"; wait $sub; }

running() { grep -q '^running' "$1/train"; }

t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")

t_log "rmmod with a subscriber holding pending events, storm running"
rm -f "$T_TMP/sub"
subscriber "$T_DEV" >"$T_TMP/sub"
echo "$STORM" >"$DBG/train" || t_fail "start storm"
sleep 0.5
rmmod vigil 2>/dev/null && t_fail "rmmod succeeded with the capture node open"
release
running "$DBG" || t_log "note: storm over before rmmod"
t_unload || t_fail "rmmod during storm after close"
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"

t_log "rmmod vigil_gpio_sim refused while gpiomon holds the mirror line"
t_load
DBG=$(t_gpio_sim "$T_DEV")
echo "$STORM" >"$DBG/train"
rmmod vigil_gpio_sim 2>/dev/null && t_fail "rmmod vigil_gpio_sim succeeded under vigil's live IRQ"
# No storm into gpiomon's line: gpiolib-cdev's hard handler returns
# IRQ_WAKE_THREAD for every edge and its thread takes one edge per run, so
# a storm that starves the thread (easily, on an emulated CPU of a loaded
# host) looks like an unhandled IRQ to the spurious-IRQ detector, which
# disables the line with "irq N: nobody cared" and a Call Trace. vigil's
# own handler is immune (it wakes its thread only for an edge into an
# empty ring), so the storms here run into vigil's line only.
echo stop >"$DBG/train"
gpiomon "$(basename "$DBG")" 1 >/dev/null &
mon=$!
sleep 1
rmmod vigil || t_fail "rmmod vigil with gpiomon on the simulator"
rmmod vigil_gpio_sim 2>/dev/null && t_fail "rmmod vigil_gpio_sim succeeded with the mirror line requested"
kill $mon
wait $mon 2>/dev/null
t_load
DBG=$(t_gpio_sim "$T_DEV")

t_log "unbind with a subscriber holding pending events, storm running"
dev=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$T_DEV")/device")")
rm -f "$T_TMP/sub"
subscriber "$T_DEV" >"$T_TMP/sub"
echo "$STORM" >"$DBG/train"
sleep 0.3
echo "$dev" >/sys/bus/platform/drivers/vigil/unbind || t_fail "unbind $dev"
release
echo "$dev" >/sys/bus/platform/drivers/vigil/bind || t_fail "rebind $dev"
sleep 0.5
gpioinfo "$(basename "$DBG")" | grep -q '"vigil-pir" .*\[used\]' || t_fail "PIR line not taken after rebind"
echo "$STORM" >"$DBG/train"
sleep 0.3
t_unload || t_fail "rmmod during storm after rebind"

for i in 1 2 3 4 5; do
	t_load
	DBG=$(t_gpio_sim "$T_DEV")
	rm -f "$T_TMP/sub"
	subscriber "$T_DEV" >"$T_TMP/sub"
	echo "$STORM" >"$DBG/train"
	sleep 0.$i
	release
	t_unload || t_fail "cycle $i: rmmod"
done
t_log "5 load/storm/unload cycles"
exit 0
