// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zstd decompression through the vendored @bokuweb/zstd-wasm build
 * (web/vendor/zstd-wasm): its Emscripten glue, driven directly with one
 * reused ZSTD_DCtx and reused input/output buffers in the WebAssembly heap,
 * so decoding a frame allocates nothing once the buffers have grown.
 */
import { Module } from '../vendor/zstd-wasm/zstd.js';
import { ClipError } from './errors.js';

let ready = null;
let dctx = 0;
let inPtr = 0, inCap = 0, outPtr = 0, outCap = 0;

const WASM_URL = new URL('../vendor/zstd-wasm/zstd.wasm', import.meta.url);

async function wasmBytes() {
	if (WASM_URL.protocol === 'file:') {
		const fs = await import('node:fs/promises');

		return new Uint8Array(await fs.readFile(WASM_URL));
	}
	const r = await fetch(WASM_URL, { credentials: 'same-origin' });

	if (!r.ok)
		throw new ClipError('internal', `cannot load ${WASM_URL}: HTTP ${r.status}`);
	return new Uint8Array(await r.arrayBuffer());
}

/** Load the WebAssembly once; resolves when decompressInto() can be used. */
export function zstdReady() {
	if (!ready) {
		ready = (async () => {
			const bytes = await wasmBytes();
			const inited = new Promise((resolve) => {
				Module.onRuntimeInitialized = resolve;
			});

			Module.init(bytes);
			await inited;
			dctx = Module._ZSTD_createDCtx();
			if (!dctx)
				throw new ClipError('internal', 'zstd: cannot create a decompression context');
		})();
	}
	return ready;
}

function reserve(n, which) {
	if (which === 'in') {
		if (n > inCap) {
			if (inPtr)
				Module._free(inPtr);
			inCap = Math.max(n, 2 * inCap, 65536);
			inPtr = Module._malloc(inCap);
		}
		return inPtr;
	}
	if (n > outCap) {
		if (outPtr)
			Module._free(outPtr);
		outCap = Math.max(n, 2 * outCap, 65536);
		outPtr = Module._malloc(outCap);
	}
	return outPtr;
}

/**
 * Decompress one zstd frame @src (Uint8Array) that must hold exactly
 * dst.length bytes into @dst at @dstOff. Returns false if it does not
 * (corrupt input, wrong size).
 */
export function decompressInto(src, dst, dstOff, size) {
	const ip = reserve(src.length, 'in');
	const op = reserve(size, 'out');

	if (!ip || !op)
		throw new ClipError('internal', 'zstd: out of memory');
	Module.HEAPU8.set(src, ip);
	const n = Module._ZSTD_decompress_usingDict(dctx, op, size, ip, src.length, 0, 0);

	if (Module._ZSTD_isError(n) || (n >>> 0) !== size)
		return false;
	dst.set(Module.HEAPU8.subarray(op, op + size), dstOff);
	return true;
}
