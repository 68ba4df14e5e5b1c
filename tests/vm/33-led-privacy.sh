#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recording LED and privacy switch:
# - the LED line (read on the board) is off before streaming, on while
#   streaming, off after; VIGIL_CID_REC_LED says the same; userspace cannot
#   take the LED line;
# - asserting the privacy switch while streaming stops frames within one
#   frame period (+ slack) of V4L2_CID_PRIVACY's control event (a read-only
#   control, 0 first through SEND_INITIAL, then 1), and blinks the LED;
#   releasing it (control event 0) resumes frames within one period
#   (+ slack). Slack 25 ms, as in 32-pir-wake (IRQ thread wake-up, frame
#   work scheduling and rendering on an emulated CPU); a frame that was
#   being rendered at the switch may complete.
# - V4L2_CID_PRIVACY and VIGIL_CID_REC_LED refuse writes.
. "$VIGIL_ROOT/tests/lib.sh"
PT=$(t_pirtool)
# a fresh module: no state (standby, source) from an earlier test
t_unload
t_load
DBG=$(t_gpio_sim "$T_DEV")
CHIP=$(basename "$DBG")
FPS=30
PERIOD=$((1000000000 / FPS))
SLACK=25000000
V4L2_CID_PRIVACY=$((0x009a0910))
VIGIL_CID_REC_LED=$((0x00980900 + 0xe000 + 0x45))

t_eq "LED before streaming" 0 "$(cat "$DBG/led")"
# streaming_started FILE: wait until pirtool printed its post-STREAMON line.
streaming_started() {
	for _ in $(seq 200); do grep -q '^led' "$1" && return 0; sleep 0.05; done
	t_fail "pirtool did not start streaming"
}

"$PT" stream "$T_DEV" 3 $FPS >"$T_TMP/stream" &
pid=$!
streaming_started "$T_TMP/stream"
t_eq "LED while streaming" 1 "$(cat "$DBG/led")"
if command -v gpioset >/dev/null; then
	gpioset "$CHIP" 3=0 2>/dev/null && t_fail "userspace could set the LED line"
fi
wait $pid || t_fail "pirtool stream"
grep -q '^led 1' "$T_TMP/stream" || t_fail "VIGIL_CID_REC_LED not 1 while streaming"
sleep 0.2
t_eq "LED after streaming" 0 "$(cat "$DBG/led")"
t_log "LED: off, on while streaming, off"

"$PT" stream "$T_DEV" 12 $FPS >"$T_TMP/priv" &
pid=$!
streaming_started "$T_TMP/priv"
sleep 1.5
echo 1 >"$DBG/privacy"
sleep 1
t_eq "V4L2_CID_PRIVACY while asserted" 1 "$("$PT" ctrl "$T_DEV" $V4L2_CID_PRIVACY)"
c1=$(awk '/^led_changes/ {print $2}' "$DBG/status")
sleep 1
c2=$(awk '/^led_changes/ {print $2}' "$DBG/status")
[ "$c2" -gt "$c1" ] || t_fail "LED does not blink while privacy is asserted"
echo 0 >"$DBG/privacy"
wait $pid || t_fail "pirtool stream"
t_eq "V4L2_CID_PRIVACY after release" 0 "$("$PT" ctrl "$T_DEV" $V4L2_CID_PRIVACY)"
grep -qx 'privacy-initial 0' "$T_TMP/priv" || t_fail "no initial control event for V4L2_CID_PRIVACY"
"$PT" ctrl "$T_DEV" $V4L2_CID_PRIVACY 1 2>/dev/null && t_fail "V4L2_CID_PRIVACY writable"
"$PT" ctrl "$T_DEV" $VIGIL_CID_REC_LED 1 2>/dev/null && t_fail "VIGIL_CID_REC_LED writable"
# "frame SEQ TS" and "privacy ASSERTED TS" lines
awk -v bound=$((PERIOD + SLACK)) '
	$1 == "privacy" && $2 == 1 { on = $3 }
	$1 == "privacy" && $2 == 0 { off = $3 }
	$1 == "frame" && !on { before++ }
	$1 == "frame" && on && !off && $3 > on + bound { print "frame " $2 " at " $3 - on " ns into privacy"; bad = 1 }
	$1 == "frame" && off && !first { first = $3 - off }
	$1 == "frame" && off { after++ }
	END {
		if (!on || !off) { print "privacy events missing"; exit 1 }
		if (!before) { print "no frames before privacy"; bad = 1 }
		if (!after) { print "no frames after release"; bad = 1 }
		if (first > bound) { printf "first frame %.0f ns after release, bound %.0f\n", first, bound; bad = 1 }
		printf "privacy for %.0f ms; frames before %d, after %d, first after release %.0f ns\n", (off - on) / 1000000, before, after, first
		exit bad
	}
' "$T_TMP/priv" || t_fail "privacy switch (see above)"
t_unload || t_fail "rmmod vigil"
exit 0
