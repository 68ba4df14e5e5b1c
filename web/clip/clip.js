// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An opened clip: the container (container.js), the owner's key (the
 * clip key from crypto_box_seal_open with the owner's X25519 secret key
 * and the public key derived from it), the sealed parts (one libsodium
 * secretstream per keyframe group, additional data clip id + the frame
 * chunk's first 28 bytes; events with XChaCha20-Poly1305, additional data
 * clip id + event number; the index MAC, keyed BLAKE2b-256 under
 * crypto_kdf_derive_from_key(1, "vigilidx", clip key)) and the codec
 * (codec.js). Used by worker.js and, unchanged, by the Node tests.
 *
 * Random access: frame(i) decodes from its group's keyframe, keeping the
 * group's stream state and the last reconstruction, so playing forward
 * costs one frame per frame. No pixel of a frame that fails a check is
 * ever returned.
 */
import sodium from '../vendor/libsodium/libsodium-wrappers.mjs';
import { parseClip, parseEventBody, parseSummary, FRAM_FIXED } from './container.js';
import { Decoder, planeGeometry } from './codec.js';
import { ClipError } from './errors.js';
import { zstdReady } from './zstd.js';

const SS_HDR = 24;
const SS_ABYTES = 17;
const EV_NONCE = 24;
const EV_ABYTES = 16;

let libsReady = null;

/** Load libsodium and zstd once. */
export function clipLibsReady() {
	if (!libsReady)
		libsReady = Promise.all([sodium.ready, zstdReady()]);
	return libsReady;
}

function concat(a, b) {
	const r = new Uint8Array(a.length + b.length);

	r.set(a, 0);
	r.set(b, a.length);
	return r;
}

/* How each pixel format is handed out (contract C3) and exported as Y4M. */
function layoutOf(pixfmt) {
	switch (pixfmt) {
	case 'GREY':
		return { layout: 'grey', y4m: 'mono', swap: false };
	case 'NV12': case 'I420':
		return { layout: 'nv12', y4m: '420jpeg', swap: false };
	case 'NV21': case 'YV12':
		return { layout: 'nv12', y4m: '420jpeg', swap: true };
	default:
		return { layout: 'nv16', y4m: '422', swap: false };
	}
}

export class Clip {
	/**
	 * @bytes: Uint8Array of the clip file as stored; @sk: Uint8Array(32),
	 * the owner's X25519 secret key, or null. clipLibsReady() must have
	 * resolved. Throws ClipError: 'key' if @sk cannot open a sealed clip.
	 */
	constructor(bytes, sk) {
		this.b = bytes;
		this.c = parseClip(bytes);
		this.h = this.c.head;
		this.key = null;
		if (this.h.sealed && sk) {
			if (!(sk instanceof Uint8Array) || sk.length !== 32)
				throw new ClipError('key', 'the owner secret key must be 32 bytes');
			let pk;

			try {
				pk = sodium.crypto_scalarmult_base(sk);
				this.key = sodium.crypto_box_seal_open(this.h.sealedKey, pk, sk);
			} catch {
				throw new ClipError('key', 'this key cannot open the clip (wrong owner key)');
			}
		}
		this.indexAuthenticated = false;
		if (this.c.index && this.c.index.mac && this.key)
			this.checkIndexMac();
		this.dec = new Decoder(this.h);
		this.lay = layoutOf(this.h.pixfmt);
		this.last = -1;		/* the frame whose reconstruction dec holds */
		this.ss = null;		/* stream state, valid for frame last */
		this.events = [];
		this.eventErrors = [];
		if (!this.h.sealed || this.key)
			this.readEvents();
	}

