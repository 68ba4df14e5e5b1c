// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip codec's decoder (docs/clip-format.md, "Encoded frame"), the same
 * arithmetic as userspace/lib/codec.c so that every reconstructed pixel is
 * the one vigil-clip reconstructs. Codec 1 is context-split zigzag
 * residual streams, each zstd-coded or stored raw, with MED (keyframes) or
 * temporal (other frames) prediction; its per-pixel loop is decodePlanes1.
 * Codec 2 keeps codec 1's keyframes and adds skipped 8x8 blocks and a
 * per-plane choice of the MED of frame differences for inter frames
 * (decodeInter2).
 *
 * Frames are reconstructed planar: Y, then the first and second chroma
 * planes in the order the codec stores them (Cb, Cr; NV21 and YV12 store
 * Cr first).
 */
import { ClipError } from './errors.js';
import { decompressInto } from './zstd.js';

const NCTX = 8;
const HDR = 4 + 8 * NCTX;
const FLAG_KEY = 1;

/* context from the sum of neighbouring zigzag residuals (0..765) */
const CTX_MAP = new Uint8Array(766);

{
	const top = [0, 2, 4, 8, 16, 32, 64];

	for (let a = 0; a < 766; a++) {
		let c = 0;

		while (c < NCTX - 1 && a > top[c])
			c++;
		CTX_MAP[a] = c;
	}
}

/** The planes of a frame: [{w, h, off}], and the total bytes. */
export function planeGeometry(pixfmt, width, height) {
	const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
	let dims;

	switch (pixfmt) {
	case 'GREY':
		dims = [[width, height]];
		break;
	case 'NV12': case 'NV21': case 'I420': case 'YV12':
		dims = [[width, height], [cw, ch], [cw, ch]];
		break;
	case 'YUYV': case 'UYVY':
		dims = [[width, height], [width >> 1, height], [width >> 1, height]];
		break;
	default:
		throw new ClipError('format', `unsupported pixel format ${pixfmt}`);
	}
	const planes = [];
	let total = 0;

	for (const [w, h] of dims) {
		planes.push({ w, h, off: total });
		total += w * h;
	}
	return { planes, total };
}

/*
 * The context of the pixel at (x, y), row offset @o, of a plane @w wide,
 * from the zigzag residuals already decoded (codec 1 and 2 alike): left,
 * above, above-left, above-right; missing ones equal to above, or 0 on the
 * first row.
 */
function contextAt(res, o, x, y, w) {
	const uo = o - w;
	let u = 0, ul = 0, ur = 0;

	if (y) {
		u = res[uo + x];
		ul = x ? res[uo + x - 1] : u;
		ur = x + 1 < w ? res[uo + x + 1] : u;
	}
	const l = x ? res[o + x - 1] : u;

	return CTX_MAP[l + u + ((ul + ur) >> 1)];
}

/*
 * The next residual of context @k applied to @pred at index @i: the zigzag
 * residual into @res, the reconstruction (lossless mod 256, near-lossless
 * with @step = 2N+1 clamped) into @rec. False if the stream has run out.
 */
function putPixel(rec, res, i, pred, k, step, st, pos, end) {
	const p = pos[k];

	if (p >= end[k])
		return false;
	pos[k] = p + 1;
	const z = st[p];
	const q = (z >> 1) ^ -(z & 1);

	res[i] = z;
	if (step === 1) {
		rec[i] = (pred + q) & 255;
	} else {
		const v = pred + q * step;

		rec[i] = v < 0 ? 0 : v > 255 ? 255 : v;
	}
	return true;
}

/*
 * One pixel of codec 1 at (x, y) of the plane at @o0 (w wide), computed
 * from the arrays alone: the first row, the first and last columns. Returns
 * false if the context's stream has run out.
 */
function pixel1(rec, ref, res, o0, w, x, y, key, near, st, pos, end) {
	const o = o0 + y * w, uo = o - w;
	let pred;

	if (!key) {
		pred = ref[o + x];
	} else if (!y) {
		pred = x ? rec[o + x - 1] : 128;
	} else if (!x) {
		pred = rec[uo];
	} else {
		const a = rec[o + x - 1], b = rec[uo + x], c = rec[uo + x - 1];
		const mx = a > b ? a : b, mn = a > b ? b : a;

		pred = c >= mx ? mn : c <= mn ? mx : a + b - c;
	}
	return putPixel(rec, res, o + x, pred, contextAt(res, o, x, y, w), 2 * near + 1,
			st, pos, end);
}

/*
 * The interior (0 < x < w - 1) of a row y > 0 at @o (the row above at @uo)
 * of a keyframe: MED prediction, the neighbours carried in locals.
 */
