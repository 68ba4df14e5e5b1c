// SPDX-License-Identifier: GPL-2.0-or-later
// The owner's page: log in with the API token, the owner's key, the
// timeline (live through the event stream), clips played in the decoder
// worker, the live view, export. No framework, no build step.
import { Api, DeviceClock, HttpError, fmtWall } from './api.js';
import { Timeline } from './timeline.js';
import { Clip, ClipError, Player, fetchClip } from './player.js';
import { makeRenderer } from './render.js';
import { Live } from './live.js';
import * as keys from './keys.js';

const $ = (id) => document.getElementById(id);
const state = { api: null, clock: null, timeline: null, sk: null, clip: null,
		clipBuffer: null, player: null, live: null, sse: null, lastEventId: 0,
		streamed: 0 };

function say(msg) {
	$('status').textContent = msg;
}

function fail(e) {
	const el = $('error');

	el.textContent = e instanceof Error ? e.message : String(e);
	el.hidden = false;
	if (e instanceof HttpError && e.status === 401)
		logout();
}

function clearError() {
	$('error').hidden = true;
}

function show(view) {
	for (const s of document.querySelectorAll('main > section'))
		s.hidden = s.id !== `view-${view}`;
	for (const b of document.querySelectorAll('#nav [data-view]'))
		b.setAttribute('aria-pressed', String(b.dataset.view === view));
	document.body.dataset.view = view;
	if (view !== 'live')
		state.live?.stop();
}

/* ---- log in ---- */

async function login(token) {
	const api = new Api(token);
	const st = await api.json('/api/status');

	state.api = api;
	state.clock = new DeviceClock(st);
	sessionStorage.setItem('vigil-token', token);
	$('nav').hidden = false;
	tickClock();
	await startTimeline();
	await refreshKeyState();
	show('timeline');
	say('logged in');
	document.body.dataset.session = 'ready';
}

function logout() {
	state.sse?.abort();
	state.live?.stop();
	sessionStorage.removeItem('vigil-token');
	delete document.body.dataset.session;
	state.api = null;
	state.sk = null;
	$('nav').hidden = true;
	show('login');
}

function tickClock() {
	if (!state.clock)
		return;
	$('device-time').textContent = fmtWall(state.clock.now(), false);
	setTimeout(tickClock, 1000 - Number(state.clock.now() / 1000000n % 1000n));
}

/* ---- timeline ---- */

async function startTimeline() {
	const tl = state.timeline = new Timeline($('tl-canvas'), $('ev-list'), $('ev-count'),
						 $('tl-range'), state.clock, pickEvent);
	const page = await state.api.json('/api/events');

	for (const it of page.events)
		tl.add(it.event);
	state.lastEventId = page.last;
	const day = new Date(Number(state.clock.now() / 1000000n));

	$('tl-day').value = day.toISOString().slice(0, 10);
	tl.draw();
	tl.renderList();
	follow();
}

async function follow() {
	state.sse?.abort();
	const ctl = state.sse = new AbortController();

	try {
		for await (const m of state.api.events(ctl.signal, state.lastEventId,
							(on) => { document.body.dataset.stream = on ? 'on' : 'off'; })) {
			state.lastEventId = Number(m.id);
			try {
				state.timeline.add(JSON.parse(m.data));
				state.streamed++;
				document.body.dataset.streamed = String(state.streamed);
			} catch {
				/* a line that is not JSON: skipped */
			}
		}
	} catch (e) {
		fail(e);
	}
}

function pickEvent(e) {
	/* the clip whose span holds the event: its id is its UTC start */
	const opts = [...$('clip-select').options];
	const ms = Number(e.start / 1000000n);
	let best = null;

	for (const o of opts) {
		const t = clipStartMs(o.value);

		if (t !== null && t <= ms + 5000 && (!best || t > clipStartMs(best.value)))
			best = o;
	}
	say(`${e.kind} event #${e.id} at ${fmtWall(e.start)}`);
	if (best) {
		$('clip-select').value = best.value;
		show('player');
	}
}

function clipStartMs(id) {
	const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(id);

	return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}

/* ---- the key ---- */

async function refreshKeyState() {
	await keys.ready();
	const w = await keys.stored();

	$('key-state').textContent = !w ? 'No key imported.' :
		`Key ${keys.toHex(w.pk).slice(0, 16)}... stored, ${state.sk ? 'unlocked' : 'locked'}.`;
	document.body.dataset.key = !w ? 'none' : state.sk ? 'unlocked' : 'locked';
}

