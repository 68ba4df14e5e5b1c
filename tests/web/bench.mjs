// SPDX-License-Identifier: GPL-2.0-or-later
// bench/web-playback's browser side: for each CLIP:LABEL argument, open
// the sealed clip with the page's modules (fetch with the token, the
// decoder worker, WebGL2) and time decode + draw of every frame, in
// order, as playback does; print one bench JSON object per clip.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const env = process.env;
const require = createRequire(path.join(env.VIGIL_NODE_MODULES, 'x.js'));
const puppeteer = require('puppeteer-core');
const sk = readFileSync(env.VIGIL_KEY, 'utf8').trim().split(' ')[2];
const root = process.getuid && process.getuid() === 0;

for (let i = 0; i < 100; i++) {
	try {
		if ((await fetch(`${env.VIGIL_URL}/api/status`, {
			headers: { Authorization: `Bearer ${env.VIGIL_TOKEN}` } })).ok)
			break;
	} catch { /* not up yet */ }
	await new Promise((ok) => setTimeout(ok, 100));
}
const browser = await puppeteer.launch({
	executablePath: env.VIGIL_CHROMIUM,
	headless: true,
	args: [...(root ? ['--no-sandbox'] : []), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
	const page = await browser.newPage();

	await page.goto(`${env.VIGIL_URL}/`, { waitUntil: 'load' });
	for (const arg of process.argv.slice(2)) {
		const [id, label] = arg.split(':');
		const r = await page.evaluate(async (id, token, skHex) => {
			const { Api } = await import('/app/api.js');
			const { Clip, fetchClip } = await import('/app/player.js');
			const { makeRenderer } = await import('/app/render.js');
			const sk = new Uint8Array(skHex.match(/../g).map((h) => parseInt(h, 16)));
			const { buffer } = await fetchClip(new Api(token), id);
			const clip = new Clip();
			const info = await clip.open(buffer, sk);
			const canvas = document.createElement('canvas');

			document.body.append(canvas);
			const rd = makeRenderer(canvas);
			const gl = canvas.getContext('webgl2');
			const t0 = performance.now();
			let dec = 0;

			for (let i = 0; i < info.frames.length; i++) {
				const t = performance.now();
				const f = await clip.frame(i);

				dec += performance.now() - t;
				rd.draw(f);
				gl?.finish();
			}
			const ms = performance.now() - t0;

			await clip.close();
			return { ms, dec, frames: info.frames.length, w: info.width, h: info.height,
				 fmt: info.pixfmt, renderer: rd.kind };
		}, id, env.VIGIL_TOKEN, sk);
		const per = r.ms / r.frames, period = 1000 / Number(env.VIGIL_FPS);

		console.log(JSON.stringify({
			name: `web-playback-${label}`, figure: Number(per.toFixed(3)), unit: 'ms/frame',
			baseline: Number(period.toFixed(3)), baseline_name: `frame period at ${env.VIGIL_FPS} fps`,
			ratio: Number((per / period).toFixed(3)), goal: '< 1 (real time)',
			decode_ms_per_frame: Number((r.dec / r.frames).toFixed(3)),
			frames: r.frames, size: `${r.w}x${r.h} ${r.fmt}`, renderer: r.renderer,
		}));
	}
} finally {
	await browser.close();
}
