#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input is rejected with clear errors and changes nothing: malformed
# scenarios (dmesg names the line, the running scenario keeps running), bad
# replay files, out-of-range control values; and the error-injection knobs
# drive the failure paths (queue_setup, start_streaming, forced drops).
. "$VIGIL_ROOT/tests/lib.sh"

command -v v4l2-ctl >/dev/null || t_skip "v4l2-ctl not installed"
t_unload
V=$(t_vtool)
t_load
D=$(t_sensor_debugfs "$T_DEV")
S=$(t_subdev "$T_DEV")
B=$(t_debugfs "$T_DEV")

good=$(cat "$D/scenario")
bad_scenario() {
	local want=$1 text=$2 before
	before=$(dmesg | wc -l)
	if printf '%b' "$text" >"$D/scenario" 2>/dev/null; then
		t_fail "scenario accepted: $text"
	fi
	msg=$(dmesg | tail -n +"$((before + 1))" | grep -m1 'scenario line' || true)
	echo "$msg" | grep -q "$want" || t_fail "expected '$want' in dmesg, got '$msg'"
	t_log "rejected: ${msg#*] }"
	[ "$(cat "$D/scenario")" = "$good" ] || t_fail "running scenario changed"
}
bad_scenario 'line 2: unknown keyword: flying' 'loop 100\nflying saucer\n'
bad_scenario 'line 3: noise=99 out of range 0..32' '# c\nloop 10\nnoise 99\n'
bad_scenario 'line 1: unknown object key: colour' 'object colour=red\n'
bad_scenario 'line 1: expected x,y: 5' 'object from=5\n'
bad_scenario 'line 2: light lines must be in time order' 'light at=500\nlight at=100\n'
bad_scenario 'line 1: light needs at=<ms>' 'light level=20\n'
bad_scenario 'line 1: not a number: x' 'background level=x\n'
bad_scenario 'line 1: shape must be rect or ellipse' 'object \\\n shape=star\n'

before=$(dmesg | wc -l)
printf 'NOT-A-HEADER\n1234' >"$D/replay" 2>/dev/null && t_fail "bad replay header accepted"
dmesg | tail -n +"$((before + 1))" | grep -q 'replay: bad header' || t_fail "no replay header message"
printf 'VIGIL-RAW YUYV 320 240\n' >"$D/replay" 2>/dev/null && t_fail "replay format YUYV accepted"
printf 'VIGIL-RAW NV12 321 240\n' >"$D/replay" 2>/dev/null && t_fail "odd NV12 width accepted"
grep -q none "$D/replay" || t_fail "a bad replay file was loaded"

"$V" mask "$T_DEV" 1900,0,100,10 2>"$T_TMP/mask.err" && t_fail "mask beyond 1920 accepted"
grep -q 'Numerical result out of range' "$T_TMP/mask.err" || t_fail "mask error: $(cat "$T_TMP/mask.err")"
v4l2-ctl -d "$S" -c test_pattern=7 2>/dev/null && t_fail "test_pattern=7 accepted"
v4l2-ctl -d "$T_DEV" -c dropped_frames=3 2>/dev/null && t_fail "read-only control written"
t_log "control values rejected"

echo 1 >"$B/fail_queue_setup"
"$V" capture "$T_DEV" GREY 160x120 30 5 /dev/null 2>"$T_TMP/qs.err" && t_fail "queue_setup injection ignored"
grep -q REQBUFS "$T_TMP/qs.err" || t_fail "queue_setup failure not seen at REQBUFS"
echo 1 >"$B/fail_start_streaming"
"$V" capture "$T_DEV" GREY 160x120 30 5 /dev/null 2>"$T_TMP/ss.err" && t_fail "start_streaming injection ignored"
grep -q 'STREAMON: Input/output error' "$T_TMP/ss.err" || t_fail "STREAMON error: $(cat "$T_TMP/ss.err")"
echo 5 >"$B/drop_frames"
out=$("$V" capture "$T_DEV" GREY 160x120 30 20 /dev/null 4) || t_fail "capture after injected failures"
t_log "forced drops: $out"
echo "$out" | grep -q 'gaps=5 .*dropped=5' || t_fail "5 forced drops not reported as gaps and counted"
t_unload || t_fail "rmmod vigil"
exit 0
