#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Deferred probe and unbinding, like v4l-utils' test-media:
#  - the capture node exists only while the sensor is bound: unbinding the
#    sensor removes it (the media device stays), binding it again brings it
#    back, and a bridge bound after its sensor finds it too;
#  - the sensor unbound while streaming: the client gets an error, the
#    stream stops cleanly, the node goes;
#  - the bridge unbound with the sensor present: its nodes go, the sensor
#    stays bound to its driver, and a rebound bridge streams again.
# The kernel log scan fails on any BUG/WARNING/Oops.
. "$VIGIL_ROOT/tests/lib.sh"

V=$(t_vtool)
t_unload
t_load
bridge=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$T_DEV")/device")")
sensor=$(t_sensor "$T_DEV")
m=$(t_media "$T_DEV")
bdrv=/sys/bus/platform/drivers/vigil
sdrv=/sys/bus/platform/drivers/vigil-sensor
[ -e "$sdrv/$sensor" ] || t_fail "$sensor not bound to vigil-sensor"

nodes() { # video nodes of the bridge
	local v
	for v in /sys/class/video4linux/video*; do
		[ -e "$v" ] && [ "$(basename "$(readlink -f "$v/device")")" = "$bridge" ] && echo "/dev/$(basename "$v")"
	done
}
wait_nodes() { # N: wait until the bridge has N video nodes
	for _ in $(seq 50); do
		[ "$(nodes | grep -c .)" = "$1" ] && return 0
		sleep 0.1
	done
	t_fail "expected $1 video nodes of $bridge, have: $(nodes)"
}

# 1. sensor unbound before the node is used, then bound again
echo "$sensor" >"$sdrv/unbind" || t_fail "unbind $sensor"
wait_nodes 0
[ -c "$m" ] || t_fail "media device $m gone with the sensor"
media-ctl -d "$m" -p | grep -q "$sensor" && t_fail "$sensor still in the graph"
echo "$sensor" >"$sdrv/bind" || t_fail "bind $sensor"
wait_nodes 1
dev=$(nodes)
"$V" capture "$dev" YUYV 640x480 30 5 /dev/null >/dev/null || t_fail "capture after the sensor came back"
t_log "sensor unbound: node gone; bound again: $dev streams"

# 2. bridge bound after its sensor
echo "$bridge" >"$bdrv/unbind" || t_fail "unbind $bridge"
wait_nodes 0
echo "$sensor" >"$sdrv/unbind" || t_fail "unbind $sensor"
echo "$sensor" >"$sdrv/bind" || t_fail "bind $sensor"
echo "$bridge" >"$bdrv/bind" || t_fail "bind $bridge"
wait_nodes 1
dev=$(nodes)
"$V" capture "$dev" GREY 320x240 30 5 /dev/null >/dev/null || t_fail "capture, bridge bound after the sensor"
t_log "bridge bound after its sensor: $dev streams"

# 3. sensor unbound while streaming
"$V" capture "$dev" YUYV 640x480 30 1000000 /dev/null 4 >"$T_TMP/cap.out" 2>&1 &
pid=$!
sleep 2
kill -0 $pid 2>/dev/null || { cat "$T_TMP/cap.out"; t_fail "capture did not keep streaming"; }
grep -q 'streaming 1' "$(t_debugfs "$dev")/stats" || t_fail "not streaming"
echo "$sensor" >"$sdrv/unbind" || t_fail "unbind $sensor while streaming"
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill $pid
	t_fail "capture still running 10 s after the sensor was unbound"
fi
wait $pid && t_fail "capture ended without an error after the sensor was unbound"
t_log "client saw: $(tail -n 1 "$T_TMP/cap.out")"
wait_nodes 0
echo "$sensor" >"$sdrv/bind" || t_fail "bind $sensor"
wait_nodes 1
dev=$(nodes)

# 4. bridge unbound with the sensor present (a file open on the node)
exec 3<>"$dev"
echo "$bridge" >"$bdrv/unbind" || t_fail "unbind $bridge"
wait_nodes 0
[ -e "$m" ] && t_fail "media device $m still there without its bridge"
[ -e "$sdrv/$sensor" ] || t_fail "$sensor lost its driver with the bridge"
exec 3>&-
echo "$bridge" >"$bdrv/bind" || t_fail "bind $bridge"
wait_nodes 1
dev=$(nodes)
"$V" capture "$dev" YUYV 640x480 30 5 /dev/null >/dev/null || t_fail "capture after the bridge came back"
t_log "bridge unbound and bound with the sensor present: $dev streams"
t_unload || t_fail "rmmod vigil"
exit 0
