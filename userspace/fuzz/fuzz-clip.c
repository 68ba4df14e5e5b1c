// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the clip reader (container scan, index and footer checks,
 * decryption, the codec's decoder, events, audio blocks, recovery). The
 * seed corpus in fuzz/corpus/clip was written by vigil-clip encode (format
 * version 1); v2-*.clip (format version 2: two events with person verdicts
 * and flags, audio blocks between the frames) by libvigil's writer; the
 * *sealed* clips are sealed to the test-only key pair below so the
 * decryption paths run too.
 * Each input is read as is and again with every chunk checksum recomputed,
 * so that mutations get past the checksums into the parsers and decoder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "fuzz.h"
#include "libvigil.h"

const char *const fuzz_corpus[] = { "userspace/fuzz/corpus/clip", NULL };

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("VIGILCLP"),
	FUZZ_SEED("VIGILCLPHEAD\xac\x00\x00\x00\x01\x00"),
	{ NULL, 0 },
};

/* test-only owner key of the sealed seed (never used for real clips) */
static const uint8_t fuzz_pk[32] = {
	0xcf, 0xf8, 0x83, 0x66, 0xd9, 0x07, 0x00, 0x0b, 0x2c, 0x26, 0x32, 0xaf,
	0xb2, 0x5e, 0x2c, 0x9e, 0xa4, 0x7e, 0x7e, 0xc7, 0x0c, 0x83, 0x09, 0x5d,
	0x6f, 0x96, 0x3a, 0x87, 0xc9, 0x08, 0x2f, 0x49,
};
static const uint8_t fuzz_sk[32] = {
	0xfd, 0x2a, 0xbd, 0x50, 0x51, 0xc3, 0x92, 0x3f, 0x25, 0x93, 0xba, 0xb3,
	0x8d, 0xb7, 0x29, 0x11, 0x0d, 0x04, 0x76, 0x0c, 0xa0, 0x49, 0x63, 0x46,
	0xb0, 0x33, 0x78, 0xa3, 0x90, 0x3f, 0x31, 0xac,
};

static int null_sink(void *arg, const void *buf, size_t len)
{
	*(size_t *)arg += len;
	return 0;
}

static void read_clip(const uint8_t *data, size_t size)
{
	const struct vigil_clip_header *h;
	const struct vigil_clip_status *st;
	struct vigil_clip_reader *r;
	struct vigil_clip_frame_meta m;
	struct vigil_clip_event ev;
	const char *err;
	size_t fsize, n = 0;
	uint8_t *frame;

	if (vigil_clip_reader_new(data, size, fuzz_pk, fuzz_sk, &r, &err))
		return;
	h = vigil_clip_reader_header(r);
	st = vigil_clip_reader_status(r);
	/* keep each run fast: decode small frames only */
	if ((size_t)h->codec.width * h->codec.height <= 64 * 64 &&
	    !vigil_pixfmt_frame_size(h->codec.fmt, h->codec.width,
				     h->codec.height, &fsize) &&
	    (frame = malloc(fsize))) {
		for (int i = 0; i < 64 && !vigil_clip_reader_next(r, frame, &m); i++)
			;
		if (st->groups > 1 && !vigil_clip_reader_seek_group(r, 1))
			vigil_clip_reader_next(r, frame, &m);
		free(frame);
	}
	for (unsigned int i = 0; i < st->events && i < 16; i++)
		vigil_clip_reader_event(r, i, &ev);
	for (unsigned int i = 0; i < st->audio_blocks && i < 16; i++) {
		static int16_t pcm[VIGIL_CLIP_AUDIO_MAX];
		struct vigil_clip_audio a;

		vigil_clip_reader_audio(r, i, &a, i & 1 ? NULL : pcm);
	}
	(void)vigil_clip_reader_error(r);
	vigil_clip_reader_recover(r, null_sink, &n);
	vigil_clip_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	size_t off = 8;

	read_clip(data, size);
	fixed = malloc(size + 1);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	while (off <= size && size - off >= 8) {
		const size_t len = fixed[off + 4] | fixed[off + 5] << 8 |
				   fixed[off + 6] << 16 | (size_t)fixed[off + 7] << 24;
		uint64_t sum;

		if (len > size - off - 8 || size - off - 8 - len < 8)
			break;
		sum = XXH3_64bits(fixed + off, 8 + len);
		for (int i = 0; i < 8; i++)
			fixed[off + 8 + len + i] = (uint8_t)(sum >> (8 * i));
		off += 16 + len;
	}
	read_clip(fixed, size);
	free(fixed);
	return 0;
}
