// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers of the Node tests of web/clip (run by tests/harness/web-clip.sh
 * with the fixtures it builds; plain `node`, no npm packages).
 */
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';

/* Node 18 has no global WebCrypto; libsodium's ESM build needs getRandomValues */
if (!globalThis.crypto)
	globalThis.crypto = webcrypto;

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const CLIP = (m) => import(path.join(ROOT, 'web/clip', m));

let failures = 0, passes = 0;

export function t_ok(cond, what) {
	if (cond) {
		passes++;
		console.log(`PASS: ${what}`);
	} else {
		failures++;
		console.log(`FAIL: ${what}`);
	}
	return !!cond;
}

export function t_done() {
	console.log(`${passes} passed, ${failures} failed, 0 skipped`);
	process.exit(failures ? 1 : 0);
}

/* The fixtures: argv[2] is the directory holding manifest.json. */
export function t_fixtures() {
	const dir = process.argv[2];

	if (!dir || !fs.existsSync(path.join(dir, 'manifest.json'))) {
		console.error('usage: node TEST.mjs FIXTURE-DIR (tests/harness/web-clip.sh builds it)');
		process.exit(2);
	}
	const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

	for (const c of m.clips) {
		for (const k of ['clip', 'key', 'ref', 'source'])
			if (c[k])
				c[k] = path.join(dir, c[k]);
	}
	m.dir = dir;
	if (m.vigilClip)
		m.vigilClip = path.resolve(dir, m.vigilClip);
	return m;
}

export function t_read(p) {
	return new Uint8Array(fs.readFileSync(p));
}

/* A Y4M file: {header (string), frames: [Uint8Array]} (no per-frame parameters). */
export function t_y4m(bytes) {
	const nl = bytes.indexOf(10);
	const header = new TextDecoder().decode(bytes.subarray(0, nl));
	const w = +/ W(\d+)/.exec(header)[1], h = +/ H(\d+)/.exec(header)[1];
	const cs = (/ C(\S+)/.exec(header) || [, '420jpeg'])[1];
	const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
	const size = cs === 'mono' ? w * h : cs === '422' ? 2 * w * h : w * h + 2 * cw * ch;
	const frames = [];
	let o = nl + 1;

	while (o < bytes.length) {
		const e = bytes.indexOf(10, o);

		if (e < 0 || e + 1 + size > bytes.length)
			throw new Error(`Y4M: frame ${frames.length} cut short`);
		frames.push(bytes.subarray(e + 1, e + 1 + size));
		o = e + 1 + size;
	}
	return { header, w, h, cs, frames, size };
}

/* Contract C3's planes of a frame back to planar Y, Cb, Cr. */
export function t_planar(f) {
	if (f.layout === 'grey')
		return f.planes[0];
	const uv = f.planes[1], n = uv.length / 2;
	const out = new Uint8Array(f.planes[0].length + uv.length);

	out.set(f.planes[0], 0);
	for (let i = 0; i < n; i++) {
		out[f.planes[0].length + i] = uv[2 * i];
		out[f.planes[0].length + n + i] = uv[2 * i + 1];
	}
	return out;
}

export function t_equal(a, b) {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++)
		if (a[i] !== b[i])
			return false;
	return true;
}

/* A small deterministic PRNG (xorshift32). */
export function t_rng(seed) {
	let s = seed >>> 0 || 1;

	return (n) => {
		s ^= s << 13;
		s >>>= 0;
		s ^= s >>> 17;
		s ^= s << 5;
		s >>>= 0;
		return s % n;
	};
}

/*
 * The worker (web/clip/worker.js) loaded in this process: `self` is a stub
 * whose postMessage resolves the pending request, so the tests speak the
 * protocol exactly as the page does (minus the thread).
 */
export async function t_worker() {
	const pending = [];

	globalThis.self = {
		postMessage(msg, transfer) {
			const p = pending.shift();

			p(Object.assign(msg, { transfer: transfer || [] }));
		},
	};
	await import(path.join(ROOT, 'web/clip/worker.js'));
	return (msg) => new Promise((resolve) => {
		pending.push(resolve);
		globalThis.self.onmessage({ data: msg });
	});
}
