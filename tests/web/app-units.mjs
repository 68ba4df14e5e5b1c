// SPDX-License-Identifier: GPL-2.0-or-later
// The page's pure parts in Node (no browser): the SSE record parser, the
// multipart splitter fed in awkward pieces, the device clock's arithmetic
// and the time format. Run by tests/harness/web-page.sh.
import { DeviceClock, fmtWall, parseSse } from '../../web/app/api.js';
import { MultipartParser } from '../../web/app/live.js';
import { kindOf } from '../../web/app/timeline.js';

let failures = 0;

function check(ok, what) {
	console.log(`${ok ? 'ok' : 'FAIL'}: ${what}`);
	if (!ok)
		failures++;
}

/* SSE */
let r = parseSse('id: 7\ndata: {"a":1}');
check(r.id === '7' && r.data === '{"a":1}', 'SSE: id and data');
r = parseSse(': comment\nretry: 1000\ndata:x\ndata: y');
check(r.retry === 1000 && r.data === 'x\ny' && r.id === null, 'SSE: comment, retry, two data lines');
r = parseSse('retry: soon');
check(r.retry === 0 && r.data === null, 'SSE: a bad retry is ignored');

/* multipart, as vigild writes it, split at every possible place */
const enc = new TextEncoder();
const jpegs = [new Uint8Array([0xff, 0xd8, 1, 2, 3, 0x2d, 0x2d, 0xff, 0xd9]),
	       new Uint8Array([0xff, 0xd8, 0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0xd9])];
const parts = [];

for (const [i, j] of jpegs.entries()) {
	parts.push(enc.encode(`--vigilframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n` +
			      `X-Frame: ${i}\r\n\r\n`), j, enc.encode('\r\n'));
}
const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));

parts.reduce((o, p) => { all.set(p, o); return o + p.length; }, 0);
let good = 0;

for (let cut = 1; cut < all.length; cut++) {
	const got = [];
	const mp = new MultipartParser('vigilframe', (b) => got.push(b));

	mp.push(all.subarray(0, cut));
	mp.push(all.subarray(cut));
	if (got.length === 2 && got.every((b, i) => b.length === jpegs[i].length &&
					  b.every((v, k) => v === jpegs[i][k])))
		good++;
}
check(good === all.length - 1, `multipart: both images whole at every split (${good}/${all.length - 1})`);
{
	const got = [];
	const mp = new MultipartParser('vigilframe', (b) => got.push(b));

	for (const b of all)
		mp.push(new Uint8Array([b]));
	check(got.length === 2, 'multipart: byte by byte');
}

/* the device clock: mono -> the device's wall, an hour off the machine's */
const c = new DeviceClock({ mono_ns: '1000000000', wall_ns: '1764241200000000000' });
check(c.wallOf(3000000000n) === 1764241202000000000n, 'device clock: wall of a monotonic time');
check(fmtWall(1764241202250000000n) === '2025-11-27 11:00:02.250 UTC', `format: ${fmtWall(1764241202250000000n)}`);
check(kindOf({ event: 'start' }) === 'motion' && kindOf({ kind: 'tamper' }) === 'tamper' &&
      kindOf({ kind: 'glass_break' }) === 'audio', 'event kinds');

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
