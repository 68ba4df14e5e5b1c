// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decode time per frame of web/clip (the browser's decoder) in Node:
 *   node bench/web-decode.mjs CLIP OWNER.key NAME FPS C_MS_PER_FRAME
 * decodes every frame of CLIP in order (as playback does), best of three
 * passes, and prints two bench lines (scripts/bench): CPU ms per frame
 * (process CPU time, so a busy machine does not inflate it) against
 * the frame period, and against vigil-clip's C decoder on the same clip
 * (C_MS_PER_FRAME, measured by bench/web-decode in the same run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto)
	globalThis.crypto = webcrypto;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { Clip, clipLibsReady } = await import(path.join(root, 'web/clip/clip.js'));
const { parseOwnerKey } = await import(path.join(root, 'web/clip/key.js'));
const [clipPath, keyPath, name, fps, cMs] = process.argv.slice(2);

await clipLibsReady();
const bytes = new Uint8Array(fs.readFileSync(clipPath));
const { sk } = parseOwnerKey(fs.readFileSync(keyPath, 'utf8'));
let best = Infinity, frames = 0;

for (let pass = 0; pass < 3; pass++) {
	const c = new Clip(bytes, sk);
	const n = c.info().frames.length;
	const t = process.cpuUsage();

	for (let i = 0; i < n; i++)
		c.framePlanes(i);
	const u = process.cpuUsage(t);

	best = Math.min(best, (u.user + u.system) / 1000 / n);
	frames = n;
}
const period = 1000 / +fps;
const r = (x) => Math.round(x * 1000) / 1000;

console.log(JSON.stringify({
	name: `web-decode-${name}`, figure: r(best), unit: 'CPU ms/frame (Node)',
	baseline: r(period), baseline_name: `frame period at ${fps} fps`, ratio: r(best / period),
	goal: '< 1 (decodes faster than the clip plays)', frames,
}));
console.log(JSON.stringify({
	name: `web-decode-${name}-vs-c`, figure: r(best), unit: 'CPU ms/frame (Node)',
	baseline: r(+cMs), baseline_name: 'vigil-clip export (C) on the same clip', ratio: r(best / +cMs),
	frames,
}));
