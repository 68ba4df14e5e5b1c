// SPDX-License-Identifier: GPL-2.0-or-later
// The live view: /api/live.mjpeg read with fetch (the token is a header),
// the multipart stream split here, each JPEG drawn with createImageBitmap.

// Split a multipart/x-mixed-replace byte stream into parts' bodies.
export class MultipartParser {
	constructor(boundary, onPart) {
		this.delim = new TextEncoder().encode(`--${boundary}`);
		this.onPart = onPart;
		this.buf = new Uint8Array(0);
	}

	push(chunk) {
		const b = new Uint8Array(this.buf.length + chunk.length);

		b.set(this.buf);
		b.set(chunk, this.buf.length);
		this.buf = b;
		for (;;) {
			const start = indexOf(this.buf, this.delim, 0);

			if (start < 0)
				return;
			const headEnd = indexOf(this.buf, CRLFCRLF, start);

			if (headEnd < 0)
				return;
			const head = new TextDecoder().decode(this.buf.subarray(start, headEnd));
			const m = /content-length:\s*(\d+)/i.exec(head);
			let end;

			if (m) {
				end = headEnd + 4 + Number(m[1]);
				if (end > this.buf.length)
					return;
			} else {
				end = indexOf(this.buf, this.delim, headEnd + 4);
				if (end < 0)
					return;
			}
			this.onPart(this.buf.slice(headEnd + 4, end), head);
			this.buf = this.buf.slice(end);
		}
	}
}

const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);

function indexOf(h, n, from) {
	outer: for (let i = from; i <= h.length - n.length; i++) {
		for (let j = 0; j < n.length; j++)
			if (h[i + j] !== n[j])
				continue outer;
		return i;
	}
	return -1;
}

export class Live {
	constructor(api, canvas, onCount) {
		this.api = api;
		this.canvas = canvas;
		this.onCount = onCount;
		this.frames = 0;
		this.ctl = null;
	}

	async start() {
		if (this.ctl)
			return;
		const ctl = this.ctl = new AbortController();
		const g = this.canvas.getContext('2d');
		let drawing = false;

		try {
			const r = await this.api.get('/api/live.mjpeg', { signal: ctl.signal });
			const m = /boundary=("?)([^";]+)\1/.exec(r.headers.get('Content-Type') || '');

			if (!m)
				throw new Error('live: not a multipart stream');
			const parser = new MultipartParser(m[2], async (jpeg) => {
				if (drawing)
					return;	/* behind: drop this one, draw the next */
				drawing = true;
				try {
					const bmp = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));

					if (this.canvas.width !== bmp.width || this.canvas.height !== bmp.height) {
						this.canvas.width = bmp.width;
						this.canvas.height = bmp.height;
					}
					g.drawImage(bmp, 0, 0);
					bmp.close();
					this.frames++;
					this.onCount(this.frames);
				} finally {
					drawing = false;
				}
			});
			const reader = r.body.getReader();

			for (;;) {
				const { value, done } = await reader.read();

				if (done)
					break;
				parser.push(value);
			}
		} finally {
			if (this.ctl === ctl)
				this.ctl = null;
		}
	}

	stop() {
		this.ctl?.abort();
		this.ctl = null;
	}
}
