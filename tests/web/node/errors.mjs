// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * web/clip on bad input: a wrong or missing key, not a clip, one flipped
 * byte at many random positions (plain and sealed), the index MAC and a
 * sealed event modified (checksums fixed), damaged copies read as
 * `vigil-clip info` reads them (state, frames, groups), a clip cut at random
 * bytes, and version 2 (AUDI chunks skipped; AUDI in a version 1 clip is
 * damage). Every frame that decodes must equal the undamaged clip's frame
 * of the same number: an error or fewer frames, never a wrong picture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { t_ok, t_done, t_fixtures, t_read, t_y4m, t_planar, t_equal, t_rng, CLIP } from './t.mjs';

const { Clip, clipLibsReady } = await CLIP('clip.js');
const { parseOwnerKey } = await CLIP('key.js');
const { xxh3_64 } = await CLIP('xxh3.js');

await clipLibsReady();
const fx = t_fixtures();
const rnd = t_rng(20261127);
const FLIPS = +(process.env.WEB_CLIP_FLIPS || 120);

function code(fn) {
	try {
		fn();
		return null;
	} catch (e) {
		return e.code || 'exception: ' + e.message;
	}
}

/*
 * Open @bytes and decode every frame: {opened, code, frames, wrong, codes}
 * where wrong counts decoded frames that differ from @ref (by frame number).
 */
function decodeAll(bytes, sk, ref) {
	let c;
	const r = { opened: false, code: null, frames: 0, wrong: 0, codes: {} };

	try {
		c = new Clip(bytes, sk);
	} catch (e) {
		r.code = e.code;
		return r;
	}
	r.opened = true;
	const fr = c.info().frames;

	for (let i = 0; i < fr.length; i++) {
		try {
			const f = c.framePlanes(i);

			r.frames++;
			if (fr[i].n >= ref.frames.length || !t_equal(t_planar(f), ref.frames[fr[i].n]))
				r.wrong++;
		} catch (e) {
			r.codes[e.code] = (r.codes[e.code] || 0) + 1;
		}
	}
	return r;
}

const plain = fx.clips.find((c) => c.name === 'grey-k7');
const sealed = fx.clips.find((c) => c.name === 'i420-n2-sealed');
const sk = parseOwnerKey(new TextDecoder().decode(t_read(sealed.key))).sk;

/* keys */
{
	const b = t_read(sealed.clip);
	const wrong = sk.slice();

	wrong[5] ^= 0x40;
	t_ok(code(() => new Clip(b, wrong)) === 'key', 'sealed clip, wrong key: code key');
	t_ok(code(() => new Clip(b, new Uint8Array(31))) === 'key', 'sealed clip, a 31-byte key: code key');
	const c = new Clip(b, null);

	t_ok(c.info().sealed && c.info().frames.length > 0, 'sealed clip without a key: opens, frames listed');
	t_ok(code(() => c.framePlanes(0)) === 'key', 'sealed clip without a key: a frame answers code key');
	t_ok(code(() => new Clip(new TextEncoder().encode('GIF89a not a clip'), null)) === 'format',
	     'not a clip: code format');
	t_ok(code(() => new Clip(b.subarray(0, 100), sk)) === 'damaged', 'cut inside the header: code damaged');
}

