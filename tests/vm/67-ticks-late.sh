#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ticks_late counts every frame period the virtual receiver skipped, also
# the periods a late frame tick jumps over (the timer interrupt held off
# for longer than a period: an emulator's vCPU descheduled, another
# driver's interrupts-off section). The old count added nothing for
# those: hrtimer_forward_now()'s overrun beyond the first period was lost.
#
# The debugfs knob stall_tick_ms makes the next tick (hard IRQ) spin that
# long before it forwards the timer: 520 ms at 30 fps skips 15 periods
# (floor(520 / 33.3)). Skipped periods get no sequence number, so the
# client sees no gap and nothing is dropped.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
V=$(t_vtool)
t_load
dbg=$(t_debugfs "$T_DEV")
[ -w "$dbg/stall_tick_ms" ] || t_fail "no debugfs stall_tick_ms in $dbg"
field() { sed -n "s/^$1 //p" "$dbg/stats"; }

# The first tick, due at STREAMON, comes 520 ms late: on every CPU, as the
# frame timer runs on the CPU that started it. In an emulator only the boot
# CPU's delay loop is calibrated (a secondary vCPU may get a few BogoMIPS),
# so a stall timed by mdelay() came 0.2 ms late there, not 520 ms.
command -v taskset >/dev/null || t_fail "taskset (util-linux) missing"
for cpu in $(seq 0 $(($(nproc) - 1))); do
	echo 520 >"$dbg/stall_tick_ms" || t_fail "write stall_tick_ms"
	out=$(taskset -c "$cpu" "$V" capture "$T_DEV" YUYV 640x480 30 20 /dev/null 8) ||
		t_fail "capture on CPU $cpu"
	late=$(field ticks_late)
	t_log "CPU $cpu: tick 520 ms late at 30 fps: $out; $(tr '\n' ' ' <"$dbg/stats")"
	t_eq "stall_tick_ms consumed (CPU $cpu)" "$(cat "$dbg/stall_tick_ms")" 0
	echo "$out" | grep -q '^frames=20 gaps=0 first=0 last=19 dropped=0$' ||
		t_fail "a late tick made gaps or drops on CPU $cpu: $out"
	[ "${late:-0}" -ge 15 ] ||
		t_fail "ticks_late $late after a 520 ms late tick at 30 fps on CPU $cpu, want >= 15"
done

# the knob is capped at 1000 ms (hard IRQ): 5000 gives 1000 ms, at 10 fps
# about 10 periods skipped, not 50
echo 5000 >"$dbg/stall_tick_ms" || t_fail "write stall_tick_ms"
out=$("$V" capture "$T_DEV" GREY 320x240 10 6 /dev/null 8) || t_fail "capture at 10 fps"
late=$(field ticks_late)
t_log "tick 1000 ms late at 10 fps: $out; ticks_late $late"
echo "$out" | grep -q '^frames=6 gaps=0 .* dropped=0$' || t_fail "gaps or drops at 10 fps: $out"
[ "${late:-0}" -ge 9 ] || t_fail "ticks_late $late after a 1000 ms late tick at 10 fps, want >= 9"
[ "$late" -lt 40 ] || t_fail "ticks_late $late: stall_tick_ms not capped at 1000 ms"

t_unload || t_fail "rmmod vigil"
exit 0
