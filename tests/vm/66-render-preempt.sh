#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The frame render can be preempted. The virtual receiver's worker renders
# each frame with the CPU; a 1080p frame takes tens of milliseconds or more
# in an emulator. Debian's 6.1 and 6.12 kernels are PREEMPT_DYNAMIC booted
# as PREEMPT_VOLUNTARY: kernel code is preempted only where it offers to
# be, so a render loop without cond_resched() held a SCHED_FIFO task woken
# on its CPU off until the frame was done (152 ms seen under TCG).
#
# Structural, not timed: a SCHED_FIFO task pinned to the worker's CPU wakes
# every 4 ms while 1080p frames render; tracefs records vigil_render_begin/
# end, sched_wakeup and sched_switch, and preemptcheck.py counts, of the
# wakeups that fell inside a render, how many got the CPU before the render
# ended. With the old render loops: none (each render held off its one
# wakeup to the end); with a preemption point per row: at least 90% (the
# rest woke in the last rows). On PREEMPT_RT the same holds anyway. The
# same again with a privacy mask over the whole frame, whose fill ends
# every render.
. "$VIGIL_ROOT/tests/lib.sh"

command -v taskset >/dev/null || t_fail "taskset (util-linux) missing"
CHECK="python3 $VIGIL_ROOT/tests/vm/preemptcheck.py"
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs none $TR || t_fail "cannot mount tracefs"
t_unload
V=$(t_vtool)
t_load
CPU=0
[ -d $TR/events/vigil/vigil_render_begin ] || t_fail "no vigil:vigil_render_begin tracepoint"

# the frame timer stays on the CPU that started it (STREAMON's, pinned
# below) and its work runs where the timer fires
[ -w /proc/sys/kernel/timer_migration ] && echo 0 >/proc/sys/kernel/timer_migration
# one capture of 1080p frames with the FIFO task waking on CPU; NAME [RECTS]:
# with RECTS, the privacy mask is set first (its fill ends each render)
run_case() {
	local name=$1 rects=$2 out rc res ok
	if [ -n "$rects" ]; then
		"$V" mask "$T_DEV" $rects || t_fail "$name: set privacy mask"
	fi
	echo 0 >$TR/tracing_on
	echo >$TR/trace
	echo 4096 >$TR/buffer_size_kb
	rm -f "$T_TMP/ready"
	$CHECK fifo $CPU 60 "$T_TMP/ready" &
	fifo=$!
	for _ in $(seq 300); do
		[ -s "$T_TMP/ready" ] && break
		sleep 0.1
	done
	[ -s "$T_TMP/ready" ] || { kill $fifo; t_fail "$name: the SCHED_FIFO task did not start"; }
	for e in vigil/vigil_render_begin vigil/vigil_render_end; do
		echo 1 >$TR/events/$e/enable
	done
	echo "pid == $fifo" >$TR/events/sched/sched_wakeup/filter
	echo "next_pid == $fifo" >$TR/events/sched/sched_switch/filter
	echo 1 >$TR/events/sched/sched_wakeup/enable
	echo 1 >$TR/events/sched/sched_switch/enable
	echo 1 >$TR/tracing_on
	out=$(taskset -c $CPU "$V" capture "$T_DEV" YUYV 1920x1080 5 6 /dev/null 4)
	rc=$?
	echo 0 >$TR/tracing_on
	kill "$fifo" 2>/dev/null
	wait "$fifo"
	echo 0 >$TR/events/enable
	echo 0 >$TR/events/sched/sched_wakeup/filter
	echo 0 >$TR/events/sched/sched_switch/filter
	cat $TR/trace >"$T_TMP/trace.$name"
	echo >$TR/trace
	if [ -n "$rects" ]; then
		"$V" mask "$T_DEV" || t_fail "$name: clear privacy mask"
	fi
	[ $rc -eq 0 ] || t_fail "$name: capture 1920x1080: $out"
	t_log "$name: $out; preemption: $model; $(grep render_us "$(t_sensor_debugfs "$T_DEV")/stats" | tr '\n' ' ')"
	res=$($CHECK check "$T_TMP/trace.$name" "$fifo")
	ok=$?
	t_log "$name: $res"
	[ $ok -eq 0 ] || t_fail "$name: render not preemptible: $res"
}

model=$(cat /sys/kernel/debug/sched/preempt 2>/dev/null || uname -v)
run_case render
# The privacy mask is filled after the render, on the same worker: eight
# rectangles over the whole frame (YUYV, a loop per pixel) make the fill
# most of each frame's time, so a fill without preemption points fails
# the same check.
run_case mask "$(printf '0,0,1920,1080 %.0s' 1 2 3 4 5 6 7 8)"
[ -w /proc/sys/kernel/timer_migration ] && echo 1 >/proc/sys/kernel/timer_migration
t_unload || t_fail "rmmod vigil"
exit 0