/* one flipped byte at random positions */
for (const c of [plain, sealed]) {
	const orig = t_read(c.clip);
	const ref = t_y4m(t_read(c.ref));
	const key = c === sealed ? sk : null;
	let wrong = 0, fewer = 0, failed = 0, auth = 0;

	for (let k = 0; k < FLIPS; k++) {
		const b = orig.slice();
		const pos = rnd(b.length);

		b[pos] ^= 1 + rnd(255);
		const r = decodeAll(b, key, ref);

		wrong += r.wrong;
		if (!r.opened)
			failed++;
		else if (r.frames < ref.frames.length)
			fewer++;
		auth += r.codes.auth || 0;
		if (r.wrong)
			console.log(`  ${c.name}: byte ${pos} flipped: ${r.wrong} wrong frames`);
	}
	t_ok(wrong === 0, `${c.name}: ${FLIPS} single-byte flips: no frame differs from the source ` +
	     `(${failed} refused at open, ${fewer} with fewer frames)`);
	t_ok(failed + fewer > FLIPS / 2, `${c.name}: most flips cost frames or the clip (${failed + fewer}/${FLIPS})`);
	/* a flip in a sealed clip's ciphertext can only be seen by the key: XXH3 is fixed up */
	if (c === sealed) {
		const b = orig.slice();
		const probe = new Clip(orig, sk);
		const f = probe.c.frames[probe.c.frames.length >> 1];
		const chunk = f.off - 8;

		b[f.off + 40] ^= 0x10;
		const sum = xxh3_64(b, chunk, 8 + f.len);
		new DataView(b.buffer).setBigUint64(chunk + 8 + f.len, sum, true);
		const r = decodeAll(b, sk, ref);

		t_ok(r.opened && r.wrong === 0 && r.codes.auth >= 1,
		     `${c.name}: ciphertext modified and its checksum fixed: code auth (${JSON.stringify(r.codes)}), no wrong frame`);
		auth += r.codes.auth || 0;
	}
}

/*
 * damaged clips read as the C reader reads them: state, frames and groups
 * kept as `vigil-clip info` says, for flips and for random byte runs
 */
{
	const orig = t_read(plain.clip);
	const tmp = path.join(fx.dir, 'damaged.clip');
	let same = 0;
	const N = 24;

	for (let k = 0; k < N; k++) {
		const b = orig.slice();
		const pos = rnd(b.length);
		const run = k % 2 ? 1 : 1 + rnd(300);

		for (let i = pos; i < Math.min(b.length, pos + run); i++)
			b[i] = rnd(256);
		fs.writeFileSync(tmp, b);
		let c, js;

		try {
			const out = execFileSync(fx.vigilClip, ['info', tmp], { encoding: 'utf8', stdio: 'pipe' });
			const m = /^frames: +(\d+) in (\d+) groups/m.exec(out);

			c = `${/^state: +(\S+)/m.exec(out)[1]} ${m[1]} ${m[2]}`;
		} catch {
			c = 'refused';	/* vigil-clip cannot open it (header damaged) */
		}
		try {
			const clip = new Clip(b, null);

			js = `${clip.info().state} ${clip.c.frames.length} ${clip.c.groups.length}`;
		} catch {
			js = 'refused';
		}
		if (js === c)
			same++;
		else
			console.log(`  bytes ${pos}..+${run}: vigil-clip ${c}, web/clip ${js}`);
	}
	t_ok(same === N, `${plain.name}: ${N} damaged copies: state, frames and groups as vigil-clip info says (${same}/${N})`);
}

/* the index MAC and a sealed event, modified with their checksums fixed */
{
	const rec = fx.clips.find((c) => c.name === 'vigild');
	const orig = t_read(rec.clip);
	const ref = t_y4m(t_read(rec.ref));
	const good = new Clip(orig, sk);
	const fix = (b, off, len) => new DataView(b.buffer).setBigUint64(off + 8 + len,
		xxh3_64(b, off, 8 + len), true);

	t_ok(good.info().complete && good.indexAuthenticated && good.info().events.length >= 1,
	     `vigild clip: complete, index MAC checked, ${good.info().events.length} events`);
	const ix = good.c.index;
	const b = orig.slice();

	b[ix.off + ix.len - 5] ^= 1;
	fix(b, ix.off - 8, ix.len);
	const r = decodeAll(b, sk, ref);
	const c = new Clip(b, sk);

	t_ok(c.info().damaged && !c.info().indexAuthenticated && r.frames === ref.frames.length && !r.wrong,
	     `vigild clip, index MAC modified: damaged (${c.info().detail}), frames still decode`);
	const ev = good.c.events[0];
	const e = orig.slice();

	e[ev.off + ev.len - 3] ^= 0x20;
	fix(e, ev.off - 8, ev.len);
	const ce = new Clip(e, sk);

	t_ok(ce.info().eventErrors.length === 1 && ce.info().eventErrors[0].code === 'auth' &&
	     ce.info().events.length === good.info().events.length - 1,
	     'vigild clip, a sealed event modified: that event fails with code auth, the others read');
}

