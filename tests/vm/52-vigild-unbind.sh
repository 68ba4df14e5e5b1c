#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The camera disappears while vigild streams (driver unbind): vigild says
# so, never crashes, and reconnects with backoff once the device is back;
# with reconnect_ms = 0 it exits 1 instead. SIGTERM then stops it cleanly.
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
t_load
devname=$(basename "$(readlink -f "/sys/class/video4linux/$(basename "$T_DEV")/device")")
drv=$(readlink -f "/sys/class/video4linux/$(basename "$T_DEV")/device/driver")
t_log "device $T_DEV ($devname, driver $drv)"

"$VIGILD" --source "v4l2:$T_DEV" --policy video-only --stats \
	--set source.reconnect_ms=300 --events /dev/null 2>"$T_TMP/err" &
pid=$!
sleep 2
echo "$devname" >"$drv/unbind" || t_fail "unbind"
sleep 2
kill -0 $pid 2>/dev/null || { cat "$T_TMP/err"; t_fail "vigild died when the device went away"; }
grep -q "device lost" "$T_TMP/err" || { cat "$T_TMP/err"; t_fail "no device-lost message"; }
echo "$devname" >"$drv/bind" || t_fail "bind"
for _ in $(seq 50); do
	grep -q "reconnected" "$T_TMP/err" && break
	sleep 0.2
done
grep -q "reconnected" "$T_TMP/err" || { cat "$T_TMP/err"; t_fail "no reconnect"; }
sleep 2
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/err"
t_eq "exit status after SIGTERM" 0 "$rc"

# without reconnection: a clear error and exit status 1
t_load
"$VIGILD" --source "v4l2:$T_DEV" --policy video-only \
	--set source.reconnect_ms=0 --events /dev/null 2>"$T_TMP/err2" &
pid=$!
sleep 2
echo "$devname" >"$drv/unbind" || t_fail "unbind (2)"
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid
rc=$?
cat "$T_TMP/err2"
t_eq "exit status after device loss without reconnect" 1 "$rc"
grep -q "device lost" "$T_TMP/err2" || t_fail "no device-lost message"
echo "$devname" >"$drv/bind" || true
t_unload || t_fail "rmmod vigil"
exit 0
