// SPDX-License-Identifier: GPL-2.0-or-later
// The owner's page in headless Chromium against a real vigild (started by
// tests/harness/web-page.sh, which sets the VIGIL_* variables):
//  - without the token the page's code loads but the API gives nothing (401);
//  - log in; the device clock shown is vigild's (an hour ahead), not the browser's;
//  - the timeline's event count equals /api/events'; a new event appears live;
//  - import the owner's key (wrapped with a passphrase), a wrong passphrase fails;
//  - the live view draws frames;
//  - the newest clip, decoded in the page, hashes frame by frame like
//    `vigil-clip decrypt` + `export -f y4m`; its times are the clip's wall clock;
//  - a wrong key and a flipped byte show an error and no picture;
//  - a clip still being recorded (.part) opens;
//  - a screenshot of each view in $VIGIL_SHOTS.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const env = process.env;
const require = createRequire(path.join(env.VIGIL_NODE_MODULES, 'x.js'));
const puppeteer = require('puppeteer-core');
const URL0 = env.VIGIL_URL, TOKEN = env.VIGIL_TOKEN, OFFSET_MS = Number(env.VIGIL_OFFSET_S) * 1000;
let failures = 0;

function check(ok, what) {
	console.log(`${ok ? 'ok' : 'FAIL'}: ${what}`);
	if (!ok)
		failures++;
}

async function api(p) {
	const r = await fetch(URL0 + p, { headers: { Authorization: `Bearer ${TOKEN}` } });

	if (!r.ok)
		throw new Error(`${p}: ${r.status}`);
	return r.json();
}

// distinct events (kind and id) of /api/events, as the page counts them
function countEvents(page) {
	const keys = new Set();

	for (const it of page.events) {
		const e = it.event;
		const kind = e.kind === 'tamper' ? 'tamper' : e.kind && e.kind !== 'motion' ? 'audio' : 'motion';

		keys.add(`${kind}:${e.id}`);
	}
	return keys.size;
}

async function waitFor(page, fn, what, ms = 15000, ...args) {
	try {
		await page.waitForFunction(fn, { timeout: ms, polling: 100 }, ...args);
		return true;
	} catch {
		const why = await page.evaluate(() => `status "${document.getElementById('status').textContent}", ` +
			`error "${document.getElementById('error').hidden ? '' : document.getElementById('error').textContent}"`)
			.catch(() => '');

		check(false, `${what} (timed out after ${ms} ms; ${why})`);
		return false;
	}
}

async function shot(page, name) {
	await page.screenshot({ path: path.join(env.VIGIL_SHOTS, `${name}.png`), fullPage: true });
}

// is any pixel of the canvas not black? (WebGL: read back through a 2D copy)
function canvasLit(id) {
	const c = document.getElementById(id);

	if (!c.width || !c.height)
		return false;
	const t = document.createElement('canvas');

	t.width = c.width;
	t.height = c.height;
	const g = t.getContext('2d');

	g.drawImage(c, 0, 0);
	const d = g.getImageData(0, 0, t.width, t.height).data;

	for (let i = 0; i < d.length; i += 4)
		if (d[i] > 8 || d[i + 1] > 8 || d[i + 2] > 8)
			return true;
	return false;
}

// SHA-256 of each frame of a Y4M file
function y4mHashes(file) {
	const b = readFileSync(file);
	let p = b.indexOf(10) + 1;
	const hdr = b.subarray(0, p).toString();
	const w = Number(/ W(\d+)/.exec(hdr)[1]), h = Number(/ H(\d+)/.exec(hdr)[1]);
	const c = (/ C(\S+)/.exec(hdr) || [, '420jpeg'])[1];
	const cw = (w + 1) >> 1;
	const size = c.startsWith('mono') ? w * h : c.startsWith('422') ? w * h + 2 * cw * h :
		w * h + 2 * cw * ((h + 1) >> 1);
	const out = [];

	while (p < b.length) {
		p = b.indexOf(10, p) + 1;	/* "FRAME\n" */
		out.push(createHash('sha256').update(b.subarray(p, p + size)).digest('hex'));
		p += size;
	}
	return out;
}

