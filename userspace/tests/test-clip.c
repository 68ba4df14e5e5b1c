// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The clip container: round trip with metadata and events, truncation at
 * every chunk boundary and at random bytes (every complete frame
 * recovered), damage detection, and sealed clips (right key, no key, wrong
 * key, a flipped byte, reordered chunks).
 */
#include <stdbool.h>
#include <stdint.h>
#include <xxhash.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

#define W 48
#define H 32
#define N 23
#define KEYINT 5

struct t_mem {
	uint8_t *buf;
	size_t len, cap;
	size_t bounds[256];	/* offsets after each write */
	unsigned int nbounds;
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
	if (m->nbounds < 256)
		m->bounds[m->nbounds++] = m->len;
	return 0;
}

static uint8_t frames[N][W * H];

static void t_frames(void)
{
	uint64_t seed = 99;

	for (unsigned int i = 0; i < N; i++)
		for (unsigned int k = 0; k < W * H; k++)
			frames[i][k] = (uint8_t)((k % W) * 3 + i * 2 +
						 (t_rand(&seed) & 3));
}

static void t_write(struct t_mem *m, const uint8_t *pk)
{
	struct vigil_clip_header h = { .fps_num = 15, .fps_den = 1,
				       .camera = "front door",
				       .created_wall_ns = 1700000000000000000ull };
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
		struct vigil_clip_frame_meta meta = {
			.mono_ns = 1000000ull * i, .wall_ns = 5000000ull * i,
			.motion = i & 1, .learning = i < 2, .score = i / 100.0,
			.nboxes = i % 3,
		};
		size_t len;

		for (unsigned int b = 0; b < meta.nboxes; b++)
			meta.boxes[b] = (struct vigil_clip_box){ b, i, 10, 20 };
		T_EQ(vigil_encoder_encode(e, frames[i], buf, sizeof(buf), &len, NULL), 0);
		T_EQ(vigil_clip_writer_frame(w, buf, len, &meta), 0);
		if (i == 7) {
			struct vigil_clip_event ev = {
				.type = 1, .start_mono_ns = 3, .end_mono_ns = 9,
				.score = 0.5, .nboxes = 1, .npir = 2,
				.boxes = { { 1, 2, 3, 4 } },
				.pir = { { 100, true }, { 200, false } },
			};

			T_EQ(vigil_clip_writer_event(w, &ev), 0);
		}
	}
	/* a non-keyframe cannot start a group past keyint */
	T_EQ(vigil_clip_writer_close(w), 0);
	T_EQ(vigil_clip_writer_frame(w, buf, 100, NULL), -EINVAL);
	T_EQ(vigil_clip_writer_bytes(w), m->len);
	vigil_clip_writer_free(w);
	vigil_encoder_free(e);
}

/* Read every frame; returns how many matched the source. */
static unsigned int t_read_all(struct vigil_clip_reader *r, int *last)
{
	struct vigil_clip_frame_meta meta;
	uint8_t out[W * H];
	unsigned int n = 0;
	int ret;

	while (!(ret = vigil_clip_reader_next(r, out, &meta))) {
		if (n < N && !memcmp(out, frames[n], sizeof(out)) &&
		    meta.mono_ns == 1000000ull * n && meta.wall_ns == 5000000ull * n &&
		    meta.motion == (n & 1) && meta.nboxes == n % 3 &&
		    (!meta.nboxes || meta.boxes[0].y == n))
			n++;
		else
			break;
	}
	*last = ret;
	return n;
}

