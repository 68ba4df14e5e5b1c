// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Clip format version 2 (docs/clip-format.md): the EVNT trailer (person
 * verdict, continued/open flags) and AUDI chunks, plain and sealed, round
 * trip; every bound of both rejected; a sealed audio block fails on a
 * flipped byte, a changed header field or a wrong key; a clip cut at every
 * chunk boundary and inside every audio chunk keeps its complete blocks and
 * recovers with them, a damaged audio chunk costs its keyframe group;
 * version 1 clips (made from a version 2 one by stripping what version 2
 * added) still read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <xxhash.h>

#include "libvigil.h"
#include "t.h"

#define W 32
#define H 16
#define N 12
#define KEYINT 4
#define RATE 16000

#define T_AUDI 0x49445541u
#define T_EVNT 0x544e5645u
#define T_HEAD 0x44414548u
#define T_INDX 0x58444e49u

struct t_mem {
	uint8_t *buf;
	size_t len, cap;
};

static int t_sink(void *arg, const void *buf, size_t len)
{
	struct t_mem *m = arg;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->buf = realloc(m->buf, m->cap);
		if (!m->buf)
			return -ENOMEM;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static uint8_t frames[N][W * H];
static int16_t pcm[VIGIL_CLIP_AUDIO_MAX * 2];

/* samples of block @b: 160 * (b + 1), the last one the largest allowed */
static unsigned int t_block_len(unsigned int b)
{
	return b == N - 1 ? VIGIL_CLIP_AUDIO_MAX : 160 * (b + 1);
}

static unsigned int t_block_first(unsigned int b)
{
	unsigned int s = 0;

	for (unsigned int i = 0; i < b; i++)
		s += t_block_len(i);
	return s;
}

static void t_data(void)
{
	uint64_t seed = 7;

	for (unsigned int i = 0; i < N; i++)
		for (unsigned int k = 0; k < W * H; k++)
			frames[i][k] = (uint8_t)(k * 5 + i * 3 + (t_rand(&seed) & 7));
	for (size_t i = 0; i < sizeof(pcm) / sizeof(pcm[0]); i++)
		pcm[i] = (int16_t)(t_rand(&seed) & 0xffff);
}

static const struct vigil_clip_event ev0 = {
	.type = 1, .start_mono_ns = 30, .end_mono_ns = 0, .score = 0.25,
	.nboxes = 1, .boxes = { { 4, 5, 6, 7 } }, .npir = 1,
	.pir = { { 99, true } },
	.person = VIGIL_CLIP_PERSON_YES, .person_score = 87,
	.flags = VIGIL_CLIP_EV_CONTINUED | VIGIL_CLIP_EV_OPEN,
};
static const struct vigil_clip_event ev1 = {
	.type = 2, .start_mono_ns = 40, .end_mono_ns = 50, .score = 1,
	.person = VIGIL_CLIP_PERSON_NO, .person_score = 12,
};

/* A clip: per frame, the frame then one audio block; two events. */
static void t_write(struct t_mem *m, const uint8_t *pk, bool audio)
{
	struct vigil_clip_header h = { .fps_num = 10, .fps_den = 1,
				       .camera = "yard", .audio = audio };
	struct vigil_clip_writer *w;
	struct vigil_encoder *e;
	uint8_t buf[8192];

	vigil_codec_params_default(&h.codec);
	h.codec.width = W;
	h.codec.height = H;
	h.codec.keyint = KEYINT;
	memset(m, 0, sizeof(*m));
	T_EQ(vigil_encoder_new(&h.codec, &e), 0);
	T_EQ(vigil_clip_writer_new(&h, pk, t_sink, m, &w), 0);
	for (unsigned int i = 0; i < N; i++) {
		struct vigil_clip_frame_meta meta = { .mono_ns = 100000000ull * i };
		size_t len;

		T_EQ(vigil_encoder_encode(e, frames[i], buf, sizeof(buf), &len, NULL), 0);
		T_EQ(vigil_clip_writer_frame(w, buf, len, &meta), 0);
		if (audio)
			T_EQ(vigil_clip_writer_audio(w, 100000000ull * i + 5, RATE,
						     pcm + t_block_first(i),
						     t_block_len(i)), 0);
		if (i == 2)
			T_EQ(vigil_clip_writer_event(w, &ev0), 0);
		if (i == 9)
			T_EQ(vigil_clip_writer_event(w, &ev1), 0);
	}
	/* writer bounds */
	T_EQ(vigil_clip_writer_audio(w, 1, RATE, pcm, 0), -EINVAL);
	T_EQ(vigil_clip_writer_audio(w, 1, RATE, pcm, VIGIL_CLIP_AUDIO_MAX + 1), -EINVAL);
	T_EQ(vigil_clip_writer_audio(w, 1, 7999, pcm, 10), -EINVAL);
	T_EQ(vigil_clip_writer_audio(w, 1, 48001, pcm, 10), -EINVAL);
	if (!audio)
		T_EQ(vigil_clip_writer_audio(w, 1, RATE, pcm, 10), -EINVAL);
	T_EQ(vigil_clip_writer_close(w), 0);
	T_EQ(vigil_clip_writer_audio(w, 1, RATE, pcm, 10), -EINVAL);
	vigil_clip_writer_free(w);
	vigil_encoder_free(e);
}

static uint32_t t_rd32(const uint8_t *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void t_wr32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of the @k-th chunk of @type (from 0), or 0. */
static size_t t_chunk(const struct t_mem *m, uint32_t type, unsigned int k)
{
	for (size_t off = 8; off + 8 <= m->len; off += 16 + t_rd32(m->buf + off + 4))
		if (t_rd32(m->buf + off) == type && !k--)
			return off;
	return 0;
}

static void t_reseal_sum(uint8_t *buf, size_t off)
{
	const uint32_t len = t_rd32(buf + off + 4);
	const uint64_t h = XXH3_64bits(buf + off, 8 + len);

	for (int i = 0; i < 8; i++)
		buf[off + 8 + len + i] = (uint8_t)(h >> (8 * i));
}

static bool t_ev_eq(const struct vigil_clip_event *a, const struct vigil_clip_event *b)
{
	return a->type == b->type && a->start_mono_ns == b->start_mono_ns &&
	       a->end_mono_ns == b->end_mono_ns && a->score == b->score &&
	       a->nboxes == b->nboxes && a->npir == b->npir &&
	       a->person == b->person && a->person_score == b->person_score &&
	       a->flags == b->flags &&
	       (!a->nboxes || a->boxes[0].h == b->boxes[0].h) &&
	       (!a->npir || a->pir[0].mono_ns == b->pir[0].mono_ns);
}

/* Everything read back as written. */
static void t_check_all(const struct t_mem *m, const uint8_t *pk, const uint8_t *sk)
{
	static int16_t got[VIGIL_CLIP_AUDIO_MAX];
	const struct vigil_clip_status *st;
	struct vigil_clip_reader *r;
	struct vigil_clip_event ev;
	struct vigil_clip_audio a;
	uint8_t out[W * H];
	uint64_t total = 0;
	const char *err;

	T_EQ(vigil_clip_reader_new(m->buf, m->len, pk, sk, &r, &err), 0);
	st = vigil_clip_reader_status(r);
	T_EQ(st->state, VIGIL_CLIP_COMPLETE);
	T_EQ(vigil_clip_reader_header(r)->version, 2);
	T_ASSERT(vigil_clip_reader_header(r)->audio);
	T_EQ(vigil_clip_reader_header(r)->encrypted, pk != NULL);
	T_EQ(st->frames, N);
	T_EQ(st->events, 2);
	T_EQ(st->audio_blocks, N);
	for (unsigned int i = 0; i < N; i++)
		total += t_block_len(i);
	T_EQ(st->audio_samples, total);
	for (unsigned int i = 0; i < N; i++) {
		T_EQ(vigil_clip_reader_next(r, out, NULL), 0);
		T_ASSERT(!memcmp(out, frames[i], sizeof(out)));
		memset(got, 0, sizeof(got));
		T_EQ(vigil_clip_reader_audio(r, i, &a, got), 0);
		T_EQ(a.block, i);
		T_EQ(a.mono_ns, 100000000ull * i + 5);
		T_EQ(a.rate, RATE);
		T_EQ(a.nsamples, t_block_len(i));
		T_ASSERT(!memcmp(got, pcm + t_block_first(i),
				 2 * (size_t)t_block_len(i)));
	}
	T_EQ(vigil_clip_reader_audio(r, N, &a, got), -ERANGE);
	T_EQ(vigil_clip_reader_event(r, 0, &ev), 0);
	T_ASSERT(t_ev_eq(&ev, &ev0));
	T_EQ(vigil_clip_reader_event(r, 1, &ev), 0);
	T_ASSERT(t_ev_eq(&ev, &ev1));
	/* recovering a complete clip reproduces it, audio included */
	{
		struct t_mem rec = { 0 };

		T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
		T_EQ(rec.len, m->len);
		T_ASSERT(rec.len == m->len && !memcmp(rec.buf, m->buf, m->len));
		free(rec.buf);
	}
	vigil_clip_reader_free(r);
}

static void test_round_trip(void)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	struct t_mem m;

	t_write(&m, NULL, true);
	t_check_all(&m, NULL, NULL);
	/* the HEAD says version 2 and audio */
	T_EQ(m.buf[16] | m.buf[17] << 8, 2);
	T_EQ(m.buf[18] | m.buf[19] << 8, 2);
	free(m.buf);
	T_EQ(vigil_clip_keygen(pk, sk), 0);
	t_write(&m, pk, true);
	t_check_all(&m, pk, sk);
	T_EQ(m.buf[18] | m.buf[19] << 8, 3);
	free(m.buf);
	/* no audio: flag clear, no AUDI chunk */
	t_write(&m, NULL, false);
	T_EQ(m.buf[18] | m.buf[19] << 8, 0);
	T_EQ(t_chunk(&m, T_AUDI, 0), 0);
	free(m.buf);
}

/* A mutation of a plain clip (checksum recomputed): damaged at the chunk. */
static void t_expect_damage(const struct t_mem *m, const char *why)
{
	struct vigil_clip_reader *r;
	const char *err;

	T_EQ(vigil_clip_reader_new(m->buf, m->len, NULL, NULL, &r, &err), 0);
	if (!r)
		return;
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_DAMAGED);
	T_STRSTR(vigil_clip_reader_status(r)->detail, why);
	vigil_clip_reader_free(r);
}

