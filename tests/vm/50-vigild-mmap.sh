#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild captures from vigil.ko with MMAP buffers: frames are detected where
# the driver wrote them (the buffers are mapped from /dev/videoN, nothing
# else), at most one io_uring_enter and three ioctls per frame (DQBUF,
# QBUF, and the DQBUF that finds the queue empty: every wakeup dequeues
# until EAGAIN, since a multishot poll merges wakeups), and SIGTERM
# stops streaming and frees everything (the module unloads afterwards).
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
t_load
t_log "device $T_DEV"

"$VIGILD" --source "v4l2:$T_DEV" --io mmap --size 640x480 --format GREY \
	--fps 30 --policy video-only --stats --events "$T_TMP/events.jsonl" \
	--set source.buffers=4 2>"$T_TMP/err" &
pid=$!
sleep 2
kill -0 $pid 2>/dev/null || { cat "$T_TMP/err"; t_fail "vigild exited early"; }
# zero copy: the capture buffers are mappings of the video node itself
maps=$(grep -c " $T_DEV\$" /proc/$pid/maps || true)
t_log "video node mappings: $maps"
[ "$maps" -ge 2 ] || t_fail "expected the capture buffers mapped from $T_DEV, got $maps"
sleep 1
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/err"
t_eq "vigild exit status after SIGTERM" 0 "$rc"
grep -q "Terminated, stopping" "$T_TMP/err" || t_fail "no clean-stop message"
stats=$(grep "stats:" "$T_TMP/err") || t_fail "no stats line"
frames=$(echo "$stats" | sed 's/.*stats: frames \([0-9]*\).*/\1/')
enters=$(echo "$stats" | sed 's/.*io_uring_enter_per_frame \([0-9.]*\).*/\1/')
ioctls=$(echo "$stats" | sed 's/.*v4l2_ioctls_per_frame \([0-9.]*\).*/\1/')
t_log "frames $frames, io_uring_enter/frame $enters, V4L2 ioctls/frame $ioctls"
[ "$frames" -ge 45 ] || t_fail "only $frames frames in 3 s at 30 fps"
# steady state: enter + DQBUF + QBUF + DQBUF (EAGAIN) per wakeup, start-up
# ioctls amortised over the run
awk -v e="$enters" -v i="$ioctls" 'BEGIN { exit !(e <= 1.2 && i <= 3.5 && e + i <= 4.5) }' ||
	t_fail "too many syscalls per frame (enter $enters, ioctls $ioctls)"
# steady-state syscalls per frame: vigild counts its io_uring_enter calls
# and V4L2 ioctls (the only per-frame calls); a 2 s and a 6 s run, the
# difference cancels start-up and shutdown (strace is far too slow under TCG)
count() { # SECONDS: prints "<syscalls> <frames>"
	timeout --preserve-status -s TERM "$1" "$VIGILD" --source "v4l2:$T_DEV" \
		--size 640x480 --format GREY --fps 30 --policy video-only --stats \
		--events /dev/null 2>"$T_TMP/serr"
	sed -n 's/.*stats: frames \([0-9]*\) .*io_uring_enter_per_frame \([0-9.]*\) v4l2_ioctls_per_frame \([0-9.]*\).*/\1 \2 \3/p' "$T_TMP/serr" |
		awk '{ printf "%.0f %d\n", $1 * ($2 + $3), $1 }'
}
r1=$(count 2)
r2=$(count 6)
s1=${r1% *} f1=${r1#* } s2=${r2% *} f2=${r2#* }
[ -n "$f1" ] && [ -n "$f2" ] && [ "$f2" -gt "$f1" ] ||
	{ cat "$T_TMP/serr"; t_fail "no frames in the counting runs ($r1 / $r2)"; }
spf=$(awk -v a="$s1" -v b="$s2" -v c="$f1" -v d="$f2" 'BEGIN { printf "%.2f", (b - a) / (d - c) }')
t_log "steady state: $spf syscalls per frame ($s1 in $f1 frames, $s2 in $f2)"
# the conventional client on the same stream, in the same run: v4l2-ctl's
# poll loop (select, DQBUF, QBUF), every system call counted by strace over
# 30 and over 90 frames (the difference cancels set-up)
conv() { # FRAMES: prints its system calls
	strace -f -qq -o "$T_TMP/ctrace" v4l2-ctl -d "$T_DEV" \
		--set-fmt-video=width=640,height=480,pixelformat=GREY --set-parm=30 \
		--stream-mmap=4 --stream-poll --stream-count="$1" --silent \
		>/dev/null 2>"$T_TMP/cerr" || { cat "$T_TMP/cerr"; t_fail "v4l2-ctl --stream-mmap failed"; }
	awk '{ sub(/^[0-9]+ +/, "") } /^(<\.\.\.|---|\+\+\+)/ || !/\(/ { next } { n++ } END { print n + 0 }' "$T_TMP/ctrace"
}
if command -v strace >/dev/null && command -v v4l2-ctl >/dev/null; then
	c1=$(conv 30)
	c2=$(conv 90)
	cspf=$(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.2f", (b - a) / 60 }')
	t_log "conventional client (v4l2-ctl --stream-poll): $cspf syscalls per frame ($c1 for 30 frames, $c2 for 90)"
	awk -v s="$cspf" 'BEGIN { exit !(s >= 2) }' || t_fail "conventional client measured $cspf syscalls per frame"
	printf '{"name":"vigild-v4l2-syscalls-per-frame","figure":%s,"unit":"syscalls/frame","baseline":%s,"baseline_name":"conventional client on the same stream (v4l2-ctl --stream-mmap --stream-poll), strace, same run","ratio":%s,"goal":"<= 4 (enter + DQBUF + QBUF + DQBUF until EAGAIN)","kernel":"%s"}\n' \
		"$spf" "$cspf" "$(awk -v s="$spf" -v c="$cspf" 'BEGIN { printf "%.2f", s / c }')" "$(uname -r)" >"$VIGIL_OUT/bench-vigild-v4l2.json"
else
	t_log "strace or v4l2-ctl missing: no conventional baseline"
fi
# vigild's budget: enter + DQBUF + QBUF + the DQBUF that finds the queue
# empty (a wakeup with several frames costs less per frame)
awk -v s="$spf" 'BEGIN { exit !(s > 0 && s <= 4.2) }' || t_fail "$spf syscalls per frame, budget 4"
# the device was released: streaming again works, the module unloads
"$VIGILD" --source "v4l2:$T_DEV" --policy video-only --events /dev/null 2>"$T_TMP/err2" &
pid=$!
sleep 1
t_term $pid
wait $pid || { cat "$T_TMP/err2"; t_fail "second run failed"; }
t_unload || t_fail "rmmod vigil after vigild"
exit 0
