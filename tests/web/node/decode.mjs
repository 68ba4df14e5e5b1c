// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every clip of the fixtures decoded through web/clip/worker.js (the
 * protocol the page speaks) against `vigil-clip export -f y4m` of the same
 * clip: every frame byte-exact, in order and in random order, the worker's
 * Y4M export byte-identical (whole clip and a sub-range), the source
 * frames reproduced (lossless) or within the near-lossless bound, and the
 * info (frame count, state, sealed, index MAC) what vigil-clip says.
 */
import { t_ok, t_done, t_fixtures, t_read, t_y4m, t_planar, t_equal, t_rng, t_worker, CLIP } from './t.mjs';

const { parseOwnerKey } = await CLIP('key.js');

const fx = t_fixtures();
const call = await t_worker();
const rnd = t_rng(7);

for (const c of fx.clips) {
	const name = c.name;
	const ref = t_y4m(t_read(c.ref));
	const file = t_read(c.clip);
	const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
	const sk = c.key ? parseOwnerKey(new TextDecoder().decode(t_read(c.key))).sk : null;
	const o = await call({ op: 'open', id: name, buffer, sk });

	if (!t_ok(o.op === 'opened', `${name}: opened (${o.op === 'error' ? o.code + ': ' + o.message : o.op})`))
		continue;
	const info = o.info;

	t_ok(info.frames.length === ref.frames.length && info.frames.length > 0,
	     `${name}: ${info.frames.length} frames, vigil-clip exports ${ref.frames.length}`);
	t_ok(info.complete === c.complete && info.state === (c.complete ? 'complete' : 'truncated'),
	     `${name}: state ${info.state} (${info.detail}), expected ${c.complete ? 'complete' : 'truncated'}`);
	t_ok(info.sealed === !!c.key && (!c.key || !c.complete || info.indexAuthenticated),
	     `${name}: sealed ${info.sealed}, index authenticated ${info.indexAuthenticated}`);
	t_ok(info.width === ref.w && info.height === ref.h && typeof info.createdNs === 'bigint' &&
	     typeof info.frames[0].monoNs === 'bigint' && info.frames[0].key,
	     `${name}: ${info.pixfmt} ${info.width}x${info.height}, timestamps as BigInt, first frame a keyframe`);
	if (c.events !== undefined)
		t_ok(info.events.length === c.events && info.eventErrors.length === 0,
		     `${name}: ${info.events.length} events (vigil-clip info: ${c.events}), all authenticated`);

	/* in order: every frame byte-exact, planes transferred */
	let same = 0, transferred = true, layout = '';

	for (let i = 0; i < info.frames.length; i++) {
		const f = await call({ op: 'frame', id: name, index: i });

		if (f.op !== 'frame') {
			console.log(`  frame ${i}: ${f.code}: ${f.message}`);
			break;
		}
		layout = f.layout;
		transferred &&= f.transfer.length === f.planes.length &&
				f.planes.every((p, k) => p.buffer === f.transfer[k]);
		if (t_equal(t_planar(f), ref.frames[i]) && f.monoNs === info.frames[i].monoNs)
			same++;
	}
	t_ok(same === info.frames.length, `${name}: ${same}/${info.frames.length} frames in order byte-exact (${layout})`);
	t_ok(transferred, `${name}: frame planes are transferred`);

	/* random access (seeks into groups, backwards and forwards) */
	let rsame = 0;
	const n = Math.min(24, info.frames.length);

	for (let k = 0; k < n; k++) {
		const i = rnd(info.frames.length);
		const f = await call({ op: 'frame', id: name, index: i });

		if (f.op === 'frame' && t_equal(t_planar(f), ref.frames[i]))
			rsame++;
	}
	t_ok(rsame === n, `${name}: ${rsame}/${n} frames in random order byte-exact`);

	/* the Y4M export, whole and a range */
	const y = await call({ op: 'y4m', id: name, from: 0, to: info.frames.length - 1 });
	const yb = y.op === 'y4m' ? new Uint8Array(await y.blob.arrayBuffer()) : new Uint8Array();

	t_ok(y.op === 'y4m' && y.blob.type === 'video/x-yuv4mpeg' && t_equal(yb, t_read(c.ref)),
	     `${name}: worker Y4M export byte-identical to vigil-clip export (${yb.length} bytes)`);
	const from = Math.min(3, info.frames.length - 1), to = Math.min(from + 6, info.frames.length - 1);
	const yr = await call({ op: 'y4m', id: name, from, to });
	const yrb = yr.op === 'y4m' ? t_y4m(new Uint8Array(await yr.blob.arrayBuffer())) : null;

	t_ok(yrb && yrb.header === ref.header && yrb.frames.length === to - from + 1 &&
	     yrb.frames.every((fr, k) => t_equal(fr, ref.frames[from + k])),
	     `${name}: worker Y4M export of frames ${from}..${to}`);

	/* against the source the clip was encoded from */
	if (c.source) {
		const src = t_y4m(t_read(c.source));
		let worst = 0;

		for (let i = 0; i < ref.frames.length; i++) {
			const a = ref.frames[i], b = src.frames[i];

			for (let p = 0; p < a.length; p++) {
				const d = Math.abs(a[p] - b[p]);

				if (d > worst)
					worst = d;
			}
		}
		t_ok(worst <= c.near, `${name}: every pixel within ${c.near} of the source (worst ${worst})`);
	}
	const oob = await call({ op: 'frame', id: name, index: info.frames.length });
	const bad = await call({ op: 'y4m', id: name, from: 2, to: 1 });
	const unk = await call({ op: 'play', id: name });

	t_ok(oob.op === 'error' && oob.code === 'internal' && bad.op === 'error' &&
	     unk.op === 'error' && unk.id === name,
	     `${name}: a frame past the end, an empty Y4M range, an unknown op: errors (${oob.message})`);
	const cl = await call({ op: 'close', id: name });

	t_ok(cl.op === 'closed' && cl.id === name, `${name}: closed`);
	const after = await call({ op: 'frame', id: name, index: 0 });

	t_ok(after.op === 'error' && after.id === name, `${name}: a closed clip answers an error`);
}
t_done();