/* Rebuild the chunk at @off with payload length @len (body filled). */
static struct t_mem t_resize(const struct t_mem *m, size_t off, uint32_t len)
{
	const uint32_t old = t_rd32(m->buf + off + 4);
	struct t_mem s = { 0 };
	uint8_t *c = calloc(1, 16 + (size_t)len);

	memcpy(c, m->buf + off, 8 + (old < len ? old : len));
	t_wr32(c + 4, len);
	t_reseal_sum(c, 0);
	t_sink(&s, m->buf, off);
	t_sink(&s, c, 16 + (size_t)len);
	t_sink(&s, m->buf + off + 16 + old, m->len - off - 16 - old);
	free(c);
	return s;
}

static void test_audio_bounds(void)
{
	static const struct {
		unsigned int at;	/* payload byte */
		uint8_t v;
	} bad[] = {
		{ 12, 0x3f },		/* rate 7999 (0x1f3f) */
		{ 16, 2 },		/* channels */
		{ 16, 0 },
		{ 17, 2 },		/* sample format */
		{ 18, 1 },		/* reserved */
		{ 19, 1 },
	};
	struct t_mem m, s;
	size_t a1, a3;

	t_write(&m, NULL, true);
	a3 = t_chunk(&m, T_AUDI, 3);
	T_ASSERT(a3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint8_t keep = m.buf[a3 + 8 + bad[i].at];
		const uint8_t keep2 = m.buf[a3 + 8 + 13];

		if (bad[i].at == 12)
			m.buf[a3 + 8 + 13] = 0x1f;
		m.buf[a3 + 8 + bad[i].at] = bad[i].v;
		t_reseal_sum(m.buf, a3);
		t_expect_damage(&m, "audio chunk malformed");
		m.buf[a3 + 8 + bad[i].at] = keep;
		m.buf[a3 + 8 + 13] = keep2;
		t_reseal_sum(m.buf, a3);
	}
	/* rate 48001 */
	t_wr32(m.buf + a3 + 8 + 12, 48001);
	t_reseal_sum(m.buf, a3);
	t_expect_damage(&m, "audio chunk malformed");
	t_wr32(m.buf + a3 + 8 + 12, 8000);
	t_reseal_sum(m.buf, a3);
	{
		struct vigil_clip_reader *r;
		const char *err;

		/* 8000 is in bounds */
		T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
		T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
		vigil_clip_reader_free(r);
	}
	t_wr32(m.buf + a3 + 8 + 12, RATE);
	/* block numbers: a repeated one */
	t_wr32(m.buf + a3 + 8, 2);
	t_reseal_sum(m.buf, a3);
	t_expect_damage(&m, "audio chunk out of sequence");
	t_wr32(m.buf + a3 + 8, 3);
	t_reseal_sum(m.buf, a3);
	/* body lengths: odd, empty, one sample over the maximum */
	a1 = t_chunk(&m, T_AUDI, 1);
	s = t_resize(&m, a1, 20 + 2 * 160 + 1);
	t_expect_damage(&s, "audio chunk malformed");
	free(s.buf);
	s = t_resize(&m, a1, 20);
	t_expect_damage(&s, "audio chunk malformed");
	free(s.buf);
	s = t_resize(&m, a1, 20 + 2 * (VIGIL_CLIP_AUDIO_MAX + 1));
	t_expect_damage(&s, "audio chunk malformed");
	free(s.buf);
	s = t_resize(&m, a1, 19);
	t_expect_damage(&s, "audio chunk malformed");
	free(s.buf);
	/* AUDI in a clip whose header has no audio flag */
	m.buf[18] &= (uint8_t)~2;
	t_reseal_sum(m.buf, 8);
	t_expect_damage(&m, "audio chunk in a clip without audio");
	/* ... or in a version 1 clip (where the audio flag is unknown) */
	{
		struct vigil_clip_reader *r;
		const char *err;

		m.buf[16] = 1;
		t_reseal_sum(m.buf, 8);
		t_expect_damage(&m, "audio chunk in a clip without audio");
		m.buf[18] |= 2;
		t_reseal_sum(m.buf, 8);
		T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), -EBADMSG);
		T_STRSTR(err, "unknown flags");
		/* version 3 */
		m.buf[16] = 3;
		t_reseal_sum(m.buf, 8);
		T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), -EBADMSG);
		T_STRSTR(err, "version");
	}
	free(m.buf);
}