static void test_plain(void)
{
	struct t_mem m, rec = { 0 };
	struct vigil_clip_reader *r;
	const struct vigil_clip_status *st;
	struct vigil_clip_event ev;
	const char *err;
	int last;

	t_write(&m, NULL);
	T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
	st = vigil_clip_reader_status(r);
	T_EQ(st->state, VIGIL_CLIP_COMPLETE);
	T_EQ(st->frames, N);
	T_EQ(st->groups, (N + KEYINT - 1) / KEYINT);
	T_EQ(st->events, 1);
	T_STRSTR(vigil_clip_reader_header(r)->camera, "front door");
	T_EQ(vigil_clip_reader_header(r)->codec.keyint, KEYINT);
	T_EQ(t_read_all(r, &last), N);
	T_EQ(last, 1);
	T_EQ(vigil_clip_reader_event(r, 0, &ev), 0);
	T_EQ(ev.npir, 2);
	T_EQ(ev.pir[0].mono_ns, 100);
	T_ASSERT(ev.pir[0].level && !ev.pir[1].level);
	T_EQ(ev.boxes[0].h, 4);
	T_EQ(vigil_clip_reader_event(r, 1, &ev), -ERANGE);
	/* seek: group 2 decodes alone */
	T_EQ(vigil_clip_reader_seek_group(r, 2), 0);
	{
		uint8_t out[W * H];

		T_EQ(vigil_clip_reader_next(r, out, NULL), 0);
		T_ASSERT(!memcmp(out, frames[2 * KEYINT], sizeof(out)));
	}
	T_EQ(vigil_clip_reader_seek_group(r, 99), -ERANGE);
	/* recovering a complete clip reproduces it */
	T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
	T_EQ(rec.len, m.len);
	T_ASSERT(!memcmp(rec.buf, m.buf, m.len));
	vigil_clip_reader_free(r);

	/* not a clip, header damage */
	T_EQ(vigil_clip_reader_new("hello", 5, NULL, NULL, &r, &err), -EBADMSG);
	T_STRSTR(err, "magic");
	m.buf[20] ^= 1;
	T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), -EBADMSG);
	T_STRSTR(err, "header");
	free(rec.buf);
	free(m.buf);
}

/* Frames whose chunks end at or before @cut. */
static unsigned int t_frames_before(const struct t_mem *m, size_t cut)
{
	/* bounds: magic, head, then one write per frame/event chunk */
	unsigned int n = 0;

	for (unsigned int i = 2; i < m->nbounds && m->bounds[i] <= cut; i++) {
		if (i - 2 == 8)	/* the event chunk follows frame 7 */
			continue;
		if (n < N)
			n++;
	}
	return n;
}

static void t_check_cut(const struct t_mem *m, size_t cut, const uint8_t *pk,
			const uint8_t *sk)
{
	struct vigil_clip_reader *r, *r2;
	struct t_mem rec = { 0 };
	const char *err;
	int ret, last;
	unsigned int want = t_frames_before(m, cut);

	ret = vigil_clip_reader_new(m->buf, cut, pk, sk, &r, &err);
	if (cut < m->bounds[1]) {
		T_EQ(ret, -EBADMSG);
		return;
	}
	T_EQ(ret, 0);
	if (ret)
		return;
	if (cut == m->len)
		T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	else
		T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_TRUNCATED);
	T_EQ(vigil_clip_reader_status(r)->frames, want);
	T_EQ(t_read_all(r, &last), want);
	T_EQ(last, 1);
	T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
	T_EQ(vigil_clip_reader_new(rec.buf, rec.len, pk, sk, &r2, &err), 0);
	T_EQ(vigil_clip_reader_status(r2)->state, VIGIL_CLIP_COMPLETE);
	T_EQ(vigil_clip_reader_status(r2)->index_authenticated, pk != NULL);
	T_EQ(t_read_all(r2, &last), want);
	vigil_clip_reader_free(r2);
	vigil_clip_reader_free(r);
	free(rec.buf);
}

static void test_truncation(const uint8_t *pk, const uint8_t *sk)
{
	struct t_mem m;
	uint64_t seed = 5;

	t_write(&m, pk);
	T_EQ(m.nbounds, 2 + N + 1 + 2);	/* magic, head, frames, event, tail */
	t_check_cut(&m, 0, pk, sk);
	for (unsigned int i = 0; i < m.nbounds; i++) {
		t_check_cut(&m, m.bounds[i], pk, sk);
		t_check_cut(&m, m.bounds[i] - 1, pk, sk);
	}
	for (unsigned int i = 0; i < 200; i++)
		t_check_cut(&m, t_rand(&seed) % m.len, pk, sk);
	free(m.buf);
}

/* Frames of @r in order; compares them with the source by timestamp. */
static unsigned int t_read_some(struct vigil_clip_reader *r, unsigned int *ids,
				unsigned int max)
{
	struct vigil_clip_frame_meta meta;
	uint8_t out[W * H];
	unsigned int n = 0;

	while (n < max && !vigil_clip_reader_next(r, out, &meta)) {
		const unsigned int i = (unsigned int)(meta.mono_ns / 1000000);

		if (i >= N || memcmp(out, frames[i], sizeof(out)))
			break;
		ids[n++] = i;
	}
	return n;
}

