// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The clip codec, 1 and 2: byte-exact lossless round trips (every pixel
 * format, scenario frames, replayed ffmpeg video, adversarial frames), the
 * near-lossless bound on every pixel of every frame, keyframe intervals,
 * corrupt input.
 */
#include <stdbool.h>
#include <stdint.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

/* Encode then decode @n frames; returns total encoded bytes or 0. */
static size_t t_round_trip(const struct vigil_codec_params *p,
			   const uint8_t *frames, unsigned int n, size_t fsize)
{
	struct vigil_encoder *e = NULL;
	struct vigil_decoder *d = NULL;
	uint8_t *buf, *out;
	size_t total = 0, bound;
	unsigned int keys = 0, bad = 0;

	T_EQ(vigil_encoder_new(p, &e), 0);
	T_EQ(vigil_decoder_new(p, &d), 0);
	if (!e || !d)
		return 0;
	bound = vigil_encoder_bound(e);
	buf = malloc(bound);
	out = malloc(fsize);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *src = frames + (size_t)i * fsize;
		size_t len = 0;
		bool key = false;

		T_EQ(vigil_encoder_encode(e, src, buf, bound, &len, &key), 0);
		T_EQ(key, i % p->keyint == 0);
		keys += key;
		T_EQ(vigil_codec_frame_is_key(buf, len), key);
		T_EQ(vigil_decoder_decode(d, buf, len, out), 0);
		if (!p->near) {
			if (memcmp(out, src, fsize))
				bad++;
		} else {
			for (size_t k = 0; k < fsize; k++) {
				const int diff = (int)out[k] - (int)src[k];

				if (diff > (int)p->near || diff < -(int)p->near) {
					bad++;
					break;
				}
			}
		}
		total += len;
	}
	if (bad)
		fprintf(stderr, "%s %ux%u near %u: %u bad frames\n",
			vigil_pixfmt_name(p->fmt), p->width, p->height, p->near, bad);
	T_EQ(bad, 0);
	T_EQ(keys, (n + p->keyint - 1) / p->keyint);
	free(out);
	free(buf);
	vigil_decoder_free(d);
	vigil_encoder_free(e);
	return total;
}

/* Scenario luma plus chroma planes derived from it. */
static uint8_t *t_scene_frames(const char *name, enum vigil_pixfmt fmt,
			       unsigned int n, unsigned int *w, unsigned int *h,
			       size_t *fsize)
{
	struct vigil_scene s;
	char path[512], err[256];
	uint8_t *frames, *luma;

	snprintf(path, sizeof(path), "%s/tests/scenarios/%s", t_srcdir(), name);
	if (vigil_scene_load(&s, path, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(1);
	}
	*w = s.width;
	*h = s.height;
	vigil_pixfmt_frame_size(fmt, s.width, s.height, fsize);
	frames = malloc(*fsize * n);
	luma = malloc((size_t)s.width * s.height);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *f = frames + *fsize * i;
		const size_t np = (size_t)s.width * s.height;

		T_EQ(vigil_scene_render(&s, i, luma), 0);
		if (fmt == VIGIL_FMT_YUYV) {
			for (size_t k = 0; k < np; k++) {
				f[2 * k] = luma[k];
				f[2 * k + 1] = (uint8_t)(128 + (luma[k] >> 3) - (k & 1) * 16);
			}
		} else {
			memcpy(f, luma, np);
			for (size_t k = np; k < *fsize; k++)
				f[k] = (uint8_t)(120 + (luma[(k - np) * 4 % np] >> 4));
		}
	}
	free(luma);
	return frames;
}

