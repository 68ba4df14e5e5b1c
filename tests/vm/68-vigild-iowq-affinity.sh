#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild's io_uring workers stay on the CPUs vigild may run on. The
# recorder's writes and fdatasyncs run in io_uring's worker threads
# (iou-wrk-*), which inherit vigild's SCHED_FIFO priority; a worker woken
# by the loop and put on another CPU costs two cross-CPU wake-ups per
# operation (docs/latency.md, "SCHED_FIFO and the alarm's sync"). From 6.2
# the kernel gives the workers the affinity of the thread that made the
# ring; 6.1 gives them every CPU, so vigild registers its affinity with
# IORING_REGISTER_IOWQ_AFF (agent/loop.c).
#
# vigild runs with --cpu-affinity on the last CPU and records a moving
# box; every worker thread seen while it runs must be allowed that CPU
# alone, and at least one must be seen (an alarm's fdatasync always goes
# to a worker).
. "$VIGIL_ROOT/tests/lib.sh"
VIGILD=$T_BIN/vigild
[ -x "$VIGILD" ] || t_skip "vigild not built (make -C userspace)"
command -v python3 >/dev/null || t_fail "python3 missing (scripts/deps installs it)"
cpu=$(($(nproc) - 1))
[ "$cpu" -ge 1 ] || t_fail "the guest has one CPU: nothing to confine to"

# 64x48 GREY, a dark box crossing a bright background, 30 frames, looped
python3 - "$T_TMP/v.raw" <<'PY' || t_fail "make the source frames"
import sys
w, h, n = 64, 48, 30
with open(sys.argv[1], 'wb') as f:
    for i in range(n):
        x0 = i * (w + 16) // n - 16
        for y in range(h):
            f.write(bytes(20 if 12 <= y < 36 and x0 <= x < x0 + 16 else 200
                          for x in range(w)))
PY
dir=$T_TMP/clips
mkdir -p "$dir"
"$VIGILD" --source "replay:$T_TMP/v.raw" --size 64x48 --format GREY --fps 15 \
	--loop --policy video-only --stats --events "$T_TMP/events.jsonl" \
	--cpu-affinity "$cpu" --set "record.dir=$dir" \
	--set record.preroll_s=1 --set record.postroll_s=1 2>"$T_TMP/err" &
pid=$!
# every worker thread seen, with its allowed CPUs, until the alarm's clip
# is open and at least one worker was seen (60 s only stops a hang); a
# thread that exits between its comm and its status is left out
: >"$T_TMP/workers"
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	for t in /proc/$pid/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		iou-wrk-*)
			c=$(sed -n 's/^Cpus_allowed_list:\t//p' "$t/status" 2>/dev/null)
			[ -n "$c" ] && echo "${t##*/} $c" >>"$T_TMP/workers" ;;
		esac
	done
	if [ -s "$T_TMP/workers" ] && grep -q "vigild: recording .*\.vclip\.part" "$T_TMP/err"; then
		break
	fi
	sleep 0.1
done
main=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$pid/status)
t_term $pid
wait $pid
rc=$?
cat "$T_TMP/err"
t_eq "vigild exit status" 0 "$rc"
t_eq "vigild's own CPUs" "$cpu" "$main"
# the clip open at SIGTERM is closed whole
ls "$dir"/*.vclip >/dev/null 2>&1 || t_fail "no clip recorded"
sort -u "$T_TMP/workers" >"$T_TMP/workers.u"
t_log "io_uring workers seen (tid, allowed CPUs): $(tr '\n' ' ' <"$T_TMP/workers.u")"
[ -s "$T_TMP/workers.u" ] || t_fail "no io_uring worker seen while vigild recorded"
bad=$(awk -v c="$cpu" '$2 != c' "$T_TMP/workers.u")
[ -z "$bad" ] || t_fail "io_uring workers allowed other CPUs than vigild's ($cpu): $bad"
exit 0