static void test_damage(const uint8_t *pk, const uint8_t *sk)
{
	struct vigil_clip_reader *r, *r2;
	struct t_mem m, rec = { 0 };
	unsigned int ids[N], n;
	const char *err;

	t_write(&m, pk);
	/*
	 * A byte of frame 10's chunk (first of group 2): frames 0-9 survive,
	 * the scan resumes at group 3 (frame 15), the damage is reported.
	 */
	m.buf[m.bounds[2 + 10] + 40] ^= 0x10;
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_DAMAGED);
	T_EQ(vigil_clip_reader_status(r)->frames, N - KEYINT);
	T_EQ(vigil_clip_reader_status(r)->good_bytes, m.bounds[2 + 10]);
	T_STRSTR(vigil_clip_reader_status(r)->detail, "checksum");
	n = t_read_some(r, ids, N);
	T_EQ(n, N - KEYINT);
	T_EQ(ids[9], 9);
	T_EQ(ids[10], 15);
	T_EQ(ids[n - 1], N - 1);
	/* recover keeps every intact group; the result is complete */
	T_EQ(vigil_clip_reader_recover(r, t_sink, &rec), 0);
	T_EQ(vigil_clip_reader_new(rec.buf, rec.len, pk, sk, &r2, &err), 0);
	T_EQ(vigil_clip_reader_status(r2)->state, VIGIL_CLIP_COMPLETE);
	T_EQ(vigil_clip_reader_status(r2)->frames, N - KEYINT);
	T_EQ(vigil_clip_reader_status(r2)->events, 1);
	T_EQ(vigil_clip_reader_seek_group(r2, 2), 0);
	T_EQ(t_read_some(r2, ids, 1), 1);
	T_EQ(ids[0], 15);
	T_EQ(vigil_clip_reader_seek_group(r2, 0), 0);
	T_EQ(t_read_some(r2, ids, N), N - KEYINT);
	vigil_clip_reader_free(r2);
	vigil_clip_reader_free(r);
	/* damage in the first chunk after the header: groups 1.. survive */
	m.buf[m.bounds[2 + 10] + 40] ^= 0x10;
	m.buf[m.bounds[1] + 40] ^= 0x10;
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_DAMAGED);
	T_EQ(vigil_clip_reader_status(r)->frames, N - KEYINT);
	n = t_read_some(r, ids, N);
	T_EQ(n, N - KEYINT);
	T_EQ(ids[0], KEYINT);
	vigil_clip_reader_free(r);
	free(rec.buf);
	free(m.buf);
}

/* Recompute the XXH3 of the chunk at @off (what an attacker can do). */
static void t_reseal_sum(uint8_t *buf, size_t off)
{
	const uint32_t len = buf[off + 4] | buf[off + 5] << 8 |
			     buf[off + 6] << 16 | (uint32_t)buf[off + 7] << 24;
	const uint64_t h = XXH3_64bits(buf + off, 8 + len);

	for (int i = 0; i < 8; i++)
		buf[off + 8 + len + i] = (uint8_t)(h >> (8 * i));
}