static void test_formats(void)
{
	static const enum vigil_pixfmt fmts[] = {
		VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_I420, VIGIL_FMT_YUYV,
		VIGIL_FMT_NV21, VIGIL_FMT_YV12, VIGIL_FMT_UYVY,
	};
	/* odd sizes exercise the edges and the rounding of chroma planes */
	static const unsigned int sizes[][2] = { { 1, 1 }, { 2, 3 }, { 17, 9 },
						 { 64, 48 } };
	uint64_t seed = 42;

	for (unsigned int f = 0; f < 2 * sizeof(fmts) / sizeof(fmts[0]); f++) {
		for (unsigned int s = 0; s < 4; s++) {
			struct vigil_codec_params p;
			size_t fsize;
			uint8_t *frames;

			vigil_codec_params_default(&p);
			p.codec = 1 + f % 2;
			p.fmt = fmts[f / 2];
			p.width = sizes[s][0];
			p.height = sizes[s][1];
			p.keyint = 3;
			if ((p.fmt == VIGIL_FMT_YUYV || p.fmt == VIGIL_FMT_UYVY) &&
			    p.width & 1) {
				T_EQ(vigil_codec_params_check(&p), -EINVAL);
				continue;
			}
			T_EQ(vigil_codec_params_check(&p), 0);
			vigil_pixfmt_frame_size(p.fmt, p.width, p.height, &fsize);
			frames = malloc(fsize * 7);
			for (size_t k = 0; k < fsize * 7; k++)
				frames[k] = (uint8_t)t_rand(&seed);
			/* frame 2 repeats frame 1 but for one pixel: skipped blocks */
			memcpy(frames + 2 * fsize, frames + fsize, fsize);
			frames[2 * fsize + fsize / 2] ^= 1;
			for (p.near = 0; p.near <= 3; p.near++)
				T_ASSERT(t_round_trip(&p, frames, 7, fsize) > 0);
			free(frames);
		}
	}
}

static void test_scenes(void)
{
	static const char *const names[] = { "person-walk.ini", "rain.ini",
					     "light-switch.ini" };

	for (unsigned int j = 0; j < 6; j++) {
		const unsigned int i = j / 2;
		struct vigil_codec_params p;
		unsigned int w, h;
		size_t fsize, lossless, near2;
		uint8_t *frames;

		vigil_codec_params_default(&p);
		p.codec = 1 + j % 2;
		p.fmt = i == 1 ? VIGIL_FMT_NV12 : VIGIL_FMT_GREY;
		frames = t_scene_frames(names[i], p.fmt, 40, &w, &h, &fsize);
		p.width = w;
		p.height = h;
		p.keyint = 16;
		lossless = t_round_trip(&p, frames, 40, fsize);
		p.near = 2;
		near2 = t_round_trip(&p, frames, 40, fsize);
		printf("%s %s codec %u: lossless %.2fx, near 2 %.2fx\n", names[i],
		       vigil_pixfmt_name(p.fmt), p.codec, (double)fsize * 40 / lossless,
		       (double)fsize * 40 / near2);
		/* noisy scenes compress; near-lossless compresses more */
		T_ASSERT(lossless < fsize * 40 * 2 / 3);
		T_ASSERT(near2 < lossless);
		free(frames);
	}
}

/* Replayed video: ffmpeg's testsrc2 with noise, converted at test time. */
static void test_replay(void)
{
	const unsigned int w = 160, h = 120, n = 30;
	const size_t fsize = (size_t)w * h * 3 / 2;
	struct vigil_codec_params p;
	uint8_t *frames = malloc(fsize * n);
	FILE *fp;
	size_t got;

	fp = popen("ffmpeg -v error -f lavfi -i testsrc2=size=160x120:rate=15 "
		   "-vf noise=alls=6:allf=t -frames:v 30 -pix_fmt yuv420p "
		   "-f rawvideo - 2>/dev/null", "r");
	got = fp ? fread(frames, 1, fsize * n, fp) : 0;
	if (fp)
		pclose(fp);
	if (got != fsize * n) {
		printf("ffmpeg not available: replayed-video round trip not run\n");
		free(frames);
		return;
	}
	for (unsigned int c = 1; c <= VIGIL_CODEC_MAX; c++) {
		vigil_codec_params_default(&p);
		p.codec = c;
		p.fmt = VIGIL_FMT_I420;
		p.width = w;
		p.height = h;
		p.keyint = 10;
		T_ASSERT(t_round_trip(&p, frames, n, fsize) < fsize * n);
		p.near = 1;
		T_ASSERT(t_round_trip(&p, frames, n, fsize) > 0);
	}
	free(frames);
}

/*
 * Codec 2 on adversarial sequences, at the sizes that cut blocks at the
 * edges: noise, flat black and white, full-contrast checkerboards that
 * invert every frame, and a still frame where single pixels move by N and
 * by N + 1 (just inside and just outside a skipped block's bound).
 */
