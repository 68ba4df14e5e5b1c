// SPDX-License-Identifier: GPL-2.0-or-later
// The events and the zoomable day view: every event (one entry per kind
// and id, its start/update/end lines folded in), PIR edges, a filter by
// kind, and the list beside it. Times on the device's wall clock.
import { fmtWall } from './api.js';

const DAY_MS = 86400000;
const COLOURS = { motion: '#4caf50', tamper: '#e53935', audio: '#ba68c8', pir: '#ffb300' };

export function kindOf(ev) {
	if (ev.kind === 'tamper')
		return 'tamper';
	if (ev.kind && ev.kind !== 'motion')
		return 'audio';		/* the sound detections: glass_break, loud, ... */
	return 'motion';
}

export class Timeline {
	constructor(canvas, list, count, range, clock, onPick) {
		this.canvas = canvas;
		this.list = list;
		this.count = count;
		this.range = range;
		this.clock = clock;
		this.onPick = onPick;
		this.events = new Map();	/* "kind:id" -> entry */
		this.pir = [];			/* {wall, level} */
		this.show = new Set(['motion', 'tamper', 'audio', 'pir']);
		const now = Number(clock.now() / 1000000n);

		this.dayStart = now - (now % DAY_MS);	/* the device's UTC day */
		this.span = DAY_MS;
		this.start = this.dayStart;
		this.bind();
	}

	bind() {
		const c = this.canvas;

		c.addEventListener('wheel', (e) => {
			e.preventDefault();
			const at = this.start + this.span * (e.offsetX / c.clientWidth);

			this.zoom(e.deltaY < 0 ? 0.5 : 2, at);
		}, { passive: false });
		c.addEventListener('keydown', (e) => {
			const step = this.span / 10;

			if (e.key === 'ArrowLeft') this.pan(-step);
			else if (e.key === 'ArrowRight') this.pan(step);
			else if (e.key === '+' || e.key === '=') this.zoom(0.5);
			else if (e.key === '-') this.zoom(2);
			else if (e.key === 'Enter') this.pickNear(this.start + this.span / 2);
			else return;
			e.preventDefault();
		});
		c.addEventListener('click', (e) =>
			this.pickNear(this.start + this.span * (e.offsetX / c.clientWidth)));
		new ResizeObserver(() => this.draw()).observe(c);
	}

	setDay(ms) {
		this.dayStart = ms - (ms % DAY_MS);
		this.start = this.dayStart;
		this.span = DAY_MS;
		this.draw();
	}

	zoom(f, at = this.start + this.span / 2) {
		const span = Math.min(DAY_MS, Math.max(10000, this.span * f));

		this.start = at - (at - this.start) * (span / this.span);
		this.span = span;
		this.clamp();
		this.draw();
	}

	pan(ms) {
		this.start += ms;
		this.clamp();
		this.draw();
	}

	jump(ms) {
		this.start = ms - this.span / 2;
		this.clamp();
		this.draw();
	}

	clamp() {
		this.start = Math.min(Math.max(this.start, this.dayStart), this.dayStart + DAY_MS - this.span);
	}

	// One line of /api/events or the stream (the event JSON object).
	add(ev) {
		const kind = kindOf(ev);
		const key = `${kind}:${ev.id}`;
		let e = this.events.get(key);

		if (!e) {
			e = { key, kind, id: ev.id, start: null, end: null, score: 0, ev };
			this.events.set(key, e);
		}
		e.ev = ev;
		if (ev.start_ns !== undefined)
			e.start = this.clock.wallOf(BigInt(ev.start_ns));
		else if (e.start === null && ev.ts_ns !== undefined)
			e.start = this.clock.wallOf(BigInt(ev.ts_ns));
		if (ev.end_ns !== undefined)
			e.end = this.clock.wallOf(BigInt(ev.end_ns));
		if (typeof ev.max_score === 'number')
			e.score = ev.max_score;
		if (ev.pir && ev.pir.ts_ns !== undefined) {
			const wall = this.clock.wallOf(BigInt(ev.pir.ts_ns));

			if (!this.pir.some((p) => p.wall === wall))
				this.pir.push({ wall, level: ev.pir.level });
		}
		this.schedule();
		return e;
	}

