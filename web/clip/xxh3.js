// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * XXH3-64 with seed 0 and the default secret, as libxxhash's XXH3_64bits():
 * the checksum of every clip chunk (docs/clip-format.md). The long-input
 * loop, where the time goes, works on 32-bit halves with exact integer
 * arithmetic on doubles; the rest (short inputs, the final merge) uses
 * BigInt.
 */

const SECRET = new Uint8Array([
	0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
	0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
	0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
	0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
	0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
	0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
	0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
	0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
	0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
	0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
	0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
	0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
]);
const SDV = new DataView(SECRET.buffer);
const SECRET_SIZE = 192;
const STRIPE = 64;
const STRIPES_PER_BLOCK = (SECRET_SIZE - STRIPE) / 8;
const BLOCK = STRIPE * STRIPES_PER_BLOCK;

const M64 = (1n << 64n) - 1n;
const P32_1 = 0x9E3779B1;
const P32_2 = 0x85EBCA77;
const P32_3 = 0xC2B2AE3D;
const P64_1 = 0x9E3779B185EBCA87n;
const P64_2 = 0xC2B2AE3D27D4EB4Fn;
const P64_3 = 0x165667B19E3779F9n;
const P64_4 = 0x85EBCA77C2B2AE63n;
const P64_5 = 0x27D4EB2F165667C5n;
const TWO32 = 4294967296;

function r32(dv, o) {
	return BigInt(dv.getUint32(o, true));
}

function r64(dv, o) {
	return dv.getBigUint64(o, true);
}

function avalanche(h) {
	h ^= h >> 37n;
	h = (h * 0x165667919E3779F9n) & M64;
	return h ^ (h >> 32n);
}

function xxh64Avalanche(h) {
	h ^= h >> 33n;
	h = (h * P64_2) & M64;
	h ^= h >> 29n;
	h = (h * P64_3) & M64;
	return h ^ (h >> 32n);
}

function rotl64(x, r) {
	return ((x << r) | (x >> (64n - r))) & M64;
}

function swap64(x) {
	let r = 0n;

	for (let i = 0; i < 8; i++) {
		r = (r << 8n) | (x & 0xffn);
		x >>= 8n;
	}
	return r;
}

function fold64(a, b) {
	const p = a * b;

	return (p & M64) ^ (p >> 64n);
}

function mix16(dv, o, s) {
	return fold64(r64(dv, o) ^ r64(SDV, s), r64(dv, o + 8) ^ r64(SDV, s + 8));
}

function len0to16(dv, o, len) {
	if (len > 8) {
		const lo = r64(dv, o) ^ (r64(SDV, 24) ^ r64(SDV, 32));
		const hi = r64(dv, o + len - 8) ^ (r64(SDV, 40) ^ r64(SDV, 48));
		const acc = (BigInt(len) + swap64(lo) + hi + fold64(lo, hi)) & M64;

		return avalanche(acc);
	}
	if (len >= 4) {
		const in1 = r32(dv, o), in2 = r32(dv, o + len - 4);
		const keyed = (in2 + (in1 << 32n)) ^ (r64(SDV, 8) ^ r64(SDV, 16));
		let h = keyed;

		h ^= rotl64(h, 49n) ^ rotl64(h, 24n);
		h = (h * 0x9FB21C651E98DF25n) & M64;
		h ^= (h >> 35n) + BigInt(len);
		h = (h * 0x9FB21C651E98DF25n) & M64;
		return h ^ (h >> 28n);
	}
	if (len > 0) {
		const c1 = dv.getUint8(o), c2 = dv.getUint8(o + (len >> 1));
		const c3 = dv.getUint8(o + len - 1);
		const comb = ((c1 << 16) | (c2 << 24) | c3 | (len << 8)) >>> 0;

		return xxh64Avalanche(BigInt(comb) ^ (r32(SDV, 0) ^ r32(SDV, 4)));
	}
	return xxh64Avalanche(r64(SDV, 56) ^ r64(SDV, 64));
}

function len17to128(dv, o, len) {
	let acc = BigInt(len) * P64_1;

	if (len > 32) {
		if (len > 64) {
			if (len > 96) {
				acc += mix16(dv, o + 48, 96);
				acc += mix16(dv, o + len - 64, 112);
			}
			acc += mix16(dv, o + 32, 64);
			acc += mix16(dv, o + len - 48, 80);
		}
		acc += mix16(dv, o + 16, 32);
		acc += mix16(dv, o + len - 32, 48);
	}
	acc += mix16(dv, o, 0);
	acc += mix16(dv, o + len - 16, 16);
	return avalanche(acc & M64);
}

