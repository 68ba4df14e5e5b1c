// SPDX-License-Identifier: GPL-2.0-or-later
// A clip in the decoder worker (web/clip/worker.js, contract C3): fetched
// by the page with the token as it is stored (a clip still being recorded:
// what has arrived so far), opened, and played frame by frame.

export class ClipError extends Error {
	constructor(code, message) {
		super(message);
		this.code = code;
	}
}

let worker = null, nextId = 1;
const waiting = new Map();	/* id -> [{op, ok, fail}] in order */

function getWorker() {
	if (!worker) {
		worker = new Worker(new URL('../clip/worker.js', import.meta.url), { type: 'module' });
		worker.onmessage = (e) => {
			const m = e.data, q = waiting.get(m.id);
			const w = q?.shift();

			if (!w)
				return;
			if (m.op === 'error')
				w.fail(new ClipError(m.code, m.message));
			else
				w.ok(m);
		};
		worker.onerror = (e) => {
			for (const q of waiting.values())
				for (const w of q.splice(0))
					w.fail(new ClipError('internal', e.message || 'the decoder failed'));
		};
	}
	return worker;
}

function call(id, msg, transfer = []) {
	return new Promise((ok, fail) => {
		if (!waiting.has(id))
			waiting.set(id, []);
		waiting.get(id).push({ ok, fail });
		getWorker().postMessage({ ...msg, id }, transfer);
	});
}

// The clip's bytes. A clip being recorded is streamed as it grows: take
// what came until @idleMs passes without more.
export async function fetchClip(api, clipId, idleMs = 800) {
	const ctl = new AbortController();
	const r = await api.get(`/api/clips/${clipId}`, { signal: ctl.signal });
	const recording = r.headers.get('X-Vigil-Recording') === 'yes';

	if (!recording)
		return { buffer: await r.arrayBuffer(), recording };
	const reader = r.body.getReader(), parts = [];
	let len = 0;

	for (;;) {
		let timer;
		const idle = new Promise((ok) => { timer = setTimeout(() => ok({ idle: true }), idleMs); });
		const got = await Promise.race([reader.read(), idle]);

		clearTimeout(timer);
		if (got.idle || got.done)
			break;
		parts.push(got.value);
		len += got.value.length;
	}
	ctl.abort();
	const buf = new Uint8Array(len);

	for (let off = 0, i = 0; i < parts.length; off += parts[i].length, i++)
		buf.set(parts[i], off);
	return { buffer: buf.buffer, recording };
}

export class Clip {
	constructor() {
		this.id = `c${nextId++}`;
		this.info = null;
	}

	async open(buffer, sk) {
		const m = await call(this.id, { op: 'open', buffer, sk: sk ? sk.slice() : null }, [buffer]);

		this.info = m.info;
		return m.info;
	}

	frame(index) {
		return call(this.id, { op: 'frame', index });
	}

	async y4m(from, to) {
		return (await call(this.id, { op: 'y4m', from, to })).blob;
	}

	close() {
		return call(this.id, { op: 'close' }).catch(() => {});
	}
}

// Play: one frame per tick at the clip's rate times @speed; the next
// frame is asked for while this one is drawn.
export class Player {
	constructor(renderer, onFrame, onError) {
		this.r = renderer;
		this.onFrame = onFrame;
		this.onError = onError;
		this.clip = null;
		this.index = 0;
		this.playing = false;
		this.speed = 1;
		this.busy = null;
	}

	load(clip) {
		this.stop();
		this.clip = clip;
		this.index = 0;
	}

	get count() {
		return this.clip?.info?.frames.length || 0;
	}

	async show(index) {
		if (!this.clip || index < 0 || index >= this.count)
			return null;
		this.index = index;
		const f = await this.clip.frame(index);

		this.r.draw(f);
		this.onFrame(f);
		return f;
	}

	async play() {
		if (this.playing || !this.count)
			return;
		this.playing = true;
		const info = this.clip.info;
		const period = 1000 * info.fpsDen / info.fpsNum;

		try {
			while (this.playing && this.index < this.count - 1) {
				const t0 = performance.now();

				await this.show(this.index + 1);
				/* the last frame shown: stopped now, not a period later */
				if (this.index >= this.count - 1)
					break;
				const wait = period / this.speed - (performance.now() - t0);

				if (wait > 0)
					await new Promise((ok) => setTimeout(ok, wait));
			}
		} catch (e) {
			this.onError(e);
		}
		this.playing = false;
	}

	stop() {
		this.playing = false;
	}
}