static void t_adversarial_frames(uint8_t *frames, unsigned int n, unsigned int w,
				 unsigned int h, unsigned int kind, unsigned int near,
				 uint64_t *seed)
{
	const size_t fs = (size_t)w * h;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *f = frames + fs * i;

		for (size_t k = 0; k < fs; k++) {
			const unsigned int x = k % w, y = k / w;

			switch (kind) {
			case 0:
				f[k] = (uint8_t)t_rand(seed);
				break;
			case 1:
				f[k] = i < n / 2 ? 0 : 255;
				break;
			case 2:
				f[k] = (x + y + i) & 1 ? 255 : 0;
				break;
			default:
				f[k] = (uint8_t)(x * 7 + y * 13);
				break;
			}
		}
		if (kind == 3 && i) {
			const size_t k = t_rand(seed) % fs;
			const int step = (int)near + (int)(i & 1);
			const int v = f[k] + (t_rand(seed) & 1 ? step : -step);

			f[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

static void test_adversarial(void)
{
	static const unsigned int sizes[][2] = { { 1, 1 }, { 3, 5 }, { 9, 17 },
						 { 17, 9 }, { 8, 8 }, { 40, 24 } };
	static const unsigned int nears[] = { 0, 1, 2, 3, VIGIL_CODEC_MAX_NEAR };
	uint64_t seed = 99;

	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const unsigned int w = sizes[s][0], h = sizes[s][1], n = 9;
		uint8_t *frames = malloc((size_t)w * h * n);

		for (unsigned int kind = 0; kind < 4; kind++) {
			for (unsigned int j = 0; j < sizeof(nears) / sizeof(nears[0]); j++) {
				struct vigil_codec_params p;

				vigil_codec_params_default(&p);
				p.codec = 2;
				p.width = w;
				p.height = h;
				p.keyint = 5;
				p.near = nears[j];
				t_adversarial_frames(frames, n, w, h, kind, p.near, &seed);
				T_ASSERT(t_round_trip(&p, frames, n, (size_t)w * h) > 0);
			}
		}
		free(frames);
	}
}

/* A frame of one codec is refused by the other's decoder. */
static void test_codec_mismatch(void)
{
	struct vigil_codec_params p;
	struct vigil_encoder *e;
	struct vigil_decoder *d;
	uint8_t frame[24 * 16], out[24 * 16], buf[2][2048];
	size_t len[2];

	memset(frame, 77, sizeof(frame));
	vigil_codec_params_default(&p);
	p.width = 24;
	p.height = 16;
	p.codec = VIGIL_CODEC_MAX + 1;
	T_EQ(vigil_codec_params_check(&p), -EINVAL);
	for (unsigned int c = 1; c <= 2; c++) {
		p.codec = c;
		T_EQ(vigil_encoder_new(&p, &e), 0);
		T_EQ(vigil_encoder_encode(e, frame, buf[c - 1], sizeof(buf[0]),
					  &len[c - 1], NULL), 0);
		vigil_encoder_free(e);
	}
	for (unsigned int c = 1; c <= 2; c++) {
		p.codec = c;
		T_EQ(vigil_decoder_new(&p, &d), 0);
		T_EQ(vigil_decoder_decode(d, buf[2 - c], len[2 - c], out), -EBADMSG);
		T_EQ(vigil_decoder_decode(d, buf[c - 1], len[c - 1], out), 0);
		T_ASSERT(!memcmp(out, frame, sizeof(frame)));
		vigil_decoder_free(d);
	}
}

/*
 * Clips stored by earlier writers still decode: the fuzz corpus's codec 1
 * clips (written before codec 2 existed) and its codec 2 ones, every frame.
 */
static void test_stored_clips(void)
{
	static const struct {
		const char *name;
		unsigned int codec, frames;
	} clips[] = {
		{ "grey.clip", 1, 5 },
		{ "i420-near.clip", 1, 3 },
		{ "grey-codec2.clip", 2, 6 },
		{ "i420-near-codec2.clip", 2, 4 },
	};

	for (unsigned int i = 0; i < sizeof(clips) / sizeof(clips[0]); i++) {
		const struct vigil_clip_header *h;
		struct vigil_clip_reader *r = NULL;
		char path[512];
		const char *err;
		uint8_t *buf, *frame;
		unsigned int n = 0;
		size_t len, fsize;
		FILE *fp;
		int ret;

		snprintf(path, sizeof(path), "%s/userspace/fuzz/corpus/clip/%s",
			 t_srcdir(), clips[i].name);
		fp = fopen(path, "rb");
		T_ASSERT(fp);
		if (!fp)
			continue;
		buf = malloc(1 << 16);
		len = fread(buf, 1, 1 << 16, fp);
		fclose(fp);
		T_EQ(vigil_clip_reader_new(buf, len, NULL, NULL, &r, &err), 0);
		if (!r) {
			free(buf);
			continue;
		}
		h = vigil_clip_reader_header(r);
		T_EQ(h->codec.codec, clips[i].codec);
		T_EQ(vigil_pixfmt_frame_size(h->codec.fmt, h->codec.width,
					     h->codec.height, &fsize), 0);
		frame = malloc(fsize);
		while ((ret = vigil_clip_reader_next(r, frame, NULL)) == 0)
			n++;
		T_EQ(ret, 1);
		T_EQ(n, clips[i].frames);
		free(frame);
		vigil_clip_reader_free(r);
		free(buf);
	}
}

static void test_errors(unsigned int codec)
{
	struct vigil_codec_params p;
	struct vigil_encoder *e;
	struct vigil_decoder *d;
	uint8_t frame[32 * 16], out[32 * 16], buf[2048], bad[2048];
	uint64_t seed = 7;
	size_t len, len2;
	bool key;

	vigil_codec_params_default(&p);
	p.codec = codec;
	p.width = 32;
	p.height = 16;
	T_EQ(vigil_codec_params_check(&p), 0);
	p.keyint = 0;
	T_EQ(vigil_encoder_new(&p, &e), -EINVAL);
	p.keyint = 30;
	p.near = VIGIL_CODEC_MAX_NEAR + 1;
	T_EQ(vigil_decoder_new(&p, &d), -EINVAL);
	p.near = 0;
	p.width = 0;
	T_EQ(vigil_codec_params_check(&p), -EINVAL);
	p.width = 32;
	p.level = 99;
	T_EQ(vigil_codec_params_check(&p), -EINVAL);
	p.level = 1;

	T_EQ(vigil_encoder_new(&p, &e), 0);
	T_EQ(vigil_decoder_new(&p, &d), 0);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)t_rand(&seed);
	T_EQ(vigil_encoder_encode(e, frame, buf, 8, &len, &key), -ENOSPC);
	T_EQ(vigil_encoder_encode(e, frame, buf, sizeof(buf), &len, &key), 0);
	T_ASSERT(key);
	/* the inter frame changes one block: the others are skipped */
	frame[3] ^= 0x11;
	T_EQ(vigil_encoder_encode(e, frame, buf + 1024, 1024, &len2, &key), 0);
	T_ASSERT(!key);
	/* the corruption checks below run over the inter frame too */
	/* an inter frame needs its reference */
	T_EQ(vigil_decoder_decode(d, buf + 1024, len2, out), -ENODATA);
	/* every truncation and every single-byte change: error or a frame */
	for (size_t cut = 0; cut < len; cut++)
		T_ASSERT(vigil_decoder_decode(d, buf, cut, out) < 0);
	for (size_t i = 0; i < len; i++) {
		int ret;

		memcpy(bad, buf, len);
		bad[i] ^= 0x5a;
		vigil_decoder_reset(d);
		ret = vigil_decoder_decode(d, bad, len, out);
		T_ASSERT(ret == 0 || ret == -EBADMSG || ret == -ENODATA);
	}
	for (size_t i = 0; i < len2; i++) {
		int ret;

		vigil_decoder_reset(d);
		T_EQ(vigil_decoder_decode(d, buf, len, out), 0);
		memcpy(bad, buf + 1024, len2);
		bad[i] ^= 0x5a;
		ret = vigil_decoder_decode(d, bad, len2, out);
		T_ASSERT(ret == 0 || ret == -EBADMSG);
		T_ASSERT(vigil_decoder_decode(d, buf + 1024, i, out) < 0);
	}
	vigil_decoder_reset(d);
	T_EQ(vigil_decoder_decode(d, buf, len, out), 0);
	T_EQ(vigil_decoder_decode(d, buf + 1024, len2, out), 0);
	T_ASSERT(!memcmp(out, frame, sizeof(frame)));
	/* forced keyframe */
	vigil_encoder_force_key(e);
	T_EQ(vigil_encoder_encode(e, frame, buf, sizeof(buf), &len, &key), 0);
	T_ASSERT(key);
	vigil_decoder_free(d);
	vigil_encoder_free(e);
}

int main(void)
{
	test_formats();
	test_scenes();
	test_replay();
	test_adversarial();
	test_codec_mismatch();
	test_stored_clips();
	test_errors(1);
	test_errors(2);
	return t_done();
}
