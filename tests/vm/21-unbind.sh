#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Like v4l-utils' test-media: unbind the vigil platform device through sysfs
# while a capture is streaming (the client gets an error, the node goes
# away), rebind it (a new node streams again), then rmmod with a file open
# is refused and succeeds once it is closed.
. "$VIGIL_ROOT/tests/lib.sh"

t_unload
V=$(t_vtool)
t_load
node=$(basename "$T_DEV")
pdev=$(basename "$(readlink -f "/sys/class/video4linux/$node/device")")
drv=/sys/bus/platform/drivers/vigil
t_log "streaming on $T_DEV ($pdev)"

"$V" capture "$T_DEV" YUYV 640x480 30 1000000 /dev/null 4 >"$T_TMP/cap.out" 2>&1 &
pid=$!
sleep 2
kill -0 $pid 2>/dev/null || { cat "$T_TMP/cap.out"; t_fail "capture did not keep streaming"; }
grep -q 'streaming 1' "$(t_debugfs "$T_DEV")/stats" || t_fail "driver not streaming"

echo "$pdev" >"$drv/unbind" || t_fail "unbind $pdev"
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill $pid
	t_fail "capture still running 10 s after unbind"
fi
wait $pid && t_fail "capture ended without an error after unbind"
t_log "client saw: $(tail -n 1 "$T_TMP/cap.out")"
[ -e "/sys/class/video4linux/$node" ] && t_fail "$node still registered after unbind"

echo "$pdev" >"$drv/bind" || t_fail "bind $pdev"
new=
for _ in $(seq 50); do
	for v in /sys/class/video4linux/video*; do
		[ "$(basename "$(readlink -f "$v/device")")" = "$pdev" ] && new=/dev/$(basename "$v")
	done
	[ -n "$new" ] && [ -c "$new" ] && break
	sleep 0.1
done
[ -n "$new" ] || t_fail "no node after rebind"
out=$("$V" capture "$new" YUYV 640x480 30 20 /dev/null 4) || t_fail "capture after rebind"
t_log "after rebind on $new: $out"

exec 3<>"$new"
rmmod vigil 2>"$T_TMP/rmmod.err" && t_fail "rmmod succeeded with $new open"
t_log "rmmod with a file open refused: $(cat "$T_TMP/rmmod.err")"
grep -q '^vigil ' /proc/modules || t_fail "vigil gone although rmmod failed"
exec 3>&-
rmmod vigil || t_fail "rmmod after close"
grep -q '^vigil ' /proc/modules && t_fail "vigil still loaded"
exit 0
