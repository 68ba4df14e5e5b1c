// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web/clip/xxh3.js against libxxhash: the values xxh3-ref (built from
 * xxh3-ref.c by tests/harness/web-clip.sh) prints, for every input length
 * path, plus the known value of the empty input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { t_ok, t_done, t_fixtures, CLIP } from './t.mjs';

const { xxh3_64 } = await CLIP('xxh3.js');
const fx = t_fixtures();
const lines = fs.readFileSync(path.join(fx.dir, 'xxh3-ref.txt'), 'utf8').trim().split('\n');
const max = 1 << 20;
const b = new Uint8Array(max + 3);

for (let i = 0; i < max; i++)
	b[i + 3] = Number((BigInt(i) * 2654435761n & 0xffffffffn) >> 13n) & 255;
let bad = 0;

for (const line of lines) {
	const [l, want] = line.split(' ');
	/* at an odd offset in a larger buffer, as chunks lie in a clip file */
	const got = xxh3_64(b, 3, +l).toString(16).padStart(16, '0');

	if (got !== want && bad++ < 5)
		console.log(`  length ${l}: libxxhash ${want}, xxh3.js ${got}`);
}
t_ok(lines.length > 3000 && bad === 0, `XXH3-64 of ${lines.length} lengths (0..${max}) equals libxxhash's`);
t_ok(xxh3_64(new Uint8Array(0)) === 0x2d06800538d394c2n, 'XXH3-64 of the empty input is 2d06800538d394c2');
let threw = false;

try {
	xxh3_64(b, b.length - 4, 8);
} catch {
	threw = true;
}
t_ok(threw, 'a range outside the buffer is refused');
t_done();