async function importKey(ev) {
	ev.preventDefault();
	clearError();
	try {
		await keys.ready();
		const file = $('key-file').files[0];

		if (!file)
			throw new Error('choose the NAME.key file first');
		const k = keys.parseKeyFile(await file.text());

		say('wrapping the key (Argon2id)...');
		await keys.wrapAndStore(k, $('key-pass-new').value);
		state.sk = k.sk;
		$('key-pass-new').value = '';
		$('key-file').value = '';
		say('key imported and unlocked');
	} catch (e) {
		fail(e);
	}
	await refreshKeyState();
}

async function unlockKey(ev) {
	ev.preventDefault();
	clearError();
	try {
		say('unlocking (Argon2id)...');
		state.sk = await keys.unlock($('key-pass').value);
		$('key-pass').value = '';
		say('key unlocked for this session');
	} catch (e) {
		$('key-pass').value = '';
		fail(e);
	}
	await refreshKeyState();
}

/* ---- clips ---- */

async function refreshClips() {
	const { clips } = await state.api.json('/api/clips');
	const sel = $('clip-select'), keep = sel.value;

	sel.replaceChildren(...clips.slice().reverse().map((c) => {
		const o = document.createElement('option');

		o.value = c.id;
		o.textContent = `${c.id}${c.recording ? ' (recording)' : ''} ${(c.size / 1024).toFixed(0)} KiB`;
		o.dataset.recording = String(c.recording);
		return o;
	}));
	if (keep && clips.some((c) => c.id === keep))
		sel.value = keep;
	return clips;
}

function playerError(e) {
	const el = $('pl-error');

	el.textContent = e instanceof ClipError ? `${e.code}: ${e.message}` : e.message;
	el.hidden = false;
	/* never leave a picture next to an error */
	const c = $('pl-canvas');

	c.width = c.width;	/* clears a 2D canvas */
	state.renderer = null;
	c.replaceWith(c.cloneNode());	/* and a WebGL one */
	document.body.dataset.clip = 'error';
}

async function openClip(bufferOverride) {
	$('pl-error').hidden = true;
	document.body.dataset.clip = 'opening';
	state.player?.stop();
	await state.clip?.close();
	const id = $('clip-select').value;

	if (!id)
		throw new Error('no clip');
	try {
		let buffer = bufferOverride;
		let recording = false;

		if (!buffer) {
			({ buffer, recording } = await fetchClip(state.api, id));
			state.clipBuffer = buffer.slice(0);
		}
		const clip = state.clip = new Clip();
		const info = await clip.open(buffer, state.sk);

		/* a checksum or structure failure: an error, not the part before it */
		if (info.damaged)
			throw new ClipError('damaged', `the clip is damaged (${info.frames.length} ` +
					    'frames before the damage check out; vigil-clip recover saves them)');

		state.renderer = state.renderer || makeRenderer($('pl-canvas'));
		state.player = new Player(state.renderer, frameShown, playerError);
		state.player.load(clip);
		const n = info.frames.length;

		$('pl-scrub').max = String(Math.max(0, n - 1));
		$('ex-to').value = String(Math.max(0, n - 1));
		$('clip-info').textContent = `${info.width}x${info.height} ${info.pixfmt}, ${n} frames, ` +
			`${info.events.length} events, ${info.sealed ? 'sealed' : 'not sealed'}` +
			`${info.complete ? '' : ', still being recorded or cut short'}` +
			`${info.damaged ? ', DAMAGED' : ''}${recording ? ' (recording)' : ''}; ` +
			`drawn with ${state.renderer.kind}`;
		document.body.dataset.clip = 'open';
		if (n)
			await state.player.show(0);
	} catch (e) {
		playerError(e);
	}
}

function frameShown(f) {
	$('pl-scrub').value = String(f.index);
	$('pl-time').textContent = `frame ${f.index + 1}/${state.player.count}, ` +
		`${fmtWall(BigInt(f.wallNs))} (the clip's wall clock)`;
	document.body.dataset.frame = String(f.index);
}

function download(blob, name) {
	const a = document.createElement('a');

	a.href = URL.createObjectURL(blob);
	a.download = name;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/* For the tests and the curious: SHA-256 of every decoded frame, planes in
 * Y4M order (Y, then Cb, then Cr), hex. */
async function hashFrames() {
	const out = [];

	for (let i = 0; i < state.player.count; i++) {
		const f = await state.clip.frame(i);
		const parts = [f.planes[0]];

		if (f.planes[1]) {
			const c = f.planes[1], n = c.length >> 1;
			const cb = new Uint8Array(n), cr = new Uint8Array(n);

			for (let j = 0; j < n; j++) {
				cb[j] = c[2 * j];
				cr[j] = c[2 * j + 1];
			}
			parts.push(cb, cr);
		}
		const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));

		parts.reduce((off, p) => { all.set(p, off); return off + p.length; }, 0);
		const d = new Uint8Array(await crypto.subtle.digest('SHA-256', all));

		out.push([...d].map((b) => b.toString(16).padStart(2, '0')).join(''));
	}
	return out;
}

