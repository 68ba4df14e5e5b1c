// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip container reader (docs/clip-format.md, versions 1 and 2): the
 * same checks, in the same order, as userspace/lib/clip.c's reader, so a
 * clip reads here exactly as `vigil-clip` reads it. Every length is checked
 * against its bounds before the bytes it covers are touched, and every
 * chunk's XXH3-64 before its payload is parsed. A clip cut short (a .part
 * file still being recorded, or a power cut) reads up to its last complete
 * chunk; after a damaged chunk the scan resumes at the next intact
 * keyframe that follows what it kept, so damage costs at most one group.
 *
 * This layer is pure structure: decryption is seal.js, pixels codec.js.
 */
import { ClipError } from './errors.js';
import { xxh3_64 } from './xxh3.js';

export const PIXFMTS = ['GREY', 'NV12', 'I420', 'YUYV', 'NV21', 'YV12', 'UYVY'];
export const CODECS = [1, 2];

const MAGIC = 'VIGILCLP';
const END_MAGIC = 'VIGILEND';
const T_HEAD = 0x44414548;
const T_FRAM = 0x4d415246;
const T_EVNT = 0x544e5645;
const T_AUDI = 0x49445541;
const T_INDX = 0x58444e49;
const T_FOOT = 0x544f4f46;
const CHUNK_HDR = 8;
const CHUNK_SUM = 8;
const CHUNK_MAX = 64 * 1024 * 1024;
const HEAD_LEN = 172;
export const FRAM_FIXED = 28;
export const AUDI_FIXED = 20;
const CAMERA_MAX = 32;
const IDX_ENTRY = 24;
const MAC_LEN = 32;
const FOOT_LEN = 16;
const MAX_FRAMES = 1 << 24;
const MAX_EVENTS = 65536;
const MAX_NEAR = 16;
const MAX_KEYINT = 100000;
const AUDIO_MAX_SAMPLES = 48000;
const AEAD_NONCE = 24;
const AEAD_ABYTES = 16;

function rd16(b, o) {
	return b[o] | (b[o + 1] << 8);
}