static void test_event_bounds(void)
{
	/* payload offset of the trailer of event 1 (no boxes, no PIR) */
	const unsigned int tr = 4 + 24;
	static const struct {
		unsigned int at;
		uint8_t v;
	} bad[] = {
		{ 0, 4 },	/* person */
		{ 1, 101 },	/* score */
		{ 2, 4 },	/* flags */
		{ 2, 0x80 },
		{ 3, 1 },	/* reserved */
	};
	struct vigil_clip_reader *r;
	struct vigil_clip_event ev;
	const char *err;
	struct t_mem m, s;
	size_t e1;

	t_write(&m, NULL, false);
	e1 = t_chunk(&m, T_EVNT, 1);
	T_ASSERT(e1);
	T_EQ(t_rd32(m.buf + e1 + 4), tr + 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint8_t keep = m.buf[e1 + 8 + tr + bad[i].at];

		m.buf[e1 + 8 + tr + bad[i].at] = bad[i].v;
		t_reseal_sum(m.buf, e1);
		T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
		T_EQ(vigil_clip_reader_event(r, 0, &ev), 0);
		T_EQ(vigil_clip_reader_event(r, 1, &ev), -EBADMSG);
		vigil_clip_reader_free(r);
		m.buf[e1 + 8 + tr + bad[i].at] = keep;
		t_reseal_sum(m.buf, e1);
	}
	/* the largest in-bounds values */
	m.buf[e1 + 8 + tr] = 3;
	m.buf[e1 + 8 + tr + 1] = 100;
	m.buf[e1 + 8 + tr + 2] = 3;
	t_reseal_sum(m.buf, e1);
	T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_event(r, 1, &ev), 0);
	T_EQ(ev.person, VIGIL_CLIP_PERSON_FAILED);
	T_EQ(ev.person_score, 100);
	T_EQ(ev.flags, 3);
	vigil_clip_reader_free(r);
	/* a version 1 length (no trailer) and one byte too many */
	s = t_resize(&m, e1, tr);
	T_EQ(vigil_clip_reader_new(s.buf, s.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_event(r, 1, &ev), -EBADMSG);
	vigil_clip_reader_free(r);
	free(s.buf);
	s = t_resize(&m, e1, tr + 5);
	T_EQ(vigil_clip_reader_new(s.buf, s.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_event(r, 1, &ev), -EBADMSG);
	vigil_clip_reader_free(r);
	free(s.buf);
	free(m.buf);
}

static void test_sealed_audio(void)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	uint8_t pk2[VIGIL_CLIP_PK_BYTES], sk2[VIGIL_CLIP_SK_BYTES];
	static int16_t got[VIGIL_CLIP_AUDIO_MAX];
	struct vigil_clip_reader *r;
	struct vigil_clip_audio a;
	const char *err;
	struct t_mem m;
	size_t a4;

	T_EQ(vigil_clip_keygen(pk, sk), 0);
	T_EQ(vigil_clip_keygen(pk2, sk2), 0);
	t_write(&m, pk, true);
	a4 = t_chunk(&m, T_AUDI, 4);
	/* the samples are not in clear */
	T_ASSERT(!memmem(m.buf, m.len, pcm + t_block_first(4), 2 * 160 * 5));
	/* no key: headers only */
	T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->audio_blocks, N);
	T_EQ(vigil_clip_reader_audio(r, 4, &a, NULL), 0);
	T_EQ(a.nsamples, t_block_len(4));
	T_EQ(vigil_clip_reader_audio(r, 4, &a, got), -EACCES);
	vigil_clip_reader_free(r);
	/* wrong key */
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk2, sk2, &r, &err), -EACCES);
	/* a flipped ciphertext byte (nonce, body, tag), checksum recomputed */
	{
		const uint32_t len = t_rd32(m.buf + a4 + 4);
		const size_t at[] = { 8 + 20 + 3, 8 + 20 + 24 + 7, 8 + len - 1 };

		for (size_t i = 0; i < 3; i++) {
			m.buf[a4 + at[i]] ^= 0x10;
			t_reseal_sum(m.buf, a4);
			T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
			T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
			T_EQ(vigil_clip_reader_audio(r, 3, &a, got), 0);
			T_EQ(vigil_clip_reader_audio(r, 4, &a, got), -EBADMSG);
			T_STRSTR(vigil_clip_reader_error(r), "authentication failed");
			T_EQ(vigil_clip_reader_audio(r, 5, &a, got), 0);
			vigil_clip_reader_free(r);
			m.buf[a4 + at[i]] ^= 0x10;
			t_reseal_sum(m.buf, a4);
		}
	}
	/* a header field changed (time, rate), checksum recomputed */
	{
		const size_t at[] = { 8 + 4, 8 + 12 };

		for (size_t i = 0; i < 2; i++) {
			m.buf[a4 + at[i]] ^= 1;
			t_reseal_sum(m.buf, a4);
			T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
			T_EQ(vigil_clip_reader_audio(r, 4, &a, got), -EBADMSG);
			vigil_clip_reader_free(r);
			m.buf[a4 + at[i]] ^= 1;
			t_reseal_sum(m.buf, a4);
		}
	}
	/* blocks 4 and 5 swapped with their numbers: each fails */
	{
		const size_t a5 = t_chunk(&m, T_AUDI, 5);

		t_wr32(m.buf + a4 + 8, 5);
		t_wr32(m.buf + a5 + 8, 6);
		t_reseal_sum(m.buf, a4);
		t_reseal_sum(m.buf, a5);
		T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
		T_EQ(vigil_clip_reader_audio(r, 4, &a, got), -EBADMSG);
		T_EQ(vigil_clip_reader_audio(r, 5, &a, got), -EBADMSG);
		vigil_clip_reader_free(r);
	}
	free(m.buf);
}