/* ---- wiring ---- */

function on(id, ev, fn) {
	$(id).addEventListener(ev, (e) => Promise.resolve(fn(e)).catch(fail));
}

function wire() {
	on('login-form', 'submit', async (e) => {
		e.preventDefault();
		clearError();
		await login($('token').value.trim());
		$('token').value = '';
	});
	on('logout', 'click', logout);
	for (const b of document.querySelectorAll('#nav [data-view]'))
		on(b.id || (b.id = `nav-${b.dataset.view}`), 'click', async () => {
			show(b.dataset.view);
			if (b.dataset.view === 'player')
				await refreshClips();
		});
	on('key-import', 'submit', importKey);
	on('key-unlock', 'submit', unlockKey);
	on('key-forget', 'click', async () => {
		await keys.forget();
		state.sk = null;
		await refreshKeyState();
	});
	for (const cb of document.querySelectorAll('input[name=kind]'))
		on(cb.id || (cb.id = `kind-${cb.value}`), 'change', () => {
			const tl = state.timeline;

			cb.checked ? tl.show.add(cb.value) : tl.show.delete(cb.value);
			tl.draw();
			tl.renderList();
		});
	on('tl-zoom-in', 'click', () => state.timeline.zoom(0.5));
	on('tl-zoom-out', 'click', () => state.timeline.zoom(2));
	on('tl-day', 'change', () => {
		const ms = Date.parse(`${$('tl-day').value}T00:00:00Z`);

		if (!Number.isNaN(ms))
			state.timeline.setDay(ms);
	});
	on('tl-go', 'click', () => {
		const [h, m, s] = ($('tl-jump').value || '0:0:0').split(':').map(Number);

		state.timeline.zoom(1 / 24);
		state.timeline.jump(state.timeline.dayStart + ((h * 60 + m) * 60 + (s || 0)) * 1000);
	});
	on('clip-refresh', 'click', refreshClips);
	on('clip-open', 'click', () => openClip());
	on('pl-play', 'click', () => {
		const p = state.player;

		if (!p)
			return;
		if (p.playing) {
			p.stop();
			$('pl-play').textContent = 'Play';
		} else {
			$('pl-play').textContent = 'Pause';
			document.body.dataset.playing = '1';
			p.play().then(() => {
				$('pl-play').textContent = 'Play';
				document.body.dataset.playing = '0';
			});
		}
	});
	on('pl-step', 'click', () => state.player?.show(state.player.index + 1));
	on('pl-step-back', 'click', () => state.player?.show(state.player.index - 1));
	on('pl-speed', 'change', () => { if (state.player) state.player.speed = Number($('pl-speed').value); });
	on('pl-scrub', 'input', () => state.player?.show(Number($('pl-scrub').value)));
	on('ex-sealed', 'click', async () => {
		const id = $('clip-select').value;
		const r = await state.api.get(`/api/clips/${id}`);

		download(await r.blob(), `${id}.vclip`);
	});
	on('ex-y4m', 'click', async () => {
		const from = Number($('ex-from').value), to = Number($('ex-to').value);
		const blob = await state.clip.y4m(from, to);

		download(blob, `${$('clip-select').value}-${from}-${to}.y4m`);
	});
	on('lv-start', 'click', () => {
		state.live = state.live || new Live(state.api, $('lv-canvas'),
			(n) => { $('lv-frames').textContent = `${n} frames`; document.body.dataset.live = String(n); });
		state.live.start().catch((e) => { if (e.name !== 'AbortError') fail(e); });
	});
	on('lv-stop', 'click', () => state.live?.stop());
	on('lv-snap', 'click', () => new Promise((ok) => $('lv-canvas').toBlob((b) => {
		download(b, `snapshot-${fmtWall(state.clock.now(), false).replace(/[ :]/g, '-')}.png`);
		ok();
	}, 'image/png')));
	document.addEventListener('keydown', (e) => {
		if (document.body.dataset.view !== 'player' || e.target.closest('input, select, textarea'))
			return;
		if (e.key === ' ') { e.preventDefault(); $('pl-play').click(); }
		else if (e.key === '.') $('pl-step').click();
		else if (e.key === ',') $('pl-step-back').click();
	});
}

wire();
window.vigilPage = { state, openClip, hashFrames, refreshClips, show };
const saved = sessionStorage.getItem('vigil-token');

if (saved)
	login(saved).catch(fail);
else
	show('login');
document.body.dataset.ready = '1';