	checkIndexMac() {
		const ix = this.c.index;
		const sub = sodium.crypto_kdf_derive_from_key(32, 1, 'vigilidx', this.key);
		const mac = sodium.crypto_generichash(32,
			concat(this.h.clipId, this.b.subarray(ix.off, ix.off + ix.len - 32)), sub);

		if (sodium.memcmp(mac, this.b.subarray(ix.off + ix.len - 32, ix.off + ix.len))) {
			this.indexAuthenticated = true;
		} else {
			this.c.index = null;
			this.c.state = 'damaged';
			this.c.detail = 'index MAC wrong (modified index, or groups dropped)';
		}
	}

	/* Every event that authenticates and parses; the others in eventErrors. */
	readEvents() {
		for (const e of this.c.events) {
			const p = this.b.subarray(e.off, e.off + e.len);
			let body = p.subarray(4);

			if (this.h.sealed) {
				if (p.length < 4 + EV_NONCE + EV_ABYTES) {
					this.eventErrors.push({ number: e.number, code: 'damaged', message: 'malformed' });
					continue;
				}
				try {
					body = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null,
						p.subarray(4 + EV_NONCE), concat(this.h.clipId, p.subarray(0, 4)),
						p.subarray(4, 4 + EV_NONCE), this.key);
				} catch {
					this.eventErrors.push({ number: e.number, code: 'auth',
								message: `event ${e.number}: authentication failed` });
					continue;
				}
			}
			const ev = parseEventBody(body, this.h.version, e.number);

			if (ev)
				this.events.push(ev);
			else
				this.eventErrors.push({ number: e.number, code: 'damaged',
							message: `event ${e.number}: malformed` });
		}
	}

	/** The `info` of contract C3's 'opened' reply. */
	info() {
		const h = this.h;

		return {
			version: h.version, pixfmt: h.pixfmt, width: h.width, height: h.height,
			fpsNum: h.fpsNum, fpsDen: h.fpsDen, sealed: h.sealed, codec: h.codec,
			near: h.near, keyint: h.keyint,
			complete: this.c.state === 'complete', damaged: this.c.state === 'damaged',
			state: this.c.state, detail: this.c.detail,
			indexAuthenticated: this.indexAuthenticated,
			camera: h.camera, createdNs: h.createdNs,
			frames: this.c.frames.map((f) => ({ n: f.n, group: f.group, key: f.key,
							       monoNs: f.monoNs, wallNs: f.wallNs })),
			events: this.events, eventErrors: this.eventErrors,
			audio: h.audio,
		};
	}

	/*
	 * The plain body (detection summary + encoded frame) of frame @i, which
	 * must follow this.last in its group when sealed and not a keyframe.
	 */
	plainBody(i) {
		const f = this.c.frames[i];
		const fixed = this.b.subarray(f.off, f.off + FRAM_FIXED);
		let body = this.b.subarray(f.off + FRAM_FIXED, f.off + f.len);

		if (!this.h.sealed)
			return body;
		if (!this.key)
			throw new ClipError('key', 'the clip is sealed: the owner key is needed');
		if (f.key) {
			if (body.length < SS_HDR)
				throw new ClipError('damaged', `frame ${i}: bad stream header`);
			this.ss = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
				body.subarray(0, SS_HDR), this.key);
			body = body.subarray(SS_HDR);
		}
		if (this.ss === null)
			throw new ClipError('internal', `frame ${i}: group not read from its start`);
		if (body.length < SS_ABYTES)
			throw new ClipError('damaged', `frame ${i}: too short`);
		const r = sodium.crypto_secretstream_xchacha20poly1305_pull(this.ss, body,
			concat(this.h.clipId, fixed));

		if (!r || r.tag !== 0) {
			this.ss = null;
			throw new ClipError('auth', `frame ${i}: authentication failed (modified, reordered or wrong key)`);
		}
		return r.message;
	}

	/* Decode frame @i (this.last is i - 1 in the same group, or i is a keyframe). */
	step(i) {
		const f = this.c.frames[i];
		let body;

		this.last = -1;
		body = this.plainBody(i);
		const m = parseSummary(body);

		if (!m)
			throw new ClipError('damaged', `frame ${i}: bad detection summary`);
		const enc = body.subarray(m.used);

		if (enc.length < 1 || !!(enc[0] & 1) !== f.key)
			throw new ClipError('damaged', `frame ${i}: keyframe flag mismatch`);
		if (f.key)
			this.dec.reset();
		const rec = this.dec.decode(enc);

		this.last = i;
		delete m.used;
		this.detect = m;
		return rec;
	}

	/** Decode frame @i: {rec (planar, valid until the next call), detect, frame}. */
	frame(i) {
		if (!Number.isInteger(i) || i < 0 || i >= this.c.frames.length)
			throw new ClipError('internal', `no frame ${i} (the clip has ${this.c.frames.length})`);
		const f = this.c.frames[i];
		const g = this.c.groups[f.gidx];
		let rec;

		if (this.last === i) {
			rec = this.dec.ref;
		} else {
			let from = g.pos;

			if (this.last >= g.pos && this.last < i)
				from = this.last + 1;
			for (let j = from; j <= i; j++)
				rec = this.step(j);
		}
		return { rec, detect: this.detect, frame: f };
	}

	/** Frame @i in contract C3's layout: {layout, width, height, planes: [Y, CbCr?]}. */
	framePlanes(i) {
		const { rec, detect, frame } = this.frame(i);
		const g = this.dec.g;
		const Y = rec.slice(0, g.planes[0].w * g.planes[0].h);
		const planes = [Y];

		if (g.planes.length === 3) {
			const [, p1, p2] = g.planes;
			const cb = this.lay.swap ? p2 : p1, cr = this.lay.swap ? p1 : p2;
			const n = p1.w * p1.h;
			const uv = new Uint8Array(2 * n);

			for (let k = 0; k < n; k++) {
				uv[2 * k] = rec[cb.off + k];
				uv[2 * k + 1] = rec[cr.off + k];
			}
			planes.push(uv);
		}
		return {
			index: i, monoNs: frame.monoNs, wallNs: frame.wallNs, layout: this.lay.layout,
			width: this.h.width, height: this.h.height, planes, detect,
		};
	}

	/** The Y4M stream header, as `vigil-clip export -f y4m` writes it. */
	y4mHeader() {
		const h = this.h;

		return new TextEncoder().encode(`YUV4MPEG2 W${h.width} H${h.height} F${h.fpsNum}:${h.fpsDen} Ip A1:1 C${this.lay.y4m}\n`);
	}

	/** One Y4M frame (FRAME line + Y, Cb, Cr planes) of frame @i. */
	y4mFrame(i) {
		const { rec } = this.frame(i);
		const g = this.dec.g;
		const out = new Uint8Array(6 + g.total);

		out.set([0x46, 0x52, 0x41, 0x4d, 0x45, 0x0a], 0);
		if (g.planes.length === 3 && this.lay.swap) {
			const [p0, p1, p2] = g.planes;

			out.set(rec.subarray(0, p0.w * p0.h), 6);
			out.set(rec.subarray(p2.off, p2.off + p2.w * p2.h), 6 + p1.off);
			out.set(rec.subarray(p1.off, p1.off + p1.w * p1.h), 6 + p2.off);
		} else {
			out.set(rec, 6);
		}
		return out;
	}

	/**
	 * Y4M of frames @from..@to (inclusive) as an array of Uint8Array parts
	 * (header first). Stops before the first frame that fails a check,
	 * as vigil-clip does; throws if that is the first one.
	 */
	y4mParts(from, to) {
		const n = this.c.frames.length;

		if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to >= n || from > to)
			throw new ClipError('internal', `y4m: frames ${from}..${to} not in 0..${n - 1}`);
		const parts = [this.y4mHeader()];

		for (let i = from; i <= to; i++) {
			try {
				parts.push(this.y4mFrame(i));
			} catch (e) {
				if (i === from)
					throw e;
				break;
			}
		}
		return parts;
	}
}

export { planeGeometry };
