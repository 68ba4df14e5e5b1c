#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kreport on fixed kernel logs: a WARNING is reported whole; vivid's
# own negative-timeout stack dump (a bug of the vivid driver that TCG under
# host load triggers) is not a report; the same dump from any other function
# is.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "kreport: FAIL: $*"; exit 1; }

cat >"$T/vivid.log" <<'LOG'
[  100.000001] hrtimer: interrupt took 135012345 ns
[  100.100000] schedule_timeout: wrong timeout value fffffffffffffffe
[  100.100001] CPU: 0 PID: 312 Comm: vivid-000-vid-c Not tainted 6.12.117+deb12-amd64 #1
[  100.100002] Call Trace:
[  100.100003]  <TASK>
[  100.100004]  dump_stack_lvl+0x5d/0x80
[  100.100005]  schedule_timeout+0x120/0x130
[  100.100006]  vivid_thread_vid_cap+0x1f2/0x330 [vivid]
[  100.100007]  kthread+0xd2/0x100
[  100.100008]  </TASK>
LOG
cat >"$T/warn.log" <<'LOG'
[  200.000000] ------------[ cut here ]------------
[  200.000001] WARNING: CPU: 1 PID: 77 at kmod/vigil-pir.c:123 vigil_pir_thread+0x10/0x20 [vigil]
[  200.000002] Call Trace:
[  200.000003]  <TASK>
[  200.000004]  irq_thread_fn+0x20/0x60
[  200.000005]  </TASK>
[  200.000006] ---[ end trace 0000000000000000 ]---
[  200.000007] vigil vigil.0: after the report
LOG

out=$("$ROOT/scripts/kreport" "$T/vivid.log") && fail "vivid's known dump reported: $out"
[ -z "$out" ] || fail "vivid's known dump printed: $out"
sed 's/vivid_thread_vid_cap/vigil_frame_work/' "$T/vivid.log" >"$T/other.log"
out=$("$ROOT/scripts/kreport" "$T/other.log") || fail "the same dump from vigil is not reported"
grep -q 'vigil_frame_work' <<<"$out" || fail "the report lacks its stack: $out"
cat "$T/vivid.log" "$T/warn.log" >"$T/both.log"
out=$("$ROOT/scripts/kreport" "$T/both.log") || fail "a WARNING after vivid's dump is not reported"
grep -q '^\[  200.000001\] WARNING' <<<"$out" || fail "no WARNING line: $out"
grep -q 'end trace' <<<"$out" || fail "the WARNING is not shown through its end: $out"
grep -q 'after the report' <<<"$out" && fail "lines after the report shown: $out"
grep -q 'vivid' <<<"$out" && fail "vivid's dump shown with the WARNING: $out"
echo "ok: kreport: WARNING whole, vivid's known dump left out, the same dump elsewhere reported"