/* Blocks 0..n-1 all there, samples as written. */
static void t_blocks_ok(struct vigil_clip_reader *r, unsigned int n)
{
	static int16_t got[VIGIL_CLIP_AUDIO_MAX];
	struct vigil_clip_audio a;

	T_EQ(vigil_clip_reader_status(r)->audio_blocks, n);
	for (unsigned int i = 0; i < n; i++) {
		T_EQ(vigil_clip_reader_audio(r, i, &a, got), 0);
		T_EQ(a.block, i);
		T_ASSERT(a.nsamples == t_block_len(i) &&
			 !memcmp(got, pcm + t_block_first(i), 2 * (size_t)a.nsamples));
	}
}

static void test_cut_and_recover(const uint8_t *pk, const uint8_t *sk)
{
	struct vigil_clip_reader *r;
	const char *err;
	struct t_mem m;
	size_t indx;

	t_write(&m, pk, true);
	indx = t_chunk(&m, T_INDX, 0);
	for (size_t off = 8, next; off < indx; off = next) {
		const uint32_t type = t_rd32(m.buf + off);
		unsigned int before = 0;

		next = off + 16 + t_rd32(m.buf + off + 4);
		for (size_t q = 8; q < off; q += 16 + t_rd32(m.buf + q + 4))
			before += t_rd32(m.buf + q) == T_AUDI;
		/* cut at the chunk's start, and inside an audio chunk */
		for (int k = 0; k < (type == T_AUDI ? 2 : 1); k++) {
			const size_t cut = k ? off + 8 + 20 + 7 : off;
			struct t_mem rec = { 0 };

			if (cut <= t_chunk(&m, T_HEAD, 0))
				continue;
			T_EQ(vigil_clip_reader_new(m.buf, cut, pk, sk, &r, &err), 0);
			T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_TRUNCATED);
			t_blocks_ok(r, before);
			T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
			vigil_clip_reader_free(r);
			T_EQ(vigil_clip_reader_new(rec.buf, rec.len, pk, sk, &r, &err), 0);
			T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
			T_EQ(vigil_clip_reader_status(r)->index_authenticated, pk != NULL);
			t_blocks_ok(r, before);
			vigil_clip_reader_free(r);
			free(rec.buf);
		}
	}
	/*
	 * A damaged audio chunk (checksum wrong): the scan resumes at the next
	 * keyframe, so the blocks between go too; recover keeps the rest.
	 */
	{
		const size_t a5 = t_chunk(&m, T_AUDI, 5);
		struct t_mem rec = { 0 };
		struct vigil_clip_audio a;

		m.buf[a5 + 8 + 30] ^= 1;
		T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
		T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_DAMAGED);
		/* blocks 0..4, then from the group of frame 8 (keyint 4) on */
		T_EQ(vigil_clip_reader_status(r)->audio_blocks, 5 + N - 8);
		T_EQ(vigil_clip_reader_audio(r, 5, &a, NULL), 0);
		T_EQ(a.block, 8);
		T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
		vigil_clip_reader_free(r);
		T_EQ(vigil_clip_reader_new(rec.buf, rec.len, pk, sk, &r, &err), 0);
		T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
		T_EQ(vigil_clip_reader_status(r)->audio_blocks, 5 + N - 8);
		T_EQ(vigil_clip_reader_audio(r, 5, &a, NULL), 0);
		T_EQ(a.block, 8);
		vigil_clip_reader_free(r);
		free(rec.buf);
	}
	free(m.buf);
}

