// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one error type of web/clip: a code the page can act on (contract C3:
 * 'key' wrong or missing key, 'auth' a frame or event failed
 * authentication, 'damaged' checksum or structure, 'format' unsupported,
 * 'internal') and a message a person can read.
 */
export class ClipError extends Error {
	constructor(code, message) {
		super(message);
		this.name = 'ClipError';
		this.code = code;
	}
}