async function main() {
	mkdirSync(env.VIGIL_SHOTS, { recursive: true });
	for (let i = 0; i < 100; i++) {
		try {
			await api('/api/status');
			break;
		} catch {
			await new Promise((ok) => setTimeout(ok, 100));
		}
	}
	const root = process.getuid && process.getuid() === 0;
	const browser = await puppeteer.launch({
		executablePath: env.VIGIL_CHROMIUM,
		headless: true,
		args: [...(root ? ['--no-sandbox'] : []), '--use-angle=swiftshader',
		       '--enable-unsafe-swiftshader', '--window-size=1280,900'],
	});
	try {
		await run(browser);
	} finally {
		await browser.close();
	}
}

async function run(browser) {
	const page = await browser.newPage();
	const csp = [];

	await page.setViewport({ width: 1280, height: 900 });
	page.on('console', (m) => {
		if (/Content Security Policy|Refused/.test(m.text()))
			csp.push(m.text());
	});
	page.on('pageerror', (e) => { console.log(`page error: ${e.message}`); failures++; });
	const res = await page.goto(URL0 + '/', { waitUntil: 'load' });

	check(res.status() === 200 && /default-src 'none'/.test(res.headers()['content-security-policy']),
	      'the page loads without the token, with the CSP');
	await waitFor(page, () => document.body.dataset.ready === '1', 'the page started');

	/* without the token: nothing */
	const denied = await page.evaluate(async () => {
		const out = [];

		/* four: the fifth failure from one address would start the rate limit */
		for (const p of ['/api/events', '/api/clips', '/api/live.mjpeg', '/api/events/stream'])
			out.push((await fetch(p)).status);
		return out;
	});
	check(denied.every((s) => s === 401), `without the token every API answer is 401 (${denied})`);
	await shot(page, '0-login');

	/* log in */
	await page.type('#token', TOKEN);
	await page.click('#login-form button[type=submit]');
	await waitFor(page, () => document.body.dataset.session === 'ready', 'logged in');
	await waitFor(page, () => document.body.dataset.stream === 'on', 'the event stream is read');

	/* the device clock, an hour ahead of this machine's */
	const shown = await page.$eval('#device-time', (e) => e.textContent);
	const shownMs = Date.parse(shown.replace(' UTC', 'Z').replace(' ', 'T'));
	const want = Date.now() + OFFSET_MS;

	check(Math.abs(shownMs - want) < 5000,
	      `the device's clock is shown (${shown}; this machine + ${OFFSET_MS / 1000} s is ${new Date(want).toISOString()})`);

	/* the timeline against /api/events: read both until they agree (events keep coming) */
	let agree = false, pageCount = 0, apiCount = 0;

	for (let i = 0; i < 50 && !agree; i++) {
		apiCount = countEvents(await api('/api/events'));
		pageCount = Number(await page.$eval('#ev-count', (e) => e.textContent));
		agree = apiCount > 0 && pageCount === apiCount;
		if (!agree)
			await new Promise((ok) => setTimeout(ok, 200));
	}
	check(agree, `the timeline shows /api/events' events (${pageCount} and ${apiCount})`);
	const before = pageCount;

	await waitFor(page, (n) => Number(document.getElementById('ev-count').textContent) > n &&
			Number(document.body.dataset.streamed || 0) > 0, 'a new event appears live', 20000, before);
	/* an event's time is the device's: within the last minute of its clock */
	const evWall = await page.$eval('#ev-list button', (b) => b.dataset.wall);
	const evMs = Number(BigInt(evWall) / 1000000n);

	check(Math.abs(evMs - (Date.now() + OFFSET_MS)) < 60000,
	      `the newest event is placed on the device's clock (${new Date(evMs).toISOString()})`);
	/* the filter by kind: no motion, no motion events listed */
	await page.click('#kind-motion');
	const filtered = await page.evaluate(() => [...document.querySelectorAll('#ev-list button')]
		.filter((b) => b.classList.contains('k-motion')).length);
	check(filtered === 0, `motion filtered out (${filtered} left)`);
	await page.click('#kind-motion');
	await page.click('#tl-zoom-in');
	await shot(page, '1-timeline');

	/* the key */
	await page.click('#nav-key');
	const input = await page.$('#key-file');

	await input.uploadFile(env.VIGIL_KEY);
	await page.type('#key-pass-new', 'correct horse battery');
	await page.click('#key-import button[type=submit]');
	await waitFor(page, () => document.body.dataset.key === 'unlocked', 'the key is imported', 30000);
	const stored = await page.evaluate(() => new Promise((ok) => {
		const r = indexedDB.open('vigil', 1);

		r.onsuccess = () => {
			const g = r.result.transaction('keys').objectStore('keys').get('owner');

			g.onsuccess = () => ok({ box: g.result.box.length, keys: Object.keys(g.result) });
		};
	}));
	check(stored.box === 48 && !stored.keys.includes('sk'), `IndexedDB holds the key wrapped only (${stored.keys})`);
	/* a reload locks it; a wrong passphrase does not open it */
	await page.reload({ waitUntil: 'load' });
	await waitFor(page, () => document.body.dataset.session === 'ready' &&
			document.body.dataset.key === 'locked', 'logged in and locked after a reload');
	await page.click('#nav-key');
	await page.type('#key-pass', 'wrong passphrase');
	await page.click('#key-unlock button[type=submit]');
	await waitFor(page, () => !document.getElementById('error').hidden &&
			/wrong passphrase/.test(document.getElementById('error').textContent),
		      'a wrong passphrase is refused', 30000);
	await page.type('#key-pass', 'correct horse battery');
	await page.click('#key-unlock button[type=submit]');
	await waitFor(page, () => document.body.dataset.key === 'unlocked', 'unlocked', 30000);
	await shot(page, '2-key');

	/* live */
	await page.click('#nav-live');
	await page.click('#lv-start');
	await waitFor(page, () => Number(document.body.dataset.live || 0) >= 3, 'the live view draws frames');
	check(await page.evaluate(canvasLit, 'lv-canvas'), 'the live picture is not black');
	await shot(page, '3-live');

	/* the newest complete clip */
	await page.click('#nav-player');
	await waitFor(page, () => document.getElementById('clip-select').options.length > 0, 'clips listed', 20000);
	let clips = (await api('/api/clips')).clips;

	for (let i = 0; i < 100 && !clips.some((c) => !c.recording); i++) {
		await new Promise((ok) => setTimeout(ok, 200));
		clips = (await api('/api/clips')).clips;
	}
	const done = clips.filter((c) => !c.recording);
	const newest = done[done.length - 1];

	await page.click('#clip-refresh');
	await page.select('#clip-select', newest.id);
	await page.click('#clip-open');
	if (await waitFor(page, () => document.body.dataset.clip && document.body.dataset.clip !== 'opening',
			  'the clip opens', 20000)) {
		const st = await page.evaluate(() => document.body.dataset.clip);

		check(st === 'open', `clip ${newest.id} opened (${st}: ${await page.$eval('#pl-error', (e) => e.textContent)})`);
	}
	const pageHashes = await page.evaluate(() => window.vigilPage.hashFrames());
	const plain = path.join(env.VIGIL_TMP, 'plain.vclip'), y4m = path.join(env.VIGIL_TMP, 'ref.y4m');

	execFileSync(env.VIGIL_CLIP_TOOL, ['decrypt', '-K', env.VIGIL_KEY,
		path.join(env.VIGIL_CLIPS, `${newest.id}.vclip`), plain]);
	execFileSync(env.VIGIL_CLIP_TOOL, ['export', '-f', 'y4m', plain, y4m]);
	const ref = y4mHashes(y4m);

	check(ref.length > 0 && pageHashes.length === ref.length &&
	      pageHashes.every((h, i) => h === ref[i]),
	      `every frame decoded in the page equals vigil-clip's (${pageHashes.length} and ${ref.length} frames)`);
	check(await page.evaluate(canvasLit, 'pl-canvas'), 'the clip is drawn');
	/* its times are the clip's wall clock (the device's: an hour ahead) */
	const t = await page.$eval('#pl-time', (e) => e.textContent);
	const m = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC/.exec(t);

	check(m && Math.abs(Date.parse(`${m[1].replace(' ', 'T')}Z`) - (Date.now() + OFFSET_MS)) < 120000,
	      `the frame's time is the clip's wall clock (${t})`);
	await page.click('#pl-step');
	await waitFor(page, () => document.body.dataset.frame === '1', 'step forward');
	await page.click('#pl-play');
	await waitFor(page, (n) => Number(document.body.dataset.frame) === n - 1,
		      'play to the end', 20000, pageHashes.length);
	/* scrubbing while it still plays would (rightly) play on from there */
	await waitFor(page, () => document.body.dataset.playing === '0', 'playback stops at the end');
	await page.$eval('#pl-scrub', (e) => { e.value = '2'; e.dispatchEvent(new Event('input')); });
	await waitFor(page, () => document.body.dataset.frame === '2', 'scrub');
	const y4mSha = await page.evaluate(async (n) => {
		const b = await (await window.vigilPage.state.clip.y4m(0, n - 1)).arrayBuffer();
		const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));

		return [...d].map((x) => x.toString(16).padStart(2, '0')).join('');
	}, pageHashes.length);
	check(y4mSha === createHash('sha256').update(readFileSync(y4m)).digest('hex'),
	      'the page\'s Y4M export is byte for byte vigil-clip export -f y4m');
	await shot(page, '4-clip');

	/* the Canvas2D fallback draws the same frame as WebGL2 (within rounding) */
	const fallback = await page.evaluate(async () => {
		const { makeRenderer } = await import('/app/render.js');
		const s = window.vigilPage.state;
		const f = await s.clip.frame(3);
		const read = (c) => {
			const t = document.createElement('canvas');

			t.width = c.width;
			t.height = c.height;
			t.getContext('2d').drawImage(c, 0, 0);
			return t.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		};
		const a = document.createElement('canvas'), b = document.createElement('canvas');
		const ra = makeRenderer(a, true), rb = makeRenderer(b);

		ra.draw(f);
		rb.draw(await s.clip.frame(3));
		const da = read(a), db = read(b);
		let worst = 0;

		for (let i = 0; i < da.length; i++)
			worst = Math.max(worst, Math.abs(da[i] - db[i]));
		return { kinds: `${ra.kind}/${rb.kind}`, worst, lit: da.some((v, i) => i % 4 !== 3 && v > 8) };
	});
	check(fallback.kinds === 'canvas2d/webgl2' && fallback.lit && fallback.worst <= 3,
	      `Canvas2D and WebGL2 draw the same picture (${fallback.kinds}, largest difference ${fallback.worst})`);

	/* a 4:2:0 clip: NV12 planes, hashed as Y4M's Y, Cb, Cr */
	{
		const id = '20200101T000000Z-0001';
		const plainC = path.join(env.VIGIL_TMP, 'plain-colour.vclip');
		const y4mC = path.join(env.VIGIL_TMP, 'colour-ref.y4m');

		await page.click('#clip-refresh');
		await page.select('#clip-select', id);
		await page.click('#clip-open');
		await waitFor(page, () => document.body.dataset.clip && document.body.dataset.clip !== 'opening',
			      'the colour clip opens', 20000);
		const hashes = await page.evaluate(() => window.vigilPage.hashFrames());

		execFileSync(env.VIGIL_CLIP_TOOL, ['decrypt', '-K', env.VIGIL_KEY,
			path.join(env.VIGIL_CLIPS, `${id}.vclip`), plainC]);
		execFileSync(env.VIGIL_CLIP_TOOL, ['export', '-f', 'y4m', plainC, y4mC]);
		const refC = y4mHashes(y4mC);

		check(refC.length === 8 && hashes.length === 8 && hashes.every((h, i) => h === refC[i]),
		      `a 4:2:0 clip's frames equal vigil-clip's (${hashes.length} and ${refC.length})`);
		check(await page.evaluate(canvasLit, 'pl-canvas'), 'the colour clip is drawn');
		await shot(page, '4b-colour-clip');
	}

	/* a wrong key: an error, no picture */
	await page.evaluate(() => { window.vigilPage.state.sk = crypto.getRandomValues(new Uint8Array(32)); });
	await page.click('#clip-open');
	await waitFor(page, () => document.body.dataset.clip === 'error', 'a wrong key is an error');
	check(/^key:/.test(await page.$eval('#pl-error', (e) => e.textContent)) &&
	      !(await page.evaluate(canvasLit, 'pl-canvas')), 'wrong key: "key" error, no picture');
	await shot(page, '5-wrong-key');

	/* a flipped byte in the middle: an error, no picture */
	await page.evaluate(() => {
		window.vigilPage.state.sk = null;
	});
	await page.reload({ waitUntil: 'load' });
	await waitFor(page, () => document.body.dataset.session === 'ready', 'logged in after a reload');
	await page.click('#nav-key');
	await page.type('#key-pass', 'correct horse battery');
	await page.click('#key-unlock button[type=submit]');
	await waitFor(page, () => document.body.dataset.key === 'unlocked', 'unlocked again', 30000);
	await page.click('#nav-player');
	await waitFor(page, () => document.getElementById('clip-select').options.length > 0, 'clips listed again');
	await page.select('#clip-select', newest.id);
	const flipped = await page.evaluate(async (id) => {
		const s = window.vigilPage.state;
		const r = await s.api.get(`/api/clips/${id}`);
		const b = new Uint8Array(await r.arrayBuffer());

		b[b.length >> 1] ^= 0x40;
		await window.vigilPage.openClip(b.buffer);
		const c = document.body.dataset.clip;

		if (c !== 'open')
			return c;
		/* the index may still open: every frame must then fail, none be drawn */
		try {
			await window.vigilPage.hashFrames();
			return 'all frames decoded';
		} catch (e) {
			return `frame error ${e.code}`;
		}
	}, newest.id);
	check((flipped === 'error' && /^(damaged|auth):/.test(await page.$eval('#pl-error', (e) => e.textContent)) &&
	       !(await page.evaluate(canvasLit, 'pl-canvas'))) ||
	      /^frame error (auth|damaged)$/.test(flipped),
	      `a flipped byte is an error (${flipped}: ${await page.$eval('#pl-error', (e) => e.textContent)})`);
	await shot(page, '6-flipped-byte');

	/* a clip still being recorded */
	let part = null;

	for (let i = 0; i < 100 && !part; i++) {
		part = readdirSync(env.VIGIL_CLIPS).find((f) => f.endsWith('.vclip.part'));
		if (!part)
			await new Promise((ok) => setTimeout(ok, 100));
	}
	if (part) {
		const id = part.replace('.vclip.part', '');

		await page.click('#clip-refresh');
		await page.select('#clip-select', id);
		await page.click('#clip-open');
		await waitFor(page, () => document.body.dataset.clip && document.body.dataset.clip !== 'opening',
			      'the recording clip opens', 20000);
		const info = await page.evaluate(() => ({ clip: document.body.dataset.clip,
			text: document.getElementById('clip-info').textContent,
			err: document.getElementById('pl-error').textContent }));

		check(info.clip === 'open' && /\d+ frames/.test(info.text) && !/ 0 frames/.test(info.text),
		      `a clip being recorded opens with the frames so far (${info.text || info.err})`);
		await shot(page, '7-recording');
	} else {
		check(false, 'a clip being recorded was there');
	}

	/* phone: one column */
	await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2 });
	await page.click('#nav-timeline');
	const cols = await page.$eval('.tl-layout', (e) => getComputedStyle(e).gridTemplateColumns.split(' ').length);
	check(cols === 1, `one column on a phone (${cols})`);
	await shot(page, '8-phone');
	/* 200% zoom on a 1280 px screen is a 640 px wide layout: nothing scrolls sideways */
	await page.setViewport({ width: 640, height: 450, deviceScaleFactor: 2 });
	for (const v of ['timeline', 'player', 'live', 'key']) {
		await page.click(`#nav-${v}`);
		const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

		check(over <= 0, `${v} at 200% zoom: no sideways scrolling (${over} px over)`);
	}
	await shot(page, '9-zoom-200');
	/* the keyboard reaches the views: Tab to a nav button, Enter opens it */
	await page.focus('#nav-timeline');
	await page.keyboard.press('Tab');
	await page.keyboard.press('Enter');
	check(await page.evaluate(() => document.body.dataset.view === 'player'), 'the keyboard opens a view');
	check(csp.length === 0, `no CSP violation (${csp.join('; ')})`);
}

main().then(() => {
	console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
	process.exit(failures ? 1 : 0);
}, (e) => {
	console.log(`FAIL: ${e.stack}`);
	process.exit(1);
});
