// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The owner key file written by `vigil-clip keygen -o NAME`: NAME.key is
 * one line "vigil-key PUBHEX SECHEX" (X25519, 32 bytes each, lower-case
 * hex). parseOwnerKey() checks it and returns {pk, sk} as Uint8Arrays.
 */
import { ClipError } from './errors.js';

function hex32(s) {
	if (!/^[0-9a-fA-F]{64}$/.test(s))
		return null;
	const b = new Uint8Array(32);

	for (let i = 0; i < 32; i++)
		b[i] = parseInt(s.substr(2 * i, 2), 16);
	return b;
}

export function parseOwnerKey(text) {
	const f = String(text).trim().split(/\s+/);
	const pk = f.length === 3 && f[0] === 'vigil-key' ? hex32(f[1]) : null;
	const sk = pk ? hex32(f[2]) : null;

	if (!sk)
		throw new ClipError('key', 'not a vigil owner key (expected "vigil-key PUBHEX SECHEX", from vigil-clip keygen)');
	return { pk, sk };
}
