#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vigild --trace and the stages vigil-lat reads from it (issue 13), on the
# host with a real-time replay (its frames and PIR edges come on
# CLOCK_MONOTONIC, as a camera's):
#  1. every PIR edge is traced with in_ns, every frame with fused_ns after
#     done_ns; each alarm start is traced once, started by a PIR edge (the
#     policy is pir-only) with that edge's timestamp, and the recorder
#     writes one synced line per alarm, for bytes the clip holds;
#  2. vigil-lat event turns them into the five event stages, one sample per
#     alarm, each total the sum of its parts; vigil-lat frame gives
#     frame.fusion for every frame;
#     vigil-score still reads the trace (it skips the alarm and synced lines);
#  3. vigil-lat frame --ktrace on synthetic traces: exact splits of
#     EOF -> vigild, a frame the loop was not woken for counted apart;
#  4. bad input: a trace without recording (no synced line) is an error
#     naming [record] dir, a ktrace file without records is refused, and
#     neither leaves a result file.
# Structure only, never a time. Run by `make check` from userspace/
# (VIGIL_BUILD set). Exit 0 pass, 1 fail.
set -u
B=${VIGIL_BUILD:?}
SRC=${VIGIL_SRCDIR:?}
T=$(mktemp -d /tmp/vigil-lat-trace-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && tail -20 "$T/err"; exit 1; }

"$B/tools/vigil-scene" "$SRC/tests/scenarios/person-walk.ini" -o "$T/s.y4m" -p "$T/s.pir" ||
	fail "vigil-scene"
rising=$(grep -c ' 1$' "$T/s.pir")
[ "$rising" -ge 2 ] || fail "the scene has $rising rising PIR edges"
mkdir "$T/rec"
# pir_hold 0.2 s, gap 0.3 s: each rising edge of the scene is its own alarm
"$B/vigild" --source "replay:$T/s.y4m" --realtime --policy pir-only \
	--set "source.pir_events=$T/s.pir" --set "record.dir=$T/rec" \
	--set fusion.pir_hold_ms=200 --set fusion.gap_ms=300 \
	--events "$T/events" --trace "$T/trace" 2>"$T/err" || fail "vigild"
echo "trace: $(wc -l <"$T/trace") lines, $rising rising PIR edges"
grep -v '^{"frame"' "$T/trace"

python3 - "$T/trace" "$rising" "$T/rec" <<'PY' || fail "trace lines (above)"
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
rising = int(sys.argv[2])
clips = [os.path.join(sys.argv[3], f) for f in os.listdir(sys.argv[3])]
size = max(os.path.getsize(c) for c in clips)
pir = [l for l in lines if 'pir' in l]
frames = [l for l in lines if 'frame' in l and 'event' not in l and 'pir' not in l]
events = [l for l in lines if 'event' in l]
synced = [l for l in lines if 'synced' in l]
assert len(pir) == 2 * rising, ('pir lines', len(pir))
assert all(p['in_ns'] >= p['ts_ns'] for p in pir), 'pir in_ns'
assert frames and all(f['fused_ns'] >= f['done_ns'] >= f['in_ns'] for f in frames), 'frame times'
assert len(events) == rising, ('event lines', len(events))
for i, e in enumerate(events):
    assert e['kind'] == 'motion' and e['type'] == 'start' and e['by'] == 'pir', e
    # the line before it is the rising edge that started it
    prev = lines[lines.index(e) - 1]
    assert prev.get('pir') == 1 and prev['ts_ns'] == e['in_ts_ns'] and prev['in_ns'] == e['in_ns'], (prev, e)
    assert e['in_ns'] <= e['emit_ns'] <= e['sent_ns'], e
assert sorted(s['synced'] for s in synced) == sorted(e['event'] for e in events), 'one synced line per alarm'
for s in synced:
    e = [e for e in events if e['event'] == s['synced']][0]
    assert lines.index(s) > lines.index(e) and s['synced_ns'] >= e['sent_ns'], (e, s)
    assert 0 < s['off'] <= size, (s, size)