/* cut at random bytes (a .part file, a power cut) */
{
	const orig = t_read(plain.clip);
	const ref = t_y4m(t_read(plain.ref));
	let ok = 0;
	const N = 20;

	for (let k = 0; k < N; k++) {
		const cut = 200 + rnd(orig.length - 200);
		const r = decodeAll(orig.subarray(0, cut), null, ref);
		const c = new Clip(orig.subarray(0, cut), null);

		if (r.opened && r.wrong === 0 && r.frames === c.info().frames.length &&
		    c.info().state === 'truncated' && !c.info().complete)
			ok++;
	}
	t_ok(ok === N, `${plain.name}: cut at ${N} random bytes: truncated, every complete frame decodes (${ok}/${N})`);
}

/* version 2: a plain clip rewritten as v2 with audio, AUDI chunks interleaved */
{
	const orig = t_read(plain.clip);
	const ref = t_y4m(t_read(plain.ref));
	const c1 = new Clip(orig, null);
	const f = c1.c.frames;
	const cut = f[f.length - 1].off + f[f.length - 1].len + 8;	/* before INDX */
	const audi = (n, samples) => {
		const len = 20 + 2 * samples;
		const ch = new Uint8Array(8 + len + 8);
		const dv = new DataView(ch.buffer);

		ch.set([0x41, 0x55, 0x44, 0x49], 0);
		dv.setUint32(4, len, true);
		dv.setUint32(8, n, true);
		dv.setBigUint64(12, 1000000n * BigInt(n), true);
		dv.setUint32(20, 16000, true);
		ch[24] = 1;
		ch[25] = 1;
		for (let i = 0; i < samples; i++)
			dv.setInt16(28 + 2 * i, (i * 37) % 2000 - 1000, true);
		dv.setBigUint64(8 + len, xxh3_64(ch, 0, 8 + len), true);
		return ch;
	};
	const head = orig.slice(0, 8 + 8 + 172 + 8);
	const parts = [head, audi(0, 160)];
	let prev = head.length;

	for (let i = 0; i < f.length; i++) {
		const end = f[i].off + f[i].len + 8;

		parts.push(orig.subarray(prev, end));
		if (i % 5 === 2)
			parts.push(audi(parts.length, 320));
		prev = end;
	}
	const v2 = (version, flags) => {
		const b = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
		let o = 0;

		for (const p of parts) {
			b.set(p, o);
			o += p.length;
		}
		const dv = new DataView(b.buffer);

		dv.setUint16(16, version, true);
		dv.setUint16(18, flags, true);
		dv.setBigUint64(16 + 172, xxh3_64(b, 8, 8 + 172), true);
		return b;
	};
	const r2 = decodeAll(v2(2, 2), null, ref);
	const c2 = new Clip(v2(2, 2), null);

	t_ok(r2.opened && r2.frames === f.length && r2.wrong === 0 && c2.info().audio &&
	     c2.info().version === 2 && c2.c.audio.length > 1 && c2.info().state === 'truncated',
	     `version 2 with ${c2.c.audio.length} AUDI chunks: all ${r2.frames} frames decode, audio skipped`);
	const r1 = new Clip(v2(1, 0), null);

	t_ok(r1.info().damaged, `AUDI chunks in a version 1 clip are damage (${r1.info().detail})`);
	const rn = new Clip(v2(2, 0), null);

	t_ok(rn.info().damaged, 'AUDI chunks in a version 2 clip without the audio flag are damage');
	t_ok(code(() => new Clip(v2(3, 0), null)) === 'format', 'version 3: code format');
}
t_done();
