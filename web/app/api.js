// SPDX-License-Identifier: GPL-2.0-or-later
// vigild's API with the bearer token: JSON, raw responses, and the
// /api/events/stream reader (fetch, since EventSource cannot send headers).

export class HttpError extends Error {
	constructor(status, what) {
		super(`${what}: HTTP ${status}`);
		this.status = status;
	}
}

export class Api {
	constructor(token) {
		this.token = token;
	}

	headers(extra) {
		return { Authorization: `Bearer ${this.token}`, ...(extra || {}) };
	}

	async get(path, opts = {}) {
		const r = await fetch(path, { headers: this.headers(opts.headers),
					      signal: opts.signal, cache: 'no-store' });
		if (!r.ok)
			throw new HttpError(r.status, path);
		return r;
	}

	async json(path) {
		return (await this.get(path)).json();
	}

	// Yield {id, data} for every event; reconnects after `retry` ms with
	// Last-Event-ID until @signal aborts. @onState(true|false): connected.
	async *events(signal, lastId, onState) {
		let retry = 1000;

		while (!signal.aborted) {
			try {
				const h = lastId ? { 'Last-Event-ID': String(lastId) } : {};
				const r = await this.get('/api/events/stream', { headers: h, signal });
				const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
				let buf = '';

				onState?.(true);
				for (;;) {
					const { value, done } = await reader.read();

					if (done)
						break;
					buf += value;
					let end;
					while ((end = buf.indexOf('\n\n')) >= 0) {
						const rec = parseSse(buf.slice(0, end));

						buf = buf.slice(end + 2);
						if (rec.retry)
							retry = rec.retry;
						if (rec.id)
							lastId = rec.id;
						if (rec.data !== null)
							yield { id: lastId, data: rec.data };
					}
				}
			} catch (e) {
				if (signal.aborted)
					return;
				if (e instanceof HttpError && e.status === 401)
					throw e;
			}
			onState?.(false);
			await new Promise((ok) => setTimeout(ok, retry));
		}
	}
}

// One SSE record (the lines before a blank line).
export function parseSse(text) {
	const rec = { id: null, data: null, retry: 0 };

	for (const line of text.split('\n')) {
		if (!line || line[0] === ':')
			continue;
		const c = line.indexOf(':');
		const k = c < 0 ? line : line.slice(0, c);
		let v = c < 0 ? '' : line.slice(c + 1);

		if (v[0] === ' ')
			v = v.slice(1);
		if (k === 'data')
			rec.data = rec.data === null ? v : `${rec.data}\n${v}`;
		else if (k === 'id')
			rec.id = v;
		else if (k === 'retry' && /^\d+$/.test(v))
			rec.retry = Number(v);
	}
	return rec;
}

// The device's wall clock from its monotonic one: /api/status reads both
// together. Times are BigInt ns.
export class DeviceClock {
	constructor(status) {
		this.offset = BigInt(status.wall_ns) - BigInt(status.mono_ns);
		this.readAt = performance.now();
		this.wallAtRead = BigInt(status.wall_ns);
	}

	wallOf(monoNs) {
		return BigInt(monoNs) + this.offset;
	}

	// the device's wall clock now (advanced with the page's monotonic clock)
	now() {
		return this.wallAtRead + BigInt(Math.round((performance.now() - this.readAt) * 1e6));
	}
}

// "2026-11-27 10:15:00.250 UTC" of a wall time in ns (BigInt): the
// device's clock, in UTC, never the browser's idea of the time.
export function fmtWall(ns, ms = true) {
	const d = new Date(Number(BigInt(ns) / 1000000n));
	const s = d.toISOString().replace('T', ' ').replace('Z', '');

	return `${ms ? s : s.slice(0, 19)} UTC`;
}