print('trace: %d PIR edges, %d frames, %d alarms, each synced' % (len(pir), len(frames), len(events)))
PY

# vigil-score replays the same trace (its frame and PIR lines), the alarm
# and synced lines skipped
"$B/tools/vigil-score" "$SRC/tests/scenarios/person-walk.ini" "$T/trace" >"$T/score" ||
	fail "vigil-score on a trace with alarm and synced lines: $(cat "$T/score")"
"$B/tools/vigil-lat" event -o "$T/e" "$T/trace" || fail "vigil-lat event"
"$B/tools/vigil-lat" frame -o "$T/f" "$T/trace" || fail "vigil-lat frame"
python3 - "$T/e.json" "$T/f.json" "$rising" "$T/trace" <<'PY' || fail "vigil-lat results (above)"
import json, sys
e = json.load(open(sys.argv[1]))
f = json.load(open(sys.argv[2]))
rising = int(sys.argv[3])
frames = sum(1 for l in open(sys.argv[4]) if l.startswith('{"frame"'))
names = ['event.' + x for x in ('pir-to-vigild', 'vigild-to-fused', 'fused-to-sent',
                                'fused-to-synced', 'pir-to-synced')]
st = {s['stage']: s for s in e['stages']}
assert [s['stage'] for s in e['stages']] == names, e['stages']
assert e['mode'] == 'event' and e['events'] == e['by_pir'] == e['measured'] == rising, e
assert e['unsynced'] == 0 and e['bad'] == 0, e
assert all(s['count'] == rising and s['min_ns'] <= s['p50_ns'] <= s['max_ns'] for s in e['stages'])
# the whole is its parts: PIR -> vigild -> fused -> synced, per alarm
assert st['event.pir-to-synced']['min_ns'] >= st['event.fused-to-synced']['min_ns'] + st['event.pir-to-vigild']['min_ns']
assert st['event.pir-to-synced']['max_ns'] <= (st['event.pir-to-vigild']['max_ns'] +
    st['event.vigild-to-fused']['max_ns'] + st['event.fused-to-synced']['max_ns'])
fs = {s['stage']: s for s in f['stages']}
assert list(fs)[:3] == ['frame.eof-to-vigild', 'frame.detect', 'frame.fusion'], list(fs)
assert fs['frame.fusion']['count'] == f['frames'] == frames, (fs, frames)
assert 'frame.eof-to-event' not in fs and f['events_by_frame'] == 0, f
print('vigil-lat event: %d alarms, PIR -> synced p50 %d ns' % (rising, st['event.pir-to-synced']['p50_ns']))
PY
grep -q '^# Total: 00000000'"$rising"' 00000000'"$rising" "$T/e.hist" || fail "event histogram totals"

