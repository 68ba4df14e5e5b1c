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
#  3. bad input: a trace without recording (no synced line) is an error
#     naming [record] dir, and leaves no result file.
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
