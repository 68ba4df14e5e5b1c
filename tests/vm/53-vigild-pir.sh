#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild fuses the live PIR with video: the built-in scene walks a warm
# person through the garden 2 s after streaming starts; with pir-and-video
# vigild raises an alarm whose JSON carries the correlated PIR edge (from
# VIGIL_EVENT_PIR, stamped in the hard IRQ on CLOCK_MONOTONIC).
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
t_load
t_log "device $T_DEV"

"$VIGILD" --source "v4l2:$T_DEV" --size 640x360 --format GREY --fps 15 \
	--policy pir-and-video --stats --events "$T_TMP/events.jsonl" 2>"$T_TMP/err" &
pid=$!
sleep 11
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/err"
cat "$T_TMP/events.jsonl"
t_eq "exit status after SIGTERM" 0 "$rc"
starts=$(grep -c '"event":"start","id"' "$T_TMP/events.jsonl" || true)
[ "$starts" -ge 1 ] || t_fail "no alarm for the warm person"
grep '"event":"start","id"' "$T_TMP/events.jsonl" | head -n 1 | grep -q '"pir":{' ||
	t_fail "the alarm carries no PIR correlation"
# PIR edge and video motion within the fusion window (1.5 s)
delta=$(grep '"event":"start","id"' "$T_TMP/events.jsonl" | head -n 1 |
	sed 's/.*"delta_ms":\(-\{0,1\}[0-9.]*\).*/\1/')
t_log "first alarm: PIR edge - video motion = $delta ms"
awk -v d="$delta" 'BEGIN { exit !(d >= -1500 && d <= 1500) }' || t_fail "delta $delta ms"
t_unload || t_fail "rmmod vigil"
exit 0
