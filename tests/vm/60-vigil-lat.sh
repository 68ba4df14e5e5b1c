#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vigil-lat pir, the latency benchmark's smoke test (issue 13): a short
# train of a few hundred pulses, received through vigil's V4L2 event and
# gpio-cdev v2 line events, must be seen whole by the V4L2 path (every
# edge, in order, none lost); every edge gpio-cdev delivers must be in
# order and accounted for (received + missing = emitted: see below why
# not all), and the result must have its full structure: the
# JSON with the settings and the system description (kernel release and
# preemption model as this kernel reports them), ordered percentiles, the
# measured overhead, the stages `vigil-lat compare` reads, and the
# histogram in cyclictest's -h format with every sample counted.
# --attribute: every received edge is split through tracefs or counted as
# unattributed, and tracing is switched off afterwards; both paths' IRQ
# threads ran on the CPU of their hard IRQ (--irq-cpu, default 0: the
# train started there, the threads bound there) and got their affinity
# back after the run.
# vigild --trace recording pir-only alarms of a few pulses: vigil-lat frame
# (frame stages, with frame.fusion) and vigil-lat event (PIR -> clip
# bytes fsynced: every alarm measured). vigil-lat ktrace recording the
# kernel's side meanwhile: frame --ktrace splits EOF -> vigild (buf done,
# loop wake-up and run, poll CQE, DQBUF, callback) for the frames in the
# recording, each attributed or counted by why not; the tracefs instance
# is gone after; a ktrace file without records is refused.
# vigil-lat wake --attribute: a few standby wake-ups give the three wake
# stages, the frame -> DQBUF split (vb2_buf_done, reader wake-up, run) and
# the IRQ -> full rate split (hard IRQ, IRQ thread wake-up, run) where the
# IRQ thread sets full rate (irq_direct: the hard handler did).
# No timing bound: latencies on an emulated CPU are for `make bench`.
# --load vigild: a vigild recording and streaming beside a short train.
# Bad input: a load tool not in PATH and a missing device give a clear
# message and no result file.
. "$VIGIL_ROOT/tests/lib.sh"

