// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip worker (contract C3), a module Worker:
 *   new Worker('clip/worker.js', {type: 'module'})
 * It never talks to the network except to load its own WebAssembly
 * (../vendor/zstd-wasm/zstd.wasm, same origin). Messages carry a
 * caller-chosen id naming an open clip; every reply echoes it.
 *   {op:'open', id, buffer, sk}        -> {op:'opened', id, info}
 *   {op:'frame', id, index}            -> {op:'frame', id, index, monoNs, wallNs,
 *                                           layout, width, height, planes, detect}
 *   {op:'y4m', id, from, to}           -> {op:'y4m', id, blob}
 *   {op:'close', id}                   -> {op:'closed', id}
 *   any failure                        -> {op:'error', id, code, message}
 * with code 'key', 'auth', 'damaged', 'format' or 'internal'.
 */
import { Clip, clipLibsReady } from './clip.js';
import { ClipError } from './errors.js';

const clips = new Map();

function reply(msg, transfer) {
	self.postMessage(msg, transfer || []);
}

async function handle(m) {
	await clipLibsReady();
	switch (m.op) {
	case 'open': {
		if (!(m.buffer instanceof ArrayBuffer))
			throw new ClipError('internal', 'open: buffer must be an ArrayBuffer');
		const sk = m.sk ? new Uint8Array(m.sk) : null;
		const c = new Clip(new Uint8Array(m.buffer), sk);

		if (sk)
			sk.fill(0);
		clips.set(m.id, c);
		reply({ op: 'opened', id: m.id, info: c.info() });
		return;
	}
	case 'frame': {
		const c = clips.get(m.id);

		if (!c)
			throw new ClipError('internal', `no open clip ${m.id}`);
		const f = c.framePlanes(m.index);

		reply({ op: 'frame', id: m.id, ...f }, f.planes.map((p) => p.buffer));
		return;
	}
	case 'y4m': {
		const c = clips.get(m.id);

		if (!c)
			throw new ClipError('internal', `no open clip ${m.id}`);
		const blob = new Blob(c.y4mParts(m.from, m.to), { type: 'video/x-yuv4mpeg' });

		reply({ op: 'y4m', id: m.id, blob });
		return;
	}
	case 'close':
		clips.delete(m.id);
		reply({ op: 'closed', id: m.id });
		return;
	default:
		throw new ClipError('internal', `unknown op ${m.op}`);
	}
}

/* one message at a time, in order: a clip's decoder state is sequential */
let queue = Promise.resolve();

self.onmessage = (ev) => {
	const m = ev.data || {};

	queue = queue.then(() => handle(m)).catch((e) => {
		reply({
			op: 'error', id: m.id,
			code: e instanceof ClipError ? e.code : 'internal',
			message: e && e.message ? e.message : String(e),
		});
	});
};
