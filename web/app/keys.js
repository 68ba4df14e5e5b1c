// SPDX-License-Identifier: GPL-2.0-or-later
// The owner's secret key: parsed from `vigil-clip keygen`'s NAME.key
// ("vigil-key <public hex> <secret hex>"), checked (the public key is the
// secret's), wrapped with a passphrase (crypto_pwhash Argon2id13, then
// crypto_secretbox) into IndexedDB, unwrapped per session. Never sent.
import sodiumModule from '../vendor/libsodium/libsodium-wrappers.mjs';

const DB = 'vigil', STORE = 'keys', ID = 'owner';
let sodium = null;

export async function ready() {
	if (!sodium) {
		await sodiumModule.ready;
		sodium = sodiumModule;
	}
	return sodium;
}

export function parseKeyFile(text) {
	const m = /^vigil-key ([0-9a-f]{64}) ([0-9a-f]{64})\s*$/.exec(text);

	if (!m)
		throw new Error('not a vigil-clip key file (expected "vigil-key PUBLIC SECRET")');
	const pk = sodium.from_hex(m[1]), sk = sodium.from_hex(m[2]);

	if (sodium.to_hex(sodium.crypto_scalarmult_base(sk)) !== m[1])
		throw new Error('the key file is damaged: its public key is not its secret key\'s');
	return { pk, sk };
}

function db() {
	return new Promise((ok, fail) => {
		const r = indexedDB.open(DB, 1);

		r.onupgradeneeded = () => r.result.createObjectStore(STORE);
		r.onsuccess = () => ok(r.result);
		r.onerror = () => fail(r.error);
	});
}

async function tx(mode, fn) {
	const d = await db();

	return new Promise((ok, fail) => {
		const t = d.transaction(STORE, mode);
		const r = fn(t.objectStore(STORE));

		t.oncomplete = () => { d.close(); ok(r?.result); };
		t.onerror = () => { d.close(); fail(t.error); };
	});
}

function derive(pass, salt, ops, mem) {
	return sodium.crypto_pwhash(sodium.crypto_secretbox_KEYBYTES, pass, salt, ops, mem,
				    sodium.crypto_pwhash_ALG_ARGON2ID13);
}

export async function wrapAndStore(keys, pass) {
	const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
	const ops = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
	const mem = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
	const k = derive(pass, salt, ops, mem);
	const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
	const box = sodium.crypto_secretbox_easy(keys.sk, nonce, k);

	sodium.memzero(k);
	await tx('readwrite', (s) => s.put({ v: 1, pk: keys.pk, salt, ops, mem, nonce, box }, ID));
}

export async function stored() {
	return tx('readonly', (s) => s.get(ID));
}

export async function forget() {
	await tx('readwrite', (s) => s.delete(ID));
}

// The secret key (Uint8Array(32)), or an Error for a wrong passphrase.
export async function unlock(pass) {
	const w = await stored();

	if (!w)
		throw new Error('no key imported yet');
	const k = derive(pass, w.salt, w.ops, w.mem);
	let sk;

	try {
		sk = sodium.crypto_secretbox_open_easy(w.box, w.nonce, k);
	} catch {
		throw new Error('wrong passphrase');
	} finally {
		sodium.memzero(k);
	}
	return sk;
}

export function toHex(b) {
	return sodium.to_hex(b);
}