# frame --ktrace (the kernel's side of EOF -> vigild, as vigil-lat ktrace
# off writes it): five frames, the records cover frames 2-4; frame 3 was
# done while the loop still ran (no wake-up). Exact splits, counts, and a
# file without records refused with no result left.
python3 - "$T/ftrace" "$T/ktrace" <<'PY' || fail "writing the synthetic traces"
import sys
ft, kt = open(sys.argv[1], 'w'), open(sys.argv[2], 'w')
base = 5000000000000            # 5000 s, CLOCK_MONOTONIC ns
kt.write('# vigil-lat ktrace: pid=42 overrun=0\n# tracer: nop\n')
def rec(t, who, ev, fields):
    kt.write('%16s [000] d..2. %5d.%06d: %s: %s\n' % (who, t // 10**9, t % 10**9 // 1000, ev, fields))
for i in range(5):
    ts = base + i * 33333000             # whole microseconds, as V4L2 gives them
    done, wake, run, cqe, dq, inn = (ts + 5000, ts + 7000, ts + 17000, ts + 20000,
                                     ts + 30000, ts + 31500)
    ft.write('{"frame":%d,"ts_ns":%d,"motion":0,"in_ns":%d,"done_ns":%d,"fused_ns":%d}\n'
             % (i, ts, inn, inn + 400, inn + 500))
    if not 1 <= i <= 3:
        continue
    rec(done, 'kworker/0:1H-51', 'vb2_buf_done', 'index = 1, timestamp = %d' % ts)
    if i != 2:
        rec(wake, 'kworker/0:1H-51', 'sched_waking', 'comm=vigild pid=42 prio=120 target_cpu=000')
        rec(run, '<idle>-0', 'sched_switch', 'prev_comm=swapper prev_pid=0 ==> next_comm=vigild next_pid=42')
        rec(cqe, 'vigild-42', 'io_uring_complete', 'ring 0, req 0, user_data 0x100000001, result 1, cflags 0x2 extra1 0 extra2 0')
    rec(dq, 'vigild-42', 'v4l2_dqbuf', 'minor = 0, index = 1, timestamp = %d, sequence = %d' % (ts, i))
PY
"$B/tools/vigil-lat" frame --ktrace "$T/ktrace" -o "$T/fk" "$T/ftrace" || fail "vigil-lat frame --ktrace"
python3 - "$T/fk.json" <<'PY' || fail "vigil-lat frame --ktrace result (above)"
import json, sys
j = json.load(open(sys.argv[1]))
a = j['attribution']
assert (a['pid'], a['poll_user_data'], a['frames_in_trace'], a['attributed'], a['not_woken'],
        a['no_cqe'], a['unmatched'], a['lost_records']) == (42, 0x100000001, 3, 2, 1, 0, 0, 0), a
st = {s['stage']: s for s in j['stages']}
want = {'eof-to-buf-done': 5000, 'buf-done-to-loop-wakeup': 2000, 'loop-wakeup-to-run': 10000,
        'run-to-cqe': 3000, 'cqe-to-dqbuf': 10000, 'dqbuf-to-callback': 1500}
for k, v in want.items():
    s = st['frame.eof-to-vigild.' + k]
    assert s['count'] == 2 and s['min_ns'] == s['max_ns'] == v, (k, s)
assert st['frame.eof-to-vigild']['count'] == 5 and st['frame.eof-to-vigild']['max_ns'] == 31500, st
print('vigil-lat frame --ktrace: 2 of 3 frames split, 1 not woken')
PY
grep -q '^# vigil-lat: columns frame.eof-to-vigild frame.detect frame.fusion frame.eof-to-vigild.eof-to-buf-done ' "$T/fk.hist" ||
	fail "frame --ktrace histogram columns"
grep '^#' "$T/ktrace" >"$T/kempty"
if "$B/tools/vigil-lat" frame --ktrace "$T/kempty" -o "$T/bad" "$T/ftrace" 2>"$T/bad.err"; then
	fail "frame --ktrace accepted a file without records"
fi
grep -q 'not a vigil-lat ktrace file' "$T/bad.err" || fail "no clear message: $(cat "$T/bad.err")"
ls "$T"/bad.json "$T"/bad.hist 2>/dev/null && fail "a result file was left"

# bad input: no recording, so no synced line
"$B/vigild" --source "replay:$T/s.y4m" --fast --policy pir-only \
	--set "source.pir_events=$T/s.pir" --events /dev/null --trace "$T/trace2" 2>"$T/err" ||
	fail "vigild without recording"
if "$B/tools/vigil-lat" event -o "$T/bad" "$T/trace2" 2>"$T/bad.err"; then
	fail "vigil-lat event accepted a trace without recording"
fi
cat "$T/bad.err"
grep -q 'record\] dir' "$T/bad.err" || fail "the message does not name [record] dir"
ls "$T"/bad.json "$T"/bad.hist 2>/dev/null && fail "a result file was left"
echo "PASS"
exit 0