static void test_sealed(void)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	uint8_t pk2[VIGIL_CLIP_PK_BYTES], sk2[VIGIL_CLIP_SK_BYTES];
	struct vigil_clip_reader *r;
	struct vigil_clip_event ev;
	uint8_t out[W * H];
	struct t_mem m;
	const char *err;
	size_t a;
	int last;

	T_EQ(vigil_clip_keygen(pk, sk), 0);
	T_EQ(vigil_clip_keygen(pk2, sk2), 0);
	t_write(&m, pk);
	/* the owner reads everything, the index is authenticated */
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
	T_ASSERT(vigil_clip_reader_header(r)->encrypted);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	T_ASSERT(vigil_clip_reader_status(r)->index_authenticated);
	T_EQ(t_read_all(r, &last), N);
	T_EQ(vigil_clip_reader_event(r, 0, &ev), 0);
	T_EQ(ev.pir[1].mono_ns, 200);
	vigil_clip_reader_free(r);
	/* no key: structure checks, frames refused */
	T_EQ(vigil_clip_reader_new(m.buf, m.len, NULL, NULL, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	T_ASSERT(!vigil_clip_reader_status(r)->index_authenticated);
	T_EQ(vigil_clip_reader_next(r, out, NULL), -EACCES);
	T_EQ(vigil_clip_reader_event(r, 0, &ev), -EACCES);
	vigil_clip_reader_free(r);
	/* wrong key */
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk2, sk2, &r, &err), -EACCES);
	T_STRSTR(err, "wrong owner key");
	/* one flipped ciphertext byte in frame 6, checksum recomputed */
	a = m.bounds[2 + 5];
	m.buf[a + 8 + 28 + 3] ^= 1;
	t_reseal_sum(m.buf, a);
	T_EQ(vigil_clip_reader_new(m.buf, m.len, pk, sk, &r, &err), 0);
	T_EQ(vigil_clip_reader_status(r)->state, VIGIL_CLIP_COMPLETE);
	T_EQ(t_read_all(r, &last), 6);
	T_EQ(last, -EBADMSG);
	T_STRSTR(vigil_clip_reader_error(r), "authentication failed");
	vigil_clip_reader_free(r);
	m.buf[a + 8 + 28 + 3] ^= 1;
	t_reseal_sum(m.buf, a);
	/* frames 1 and 2 swapped, renumbered, checksums recomputed */
	{
		const size_t f1 = m.bounds[2], f2 = m.bounds[3], end = m.bounds[4];
		struct t_mem s = { 0 };
		uint8_t *c1 = malloc(f2 - f1), *c2 = malloc(end - f2);

		memcpy(c1, m.buf + f1, f2 - f1);
		memcpy(c2, m.buf + f2, end - f2);
		c1[8] = 2;
		c2[8] = 1;
		t_reseal_sum(c1, 0);
		t_reseal_sum(c2, 0);
		t_sink(&s, m.buf, f1);
		t_sink(&s, c2, end - f2);
		t_sink(&s, c1, f2 - f1);
		t_sink(&s, m.buf + end, m.len - end);
		T_EQ(vigil_clip_reader_new(s.buf, s.len, pk, sk, &r, &err), 0);
		T_EQ(vigil_clip_reader_status(r)->frames, N);
		T_EQ(t_read_all(r, &last), 1);
		T_EQ(last, -EBADMSG);
		T_STRSTR(vigil_clip_reader_error(r), "authentication failed");
		vigil_clip_reader_free(r);
		free(s.buf);
		free(c1);
		free(c2);
	}
	free(m.buf);
}

/* Whole groups reordered, every field rewritten consistently. */
static void test_group_reorder(void)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];
	struct vigil_clip_reader *r;
	struct t_mem m;
	const char *err;
	uint8_t out[W * H];

	T_EQ(vigil_clip_keygen(pk, sk), 0);
	t_write(&m, pk);
	/* group 1 spliced in as group 0 (numbers rewritten, sums fixed) */
	{
		const size_t g1 = m.bounds[2 + KEYINT - 1], end = m.bounds[2 + KEYINT];
		struct t_mem s = { 0 };

		memset(m.buf + g1 + 8, 0, 8);
		t_reseal_sum(m.buf, g1);
		t_sink(&s, m.buf, m.bounds[1]);
		t_sink(&s, m.buf + g1, end - g1);
		T_EQ(vigil_clip_reader_new(s.buf, s.len, pk, sk, &r, &err), 0);
		T_EQ(vigil_clip_reader_status(r)->frames, 1);
		T_EQ(vigil_clip_reader_next(r, out, NULL), -EBADMSG);
		vigil_clip_reader_free(r);
		free(s.buf);
	}
	free(m.buf);
}

int main(void)
{
	uint8_t pk[VIGIL_CLIP_PK_BYTES], sk[VIGIL_CLIP_SK_BYTES];

	t_frames();
	test_plain();
	test_truncation(NULL, NULL);
	T_EQ(vigil_clip_keygen(pk, sk), 0);
	test_truncation(pk, sk);
	test_damage(NULL, NULL);
	test_damage(pk, sk);
	test_sealed();
	test_group_reorder();
	return t_done();
}