function rowKey1(rec, res, o, uo, w, step, st, pos, end) {
	let l = res[o], a = rec[o];
	let ul = res[uo], u = res[uo + 1], c = rec[uo], b = rec[uo + 1];

	for (let x = 1; x < w - 1; x++) {
		const ur = res[uo + x + 1];
		const k = CTX_MAP[l + u + ((ul + ur) >> 1)];
		const p = pos[k];

		if (p >= end[k])
			return false;
		pos[k] = p + 1;
		const z = st[p];
		const e = (z >> 1) ^ -(z & 1);
		const mx = a > b ? a : b, mn = a > b ? b : a;
		const pred = c >= mx ? mn : c <= mn ? mx : a + b - c;
		let v;

		if (step === 1) {
			v = (pred + e) & 255;
		} else {
			v = pred + e * step;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
		}
		res[o + x] = z;
		rec[o + x] = v;
		l = z;
		a = v;
		ul = u;
		u = ur;
		c = b;
		b = rec[uo + x + 1];
	}
	return true;
}

/* The same for a frame predicted from the previous one (@ref). */
function rowTemporal1(rec, ref, res, o, uo, w, step, st, pos, end) {
	let l = res[o], ul = res[uo], u = res[uo + 1];

	for (let x = 1; x < w - 1; x++) {
		const ur = res[uo + x + 1];
		const k = CTX_MAP[l + u + ((ul + ur) >> 1)];
		const p = pos[k];

		if (p >= end[k])
			return false;
		pos[k] = p + 1;
		const z = st[p];
		const e = (z >> 1) ^ -(z & 1);
		let v;

		if (step === 1) {
			v = (ref[o + x] + e) & 255;
		} else {
			v = ref[o + x] + e * step;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
		}
		res[o + x] = z;
		rec[o + x] = v;
		l = z;
		ul = u;
		u = ur;
	}
	return true;
}

/*
 * Codec 1's prediction loop over every plane: reads the zigzag residuals
 * from @st (all 8 contexts' raw bytes, back to back; pos/end per context),
 * writes the reconstruction to @rec, using @ref (the previous
 * reconstruction) for other frames. Returns false if a stream runs out.
 * Per pixel, as lib/codec.c: the context from the zigzag residuals left
 * (l), above (u), above-left (ul) and above-right (ur); the prediction MED
 * of the reconstructed left (a), above (b), above-left (c) on keyframes,
 * the previous frame's pixel otherwise. The interior of each row (y > 0,
 * 0 < x < w - 1) is rowKey1() or rowTemporal1(); the edges go through
 * pixel1().
 */
function decodePlanes1(g, rec, ref, res, key, near, st, pos, end) {
	const step = 2 * near + 1;

	for (const pl of g.planes) {
		const w = pl.w, h = pl.h, o0 = pl.off;

		for (let x = 0; x < w; x++) {
			if (!pixel1(rec, ref, res, o0, w, x, 0, key, near, st, pos, end))
				return false;
		}
		for (let y = 1; y < h; y++) {
			const o = o0 + y * w, uo = o - w;

			if (!pixel1(rec, ref, res, o0, w, 0, y, key, near, st, pos, end))
				return false;
			if (w < 2)
				continue;
			if (key) {
				if (!rowKey1(rec, res, o, uo, w, step, st, pos, end))
					return false;
			} else if (!rowTemporal1(rec, ref, res, o, uo, w, step, st, pos, end)) {
				return false;
			}
			if (!pixel1(rec, ref, res, o0, w, w - 1, y, key, near, st, pos, end))
				return false;
		}
	}
	return true;
}

/*
 * Codec 2's inter frames (docs/clip-format.md, "Encoded frame (codec 2)"):
 * 8x8 blocks the map marks skipped copy the previous frame (zigzag residual
 * 0, no stream byte); coded pixels predict from the previous frame, plus,
 * when the plane's bit in @predBits is set, the MED of the already
 * reconstructed neighbours' frame differences; contexts as codec 1.
 * Returns false if a stream runs out or a map byte is not 0 or 1.
 */
function decodeInter2(g, rec, ref, res, near, st, pos, end, map, predBits) {
	const step = 2 * near + 1;
	let mo = 0;

	for (let pi = 0; pi < g.planes.length; pi++) {
		const { w, h, off } = g.planes[pi];
		const bw = (w + 7) >> 3, bh = (h + 7) >> 3;
		const med = (predBits >> pi) & 1;

		for (let i = 0; i < bw * bh; i++)
			if (map[mo + i] > 1)
				return false;
		for (let y = 0; y < h; y++) {
			const o = off + y * w, uo = o - w, mrow = mo + (y >> 3) * bw;

			for (let x = 0; x < w; x++) {
				if (!map[mrow + (x >> 3)]) {
					rec[o + x] = ref[o + x];
					res[o + x] = 0;
					continue;
				}
				let pred = ref[o + x];

				if (med) {
					const a = x ? rec[o + x - 1] - ref[o + x - 1] : 0;
					const b = y ? rec[uo + x] - ref[uo + x] : 0;
					const c = x && y ? rec[uo + x - 1] - ref[uo + x - 1] : 0;
					const mx = a > b ? a : b, mn = a > b ? b : a;

					pred += c >= mx ? mn : c <= mn ? mx : a + b - c;
					pred = pred < 0 ? 0 : pred > 255 ? 255 : pred;
				}
				if (!putPixel(rec, res, o + x, pred, contextAt(res, o, x, y, w), step,
					      st, pos, end))
					return false;
			}
		}
		mo += bw * bh;
	}
	return true;
}