/*
 * A version 1 clip: a version 2 one without audio, HEAD version 1, each
 * EVNT trailer dropped, cut before its index; recover gives it a fresh
 * index and footer.
 */
static void test_v1(void)
{
	struct t_mem m, v1 = { 0 }, rec = { 0 };
	struct vigil_clip_reader *r;
	struct vigil_clip_event ev, want;
	uint8_t out[W * H];
	const char *err;

	t_write(&m, NULL, false);
	t_sink(&v1, m.buf, 8);
	for (size_t off = 8; off < m.len; off += 16 + t_rd32(m.buf + off + 4)) {
		const uint32_t type = t_rd32(m.buf + off);
		uint32_t len = t_rd32(m.buf + off + 4);
		uint8_t *c;

		if (type == T_INDX)
			break;
		c = malloc(16 + (size_t)len);
		memcpy(c, m.buf + off, 16 + (size_t)len);
		if (type == T_HEAD)
			c[8] = 1;
		if (type == T_EVNT) {
			len -= 4;
			t_wr32(c + 4, len);
		}
		t_reseal_sum(c, 0);
		t_sink(&v1, c, 16 + (size_t)len);
		free(c);
	}
	T_EQ(vigil_clip_reader_new(v1.buf, v1.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_TRUNCATED);
	T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
	vigil_clip_reader_free(r);
	T_EQ(vigil_clip_reader_new(rec.buf, rec.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	T_EQ(vigil_clip_reader_header(r)->version, 1);
	T_ASSERT(!vigil_clip_reader_header(r)->audio);
	T_EQ(vigil_clip_reader_status(r)->events, 2);
	T_EQ(vigil_clip_reader_status(r)->audio_blocks, 0);
	for (unsigned int i = 0; i < N; i++) {
		T_EQ(vigil_clip_reader_next(r, out, NULL), 0);
		T_ASSERT(!memcmp(out, frames[i], sizeof(out)));
	}
	want = ev0;
	want.person = want.person_score = want.flags = 0;
	T_EQ(vigil_clip_reader_event(r, 0, &ev), 0);
	T_ASSERT(t_ev_eq(&ev, &want));
	want = ev1;
	want.person = want.person_score = want.flags = 0;
	T_EQ(vigil_clip_reader_event(r, 1, &ev), 0);
	T_ASSERT(t_ev_eq(&ev, &want));
	vigil_clip_reader_free(r);
	/* a version 2 event length in a version 1 clip is malformed */
	{
		const size_t e0 = t_chunk(&rec, T_EVNT, 0);
		struct t_mem s = t_resize(&rec, e0, t_rd32(rec.buf + e0 + 4) + 4);

		T_EQ(vigil_clip_reader_new(s.buf, s.len, NULL, NULL, &r, &err), 0);
		T_EQ(vigil_clip_reader_event(r, 0, &ev), -EBADMSG);
		vigil_clip_reader_free(r);
		free(s.buf);
	}
	free(rec.buf);
	free(v1.buf);
	free(m.buf);
}

int main(void)
{
	t_data();
	test_round_trip();
	test_audio_bounds();
	test_event_bounds();
	test_sealed_audio();
	test_cut_and_recover(NULL, NULL);
	{
		uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];

		T_EQ(vigil_clip_keygen(pk, sk), 0);
		test_cut_and_recover(pk, sk);
	}
	test_v1();
	return t_done();
}
