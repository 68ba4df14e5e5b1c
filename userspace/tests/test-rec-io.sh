#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# No blocking call on vigild's loop per clip (issue #8): vigild records the
# four alarms of a replay (--fast, to its end) with retention (max_bytes)
# evicting the oldest clip as each closes, under strace -f; between the loop thread's first io_uring_enter
# and its stats line, the loop thread (the process's first) must make
# none of the calls that wait for a disk: no open, stat, statfs, directory
# read, unlink, rename, sync, nor any read, write or close of a regular
# file (the event sink is /dev/null, stderr a pipe). Those calls must show
# up on the vigild-store thread instead (the scan, the magic checks: proof
# that the trace sees the threads). Also: clips were opened, closed and
# evicted (40 old clips of vigil's first: two batches), each deletion is in
# the audit log as one well-formed record, every clip left verifies, a
# foreign file named like a clip is untouched.
# Run by `make check` from userspace/ (VIGIL_BUILD set). Exit 0 pass, 1 fail.
set -u -o pipefail
B=${VIGIL_BUILD:?}
T=$(mktemp -d /tmp/vigil-rec-io-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && tail -20 "$T/err"; exit 1; }

command -v strace >/dev/null || fail "strace is not installed (scripts/deps installs it)"
# a person crosses four times, 4 s apart (15 fps): four alarms, four clips
{
	printf '[scene]\nwidth = 320\nheight = 240\nfps = 15\nframes = 240\nseed = 3\nnoise = 2\n'
	for s in 20 80 140 200; do
		printf '[item p%s]\nkind = person\nstart = %s\nend = %s\nfrom_x = -10\n' \
			$s $s $((s + 25))
		printf 'to_x = 300\ny = 70\nw = 60\nh = 150\ncontrast = -45\nwarm = yes\nalarm = yes\n'
	done
} >"$T/scene.ini"
"$B/tools/vigil-scene" "$T/scene.ini" -o "$T/s.y4m" || fail "vigil-scene"
mkdir "$T/rec"
# 40 old clips of vigil's (the magic: more than one batch of deletions),
# and a foreign file with a clip's name among them
for s in $(seq 10 49); do
	printf 'VIGILCLP-old' >"$T/rec/20200101T0000${s}Z-0001.vclip"
done
printf 'not a clip\n' >"$T/rec/20200101T000000Z-0002.vclip"

# the replay as fast as vigild goes, to its end; stderr a pipe, not a file
strace -f -y -o "$T/strace" "$B/vigild" --source "replay:$T/s.y4m" --fast \
	--policy video-only --events /dev/null --stats \
	--set "record.dir=$T/rec" --set record.preroll_s=0.5 --set record.keyint=5 \
	--set record.postroll_s=0.3 --set record.merge_gap_s=0 \
	--set fusion.gap_ms=500 --set record.max_bytes=2000000 2>&1 | cat >"$T/err" ||
	fail "vigild (under strace)"
grep -q "vigild: stats: recording" "$T/err" || fail "vigild did not stop cleanly"

evicted=$(sed -n 's/.* evicted \([0-9]*\) .*/\1/p' "$T/err")
clips=$(sed -n 's/.*recording clips \([0-9]*\) .*/\1/p' "$T/err")
echo "clips $clips evicted $evicted, $(wc -l <"$T/strace") lines of strace"
[ "${clips:-0}" -ge 4 ] || fail "only ${clips:-0} clips recorded"
[ "${evicted:-0}" -ge 43 ] || fail "only ${evicted:-0} clips evicted"
grep -q " failed 0 missed 0 " "$T/err" || fail "failed or missed clips"
[ "$(cat "$T/rec/20200101T000000Z-0002.vclip")" = "not a clip" ] ||
	fail "the foreign file was touched"
[ -z "$(ls "$T"/rec/20200101T0000[1-4]?Z-0001.vclip 2>/dev/null)" ] ||
	fail "old clips were not evicted"
# one record per deletion, each one line that vigil-clip audit reads
n=$(grep -c '"action":"delete"' "$T/rec/audit.jsonl")
[ "$n" = "$evicted" ] || fail "$n delete records for $evicted deletions"
"$B/tools/vigil-clip" audit "$T/rec/audit.jsonl" >"$T/audit" || fail "vigil-clip audit"
[ "$(grep -c 'delete' "$T/audit")" = "$evicted" ] || fail "vigil-clip audit: $(cat "$T/audit")"
[ "$(grep -c '20200101T0000[1-4][0-9]Z-0001' "$T/audit")" = 40 ] ||
	fail "the old clips' deletions are not all audited"
left=0
for f in "$T"/rec/*.vclip; do
	case $f in *20200101T000000Z-0002.vclip) continue ;; esac
	"$B/tools/vigil-clip" verify "$f" >/dev/null 2>&1 || fail "$f does not verify"
	left=$((left + 1))
done
[ "$left" -ge 1 ] || fail "no clip left: retention evicted the newest"

PYTHONPATH=$(dirname "$0") python3 - "$T/strace" <<'PY' || fail "blocking calls on the loop (above)"
import re, sys
from strace_window import CALL as call, window
lines = open(sys.argv[1]).read().splitlines()
loop = lines[0].split()[0]
store = None
for l in lines:
    m = re.search(r'</proc/\d+/task/(\d+)/comm>, "vigild-store"', l)
    if m:
        store = m.group(1)
ALWAYS = {'open', 'openat', 'openat2', 'creat', 'unlink', 'unlinkat', 'rename',
          'renameat', 'renameat2', 'getdents', 'getdents64', 'statfs', 'fstatfs',
          'statx', 'access', 'faccessat', 'faccessat2', 'stat', 'lstat', 'fsync',
          'fdatasync', 'syncfs', 'sync_file_range', 'mkdir', 'mkdirat', 'truncate',
          'ftruncate', 'fallocate', 'readlink', 'readlinkat'}
# on a regular file (an fd whose path is not /dev/..., a pipe, socket or anon inode)
ON_FILE = {'read', 'pread64', 'readv', 'preadv', 'preadv2', 'write', 'pwrite64',
           'writev', 'pwritev', 'pwritev2', 'close', 'lseek', 'fstat', 'newfstatat'}
bad, enters, seen = [], 0, set()
for l in window(lines, loop):
    m = call.match(l)
    if not m:
        continue
    tid, name, args = m.groups()
    if tid == store:
        seen.add(name)
    if tid != loop:
        continue
    enters += name == 'io_uring_enter'
    fd = re.match(r'(-?\d+|AT_FDCWD)(<[^>]*>)?', args)
    path = fd.group(2) or '' if fd else ''
    on_file = (path.startswith('</') and not path.startswith('</dev/')) or \
        (fd and fd.group(1) == 'AT_FDCWD')
    if name in ALWAYS or (name in ON_FILE and on_file):
        bad.append(l)
print('loop thread %s: %d io_uring_enter, %d blocking calls in the window; '
      'vigild-store %s: %s' % (loop, enters, len(bad), store, ' '.join(sorted(seen))))
for l in bad[:20]:
    print('  ' + l)
assert not bad, 'blocking calls on the loop thread'
assert enters > 10, 'the loop hardly ran'
assert store, 'no thread named vigild-store'
assert {'getdents64', 'openat'} <= seen, 'the scan is not on vigild-store'
PY
echo "ok: the loop thread made no blocking call per clip"