# jchk FILE EXPR...: every EXPR true with j = the JSON in FILE, checked in
# one python3 (each start costs seconds on the emulated CPU); fails naming
# each false one.
jchk() {
	local f=$1
	shift
	python3 - "$f" "$@" <<'PY' || t_fail "$f: the checks above"
import json, sys
j = json.load(open(sys.argv[1]))
bad = [e for e in sys.argv[2:] if not eval(e)]
for e in bad:
    print('false:', e, file=sys.stderr)
if bad:
    print(json.dumps(j)[:3000], file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
LAT=$(t_pir_lat)
t_unload
t_load
# replay (mid-grey without footage): while a stream runs (the vigild load,
# the recording, the wake cycles) the scene's warm objects would raise the
# PIR too (foreign edges in a train; a sensor woken in standby)
v4l2-ctl -d "$(t_subdev "$T_DEV")" -c test_pattern=1 || t_fail "select replay"
N=200
HMAX=2000
NEV=6

# gpio-cdev on the simulated controller's mirror line misses some edges
# in the emulated guest, without a gap in line_seqno (the kernel never
# timestamped them: seen at 20 Hz, 5 of 200 pulses, and by gpiomon at 5 Hz
# in 31-pir-gpiomon), so its completeness is measured (missing), not
# asserted; vigil's V4L2 path must be complete.
t_log "train: $N pulses at 20 Hz, both paths, load none"
"$LAT" pir -d "$T_DEV" -c $N -r 20 --hist-max $HMAX -o "$T_TMP/r" >"$T_TMP/out" ||
	t_fail "vigil-lat pir"
cat "$T_TMP/out"
J=$T_TMP/r.json
[ -f "$J" ] && [ -f "$T_TMP/r.hist" ] || t_fail "no r.json / r.hist"
ls "$T_TMP"/r.*.tmp 2>/dev/null && t_fail "temporary files left"
if [ "$(cat /sys/kernel/realtime 2>/dev/null)" = 1 ]; then
	rt="j['system']['realtime'] and j['system']['preempt'] == 'PREEMPT_RT'"
else
	rt="not j['system']['realtime'] and j['system']['preempt'] != 'PREEMPT_RT'"
fi
checks=(
	"j['emitted'] == 2 * $N and j['pulses'] == $N"
	"j['v4l2']['received'] == 2 * $N and j['v4l2']['rising'] == $N"
	"j['v4l2']['lost'] == 0 and j['v4l2']['missing'] == 0 and j['v4l2']['foreign'] == 0"
	"j['gpiocdev']['foreign'] == 0"
	"j['gpiocdev']['received'] + j['gpiocdev']['missing'] == 2 * $N"
	"j['gpiocdev']['received'] > $N and j['gpiocdev']['lost'] == 0"
	"j['gpio_uapi'] == 'v2'"
	"[s['stage'] for s in j['stages']] == ['pir.v4l2', 'pir.gpiocdev-v2']"
	"[s['count'] for s in j['stages']] == [j['v4l2']['received'], j['gpiocdev']['received']]"
	"j['stages'][0]['p99_ns'] == j['v4l2']['p99_ns'] and j['stages'][1]['max_ns'] == j['gpiocdev']['max_ns']"
	"j['settings']['count'] == $N and j['settings']['load'] == 'none' and j['settings']['hist_max_us'] == $HMAX"
	"j['system']['kernel_release'] == '$(uname -r)'"
	"j['system']['cmdline'] == open('/proc/cmdline').read().strip()"
	"j['system']['ncpus'] == $(nproc) and j['system']['cpu_model']"
	"$rt"
	"0 < j['overhead']['clock_read_ns'] < j['overhead']['per_sample_ns']"
)
for p in v4l2 gpiocdev; do
	checks+=(
		"j['$p']['order_errors'] == 0 and j['$p']['before_edge'] == 0"
		"0 < j['$p']['min_ns'] <= j['$p']['p50_ns'] <= j['$p']['p99_ns'] <= j['$p']['p999_ns'] <= j['$p']['max_ns']"
		"j['$p']['min_ns'] <= j['$p']['avg_ns'] <= j['$p']['max_ns']"
		"0 < j['$p']['read_overhead_ns']"
	)
done
jchk "$J" "${checks[@]}"

# cyclictest -h: "# Histogram", HMAX rows "%06d" + 2 counts, then the summary
python3 - "$T_TMP/r.hist" "$J" $HMAX <<'PY' || t_fail "histogram (see above)"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
j = json.load(open(sys.argv[2]))
hmax = int(sys.argv[3])
i = lines.index('# Histogram')
rows = lines[i + 1:i + 1 + hmax]
assert all(re.fullmatch(r'\d{6} \d{6}\t\d{6}', r) for r in rows), 'row format'
assert [int(r.split()[0]) for r in rows] == list(range(hmax)), 'row numbers'
summary = {l.split(':')[0]: l.split(':')[1].split() for l in lines[i + 1 + hmax:]}
over = [int(x) for x in summary['# Histogram Overflows']]
for c, p in enumerate(['v4l2', 'gpiocdev']):
    counted = sum(int(r.split()[1 + c]) for r in rows) + over[c]
    assert counted == j[p]['received'], (p, counted)
    assert int(summary['# Total'][c]) == j[p]['received'], p
    assert int(summary['# Max Latencies'][c]) == j[p]['max_ns'] // 1000, p
    assert over[c] == j[p]['hist_overflows'], p
print('histogram: %d rows, every sample counted' % hmax)
PY

"$LAT" compare "$J" "$J" >"$T_TMP/cmp" || t_fail "vigil-lat compare"
cat "$T_TMP/cmp"
grep -Eq '^pir\.gpiocdev-v2 +p99_ns +[0-9]+ +[0-9]+ +1\.00$' "$T_TMP/cmp" || t_fail "compare: no p99 ratio 1.00"

t_log "attribution: 20 pulses at 20 Hz, split with tracefs"
pir_irq=$(awk -F: '/vigil-pir:/ {print $1 + 0; exit}' /proc/interrupts)
pir_thr=$(grep -l "^irq/$pir_irq-" /proc/[0-9]*/comm 2>/dev/null | head -n 1 | cut -d/ -f3)
[ -n "$pir_thr" ] || t_fail "no IRQ thread for IRQ $pir_irq"
aff0=$(taskset -pc "$pir_thr")
"$LAT" pir -d "$T_DEV" -c 20 -r 20 --attribute -o "$T_TMP/a" >/dev/null || t_fail "vigil-lat pir --attribute"
t_eq "IRQ thread affinity after the run" "$aff0" "$(taskset -pc "$pir_thr")"
A=$T_TMP/a.json
grep -o '"attribution":.*' "$A"
# each path: the IRQ thread's three stages for the events its thread
# queued (threaded), IRQ -> reader wake-up, reader run and read for all
# (vigil.ko queues the event in its hard handler except on PREEMPT_RT:
# direct; gpio-cdev always from its thread)
split="('hardirq-to-thread-wakeup', 'thread-wakeup-to-run', 'thread-to-reader-wakeup', 'hardirq-to-reader-wakeup', 'reader-wakeup-to-run', 'reader-run-to-read')"
checks=(
	"j['v4l2']['received'] == 40"
	"[s['stage'] for s in j['stages']][2:] == ['pir.v4l2.' + x for x in $split] + ['pir.gpiocdev-v2.' + x for x in $split]"
	"j['settings']['irq_cpu'] == 0"
	"j['attribution']['gpiocdev']['direct'] == 0"
)
for p in v4l2:2 gpiocdev:8; do
	o=${p#*:}
	p=${p%:*}
	checks+=(
		"j['attribution']['$p']['attributed'] + j['attribution']['$p']['unattributed'] == j['$p']['received']"
		"j['attribution']['$p']['attributed'] > 0 and j['attribution']['$p']['irq'] > 0"
		"j['attribution']['$p']['threaded'] + j['attribution']['$p']['direct'] == j['attribution']['$p']['attributed']"
		"all(s['count'] == j['attribution']['$p']['threaded'] for s in j['stages'][$o:$o + 3])"
		"all(s['count'] == j['attribution']['$p']['attributed'] for s in j['stages'][$o + 3:$o + 6])"
		"j['attribution']['$p']['thread_on_other_cpu'] == 0"
	)
done
jchk "$A" "${checks[@]}"
[ "$(cat /sys/kernel/tracing/tracing_on)" = 0 ] || t_fail "tracing left on"
for e in sched/sched_switch sched/sched_waking irq/irq_handler_entry irq/irq_handler_exit; do
	[ "$(cat /sys/kernel/tracing/events/$e/enable)" = 0 ] || t_fail "$e left enabled"
done

t_log "bad input: load tool missing, device missing"
if PATH=/nonexistent "$LAT" pir -d "$T_DEV" -c 10 -r 100 --load cpu -o "$T_TMP/bad" 2>"$T_TMP/err"; then
	t_fail "--load cpu without stress-ng succeeded"
fi
cat "$T_TMP/err"
grep -q 'stress-ng' "$T_TMP/err" || t_fail "the message does not name stress-ng"
ls "$T_TMP"/bad* 2>/dev/null && t_fail "a result file was left"
"$LAT" pir -d /dev/nonexistent-video -c 10 -o "$T_TMP/bad" 2>"$T_TMP/err" && t_fail "missing device accepted"
grep -q '/dev/nonexistent-video' "$T_TMP/err" || t_fail "the message does not name the device"
ls "$T_TMP"/bad* 2>/dev/null && t_fail "a result file was left"

t_log "load cpu: recorded with its command"
command -v stress-ng >/dev/null || t_fail "stress-ng not installed (scripts/deps)"
"$LAT" pir -d "$T_DEV" -c 10 -r 20 --load cpu --json >"$T_TMP/cpu.json" || t_fail "vigil-lat pir --load cpu"
jchk "$T_TMP/cpu.json" "j['settings']['load'] == 'cpu' and j['settings']['load_command'].startswith('stress-ng')" \
	"j['v4l2']['received'] == 20"
pgrep -x stress-ng && t_fail "stress-ng still running after vigil-lat"

t_log "load vigild: a vigild recording and streaming to an HTTP client beside the train"
# its client on loopback, down at boot
ip link set lo up 2>/dev/null || busybox ip link set lo up || t_fail "cannot bring lo up"
if PATH=/nonexistent "$LAT" pir -d "$T_DEV" -c 10 -r 20 --load vigild -o "$T_TMP/bad" 2>"$T_TMP/err"; then
	t_fail "--load vigild without curl succeeded"
fi
cat "$T_TMP/err"
grep -q 'curl' "$T_TMP/err" || t_fail "the message does not name curl"
ls "$T_TMP"/bad* 2>/dev/null && t_fail "a result file was left"
TMPDIR=$T_TMP "$LAT" pir -d "$T_DEV" -c 10 -r 20 --load vigild --json >"$T_TMP/vl.json" ||
	t_fail "vigil-lat pir --load vigild"
jchk "$T_TMP/vl.json" "j['settings']['load'] == 'vigild' and 'vigild --source v4l2:$T_DEV' in j['settings']['load_command']" \
	"'curl' in j['settings']['load_command'] and j['v4l2']['received'] == 20" \
	"j['v4l2']['foreign'] == 0 and j['v4l2']['missing'] == 0"
for p in $(pgrep -x vigild); do
	grep -q '^State:.*Z' "/proc/$p/status" || t_fail "the vigild load ($p) still running after vigil-lat"
done
ls -d "$T_TMP"/vigil-lat-vigild.* 2>/dev/null && t_fail "the vigild load's directory was left"

t_log "frame, event: vigild --trace recording PIR alarms, $NEV pulses; vigil-lat frame, event"
# Pulses once it has traced 30 frames, not after a fixed time: under an
# emulated CPU vigild's start (loading its libraries) alone can take seconds.
# pir-only, no hold, 100 ms gap: each pulse (250 ms high at 2 Hz) is its
# own alarm, recorded; vigil-lat pir (V4L2 path only) is the pulse source.
mkdir -p "$T_TMP/rec"
"$T_BIN/vigild" --source "v4l2:$T_DEV" --size 160x120 \
	--format GREY --fps 30 --trace "$T_TMP/v.trace" --events "$T_TMP/v.events" \
	--policy pir-only --set fusion.pir_hold_ms=0 --set fusion.gap_ms=100 \
	--set "record.dir=$T_TMP/rec" 2>"$T_TMP/vigild.err" &
vpid=$!
for _ in $(seq 600); do
	n=$(grep -c '^{"frame"' "$T_TMP/v.trace" 2>/dev/null || true)
	[ "${n:-0}" -ge 30 ] && break
	kill -0 $vpid 2>/dev/null || break
	sleep 0.1
done
"$LAT" ktrace on $vpid || t_fail "vigil-lat ktrace on"
"$LAT" pir -d "$T_DEV" -c $NEV -r 2 --no-gpio >"$T_TMP/pulses" || t_fail "vigil-lat pir (pulses for vigild)"
"$LAT" ktrace off "$T_TMP/k.trace" || t_fail "vigil-lat ktrace off"
[ -d /sys/kernel/tracing/instances/vigil-lat ] && t_fail "ktrace instance left"
t_term $vpid
wait $vpid
st=$?
[ $st = 0 ] || { cat "$T_TMP/vigild.err"; t_fail "vigild (exit status $st)"; }
"$LAT" frame -o "$T_TMP/f" "$T_TMP/v.trace" || t_fail "vigil-lat frame"
frames=$(grep -c '^{"frame"' "$T_TMP/v.trace")
# pir-only: every pulse starts an alarm from its PIR edge; a frame may
# start one too when it is fused while the PIR is still high after the
# previous alarm ended, its falling edge not yet read (seen on a loaded
# host): then frame.eof-to-event follows
byframe=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['events_by_frame'])" "$T_TMP/f.json") ||
	t_fail "f.json unreadable"
fs="['frame.eof-to-vigild', 'frame.detect', 'frame.fusion'] + (['frame.eof-to-event'] if $byframe else [])"
jchk "$T_TMP/f.json" "j['frames'] == $frames > 10 and j['skipped'] == 0" \
	"[s['stage'] for s in j['stages']] == $fs" \
	"all(s['count'] == $frames and 0 < s['min_ns'] <= s['max_ns'] for s in j['stages'][:2])" \
	"j['stages'][2]['count'] == $frames and $byframe < $NEV"
"$LAT" frame --ktrace "$T_TMP/k.trace" -o "$T_TMP/fk" "$T_TMP/v.trace" || t_fail "vigil-lat frame --ktrace"
grep -o '"attribution":{[^}]*}' "$T_TMP/fk.json"
split="['frame.eof-to-vigild.' + x for x in ('eof-to-buf-done', 'buf-done-to-loop-wakeup', 'loop-wakeup-to-run', 'run-to-cqe', 'cqe-to-dqbuf', 'dqbuf-to-callback')]"
# every split stage counts the attributed frames; their medians add up to
# no more than the whole stage's maximum (1 us trace resolution per step)
jchk "$T_TMP/fk.json" "[s['stage'] for s in j['stages']] == $fs + $split" \
	"j['attribution']['pid'] == $vpid and j['attribution']['records'] > 0" \
	"0 < j['attribution']['frames_in_trace'] <= j['frames']" \
	"j['attribution']['attributed'] + j['attribution']['not_woken'] + j['attribution']['no_cqe'] + j['attribution']['unmatched'] == j['attribution']['frames_in_trace']" \
	"j['attribution']['attributed'] >= j['attribution']['frames_in_trace'] // 2" \
	"all(s['count'] == j['attribution']['attributed'] for s in j['stages'][-6:])" \
	"sum(s['min_ns'] for s in j['stages'][-6:]) <= j['stages'][0]['max_ns'] + 6000"
: >"$T_TMP/empty.trace"
"$LAT" frame --ktrace "$T_TMP/empty.trace" -o "$T_TMP/bad" "$T_TMP/v.trace" 2>"$T_TMP/err" &&
	t_fail "frame --ktrace of an empty file accepted"
grep -q 'not a vigil-lat ktrace file' "$T_TMP/err" || t_fail "no clear message: $(cat "$T_TMP/err")"
ls "$T_TMP"/bad* 2>/dev/null && t_fail "a result file was left"
"$LAT" event -o "$T_TMP/e" "$T_TMP/v.trace" || { grep -v '^{"frame"' "$T_TMP/v.trace"; t_fail "vigil-lat event"; }
jchk "$T_TMP/e.json" "j['events'] == j['by_pir'] + $byframe and j['by_pir'] == j['measured'] == $NEV" \
	"j['unsynced'] == 0 and j['bad'] == 0" \
	"[s['stage'] for s in j['stages']] == ['event.' + x for x in ('pir-to-vigild', 'vigild-to-fused', 'fused-to-sent', 'fused-to-synced', 'pir-to-synced')]" \
	"all(s['count'] == $NEV and 0 < s['min_ns'] <= s['p50_ns'] <= s['max_ns'] for s in j['stages'])" \
	"j['stages'][4]['min_ns'] >= j['stages'][0]['min_ns'] + j['stages'][3]['min_ns']"
ls "$T_TMP"/rec/*.vclip >/dev/null || t_fail "no clip recorded"

t_log "wake: 3 cycles, PIR edge in standby -> first full-rate frame"
"$LAT" wake -d "$T_DEV" -c 3 --fps 30 --attribute -o "$T_TMP/w" --json >"$T_TMP/wake.json" ||
	t_fail "vigil-lat wake --attribute"
cat "$T_TMP/wake.json"
cmp -s "$T_TMP/wake.json" "$T_TMP/w.json" || t_fail "w.json differs from --json"
# the first full-rate frame ends after the IRQ thread switched to full rate
# --attribute: frame -> DQBUF split through tracefs (the reader sleeps in
# poll() until the frame is done, so every cycle is normally attributed)
jchk "$T_TMP/w.json" "[s['stage'] for s in j['stages']][:3] == ['wake.irq-to-fullrate', 'wake.irq-to-frame', 'wake.frame-to-dqbuf']" \
	"all(s['count'] == 3 and s['min_ns'] <= s['p50_ns'] <= s['max_ns'] for s in j['stages'][:3])" \
	"j['stages'][0]['max_ns'] < j['stages'][1]['max_ns'] and 0 < j['stages'][1]['min_ns']" \
	"[s['stage'] for s in j['stages']][3:7] == ['wake.frame-to-dqbuf.' + x for x in ('eof-to-buf-done', 'buf-done-to-reader-wakeup', 'reader-wakeup-to-run', 'reader-run-to-dqbuf')]" \
	"j['attribution']['attributed'] + j['attribution']['unattributed'] == 3 and j['attribution']['attributed'] >= 2" \
	"all(s['count'] == j['attribution']['attributed'] for s in j['stages'][3:7])" \
	"sum(s['min_ns'] for s in j['stages'][3:7]) <= j['stages'][2]['max_ns'] + 1000" \
	"[s['stage'] for s in j['stages']][7:] == ['wake.irq-to-fullrate.' + x for x in ('hardirq-to-thread-wakeup', 'thread-wakeup-to-run', 'thread-run-to-fullrate')]" \
	"j['attribution']['irq'] > 0 and j['attribution']['irq_thread'] > 0" \
	"j['attribution']['irq_attributed'] + j['attribution']['irq_direct'] + j['attribution']['irq_unattributed'] == 3" \
	"j['attribution']['irq_attributed'] + j['attribution']['irq_direct'] >= 2" \
	"all(s['count'] == j['attribution']['irq_attributed'] for s in j['stages'][7:])" \
	"sum(s['min_ns'] for s in j['stages'][7:]) <= j['stages'][0]['max_ns'] + 1000"
grep -q '^# Total: 000000003 000000003 000000003 ' "$T_TMP/w.hist" || t_fail "wake histogram totals"
for e in vb2/vb2_buf_done sched/sched_wakeup sched/sched_switch irq/irq_handler_entry sched/sched_waking; do
	[ "$(cat /sys/kernel/tracing/events/$e/enable)" = 0 ] || t_fail "$e left enabled"
done
for e in sched/sched_wakeup sched/sched_switch irq/irq_handler_entry sched/sched_waking; do
	grep -q '^none' /sys/kernel/tracing/events/$e/filter || t_fail "$e filter left set"
done
t_unload || t_fail "rmmod vigil"
exit 0