	schedule() {
		if (this.pending)
			return;
		this.pending = requestAnimationFrame(() => {
			this.pending = 0;
			this.draw();
			this.renderList();
		});
	}

	visible() {
		return [...this.events.values()].filter((e) => this.show.has(e.kind));
	}

	x(wall, w) {
		return (Number(wall / 1000000n) - this.start) / this.span * w;
	}

	draw() {
		const c = this.canvas, dpr = window.devicePixelRatio || 1;
		const w = Math.max(1, Math.round(c.clientWidth * dpr));
		const h = Math.max(1, Math.round(c.clientHeight * dpr));

		if (c.width !== w || c.height !== h) {
			c.width = w;
			c.height = h;
		}
		const g = c.getContext('2d');

		g.fillStyle = '#111';
		g.fillRect(0, 0, w, h);
		/* hour (or finer) ticks */
		const tick = [3600000, 900000, 300000, 60000, 10000].find((t) => this.span / t >= 4) || 10000;
		g.fillStyle = '#aaa';
		g.font = `${12 * dpr}px system-ui`;
		for (let t = Math.ceil(this.start / tick) * tick; t < this.start + this.span; t += tick) {
			const x = (t - this.start) / this.span * w;

			g.fillRect(x, 0, 1, h * 0.15);
			g.fillText(new Date(t).toISOString().slice(11, tick >= 60000 ? 16 : 19), x + 2, h * 0.15 + 12 * dpr);
		}
		for (const e of this.visible()) {
			const x0 = this.x(e.start, w);
			const x1 = e.end !== null ? this.x(e.end, w) : x0 + 2;

			if (x1 < 0 || x0 > w)
				continue;
			g.fillStyle = COLOURS[e.kind];
			g.fillRect(x0, h * 0.35, Math.max(2 * dpr, x1 - x0), h * 0.35);
		}
		if (this.show.has('pir')) {
			g.fillStyle = COLOURS.pir;
			for (const p of this.pir) {
				const x = this.x(p.wall, w);

				g.fillRect(x, p.level ? h * 0.75 : h * 0.85, 2 * dpr, h * 0.1);
			}
		}
		/* the device's now */
		const now = this.x(this.clock.now(), w);
		g.fillStyle = '#fff';
		g.fillRect(now, 0, 1, h);
		this.range.textContent = `${fmtWall(BigInt(Math.round(this.start)) * 1000000n, false)} to ` +
			`${fmtWall(BigInt(Math.round(this.start + this.span)) * 1000000n, false)} (device clock)`;
		this.canvas.dataset.drawn = String(this.visible().length);
	}

	renderList() {
		const items = this.visible().sort((a, b) => (a.start < b.start ? 1 : -1));
		const frag = document.createDocumentFragment();

		for (const e of items) {
			const li = document.createElement('li');
			const b = document.createElement('button');

			b.type = 'button';
			b.className = `k-${e.kind}`;
			b.dataset.key = e.key;
			b.dataset.wall = String(e.start);
			b.textContent = `${fmtWall(e.start)} ${e.kind} #${e.id}` +
				(e.end !== null ? ` (${Number((e.end - e.start) / 1000000n) / 1000} s)` : ' (open)') +
				(e.ev.person ? `, person: ${e.ev.person.verdict}` : '');
			b.addEventListener('click', () => {
				this.jump(Number(e.start / 1000000n));
				this.onPick(e);
			});
			li.append(b);
			frag.append(li);
		}
		this.list.replaceChildren(frag);
		this.count.textContent = String(items.length);
	}

	pickNear(ms) {
		let best = null, d = Infinity;

		for (const e of this.visible()) {
			const dd = Math.abs(Number(e.start / 1000000n) - ms);

			if (dd < d) {
				d = dd;
				best = e;
			}
		}
		if (best)
			this.onPick(best);
	}
}