/* Blocks of the block map: one byte per 8x8 block of every plane. */
function mapBytes(g) {
	let n = 0;

	for (const pl of g.planes)
		n += ((pl.w + 7) >> 3) * ((pl.h + 7) >> 3);
	return n;
}

const PLANE_DECODERS = { 1: decodePlanes1, 2: decodePlanes1 };

/**
 * A decoder for one clip's frames: decode() takes an encoded frame and
 * returns the reconstruction (planar, valid until the next call).
 */
export class Decoder {
	constructor(head) {
		this.planesFn = PLANE_DECODERS[head.codec];
		this.codec = head.codec;
		if (!this.planesFn)
			throw new ClipError('format', `unsupported clip codec ${head.codec}`);
		this.g = planeGeometry(head.pixfmt, head.width, head.height);
		this.near = head.near;
		this.rec = new Uint8Array(this.g.total);
		this.ref = new Uint8Array(this.g.total);
		this.res = new Uint8Array(this.g.total);
		this.streams = new Uint8Array(this.g.total);
		this.haveRef = false;
	}

	reset() {
		this.haveRef = false;
	}

	/* Decode @s (Uint8Array); throws ClipError('damaged') on a malformed frame. */
	decode(s) {
		const total = this.g.total;
		const c2 = this.codec === 2;
		const nst = c2 ? NCTX + 1 : NCTX;
		const hdr = 4 + 8 * nst;

		if (s.length < hdr || (s[0] & ~FLAG_KEY) || s[1] !== NCTX ||
		    s[2] !== (c2 ? 2 : 0) || (s[3] & ~((1 << this.g.planes.length) - 1)) ||
		    (!c2 && s[3]) || ((s[0] & FLAG_KEY) && s[3]))
			throw new ClipError('damaged', 'encoded frame header malformed');
		const key = !!(s[0] & FLAG_KEY);

		if (!key && !this.haveRef)
			throw new ClipError('damaged', 'frame without its keyframe');
		const dv = new DataView(s.buffer, s.byteOffset, s.byteLength);
		const raw = new Array(nst), stored = new Array(nst);
		const pos = new Int32Array(NCTX), end = new Int32Array(NCTX);
		/* codec 2's inter frames: the map, then fewer residuals than pixels */
		const nmap = c2 && !key ? mapBytes(this.g) : 0;
		let acc = 0, inp = hdr;

		for (let c = 0; c < nst; c++) {
			raw[c] = dv.getUint32(4 + 8 * c, true);
			stored[c] = dv.getUint32(8 + 8 * c, true);
			if (stored[c] > s.length - inp || (raw[c] && !stored[c]) || stored[c] > raw[c])
				throw new ClipError('damaged', 'encoded frame stream lengths out of bounds');
			if (c < NCTX) {
				if (raw[c] > total - acc)
					throw new ClipError('damaged', 'encoded frame stream lengths out of bounds');
				acc += raw[c];
			} else if (raw[c] !== nmap) {
				throw new ClipError('damaged', 'block map length wrong');
			}
			inp += stored[c];
		}
		if ((nmap ? acc > total : acc !== total) || inp !== s.length)
			throw new ClipError('damaged', 'encoded frame stream lengths do not add up');
		if (this.streams.length < acc + nmap)
			this.streams = new Uint8Array(total + mapBytes(this.g));
		acc = 0;
		inp = hdr;
		for (let c = 0; c < nst; c++) {
			const src = s.subarray(inp, inp + stored[c]);

			if (stored[c] === raw[c])
				this.streams.set(src, acc);
			else if (!decompressInto(src, this.streams, acc, raw[c]))
				throw new ClipError('damaged', `stream ${c} does not decompress`);
			if (c < NCTX) {
				pos[c] = acc;
				end[c] = acc + raw[c];
			}
			acc += raw[c];
			inp += stored[c];
		}
		let ok;

		if (nmap) {
			const map = this.streams.subarray(acc - nmap, acc);

			ok = decodeInter2(this.g, this.rec, this.ref, this.res, this.near,
					  this.streams, pos, end, map, s[3]);
			/* every residual byte is a coded pixel's: none left over */
			for (let c = 0; ok && c < NCTX; c++)
				ok = pos[c] === end[c];
		} else {
			ok = this.planesFn(this.g, this.rec, this.ref, this.res, key, this.near,
					   this.streams, pos, end);
		}
		if (!ok) {
			this.haveRef = false;
			throw new ClipError('damaged', 'a stream ran out, has bytes left over, or a block map byte is not 0 or 1');
		}
		const t = this.ref;

		this.ref = this.rec;
		this.rec = t;
		this.haveRef = true;
		return this.ref;
	}
}
