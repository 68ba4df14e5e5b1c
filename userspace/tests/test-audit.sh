#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vigild's audit log (issue #8, agent/audit.c), end to end on the host:
#  1. off the loop: vigild runs under strace -f with [http] and [push] (to a
#     small WebDAV receiver on loopback); push uploads a clip (the start
#     scan, then one renamed in), an HTTP client streams one twice. From the
#     loop's first io_uring_enter to the stats line no thread makes a system
#     call on the audit log (no openat, write, fdatasync, close: each record
#     is one write linked to its fdatasync on the ring), and the loop thread
#     makes no fsync/fdatasync at all;
#  2. logrotate: the log moved away, SIGHUP: records from then on are in a
#     new file at the configured path, the old file keeps its records
#     intact, `vigil-clip audit` prints both files' records; --stats counts
#     the records and the reopen;
#     a reopen that fails is said and counted, records go on to the old file;
#  3. a log that cannot be opened ([record] audit or [push] audit in a
#     missing directory, or a directory): vigild stops at start, status 2,
#     naming the path;
#  4. records that cannot be written (VIGILD_TEST_AUDIT_FAIL, a test-only
#     fault injection: the write or fdatasync really fails in the kernel):
#     an HTTP stream whose record's fdatasync or write fails is answered
#     500 with nothing of the clip; push's record follows its upload, so a
#     failed one leaves the upload done; each failure is counted in --stats
#     and in /metrics (vigil_audit_*_total{log="PATH"}); then the queue
#     full (hold:6: no record goes out before 6 were dropped): of 70 streams
#     at once, 6 are refused at once (500, nothing of the clip), 64 are
#     served byte-exact once their records are on disk; dropped 6, and the
#     log holds exactly those 64 (by client port).
# Run by `make check` from userspace/ (VIGIL_BUILD set). Exit 0 pass, 1 fail.
set -u -o pipefail
B=${VIGIL_BUILD:?}
T=$(mktemp -d /tmp/vigil-audit-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && tail -20 "$T/err"; exit 1; }
# wait up to $1 tenths of a second for the command that follows
waitfor() {
	local n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

for tool in strace curl python3; do
	command -v $tool >/dev/null || fail "$tool is not installed (scripts/deps installs it)"
done
mkdir "$T/clips" "$T/www"
printf '[scene]\nwidth = 160\nheight = 120\nfps = 10\nframes = 20\nseed = 5\nnoise = 2\n' \
	>"$T/scene.ini"
"$B/tools/vigil-scene" "$T/scene.ini" -o "$T/s.y4m" >/dev/null || fail "vigil-scene"
ID1=20200101T000001Z-0001
ID2=20200101T000002Z-0001
"$B/tools/vigil-clip" encode "$T/s.y4m" "$T/clips/$ID1.vclip" >/dev/null 2>&1 ||
	fail "vigil-clip encode"
"$B/tools/vigil-clip" encode -c 2 "$T/s.y4m" "$T/clip2" >/dev/null 2>&1 ||
	fail "vigil-clip encode"

# the push receiver: PUT, HEAD, MOVE (what push uses of WebDAV), any port
cat >"$T/dav.py" <<'PY'
import http.server, os, sys, urllib.parse
root = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def path_of(self, url):
        return os.path.join(root, os.path.basename(urllib.parse.urlparse(url).path))
    def answer(self, code):
        self.send_response(code)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def do_HEAD(self):
        p = self.path_of(self.path)
        if not os.path.isfile(p):
            return self.answer(404)
        self.send_response(200)
        self.send_header('Content-Length', str(os.path.getsize(p)))
        self.end_headers()
    def do_PUT(self):
        n = int(self.headers['Content-Length'])
        data = b''
        while len(data) < n:
            d = self.rfile.read(n - len(data))
            if not d:
                break
            data += d
        with open(self.path_of(self.path), 'wb') as f:
            f.write(data)
        self.answer(201)
    def do_MOVE(self):
        os.rename(self.path_of(self.path), self.path_of(self.headers['Destination']))
        self.answer(201)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/dav.py" "$T/www" "$T/dav.port" &
pids+=($!)
waitfor 50 test -s "$T/dav.port" || fail "the receiver did not start"
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# 1, 2: vigild (a replay in a loop, real time) under strace
strace -f -y -qq -o "$T/strace" "$B/vigild" --source "replay:$T/s.y4m" --loop \
	--policy video-only --events /dev/null --stats \
	--set "record.dir=$T/clips" --set "http.listen=127.0.0.1:$HP" \
	--set "http.token_file=$T/token" \
	--set "push.url=http://127.0.0.1:$(cat "$T/dav.port")/vigil/" 2>"$T/err" &
ST=$!
pids+=($ST)
waitfor 300 grep -qs "vigild: push: $ID1 uploaded" "$T/err" || fail "push did not upload $ID1"
VP=$(pgrep -P "$ST" -x vigild) || fail "no vigild under strace"
waitfor 50 test -s "$T/token" || fail "no API token"
stream() {
	curl -sf -H "Authorization: Bearer $(cat "$T/token")" -o "$T/got" \
		"http://127.0.0.1:$HP/api/clips/$1" || fail "streaming $1"
	cmp -s "$T/got" "$T/clips/$1.vclip" || fail "$1 streamed differs"
}
stream $ID1
cmp -s "$T/www/$ID1.vclip" "$T/clips/$ID1.vclip" || fail "$ID1 pushed differs"

# logrotate's move, then SIGHUP, once the upload's record is written too
# (push queues it as it logs the upload: it may still be on its way)
lines2() { [ "$(wc -l <"$T/clips/audit.jsonl")" = 2 ]; }
waitfor 300 lines2 || fail "the first two records: $(cat "$T/clips/audit.jsonl")"
mv "$T/clips/audit.jsonl" "$T/audit.jsonl.1"
kill -HUP "$VP"
waitfor 200 grep -qs "SIGHUP: audit log .* reopened" "$T/err" || fail "no reopen logged"
stream $ID1
mv "$T/clip2" "$T/clips/$ID2.vclip"	# as the recorder closes a clip: push sees it
waitfor 300 grep -qs "vigild: push: $ID2 uploaded" "$T/err" || fail "push did not upload $ID2"
kill -TERM "$VP"
wait "$ST" || fail "vigild (under strace) exited $?"
grep -q "vigild: stats: recording" "$T/err" || fail "vigild did not stop cleanly"

old=$T/audit.jsonl.1 new=$T/clips/audit.jsonl
echo "old log: $(wc -l <"$old") records, new log: $(wc -l <"$new") records"
# the old file: its two records, intact; the new one: the two after SIGHUP
[ "$(wc -l <"$old")" = 2 ] || fail "old log: $(cat "$old")"
grep -q "\"action\":\"upload\",\"clip\":\"$ID1\",\"client\":\"127.0.0.1\"" "$old" ||
	fail "old log has no upload of $ID1: $(cat "$old")"
grep -q "\"action\":\"stream\",\"clip\":\"$ID1\",\"client\":\"127.0.0.1:[0-9]* token:" "$old" ||
	fail "old log has no stream of $ID1: $(cat "$old")"
[ "$(wc -l <"$new")" = 2 ] || fail "new log: $(cat "$new")"
grep -q "\"action\":\"stream\",\"clip\":\"$ID1\"" "$new" || fail "new log: no stream: $(cat "$new")"
grep -q "\"action\":\"upload\",\"clip\":\"$ID2\"" "$new" || fail "new log: no upload: $(cat "$new")"
for f in "$old" "$new"; do
	"$B/tools/vigil-clip" audit "$f" >"$T/printed" || fail "vigil-clip audit $f"
	[ "$(grep -c "$ID1\|$ID2" "$T/printed")" = 2 ] || fail "vigil-clip audit $f: $(cat "$T/printed")"
done
"$B/tools/vigil-clip" audit "$old" | grep -q "upload.*$ID1" || fail "vigil-clip audit: old upload"
"$B/tools/vigil-clip" audit "$new" | grep -q "upload.*$ID2" || fail "vigil-clip audit: new upload"
grep -q "vigild: audit stats: $T/clips/audit.jsonl records [34] errors 0 dropped 0 reopens 1 reopen_errors 0" \
	"$T/err" || fail "audit stats: $(grep 'audit stats' "$T/err")"

PYTHONPATH=$(dirname "$0") python3 - "$T/strace" "$VP" <<'PY' || fail "system calls on the audit log (above)"
import sys
from strace_window import CALL as call, window
lines = open(sys.argv[1]).read().splitlines()
loop = sys.argv[2]
bad, enters, tids = [], 0, set()
for l in window(lines, loop):
    m = call.match(l)
    if not m:
        continue
    tid, name, args = m.groups()
    tids.add(tid)
    enters += tid == loop and name == 'io_uring_enter'
    if 'audit.jsonl' in l or (tid == loop and name in ('fsync', 'fdatasync')):
        bad.append(l)
print('loop thread %s: %d io_uring_enter; %d threads traced; %d calls on the audit log '
      'in the window' % (loop, enters, len(tids), len(bad)))
for l in bad[:20]:
    print('  ' + l)
assert not bad, 'system calls on the audit log'
assert enters > 10, 'the loop hardly ran'
assert len(tids) > 1, 'the trace does not see the threads'
PY

# 2b: a reopen that fails (the log's directory moved away): said, counted,
# records go on to the old file, vigild goes on
mkdir "$T/logs"
: >"$T/err"	# emptied before the waits below read it (not by vigild's start)
"$B/vigild" --source "replay:$T/s.y4m" --loop --policy video-only --events /dev/null \
	--stats --set "record.dir=$T/clips" --set "record.audit=$T/logs/audit.jsonl" \
	--set "http.listen=127.0.0.1:$HP" --set "http.token_file=$T/token" 2>"$T/err" &
VP=$!
pids+=($VP)
waitfor 300 grep -qs "HTTP API on" "$T/err" || fail "vigild (2b) did not start"
stream $ID1
mv "$T/logs" "$T/logs.old"
kill -HUP "$VP"
waitfor 200 grep -qs "SIGHUP: audit log $T/logs/audit.jsonl: No such file or directory (records go on to the old file)" \
	"$T/err" || fail "the failed reopen was not said"
stream $ID1
kill -TERM "$VP"
wait "$VP" || fail "vigild (2b) exited $?"
[ "$(grep -c "\"action\":\"stream\",\"clip\":\"$ID1\"" "$T/logs.old/audit.jsonl")" = 2 ] ||
	fail "2b: $(cat "$T/logs.old/audit.jsonl")"
grep -q "audit stats: $T/logs/audit.jsonl records 2 errors 0 dropped 0 reopens 0 reopen_errors 1" \
	"$T/err" || fail "2b: $(grep 'audit stats' "$T/err")"
echo "2b: reopen failed: 2 records in the old file, reopen_errors 1"

# 3: a log that cannot be opened stops vigild at start, naming it
mkdir "$T/adir"
PUSH="push.url=http://127.0.0.1:$(cat "$T/dav.port")/vigil/"
bad_start() {	# the path that must be named, then vigild's --set arguments
	local want=$1
	shift
	"$B/vigild" --source "replay:$T/s.y4m" --policy video-only --events /dev/null \
		--set "record.dir=$T/clips" "$@" 2>"$T/err3"
	st=$?
	[ $st = 2 ] || fail "$*: exit $st, not 2: $(cat "$T/err3")"
	grep -q "audit log $want: \(No such file or directory\|Is a directory\)" "$T/err3" ||
		fail "$*: $(cat "$T/err3")"
}
# the recorder's, HTTP's (the same log), push's own
bad_start "$T/nodir/audit.jsonl" --set "record.audit=$T/nodir/audit.jsonl"
bad_start "$T/adir" --set "record.audit=$T/adir"
bad_start "$T/nodir/a" --set "record.audit=$T/nodir/a" --set "http.listen=127.0.0.1:$HP" \
	--set "http.token_file=$T/token"
bad_start "$T/nodir/p" --set "push.audit=$T/nodir/p" --set "$PUSH"
echo "3: bad audit paths refused at start (exit 2)"

# 4: records that fail: the first record (push's upload) fails its write,
# the second (a stream) its fdatasync, the third (a stream) its write; the
# fourth waits until 6 records were dropped
ID3=20200101T000003Z-0001
mkdir "$T/clips4"
cp "$T/clips/$ID2.vclip" "$T/clips4/$ID3.vclip"
LOG4=$T/clips4/audit.jsonl
: >"$T/err"
VIGILD_TEST_AUDIT_FAIL=write:1,fsync:1,write:1,hold:6 "$B/vigild" --source "replay:$T/s.y4m" \
	--loop --policy video-only --events /dev/null --stats --set "record.dir=$T/clips4" \
	--set "http.listen=127.0.0.1:$HP" --set "http.token_file=$T/token" --set "$PUSH" \
	--set http.max_clients=128 2>"$T/err" &
VP=$!
pids+=($VP)
waitfor 300 grep -qs "vigild: push: $ID3 uploaded" "$T/err" || fail "4: push did not upload $ID3"
cmp -s "$T/www/$ID3.vclip" "$T/clips4/$ID3.vclip" || fail "4: $ID3 pushed differs"
# metric NAME: its sample for this log
metric() {
	curl -sf -H "Authorization: Bearer $(cat "$T/token")" "http://127.0.0.1:$HP/metrics" |
		sed -n "s|^$1{log=\"$LOG4\"} ||p"
}
errors1() { [ "$(metric vigil_audit_errors_total)" = 1 ]; }
waitfor 100 errors1 || fail "4: the upload's failed record is not counted: $(metric vigil_audit_errors_total)"
grep -q "vigild: audit: $LOG4: Bad file descriptor" "$T/err" || fail "4: the failure was not said"
# refused: 500, nothing of the clip (the whole answer is the head and the error)
refused() {
	curl -s -D "$T/head" -o "$T/got" -w '%{http_code}' \
		-H "Authorization: Bearer $(cat "$T/token")" \
		"http://127.0.0.1:$HP/api/clips/$ID3" >"$T/code"
	[ "$(cat "$T/code")" = 500 ] || fail "4: $1: status $(cat "$T/code"), not 500"
	[ "$(cat "$T/got")" = '{"error":"the audit log cannot be written"}' ] ||
		fail "4: $1: body $(head -c 200 "$T/got" | od -c | head -3)"
	! grep -qi "vnd.vigil.clip\|Content-Disposition" "$T/head" || fail "4: $1: a clip's head sent"
	grep -q "http: audit log $LOG4: $2: $ID3 not streamed" "$T/err" ||
		fail "4: $1: not said"
}
refused fdatasync "Invalid argument"
refused write "Bad file descriptor"
[ "$(metric vigil_audit_errors_total)" = 3 ] || fail "4: errors $(metric vigil_audit_errors_total)"
[ "$(metric vigil_audit_records_total)" = 0 ] || fail "4: records $(metric vigil_audit_records_total)"
# the queue full: 70 streams at once; the answers read once all are sent
python3 - "$HP" "$(cat "$T/token")" "$ID3" "$T/clips4/$ID3.vclip" "$T/served" <<'PY' ||
import socket, sys
port, tok, cid, clip, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
want = open(clip, 'rb').read()
req = ('GET /api/clips/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n'
       'Connection: close\r\n\r\n' % (cid, tok)).encode()
socks = []
for i in range(70):
    s = socket.create_connection(('127.0.0.1', port), timeout=60)
    s.sendall(req)
    socks.append(s)
served, refused = [], 0
for s in socks:
    data = b''
    while True:
        d = s.recv(1 << 16)
        if not d:
            break
        data += d
    head, _, body = data.partition(b'\r\n\r\n')
    status = int(head.split()[1])
    if status == 200:
        assert body == want, 'a clip served differs'
        served.append(s.getsockname()[1])
    else:
        assert status == 500, head
        assert body.strip() == b'{"error":"the audit log cannot be written"}', body[:200]
        assert b'vnd.vigil.clip' not in head and want[:16] not in data, 'clip bytes sent'
        refused += 1
print('queue full: %d served byte-exact, %d refused (500, no clip byte)' % (len(served), refused))
open(out, 'w').write(''.join('%d\n' % p for p in served))
assert (len(served), refused) == (64, 6)
PY
	fail "4: the queue full (above)"
[ "$(metric vigil_audit_records_total)" = 64 ] || fail "4: records $(metric vigil_audit_records_total)"
[ "$(metric vigil_audit_dropped_total)" = 6 ] || fail "4: dropped $(metric vigil_audit_dropped_total)"
[ "$(metric vigil_audit_errors_total)" = 3 ] || fail "4: errors $(metric vigil_audit_errors_total)"
for m in reopens reopen_errors; do
	[ "$(metric vigil_audit_${m}_total)" = 0 ] || fail "4: $m $(metric vigil_audit_${m}_total)"
done
kill -TERM "$VP"
wait "$VP" || fail "vigild (4) exited $?"
grep -q "audit stats: $LOG4 records 64 errors 3 dropped 6 reopens 0 reopen_errors 0" "$T/err" ||
	fail "4: $(grep 'audit stats' "$T/err")"
[ "$(grep -c "not logged: 64 records waiting" "$T/err")" = 6 ] || fail "4: drops not said"
# in the log: the stream whose fdatasync failed (its line was written, the
# access refused), then the 64 served, no other: not the failed writes,
# not the dropped
[ "$(wc -l <"$LOG4")" = 65 ] || fail "4: log has $(wc -l <"$LOG4") records, not 65"
[ "$(grep -c "\"action\":\"stream\",\"clip\":\"$ID3\"" "$LOG4")" = 65 ] ||
	fail "4: log $(head -3 "$LOG4")"
diff <(tail -n +2 "$LOG4" | sed 's/.*"client":"127.0.0.1:\([0-9]*\) .*/\1/' | sort) \
	<(sort "$T/served") >/dev/null || fail "4: the log's records are not the streams served"
echo "4: failed records: 500 with no clip byte (write, fdatasync), upload kept, errors 3;" \
	"queue full: 6 of 70 refused and dropped, 64 served and recorded; --stats = /metrics"
echo "ok: audit records off the loop, reopened on SIGHUP, bad paths refused at start, failures refused and counted"