function len129to240(dv, o, len) {
	const rounds = len >> 4;
	let acc = BigInt(len) * P64_1;

	for (let i = 0; i < 8; i++)
		acc += mix16(dv, o + 16 * i, 16 * i);
	acc = avalanche(acc & M64);
	for (let i = 8; i < rounds; i++)
		acc += mix16(dv, o + 16 * i, 16 * (i - 8) + 3);
	acc += mix16(dv, o + len - 16, 136 - 17);
	return avalanche(acc & M64);
}

/* acc[lane] as 32-bit halves */
const accLo = new Float64Array(8);
const accHi = new Float64Array(8);

/*
 * The secret as 32-bit words: at each stripe's offset (s * 8, aligned) and
 * at the last stripe's (SECRET_SIZE - STRIPE - 7, not aligned).
 */
const SW = new Uint32Array(SECRET_SIZE / 4);
const SLAST = new Uint32Array(16);

for (let i = 0; i < SW.length; i++)
	SW[i] = SDV.getUint32(4 * i, true);
for (let i = 0; i < 16; i++)
	SLAST[i] = SDV.getUint32(SECRET_SIZE - STRIPE - 7 + 4 * i, true);

/*
 * The exact 64-bit product of two uint32 as (lo, hi): the double product is
 * within 2^11 of the truth, the low word is exact from Math.imul, so the high
 * word is the rounded quotient.
 */
function accumulate512(dv, p, sw, w) {
	for (let i = 0; i < 8; i++) {
		const dlo = dv.getUint32(p + 8 * i, true);
		const dhi = dv.getUint32(p + 8 * i + 4, true);
		const klo = (dlo ^ sw[w + 2 * i]) >>> 0;
		const khi = (dhi ^ sw[w + 2 * i + 1]) >>> 0;
		const j = i ^ 1;
		let l = accLo[j] + dlo;

		accLo[j] = l >>> 0;
		accHi[j] = (accHi[j] + dhi + (l >= TWO32 ? 1 : 0)) >>> 0;
		const plo = Math.imul(klo, khi) >>> 0;
		const phi = Math.round((klo * khi - plo) / TWO32);

		l = accLo[i] + plo;
		accLo[i] = l >>> 0;
		accHi[i] = (accHi[i] + phi + (l >= TWO32 ? 1 : 0)) >>> 0;
	}
}

function scramble(s) {
	for (let i = 0; i < 8; i++) {
		const hi = accHi[i] ^ SDV.getUint32(s + 8 * i + 4, true);
		const lo = (accLo[i] ^ (accHi[i] >>> 15) ^ SDV.getUint32(s + 8 * i, true)) >>> 0;
		/* (hi:lo) * P32_1 mod 2^64 */
		const plo = Math.imul(lo, P32_1) >>> 0;
		const phi = Math.round((lo * P32_1 - plo) / TWO32);

		accLo[i] = plo;
		accHi[i] = (phi + Math.imul(hi, P32_1)) >>> 0;
	}
}

function hashLong(dv, o, len) {
	const init = [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1];
	const blocks = Math.floor((len - 1) / BLOCK);

	for (let i = 0; i < 8; i++) {
		const v = BigInt(init[i]);

		accLo[i] = Number(v & 0xffffffffn);
		accHi[i] = Number(v >> 32n);
	}
	for (let n = 0; n < blocks; n++) {
		const b = o + n * BLOCK;

		for (let s = 0; s < STRIPES_PER_BLOCK; s++)
			accumulate512(dv, b + s * STRIPE, SW, s * 2);
		scramble(SECRET_SIZE - STRIPE);
	}
	const stripes = Math.floor((len - 1 - BLOCK * blocks) / STRIPE);

	for (let s = 0; s < stripes; s++)
		accumulate512(dv, o + blocks * BLOCK + s * STRIPE, SW, s * 2);
	accumulate512(dv, o + len - STRIPE, SLAST, 0);

	let r = (BigInt(len) * P64_1) & M64;

	for (let i = 0; i < 4; i++) {
		const a0 = BigInt(accLo[2 * i]) | (BigInt(accHi[2 * i]) << 32n);
		const a1 = BigInt(accLo[2 * i + 1]) | (BigInt(accHi[2 * i + 1]) << 32n);

		r += fold64(a0 ^ r64(SDV, 11 + 16 * i), a1 ^ r64(SDV, 11 + 16 * i + 8));
	}
	return avalanche(r & M64);
}

/** XXH3-64 (seed 0) of @len bytes of @bytes (a Uint8Array) from @off, as a BigInt. */
export function xxh3_64(bytes, off = 0, len = bytes.length - off) {
	if (off < 0 || len < 0 || off + len > bytes.length)
		throw new RangeError('xxh3_64: range outside the buffer');
	const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

	if (len <= 16)
		return len0to16(dv, off, len);
	if (len <= 128)
		return len17to128(dv, off, len);
	if (len <= 240)
		return len129to240(dv, off, len);
	return hashLong(dv, off, len);
}
