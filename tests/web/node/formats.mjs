// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every pixel format a camera may deliver (GREY, NV12, I420, YUYV, NV21,
 * YV12, UYVY), written by libvigil's encoder and clip writer (mkclip.c),
 * decoded through the worker: the planes in contract C3's layout equal the
 * source planes (within the near-lossless bound), Cb and Cr the right way
 * round; the detection summaries, timestamps and the event as written; the
 * Y4M export carries Y, Cb, Cr with the right colour-space tag and is
 * byte-identical to `vigil-clip export -f y4m`.
 */
import { t_ok, t_done, t_fixtures, t_read, t_y4m, t_planar, t_worker, t_equal } from './t.mjs';

const fx = t_fixtures();
const call = await t_worker();

function within(a, b, n) {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++)
		if (Math.abs(a[i] - b[i]) > n)
			return false;
	return true;
}

for (const c of fx.formats) {
	const name = `${c.fmt} ${c.w}x${c.h} near ${c.near} codec ${c.codec}`;
	const file = t_read(`${fx.dir}/${c.clip}`);
	const planar = t_read(`${fx.dir}/${c.planar}`);
	const o = await call({ op: 'open', id: name, buffer: file.buffer, sk: null });

	if (!t_ok(o.op === 'opened', `${name}: opened`))
		continue;
	const info = o.info;
	const layout = c.fmt === 'GREY' ? 'grey' : c.fmt === 'YUYV' || c.fmt === 'UYVY' ? 'nv16' : 'nv12';
	const fsize = planar.length / info.frames.length;

	t_ok(info.pixfmt === c.fmt && info.codec === c.codec && info.complete && info.camera === 'web-test' &&
	     info.createdNs === 1700000000000000000n && info.frames.length === c.frames,
	     `${name}: info (${info.pixfmt}, codec ${info.codec}, ${info.frames.length} frames, camera ${info.camera})`);
	let good = 0, meta = 0;

	for (let k = 0; k < info.frames.length; k++) {
		const f = await call({ op: 'frame', id: name, index: k });

		if (f.op !== 'frame') {
			console.log(`  frame ${k}: ${f.code}: ${f.message}`);
			continue;
		}
		if (f.layout === layout && within(t_planar(f), planar.subarray(k * fsize, (k + 1) * fsize), c.near))
			good++;
		if (f.monoNs === 66000000n * BigInt(k) + 5n && f.detect.motion === (k % 3 === 0) &&
		    Math.abs(f.detect.score - k / 100) < 1e-9 && f.detect.boxes.length === k % 2 &&
		    (k % 2 === 0 || f.detect.boxes[0].x === k))
			meta++;
	}
	t_ok(good === c.frames, `${name}: ${good}/${c.frames} frames equal the source planes in layout ${layout}`);
	t_ok(meta === c.frames, `${name}: ${meta}/${c.frames} frames with their timestamps and detection summary`);
	const ev = info.events[0], want = c.event;

	t_ok(info.events.length === 1 && ev.type === want.type && ev.startNs === BigInt(want.startNs) &&
	     ev.endNs === BigInt(want.endNs) && ev.score === want.score &&
	     JSON.stringify(ev.boxes.map((b) => [b.x, b.y, b.w, b.h])) === JSON.stringify(want.boxes) &&
	     JSON.stringify(ev.pir.map((p) => [String(p.ns), p.level])) === JSON.stringify(want.pir),
	     `${name}: the event as written (type, times, score, 2 boxes, 3 PIR edges)`);
	const y = await call({ op: 'y4m', id: name, from: 0, to: info.frames.length - 1 });
	const yb = new Uint8Array(await y.blob.arrayBuffer());
	const yf = t_y4m(yb);
	const cs = c.fmt === 'GREY' ? 'mono' : layout === 'nv16' ? '422' : '420jpeg';

	t_ok(yf.cs === cs && yf.frames.length === c.frames &&
	     yf.frames.every((fr, k) => within(fr, planar.subarray(k * fsize, (k + 1) * fsize), c.near)),
	     `${name}: Y4M export C${cs}, planes Y, Cb, Cr`);
	t_ok(t_equal(yb, t_read(`${fx.dir}/${c.ref}`)), `${name}: Y4M export byte-identical to vigil-clip export`);
	await call({ op: 'close', id: name });
}
t_done();