export function rd32(b, o) {
	return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function rd64(b, o) {
	return BigInt(rd32(b, o)) | (BigInt(rd32(b, o + 4)) << 32n);
}

function ascii(b, o, n) {
	let s = '';

	for (let i = 0; i < n; i++)
		s += String.fromCharCode(b[o + i]);
	return s;
}

/*
 * The chunk at @off: {type, len} or 'cut' (the file ends inside it) or
 * 'bad' (length out of bounds or checksum wrong).
 */
function chunkAt(b, off) {
	const rest = b.length - off;

	if (rest < CHUNK_HDR)
		return 'cut';
	const n = rd32(b, off + 4);

	if (n > CHUNK_MAX)
		return 'bad';
	if (rest < CHUNK_HDR + n + CHUNK_SUM)
		return 'cut';
	if (xxh3_64(b, off, CHUNK_HDR + n) !== rd64(b, off + CHUNK_HDR + n))
		return 'bad';
	return { type: rd32(b, off), len: n };
}

function parseHead(b, p, len) {
	if (len !== HEAD_LEN)
		throw new ClipError('damaged', 'header chunk has the wrong size');
	const version = rd16(b, p);

	if (version !== 1 && version !== 2)
		throw new ClipError('format', `unsupported clip version ${version}`);
	const flags = rd16(b, p + 2);
	const fmt = rd32(b, p + 4);
	const codec = rd32(b, p + 24);

	if (flags > (version === 1 ? 1 : 3) || fmt < 1 || fmt > PIXFMTS.length)
		throw new ClipError('damaged', 'unknown flags or pixel format in the header');
	if (!CODECS.includes(codec))
		throw new ClipError('format', `unsupported clip codec ${codec}`);
	const h = {
		version,
		sealed: !!(flags & 1),
		audio: !!(flags & 2),
		pixfmt: PIXFMTS[fmt - 1],
		width: rd32(b, p + 8),
		height: rd32(b, p + 12),
		fpsNum: rd32(b, p + 16),
		fpsDen: rd32(b, p + 20),
		codec,
		near: rd32(b, p + 28),
		keyint: rd32(b, p + 32),
		createdNs: rd64(b, p + 36),
	};
	const packed = h.pixfmt === 'YUYV' || h.pixfmt === 'UYVY';

	if (!h.width || !h.height || h.width > 16384 || h.height > 16384 ||
	    (packed && (h.width & 1)) || h.near > MAX_NEAR || !h.keyint ||
	    h.keyint > MAX_KEYINT || !h.fpsNum || !h.fpsDen ||
	    h.fpsNum > 1000000 || h.fpsDen > 1000000)
		throw new ClipError('damaged', 'frame size, codec parameters or frame rate out of bounds');
	let end = 0;

	while (end < CAMERA_MAX && b[p + 44 + end])
		end++;
	for (let i = end; i < CAMERA_MAX; i++) {
		if (b[p + 44 + i])
			throw new ClipError('damaged', 'camera id is not NUL-padded');
	}
	h.camera = new TextDecoder().decode(b.subarray(p + 44, p + 44 + end));
	h.clipId = b.slice(p + 76, p + 92);
	h.sealedKey = b.slice(p + 92, p + 172);
	return h;
}

/*
 * Scan state, as struct vigil_clip_reader's: frames, events, audio blocks
 * and groups kept, and the last numbers kept.
 */
class Scan {
	constructor(b, h, headEnd) {
		this.b = b;
		this.h = h;
		this.frames = [];
		this.events = [];
		this.audio = [];
		this.groups = [];
		this.lastFno = 0;
		this.lastG = 0;
		this.lastEv = 0;
		this.lastAu = 0;
		this.anyFrame = false;
		this.anyEvent = false;
		this.anyAudio = false;
		this.damaged = false;
		this.goodBytes = headEnd;
		this.resyncBudget = 4 * b.length + (1 << 20);
		this.state = null;
		this.detail = '';
		this.index = null;
	}

	stop(state, off, why) {
		this.state = state;
		this.detail = `at byte ${off}: ${why}`;
	}

	frame(off, p, len) {
		const b = this.b;
		const fno = len >= FRAM_FIXED ? rd32(b, p) : 0;
		const g = len >= FRAM_FIXED ? rd32(b, p + 4) : 0;
		const key = len >= FRAM_FIXED && b[p + 8] === 1;
		let seq;

		if (key)
			seq = !this.anyFrame || (fno > this.lastFno && g > this.lastG);
		else
			seq = this.anyFrame && fno === this.lastFno + 1 && g === this.lastG &&
			      this.groups[this.groups.length - 1].frames < this.h.keyint;
		if (len < FRAM_FIXED + 4 || !seq || b[p + 8] > 1 || b[p + 9] ||
		    b[p + 10] || b[p + 11] || fno >= MAX_FRAMES)
			return 'frame chunk out of sequence or malformed';
		if (key) {
			this.groups.push({ firstFrame: fno, frames: 0, offset: off,
					   monoNs: rd64(b, p + 12), pos: this.frames.length });
		}
		this.frames.push({ off: p, len, n: fno, group: g, key,
				   gidx: this.groups.length - 1,
				   monoNs: rd64(b, p + 12), wallNs: rd64(b, p + 20) });
		this.groups[this.groups.length - 1].frames++;
		this.lastFno = fno;
		this.lastG = g;
		this.anyFrame = true;
		return null;
	}

	event(p, len) {
		const n = len >= 4 ? rd32(this.b, p) : 0;

		if (len < 4 || (this.anyEvent && n <= this.lastEv) || n >= MAX_EVENTS)
			return 'event chunk out of sequence or malformed';
		this.events.push({ off: p, len, number: n });
		this.lastEv = n;
		this.anyEvent = true;
		return null;
	}

	/* version 2: AUDI, checked for bounds only (this reader plays no audio) */
	audioBlock(p, len) {
		const b = this.b;

		if (this.h.version < 2 || !this.h.audio || len < AUDI_FIXED)
			return 'audio chunk where none may be, or malformed';
		const n = rd32(b, p);
		const rate = rd32(b, p + 12);
		const body = len - AUDI_FIXED;
		const plain = this.h.sealed ? body - AEAD_NONCE - AEAD_ABYTES : body;

		if ((this.anyAudio && n <= this.lastAu) || rate < 8000 || rate > 48000 ||
		    b[p + 16] !== 1 || b[p + 17] !== 1 || b[p + 18] || b[p + 19] ||
		    plain < 2 || plain > 2 * AUDIO_MAX_SAMPLES || (plain & 1))
			return 'audio chunk out of sequence or malformed';
		this.audio.push({ off: p, len, number: n, monoNs: rd64(b, p + 4), rate });
		this.lastAu = n;
		this.anyAudio = true;
		return null;
	}

	/* INDX + FOOT at @off against the scan: null, 'cut' or 'bad' */
	tail(off, len) {
		const b = this.b;
		let p = off + CHUNK_HDR;

		if (len < 16 + MAC_LEN)
			return 'bad';
		const n = rd32(b, p + 4);

		if (16 + n * IDX_ENTRY + MAC_LEN !== len || rd32(b, p) !== this.frames.length ||
		    n !== this.groups.length || rd32(b, p + 8) !== this.events.length ||
		    rd32(b, p + 12) > 1 || (rd32(b, p + 12) && !this.h.sealed))
			return 'bad';
		for (let i = 0; i < n; i++) {
			const e = p + 16 + i * IDX_ENTRY;
			const g = this.groups[i];

			if (rd32(b, e) !== g.firstFrame || rd32(b, e + 4) !== g.frames ||
			    rd64(b, e + 8) !== BigInt(g.offset))
				return 'bad';
		}
		const index = { off: p, len, mac: rd32(b, p + 12) === 1 };
		const foot = off + CHUNK_HDR + len + CHUNK_SUM;
		const c = chunkAt(b, foot);

		if (typeof c === 'string')
			return c;
		if (c.type !== T_FOOT || c.len !== FOOT_LEN)
			return 'bad';
		p = foot + CHUNK_HDR;
		if (rd64(b, p) !== BigInt(this.goodBytes) || ascii(b, p + 8, 8) !== END_MAGIC)
			return 'bad';
		if (foot + CHUNK_HDR + FOOT_LEN + CHUNK_SUM !== b.length)
			return 'bad';
		this.index = index;
		return null;
	}

	/* after damage at @off: the next intact keyframe chunk that follows what was kept, or 0 */
	resync(off) {
		const b = this.b;

		for (let q = off + 1; q + CHUNK_HDR + FRAM_FIXED <= b.length; q++) {
			if (b[q] !== 0x46 || rd32(b, q) !== T_FRAM)
				continue;
			const p = q + CHUNK_HDR;
			const len = rd32(b, q + 4);

			if (len < FRAM_FIXED + 4 || b[p + 8] !== 1 || b[p + 9] || b[p + 10] ||
			    b[p + 11] ||
			    (this.anyFrame && (rd32(b, p) <= this.lastFno || rd32(b, p + 4) <= this.lastG)))
				continue;
			if (len > this.resyncBudget)
				return 0;
			this.resyncBudget -= len;
			if (typeof chunkAt(b, q) === 'object')
				return q;
		}
		return 0;
	}

	run(off) {
		const b = this.b;
		let state, why;

		for (;;) {
			if (!this.damaged)
				this.goodBytes = off;
			if (off === b.length) {
				state = 'truncated';
				why = 'no index and footer';
				break;
			}
			const c = chunkAt(b, off);

			if (c === 'cut') {
				state = 'truncated';
				why = 'chunk cut short';
				break;
			}
			const p = off + CHUNK_HDR;

			why = null;
			if (c === 'bad') {
				why = 'chunk length or checksum wrong';
			} else if (c.type === T_FRAM) {
				why = this.frame(off, p, c.len);
			} else if (c.type === T_EVNT) {
				why = this.event(p, c.len);
			} else if (c.type === T_AUDI) {
				why = this.audioBlock(p, c.len);
			} else if (c.type === T_INDX) {
				const t = this.tail(off, c.len);

				if (!t && !this.damaged) {
					this.state = 'complete';
					this.detail = 'complete';
					return;
				}
				if (t === 'cut' && !this.damaged) {
					this.stop('truncated', off, 'footer cut short');
					return;
				}
				this.index = null;
				if (!this.damaged)
					this.stop('damaged', off, 'index or footer inconsistent with the chunks');
				this.state = 'damaged';
				return;
			} else {
				why = 'unknown chunk type';
			}
			if (why) {
				if (!this.damaged) {
					this.stop('damaged', off, why);
					this.damaged = true;
				}
				off = this.resync(off);
				if (!off) {
					this.state = 'damaged';
					return;
				}
				continue;
			}
			off += CHUNK_HDR + c.len + CHUNK_SUM;
		}
		if (this.damaged)
			this.state = 'damaged';
		else
			this.stop(state, off, why);
	}
}

/**
 * Parse a clip file (a Uint8Array, possibly still growing). Throws a
 * ClipError when not even the header is readable; otherwise returns the
 * header, the frames, events, audio blocks and groups that passed their
 * checks, and the state ('complete', 'truncated' or 'damaged') with a
 * detail saying where and why.
 */
export function parseClip(b) {
	if (!(b instanceof Uint8Array))
		throw new ClipError('internal', 'parseClip needs a Uint8Array');
	if (b.length < MAGIC.length || ascii(b, 0, MAGIC.length) !== MAGIC)
		throw new ClipError('format', 'not a vigil clip (bad magic)');
	const c = chunkAt(b, MAGIC.length);

	if (typeof c === 'string' || c.type !== T_HEAD) {
		throw new ClipError('damaged', c === 'cut' ? 'clip cut inside its header' :
				    'header chunk missing or corrupt');
	}
	const h = parseHead(b, MAGIC.length + CHUNK_HDR, c.len);
	const headEnd = MAGIC.length + CHUNK_HDR + c.len + CHUNK_SUM;
	const s = new Scan(b, h, headEnd);

	s.run(headEnd);
	return {
		head: h, frames: s.frames, events: s.events, audio: s.audio,
		groups: s.groups, state: s.state, detail: s.detail, index: s.index,
		goodBytes: s.goodBytes,
	};
}

/*
 * A plain event body (docs/clip-format.md, EVNT): version 1 is exactly
 * 24 + 8n + 9m bytes, version 2 adds the 4-byte person/flags trailer.
 */
export function parseEventBody(b, version, number) {
	if (b.length < 24)
		return null;
	const nb = b[22], np = b[23];
	const trailer = version >= 2 ? 4 : 0;

	if (rd16(b, 20) > 10000 || nb > 16 || np > 32 || b.length !== 24 + 8 * nb + 9 * np + trailer)
		return null;
	const ev = {
		number, type: rd32(b, 0), startNs: rd64(b, 4), endNs: rd64(b, 12),
		score: rd16(b, 20) / 10000, boxes: [], pir: [],
		person: 0, personScore: 0, flags: 0,
	};
	let o = 24;

	for (let i = 0; i < nb; i++, o += 8)
		ev.boxes.push({ x: rd16(b, o), y: rd16(b, o + 2), w: rd16(b, o + 4), h: rd16(b, o + 6) });
	for (let i = 0; i < np; i++, o += 9) {
		if (b[o + 8] > 1)
			return null;
		ev.pir.push({ ns: rd64(b, o), level: b[o + 8] });
	}
	if (trailer) {
		if (b[o] > 3 || b[o + 1] > 100 || (b[o + 2] & ~3) || b[o + 3])
			return null;
		ev.person = b[o];
		ev.personScore = b[o + 1];
		ev.flags = b[o + 2];
	}
	return ev;
}

/* A frame's detection summary: {motion, rawMotion, ..., score, boxes, used} or null. */
export function parseSummary(b) {
	if (b.length < 4 || (b[0] & 0xf0))
		return null;
	const n = b[1];

	if (n > 16 || b.length < 4 + 8 * n || rd16(b, 2) > 10000)
		return null;
	const boxes = [];

	for (let i = 0; i < n; i++) {
		const o = 4 + 8 * i;

		boxes.push({ x: rd16(b, o), y: rd16(b, o + 2), w: rd16(b, o + 4), h: rd16(b, o + 6) });
	}
	return {
		motion: !!(b[0] & 1), rawMotion: !!(b[0] & 2), globalChange: !!(b[0] & 4),
		learning: !!(b[0] & 8), score: rd16(b, 2) / 10000, boxes, used: 4 + 8 * n,
	};
}
