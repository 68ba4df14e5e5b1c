// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The clip codec: prediction + context-split residual streams + zstd.
 *
 * Every plane of a frame is predicted pixel by pixel: keyframes with the
 * MED (LOCO-I) predictor over the reconstructed neighbours, other frames
 * with the co-located pixel of the previous reconstructed frame. The
 * residual (modulo 256 when lossless, quantised with step 2N+1 inside the
 * prediction loop when near-lossless, as JPEG-LS's NEAR) is zigzag-mapped
 * to a byte and appended to one of VIGIL_CODEC_CONTEXTS streams chosen
 * from the size of the already-coded residuals left, above, above-left
 * and above-right. Each stream is zstd-coded on its own: quiet regions
 * land in streams of nearly all zeros, busy ones in their own, which is
 * what gains over a single zstd-coded delta stream.
 *
 * Codec 2 (the default) keeps codec 1's keyframes; in its inter frames an
 * 8x8 block whose pixels are all within N of the previous reconstructed
 * frame is skipped (a block map, its own stream), and each plane predicts
 * either from the previous frame alone or from it plus the MED of the
 * already reconstructed neighbours' frame differences, whichever the
 * encoder estimates cheaper (one bit per plane in the frame header).
 *
 * Encoded frame (little-endian, see docs/clip-format.md):
 *   u8 flags (bit 0: keyframe; others 0), u8 contexts (8),
 *   u8 0 (codec 1) or 2 (codec 2), u8 0 (codec 1) or the planes'
 *   predictor bits (codec 2),
 *   contexts (codec 2: contexts + the block map) x
 *   { u32 raw length, u32 stored length },
 *   the streams, each zstd frame or, when stored length == raw length,
 *   the raw bytes.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "libvigil.h"

#define NCTX VIGIL_CODEC_CONTEXTS
#define HDR_SIZE (4 + 8 * NCTX)
#define FLAG_KEY 0x01

/* codec 2: NCTX residual streams plus the block map */
#define BS 8
#define NST2 (NCTX + 1)
#define HDR2_SIZE (4 + 8 * NST2)
#define MARK2 2			/* byte 2 of a codec 2 frame */

struct plane_geom {
	unsigned int n;			/* planes */
	unsigned int w[3], h[3];
	size_t off[3];			/* offset in the planar buffer */
	size_t total;			/* bytes of all planes */
};

struct vigil_encoder {
	struct vigil_codec_params p;
	struct plane_geom g;
	size_t frame_size;
	ZSTD_CCtx *cctx;
	/*
	 * The planes of this frame that the input does not hold as planes:
	 * NV12/NV21's two chroma planes, all three of a packed 4:2:2 frame;
	 * NULL for planar input (GREY, I420, YV12), coded where it lies.
	 */
	uint8_t *src;
	/*
	 * This frame reconstructed, and the previous one. Lossless, the
	 * reconstruction is the source and each row of ref is read before
	 * the same row of rec is written, so rec is ref: one frame, not two.
	 */
	uint8_t *rec;
	uint8_t *ref;
	uint8_t *res;		/* zigzag residuals: two rows (this, above) */
	uint8_t *st[NST2];	/* residuals by context (codec 2: + block map) */
	size_t nblocks;		/* codec 2: blocks of all planes */
	int16_t *dbuf;		/* codec 2: two rows of frame differences */
	uint8_t *kbuf;		/* codec 2: a row of contexts, a row of masks */
	unsigned int since_key;
	bool have_ref;
	bool force_key;
};

struct vigil_decoder {
	struct vigil_codec_params p;
	struct plane_geom g;
	size_t frame_size;
	ZSTD_DCtx *dctx;
	uint8_t *rec;
	uint8_t *ref;
	uint8_t *res;
	uint8_t *streams;
	size_t nblocks;		/* codec 2: blocks of all planes */
	bool have_ref;
};

/* Context from the sum of neighbouring zigzag residuals (0..765). */
static uint8_t ctx_map[766];
static pthread_once_t ctx_map_once = PTHREAD_ONCE_INIT;

/* Near-lossless quantisation of e in -255..255 for each N, by (N, e+255). */
static int8_t qtab[VIGIL_CODEC_MAX_NEAR + 1][511];

static void ctx_map_fill(void)
{
	for (int n = 1; n <= VIGIL_CODEC_MAX_NEAR; n++) {
		for (int e = -255; e <= 255; e++)
			qtab[n][e + 255] = (int8_t)(e >= 0 ? (e + n) / (2 * n + 1) :
						    -((n - e) / (2 * n + 1)));
	}

	static const unsigned int top[NCTX - 1] = { 0, 2, 4, 8, 16, 32, 64 };

	for (unsigned int a = 0; a < 766; a++) {
		unsigned int c = 0;

		while (c < NCTX - 1 && a > top[c])
			c++;
		ctx_map[a] = (uint8_t)c;
	}
}

static void ctx_map_init(void)
{
	pthread_once(&ctx_map_once, ctx_map_fill);
}

static inline unsigned int ctx_of(const uint8_t *r, const uint8_t *up,
				  unsigned int x, unsigned int w)
{
	const unsigned int u = up[x];
	const unsigned int l = x ? r[x - 1] : u;
	const unsigned int ul = x ? up[x - 1] : u;
	const unsigned int ur = x + 1 < w ? up[x + 1] : u;

	return ctx_map[l + u + ((ul + ur) >> 1)];
}

static inline unsigned int med(const uint8_t *rec, const uint8_t *uprec,
			       unsigned int x, unsigned int y)
{
	unsigned int a, b, c, mx, mn;

	if (!y)
		return x ? rec[x - 1] : 128;
	b = uprec[x];
	if (!x)
		return b;
	a = rec[x - 1];
	c = uprec[x - 1];
	mx = a > b ? a : b;
	mn = a > b ? b : a;
	if (c >= mx)
		return mn;
	if (c <= mn)
		return mx;
	return a + b - c;
}

static inline uint8_t zig(int s)
{
	return (uint8_t)((unsigned int)s << 1 ^ (unsigned int)(s >> 31));
}

static inline int unzig(unsigned int z)
{
	return (int)(z >> 1) ^ -(int)(z & 1);
}

static int geom(const struct vigil_codec_params *p, struct plane_geom *g)
{
	const unsigned int cw = (p->width + 1) / 2, ch = (p->height + 1) / 2;

	g->w[0] = p->width;
	g->h[0] = p->height;
	switch (p->fmt) {
	case VIGIL_FMT_GREY:
		g->n = 1;
		break;
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
	case VIGIL_FMT_I420:
	case VIGIL_FMT_YV12:
		g->n = 3;
		g->w[1] = g->w[2] = cw;
		g->h[1] = g->h[2] = ch;
		break;
	case VIGIL_FMT_YUYV:
	case VIGIL_FMT_UYVY:
		if (p->width & 1)
			return -EINVAL;
		g->n = 3;
		g->w[1] = g->w[2] = p->width / 2;
		g->h[1] = g->h[2] = p->height;
		break;
	default:
		return -EINVAL;
	}
	g->total = 0;
	for (unsigned int i = 0; i < g->n; i++) {
		g->off[i] = g->total;
		g->total += (size_t)g->w[i] * g->h[i];
	}
	return 0;
}

static size_t blocks_of(const struct plane_geom *g)
{
	size_t n = 0;

	for (unsigned int i = 0; i < g->n; i++)
		n += (size_t)((g->w[i] + BS - 1) / BS) * ((g->h[i] + BS - 1) / BS);
	return n;
}

static unsigned int codec_id(const struct vigil_codec_params *p)
{
	return p->codec ? p->codec : VIGIL_CODEC_DEFAULT;
}

void vigil_codec_params_default(struct vigil_codec_params *p)
{
	memset(p, 0, sizeof(*p));
	p->fmt = VIGIL_FMT_GREY;
	p->keyint = 30;
	p->level = 1;
	p->codec = VIGIL_CODEC_DEFAULT;
}

int vigil_codec_params_check(const struct vigil_codec_params *p)
{
	struct plane_geom g;
	size_t size;

	if (vigil_pixfmt_frame_size(p->fmt, p->width, p->height, &size))
		return -EINVAL;
	if (p->near > VIGIL_CODEC_MAX_NEAR)
		return -EINVAL;
	if (!p->keyint || p->keyint > VIGIL_CODEC_MAX_KEYINT)
		return -EINVAL;
	if (p->level < -7 || p->level > 19)
		return -EINVAL;
	if (p->codec > VIGIL_CODEC_MAX)
		return -EINVAL;
	return geom(p, &g);
}

/* Formats whose frame is already the planes, in to_planar()'s layout. */
static bool planar_input(enum vigil_pixfmt fmt)
{
	return fmt == VIGIL_FMT_GREY || fmt == VIGIL_FMT_I420 || fmt == VIGIL_FMT_YV12;
}

/*
 * The planes of @f: where they lie for planar input and NV12/NV21's luma,
 * else deinterleaved into @buf (laid out as the planes after the luma for
 * NV12/NV21, as all the planes for packed 4:2:2).
 */
static void planes_of(const struct vigil_codec_params *p,
		      const struct plane_geom *g, const uint8_t *f, uint8_t *buf,
		      const uint8_t **pl)
{
	const size_t luma = (size_t)p->width * p->height;
	const size_t nc = (size_t)g->w[1] * g->h[1];
	uint8_t *u, *v;

	if (planar_input(p->fmt)) {
		for (unsigned int i = 0; i < g->n; i++)
			pl[i] = f + g->off[i];
		return;
	}
	if (p->fmt == VIGIL_FMT_NV12 || p->fmt == VIGIL_FMT_NV21) {
		u = buf;
		v = buf + nc;
		for (size_t i = 0; i < nc; i++) {
			u[i] = f[luma + 2 * i];
			v[i] = f[luma + 2 * i + 1];
		}
		pl[0] = f;
		pl[1] = u;
		pl[2] = v;
		return;
	}
	u = buf + g->off[1];
	v = buf + g->off[2];
	if (p->fmt == VIGIL_FMT_YUYV) {
		for (size_t i = 0; i < luma / 2; i++) {
			buf[2 * i] = f[4 * i];
			u[i] = f[4 * i + 1];
			buf[2 * i + 1] = f[4 * i + 2];
			v[i] = f[4 * i + 3];
		}
	} else {	/* UYVY */
		for (size_t i = 0; i < luma / 2; i++) {
			u[i] = f[4 * i];
			buf[2 * i] = f[4 * i + 1];
			v[i] = f[4 * i + 2];
			buf[2 * i + 1] = f[4 * i + 3];
		}
	}
	for (unsigned int i = 0; i < g->n; i++)
		pl[i] = buf + g->off[i];
}

static void from_planar(const struct vigil_codec_params *p,
			const struct plane_geom *g, const uint8_t *src,
			uint8_t *f)
{
	const size_t luma = (size_t)p->width * p->height;
	const uint8_t *u = src + g->off[1], *v = src + g->off[2];
	const size_t nc = (size_t)g->w[1] * g->h[1];

	switch (p->fmt) {
	case VIGIL_FMT_GREY:
	case VIGIL_FMT_I420:
	case VIGIL_FMT_YV12:
		memcpy(f, src, g->total);
		break;
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
		memcpy(f, src, luma);
		for (size_t i = 0; i < nc; i++) {
			f[luma + 2 * i] = u[i];
			f[luma + 2 * i + 1] = v[i];
		}
		break;
	case VIGIL_FMT_YUYV:
		for (size_t i = 0; i < luma / 2; i++) {
			f[4 * i] = src[2 * i];
			f[4 * i + 1] = u[i];
			f[4 * i + 2] = src[2 * i + 1];
			f[4 * i + 3] = v[i];
		}
		break;
	case VIGIL_FMT_UYVY:
		for (size_t i = 0; i < luma / 2; i++) {
			f[4 * i] = u[i];
			f[4 * i + 1] = src[2 * i];
			f[4 * i + 2] = v[i];
			f[4 * i + 3] = src[2 * i + 1];
		}
		break;
	}
}

static void put_le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

int vigil_encoder_new(const struct vigil_codec_params *p,
		      struct vigil_encoder **out)
{
	struct vigil_encoder *e;
	size_t t;
	int ret;

	ret = vigil_codec_params_check(p);
	if (ret)
		return ret;
	ctx_map_init();
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = *p;
	if (!e->p.level)
		e->p.level = 1;
	e->p.codec = codec_id(p);
	geom(p, &e->g);
	e->nblocks = blocks_of(&e->g);
	vigil_pixfmt_frame_size(p->fmt, p->width, p->height, &e->frame_size);
	t = e->g.total;
	if (!planar_input(p->fmt)) {
		const bool semi = p->fmt == VIGIL_FMT_NV12 || p->fmt == VIGIL_FMT_NV21;

		e->src = malloc(semi ? t - e->g.off[1] : t);
		if (!e->src)
			goto err;
	}
	e->ref = malloc(t);
	e->rec = e->p.near ? malloc(t) : e->ref;
	e->res = malloc(2 * (size_t)e->g.w[0]);
	e->cctx = ZSTD_createCCtx();
	if (!e->rec || !e->ref || !e->res || !e->cctx)
		goto err;
	for (unsigned int c = 0; c < NCTX; c++) {
		e->st[c] = malloc(t);
		if (!e->st[c])
			goto err;
	}
	if (e->p.codec == 2) {
		e->st[NCTX] = malloc(e->nblocks);
		e->dbuf = malloc(2 * ((size_t)e->g.w[0] + 1) * sizeof(*e->dbuf));
		e->kbuf = malloc(2 * (size_t)e->g.w[0]);
		if (!e->st[NCTX] || !e->dbuf || !e->kbuf)
			goto err;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel,
						e->p.level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_contentSizeFlag, 1)))
		goto err;
	/*
	 * codec 2 at the default level: the residual streams are nearly all
	 * literals and runs of zeros, so the match finder is cut down to
	 * what finds those (a 64-entry hash, matches of 7 bytes or more):
	 * faster, and fewer short matches spoil the literals' coding.
	 */
	if (e->p.codec == 2 && e->p.level == 1 &&
	    (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_hashLog, 6)) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_minMatch, 7))))
		goto err;
	*out = e;
	return 0;
err:
	vigil_encoder_free(e);
	return -ENOMEM;
}

void vigil_encoder_free(struct vigil_encoder *e)
{
	if (!e)
		return;
	ZSTD_freeCCtx(e->cctx);
	free(e->kbuf);
	free(e->dbuf);
	for (unsigned int c = 0; c < NST2; c++)
		free(e->st[c]);
	free(e->res);
	if (e->rec != e->ref)
		free(e->rec);
	free(e->ref);
	free(e->src);
	free(e);
}

size_t vigil_encoder_bound(const struct vigil_encoder *e)
{
	if (e->p.codec == 2)
		return HDR2_SIZE + e->g.total + e->nblocks;
	return HDR_SIZE + e->g.total;
}

void vigil_encoder_force_key(struct vigil_encoder *e)
{
	e->force_key = true;
}

/*
 * Predict, quantise and classify one plane, appending each residual to the
 * stream of its context. Lossless: residual modulo 256. Near-lossless:
 * q = round(e / (2N+1)) towards the nearest multiple, reconstruction
 * clamped. Inlined per (key, near != 0) so the pixel loop has no branch on
 * either.
 */
static inline __attribute__((always_inline)) void
encode_plane_t(const uint8_t *restrict src, uint8_t *rec,
	       const uint8_t *ref, uint8_t *restrict res,
	       unsigned int w, unsigned int h, const bool key,
	       const bool nearmode, unsigned int near, uint8_t *const *st,
	       size_t *cnt)
{
	static const uint8_t zero_row[16384];
	const int step = 2 * (int)near + 1;

	for (unsigned int y = 0; y < h; y++) {
		const size_t o = (size_t)y * w;
		const uint8_t *s = src + o, *pr = ref + o;
		uint8_t *r = rec + o, *z = res + (size_t)(y & 1) * w;
		const uint8_t *up = y ? res + (size_t)(~y & 1) * w : zero_row;
		const uint8_t *uprec = y ? r - w : zero_row;

		if (!key) {
			/* residuals first (vectorisable), then contexts */
			for (unsigned int x = 0; x < w; x++) {
				if (!nearmode) {
					const uint8_t dd = (uint8_t)(s[x] - pr[x]);

					z[x] = (uint8_t)((uint8_t)(dd << 1) ^
							 (uint8_t)((int8_t)dd >> 7));
				} else {
					const int e = qtab[near][(int)s[x] - pr[x] + 255];
					const int v = pr[x] + e * step;

					r[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
					z[x] = zig(e);
				}
			}
			if (!nearmode)
				memcpy(r, s, w);
			{
				uint8_t *wp[NCTX];
				unsigned int k = ctx_of(z, up, 0, w);

				for (unsigned int c = 0; c < NCTX; c++)
					wp[c] = st[c] + cnt[c];
				*wp[k]++ = z[0];
				for (unsigned int x = 1; x + 1 < w; x++) {
					k = ctx_map[z[x - 1] + up[x] +
						    ((up[x - 1] + up[x + 1]) >> 1)];
					*wp[k]++ = z[x];
				}
				if (w > 1) {
					k = ctx_of(z, up, w - 1, w);
					*wp[k]++ = z[w - 1];
				}
				for (unsigned int c = 0; c < NCTX; c++)
					cnt[c] = (size_t)(wp[c] - st[c]);
			}
			continue;
		}
		for (unsigned int x = 0; x < w; x++) {
			const int pred = key ? (int)med(r, uprec, x, y) : pr[x];
			const unsigned int k = x && x + 1 < w ?
				ctx_map[z[x - 1] + up[x] + ((up[x - 1] + up[x + 1]) >> 1)] :
				ctx_of(z, up, x, w);
			int e = (int)s[x] - pred;

			if (!nearmode) {
				e = (int8_t)(uint8_t)e;
				r[x] = s[x];
			} else {
				int v;

				e = e >= 0 ? (e + (int)near) / step :
					     -(((int)near - e) / step);
				v = pred + e * step;
				r[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
			z[x] = zig(e);
			st[k][cnt[k]++] = z[x];
		}
	}
}

static void encode_plane(const uint8_t *src, uint8_t *rec, const uint8_t *ref,
			 uint8_t *res, unsigned int w, unsigned int h, bool key,
			 unsigned int near, uint8_t *const *st, size_t *cnt)
{
	if (key && near)
		encode_plane_t(src, rec, ref, res, w, h, true, true, near, st, cnt);
	else if (key)
		encode_plane_t(src, rec, ref, res, w, h, true, false, 0, st, cnt);
	else if (near)
		encode_plane_t(src, rec, ref, res, w, h, false, true, near, st, cnt);
	else
		encode_plane_t(src, rec, ref, res, w, h, false, false, 0, st, cnt);
}

/*
 * Codec 2, inter frames. A block (BS x BS, cut at the plane's edges) whose
 * every pixel is within N (lossless: equal) of the previous reconstructed
 * frame is skipped: its map byte is 0 and it reconstructs as the previous
 * frame. The pixels of the other blocks are predicted from the previous
 * frame plus the MED of the frame difference of the reconstructed left,
 * above and above-left neighbours (0 outside the plane), clamped to 0..255.
 */
static inline int clamp255(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

static inline int med_i(int a, int b, int c)
{
	const int mx = a > b ? a : b, mn = a > b ? b : a;

	if (c >= mx)
		return mn;
	if (c <= mn)
		return mx;
	return a + b - c;
}

/* One block row's map bytes: 1 where a block has a pixel off by more than near. */
static void block_map(const uint8_t *src, const uint8_t *ref, unsigned int w,
		      unsigned int rows, unsigned int near, uint8_t *m)
{
	const unsigned int bw = (w + BS - 1) / BS;

	memset(m, 0, bw);
	for (unsigned int y = 0; y < rows; y++) {
		const uint8_t *s = src + (size_t)y * w, *r = ref + (size_t)y * w;

		for (unsigned int bx = 0; bx < bw; bx++) {
			const unsigned int x0 = bx * BS, x1 = x0 + BS < w ? x0 + BS : w;
			unsigned int big = 0;

			if (m[bx])
				continue;
			for (unsigned int x = x0; x < x1; x++) {
				const int d = (int)s[x] - r[x];

				big |= (unsigned int)(d > (int)near || d < -(int)near);
			}
			m[bx] = (uint8_t)big;
		}
	}
}

static inline __attribute__((always_inline)) void
encode_plane2_t(const uint8_t *restrict src, uint8_t *restrict rec,
		const uint8_t *restrict ref, uint8_t *restrict res,
		unsigned int w, unsigned int h, const bool nearmode,
		unsigned int near, const bool usemed, uint8_t *map,
		uint8_t *const *st, size_t *cnt)
{
	static const uint8_t zero_row[16384];
	const unsigned int bw = (w + BS - 1) / BS;
	const int step = 2 * (int)near + 1;
	/* lossless: the reconstruction is the source */
	const uint8_t *cur = nearmode ? rec : src;

	for (unsigned int by = 0; by * BS < h; by++)
		block_map(src + (size_t)by * BS * w, ref + (size_t)by * BS * w, w,
			  h - by * BS < BS ? h - by * BS : BS, near, map + (size_t)by * bw);
	for (unsigned int y = 0; y < h; y++) {
		const size_t o = (size_t)y * w;
		const uint8_t *s = src + o, *pr = ref + o, *m = map + (size_t)(y / BS) * bw;
		const uint8_t *c = cur + o, *cu = y ? c - w : c, *pu = y ? pr - w : pr;
		uint8_t *r = rec + o, *z = res + (size_t)(y & 1) * w;
		const uint8_t *up = y ? res + (size_t)(~y & 1) * w : zero_row;

		for (unsigned int bx = 0; bx < bw; bx++) {
			const unsigned int x0 = bx * BS, x1 = x0 + BS < w ? x0 + BS : w;

			if (!m[bx]) {
				memset(z + x0, 0, x1 - x0);
				if (nearmode)
					memcpy(r + x0, pr + x0, x1 - x0);
				continue;
			}
			for (unsigned int x = x0; x < x1; x++) {
				const int a = x ? (int)c[x - 1] - pr[x - 1] : 0;
				const int b = y ? (int)cu[x] - pu[x] : 0;
				const int cc = x && y ? (int)cu[x - 1] - pu[x - 1] : 0;
				const int pred = usemed ? clamp255(pr[x] + med_i(a, b, cc)) : pr[x];
				const unsigned int k = ctx_of(z, up, x, w);
				int e = (int)s[x] - pred;

				if (!nearmode) {
					e = (int8_t)(uint8_t)e;
				} else {
					e = qtab[near][e + 255];
					r[x] = (uint8_t)clamp255(pred + e * step);
				}
				z[x] = zig(e);
				st[k][cnt[k]++] = z[x];
			}
		}
	}
	if (!nearmode)
		memcpy(rec, src, (size_t)w * h);
}


/* The lossless inter prediction of one pixel from the frame differences. */
static inline __attribute__((always_inline)) uint8_t
pred2_zig(int16_t a, int16_t b, int16_t c, uint8_t ref, uint8_t src, bool usemed)
{
	const int16_t mn = a < b ? a : b, mx = a < b ? b : a;
	int16_t g = (int16_t)(a + b - c), pred;
	uint8_t dd;

	g = g < mn ? mn : g > mx ? mx : g;
	if (!usemed)
		g = 0;
	pred = (int16_t)(ref + g);
	pred = pred < 0 ? 0 : pred > 255 ? 255 : pred;
	dd = (uint8_t)(src - pred);
	return (uint8_t)((uint8_t)(dd << 1) ^ (uint8_t)((int8_t)dd >> 7));
}

/*
 * The same for lossless, faster: the reconstruction is the source, so the
 * block map is a compare of 8-byte words and every frame difference,
 * residual and context of a row is known up front: each is one vectorised
 * pass over the row (skipped blocks' residuals zeroed before the contexts),
 * and only the coded blocks' residuals are then appended to the streams.
 */
static inline __attribute__((always_inline)) void
encode_plane2_lossless_t(const uint8_t *restrict src, uint8_t *rec,
			 const uint8_t *ref, uint8_t *restrict res,
			 unsigned int w, unsigned int h, const bool usemed,
			 uint8_t *map, int16_t *restrict dbuf,
			 uint8_t *restrict kbuf, uint8_t *const *st, size_t *cnt)
{
	static const uint8_t zero_row[16384];
	const unsigned int bw = (w + BS - 1) / BS;
	int16_t *dc = dbuf, *du = dbuf + w + 1, *dt;
	uint8_t *restrict mk = kbuf + w;	/* kbuf holds 2 rows */
	uint8_t *wp[NCTX];

	for (unsigned int c = 0; c < NCTX; c++)
		wp[c] = st[c] + cnt[c];
	/* block map: 8-byte compares */
	memset(map, 0, (size_t)bw * ((h + BS - 1) / BS));
	for (unsigned int y = 0; y < h; y++) {
		const uint8_t *s = src + (size_t)y * w, *r = ref + (size_t)y * w;
		uint8_t *m = map + (size_t)(y / BS) * bw;
		unsigned int bx = 0;

		for (; (bx + 1) * BS <= w; bx++) {
			uint64_t a, b;

			memcpy(&a, s + bx * BS, 8);
			memcpy(&b, r + bx * BS, 8);
			m[bx] |= a != b;
		}
		if (bx < bw)
			m[bx] |= memcmp(s + bx * BS, r + bx * BS, w - bx * BS) != 0;
	}
	memset(du, 0, (w + 1) * sizeof(*du));
	for (unsigned int y = 0; y < h; y++) {
		const size_t o = (size_t)y * w;
		const uint8_t *s = src + o, *pr = ref + o, *m = map + (size_t)(y / BS) * bw;
		uint8_t *z = res + (size_t)(y & 1) * w;
		const uint8_t *up = y ? res + (size_t)(~y & 1) * w : zero_row;

		/* dc[x + 1]: this row's difference; dc[0] = du[0] = 0 */
		dc[0] = 0;
		for (unsigned int x = 0; x < w; x++)
			dc[x + 1] = (int16_t)((int)s[x] - pr[x]);
		/* skipped blocks' residuals are 0: a byte mask per block row */
		if (!(y % BS)) {
			for (unsigned int bx = 0; bx < bw; bx++) {
				const unsigned int x0 = bx * BS;

				memset(mk + x0, m[bx] ? 0xff : 0, x0 + BS < w ? BS : w - x0);
			}
		}
		for (unsigned int x = 0; x < w; x++)
			z[x] = pred2_zig(dc[x], du[x + 1], du[x], pr[x], s[x], usemed) & mk[x];
		memcpy(rec + o, s, w);
		/*
		 * Contexts in bytes: each term capped at 65 leaves every
		 * threshold's outcome unchanged (any term over 64 puts the sum
		 * over 64 either way), and floor((ul + ur) / 2) is taken
		 * without overflow.
		 */
		for (unsigned int x = 1; x + 1 < w; x++) {
			const uint8_t ul = up[x - 1], ur = up[x + 1];
			uint8_t l = z[x - 1], u = up[x];
			uint8_t m2 = (uint8_t)((ul >> 1) + (ur >> 1) + (ul & ur & 1)), a;

			l = l < 65 ? l : 65;
			u = u < 65 ? u : 65;
			m2 = m2 < 65 ? m2 : 65;
			a = (uint8_t)(l + u + m2);
			kbuf[x] = (uint8_t)((a > 0) + (a > 2) + (a > 4) + (a > 8) +
					    (a > 16) + (a > 32) + (a > 64));
		}
		kbuf[0] = (uint8_t)ctx_of(z, up, 0, w);
		if (w > 1)
			kbuf[w - 1] = (uint8_t)ctx_of(z, up, w - 1, w);
		for (unsigned int bx = 0; bx < bw; bx++) {
			const unsigned int x0 = bx * BS, x1 = x0 + BS < w ? x0 + BS : w;

			if (!m[bx])
				continue;
			for (unsigned int x = x0; x < x1; x++)
				*wp[kbuf[x]]++ = z[x];
		}
		dt = dc;
		dc = du;
		du = dt;
	}
	for (unsigned int c = 0; c < NCTX; c++)
		cnt[c] = (size_t)(wp[c] - st[c]);
}

static void encode_plane2_lossless(const uint8_t *src, uint8_t *rec,
				   const uint8_t *ref, uint8_t *res, unsigned int w,
				   unsigned int h, bool usemed, uint8_t *map,
				   int16_t *dbuf, uint8_t *kbuf, uint8_t *const *st,
				   size_t *cnt)
{
	if (usemed)
		encode_plane2_lossless_t(src, rec, ref, res, w, h, true, map, dbuf,
					 kbuf, st, cnt);
	else
		encode_plane2_lossless_t(src, rec, ref, res, w, h, false, map, dbuf,
					 kbuf, st, cnt);
}

static void encode_plane2(const uint8_t *src, uint8_t *rec, const uint8_t *ref,
			  uint8_t *res, unsigned int w, unsigned int h,
			  unsigned int near, bool usemed, uint8_t *map,
			  uint8_t *const *st, size_t *cnt)
{
	if (usemed)
		encode_plane2_t(src, rec, ref, res, w, h, true, near, true, map, st, cnt);
	else
		encode_plane2_t(src, rec, ref, res, w, h, true, near, false, map, st, cnt);
}

/*
 * Does the MED of the frame differences predict this plane better than the
 * previous frame alone? Bit lengths of the residuals over every eighth row of
 * the source: on static scenes with correlated change (compression
 * artefacts, moving edges) the MED wins; on independent per-frame noise it
 * adds noise and plain differences win.
 */
static inline __attribute__((always_inline)) bool
choose_med_t(const uint8_t *src, const uint8_t *ref, unsigned int w,
	     unsigned int h, const bool nearmode, unsigned int near)
{
	/* near-lossless: the residuals as quantised, (|e| + N) / (2N + 1) */
	const uint32_t inv = 65536 / (2 * near + 1) + 1, nq = near;
	uint64_t plain = 0, med = 0;

	for (unsigned int y = 1; y < h; y += 8) {
		const uint8_t *s = src + (size_t)y * w, *r = ref + (size_t)y * w;
		const uint8_t *su = s - w, *ru = r - w;
		uint32_t sp = 0, sm = 0;

		for (unsigned int x = 1; x < w; x++) {
			const int16_t d = (int16_t)(s[x] - r[x]);
			const int16_t a = (int16_t)(s[x - 1] - r[x - 1]);
			const int16_t b = (int16_t)(su[x] - ru[x]);
			const int16_t c = (int16_t)(su[x - 1] - ru[x - 1]);
			const int16_t mn = a < b ? a : b, mx = a < b ? b : a;
			const int16_t g = (int16_t)(a + b - c);
			const int16_t e = (int16_t)(d - (g < mn ? mn : g > mx ? mx : g));
			const int16_t ad0 = d < 0 ? (int16_t)-d : d;
			const int16_t ae0 = e < 0 ? (int16_t)-e : e;
			const int16_t ad = nearmode ?
				(int16_t)(((uint32_t)ad0 + nq) * inv >> 16) : ad0;
			const int16_t ae = nearmode ?
				(int16_t)(((uint32_t)ae0 + nq) * inv >> 16) : ae0;

			/* bit length of the residual (up to 6): its rough coding cost */
			sp += (uint32_t)((ad > 0) + (ad > 1) + (ad > 3) + (ad > 7) + (ad > 15) + (ad > 31));
			sm += (uint32_t)((ae > 0) + (ae > 1) + (ae > 3) + (ae > 7) + (ae > 15) + (ae > 31));
		}
		plain += sp;
		med += sm;
	}
	return med < plain;
}

static bool choose_med(const uint8_t *src, const uint8_t *ref, unsigned int w,
		       unsigned int h, unsigned int near)
{
	if (near)
		return choose_med_t(src, ref, w, h, true, near);
	return choose_med_t(src, ref, w, h, false, 0);
}

/* zstd-code (or store) @nst streams after the header at @d; *out grows. */
static int pack_streams(struct vigil_encoder *e, uint8_t *d, size_t cap,
			unsigned int nst, const size_t *cnt, size_t *out)
{
	for (unsigned int c = 0; c < nst; c++) {
		const uint8_t *s = e->st[c];
		size_t n = 0;

		if (cnt[c]) {
			n = ZSTD_compress2(e->cctx, d + *out, cap - *out, s, cnt[c]);
			if (ZSTD_isError(n) || n >= cnt[c]) {
				/* incompressible, or no room for zstd: raw */
				if (cap - *out < cnt[c])
					return -ENOSPC;
				memcpy(d + *out, s, cnt[c]);
				n = cnt[c];
			}
		}
		put_le32(d + 4 + 8 * c, (uint32_t)cnt[c]);
		put_le32(d + 8 + 8 * c, (uint32_t)n);
		*out += n;
	}
	return 0;
}

int vigil_encoder_encode(struct vigil_encoder *e, const uint8_t *frame,
			 void *dst, size_t cap, size_t *len, bool *key)
{
	const bool k = !e->have_ref || e->force_key || e->since_key >= e->p.keyint;
	const bool c2 = e->p.codec == 2;
	const size_t hdr = c2 ? HDR2_SIZE : HDR_SIZE;
	size_t cnt[NST2] = { 0 }, out = hdr, acc = 0, nmap = 0;
	uint8_t *d = dst, *tmp, pmode = 0;
	const uint8_t *pl[3];
	int ret;

	if (cap < hdr)
		return -ENOSPC;
	planes_of(&e->p, &e->g, frame, e->src, pl);
	for (unsigned int i = 0; i < e->g.n; i++) {
		const size_t o = e->g.off[i];
		const uint8_t *src = pl[i];
		const bool usemed = c2 && !k &&
			choose_med(src, e->ref + o, e->g.w[i], e->g.h[i], e->p.near);

		pmode |= (uint8_t)(usemed << i);
		if (c2 && !k && !e->p.near) {
			encode_plane2_lossless(src, e->rec + o, e->ref + o, e->res,
					       e->g.w[i], e->g.h[i], usemed,
					       e->st[NCTX] + nmap, e->dbuf, e->kbuf,
					       e->st, cnt);
			nmap += (size_t)((e->g.w[i] + BS - 1) / BS) *
				((e->g.h[i] + BS - 1) / BS);
		} else if (c2 && !k) {
			encode_plane2(src, e->rec + o, e->ref + o, e->res,
				      e->g.w[i], e->g.h[i], e->p.near, usemed,
				      e->st[NCTX] + nmap, e->st, cnt);
			nmap += (size_t)((e->g.w[i] + BS - 1) / BS) *
				((e->g.h[i] + BS - 1) / BS);
		} else {
			encode_plane(src, e->rec + o, e->ref + o, e->res,
				     e->g.w[i], e->g.h[i], k, e->p.near, e->st, cnt);
		}
	}
	for (unsigned int c = 0; c < NCTX; c++)
		acc += cnt[c];
	cnt[NCTX] = nmap;
	d[0] = k ? FLAG_KEY : 0;
	d[1] = NCTX;
	d[2] = c2 ? MARK2 : 0;
	d[3] = pmode;
	ret = pack_streams(e, d, cap, c2 ? NST2 : NCTX, cnt, &out);
	if (ret) {
		/* lossless, ref holds this frame now: the next must be a key */
		if (e->rec == e->ref)
			e->have_ref = false;
		return ret;
	}
	assert(acc <= e->g.total);
	tmp = e->ref;
	e->ref = e->rec;
	e->rec = tmp;
	e->have_ref = true;
	e->force_key = false;
	e->since_key = k ? 1 : e->since_key + 1;
	*len = out;
	if (key)
		*key = k;
	return 0;
}

int vigil_decoder_new(const struct vigil_codec_params *p,
		      struct vigil_decoder **out)
{
	struct vigil_decoder *d;
	size_t t;
	int ret;

	ret = vigil_codec_params_check(p);
	if (ret)
		return ret;
	ctx_map_init();
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->p = *p;
	d->p.codec = codec_id(p);
	geom(p, &d->g);
	d->nblocks = blocks_of(&d->g);
	vigil_pixfmt_frame_size(p->fmt, p->width, p->height, &d->frame_size);
	t = d->g.total;
	d->rec = malloc(t);
	d->ref = malloc(t);
	d->res = malloc(t);
	d->streams = malloc(t + d->nblocks);
	d->dctx = ZSTD_createDCtx();
	if (!d->rec || !d->ref || !d->res || !d->streams || !d->dctx) {
		vigil_decoder_free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void vigil_decoder_free(struct vigil_decoder *d)
{
	if (!d)
		return;
	ZSTD_freeDCtx(d->dctx);
	free(d->streams);
	free(d->res);
	free(d->ref);
	free(d->rec);
	free(d);
}

void vigil_decoder_reset(struct vigil_decoder *d)
{
	d->have_ref = false;
}

int vigil_codec_frame_is_key(const void *src, size_t len)
{
	const uint8_t *s = src;

	if (len < HDR_SIZE || (s[0] & ~FLAG_KEY) || s[1] != NCTX ||
	    (s[2] && s[2] != MARK2) || (s[3] && s[2] != MARK2) || s[3] > 7 ||
	    (s[3] && (s[0] & FLAG_KEY)) || (s[2] == MARK2 && len < HDR2_SIZE))
		return -EBADMSG;
	return s[0] & FLAG_KEY;
}

static int decode_plane(uint8_t *restrict rec, const uint8_t *restrict ref,
			uint8_t *restrict res, unsigned int w, unsigned int h,
			bool key, unsigned int near,
			const uint8_t *const *st, size_t *pos, const size_t *end)
{
	static const uint8_t zero_row[16384];
	const int step = 2 * (int)near + 1;

	for (unsigned int y = 0; y < h; y++) {
		const size_t o = (size_t)y * w;
		const uint8_t *pr = ref + o;
		uint8_t *r = rec + o, *z = res + o;
		const uint8_t *up = y ? z - w : zero_row;
		const uint8_t *uprec = y ? r - w : zero_row;

		for (unsigned int x = 0; x < w; x++) {
			const int pred = key ? (int)med(r, uprec, x, y) : pr[x];
			const unsigned int k = ctx_of(z, up, x, w);
			int e;

			if (pos[k] >= end[k])
				return -EBADMSG;
			z[x] = st[0][pos[k]++];
			e = unzig(z[x]);
			if (!near) {
				r[x] = (uint8_t)(pred + e);
			} else {
				const int v = pred + e * step;

				r[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
	return 0;
}

static int decode_plane2(uint8_t *restrict rec, const uint8_t *restrict ref,
			 uint8_t *restrict res, unsigned int w, unsigned int h,
			 unsigned int near, bool usemed, const uint8_t *map,
			 const uint8_t *st, size_t *pos, const size_t *end)
{
	static const uint8_t zero_row[16384];
	const unsigned int bw = (w + BS - 1) / BS;
	const int step = 2 * (int)near + 1;

	for (unsigned int y = 0; y < h; y++) {
		const size_t o = (size_t)y * w;
		const uint8_t *pr = ref + o, *m = map + (size_t)(y / BS) * bw;
		uint8_t *r = rec + o, *z = res + o;
		const uint8_t *ru = y ? r - w : r, *pu = y ? pr - w : pr;
		const uint8_t *up = y ? z - w : zero_row;

		for (unsigned int bx = 0; bx < bw; bx++) {
			const unsigned int x0 = bx * BS, x1 = x0 + BS < w ? x0 + BS : w;

			if (!m[bx]) {
				memset(z + x0, 0, x1 - x0);
				memcpy(r + x0, pr + x0, x1 - x0);
				continue;
			}
			for (unsigned int x = x0; x < x1; x++) {
				const int a = x ? (int)r[x - 1] - pr[x - 1] : 0;
				const int b = y ? (int)ru[x] - pu[x] : 0;
				const int cc = x && y ? (int)ru[x - 1] - pu[x - 1] : 0;
				const int pred = usemed ? clamp255(pr[x] + med_i(a, b, cc)) : pr[x];
				const unsigned int k = ctx_of(z, up, x, w);
				int e;

				if (pos[k] >= end[k])
					return -EBADMSG;
				z[x] = st[pos[k]++];
				e = unzig(z[x]);
				if (!near)
					r[x] = (uint8_t)(pred + e);
				else
					r[x] = (uint8_t)clamp255(pred + e * step);
			}
		}
	}
	return 0;
}

int vigil_decoder_decode(struct vigil_decoder *d, const void *src, size_t len,
			 uint8_t *frame)
{
	const uint8_t *s = src;
	const bool c2 = d->p.codec == 2;
	const unsigned int nst = c2 ? NST2 : NCTX;
	const size_t hdr = c2 ? HDR2_SIZE : HDR_SIZE;
	size_t raw[NST2], stored[NST2], pos[NST2], end[NST2];
	size_t in = hdr, acc = 0, nmap = 0;
	const uint8_t *st[1] = { d->streams };
	uint8_t *tmp;
	int key, ret;

	key = vigil_codec_frame_is_key(src, len);
	if (key < 0)
		return key;
	if ((s[2] == MARK2) != c2 || s[3] >> d->g.n)
		return -EBADMSG;
	if (!key && !d->have_ref)
		return -ENODATA;
	for (unsigned int c = 0; c < nst; c++) {
		raw[c] = get_le32(s + 4 + 8 * c);
		stored[c] = get_le32(s + 8 + 8 * c);
		if (raw[c] > d->g.total + d->nblocks - acc || stored[c] > len - in ||
		    (raw[c] && !stored[c]) || stored[c] > raw[c])
			return -EBADMSG;
		acc += raw[c];
		in += stored[c];
	}
	if (in != len)
		return -EBADMSG;
	if (!c2 && acc != d->g.total)
		return -EBADMSG;
	/* codec 2: keyframes code every pixel and have no map */
	if (c2 && (key ? raw[NCTX] != 0 || acc != d->g.total :
		   raw[NCTX] != d->nblocks || acc - d->nblocks > d->g.total))
		return -EBADMSG;
	in = hdr;
	acc = 0;
	for (unsigned int c = 0; c < nst; c++) {
		if (stored[c] == raw[c]) {
			memcpy(d->streams + acc, s + in, raw[c]);
		} else {
			const size_t n = ZSTD_decompressDCtx(d->dctx, d->streams + acc,
							     raw[c], s + in, stored[c]);

			if (ZSTD_isError(n) || n != raw[c])
				return -EBADMSG;
		}
		pos[c] = acc;
		end[c] = acc + raw[c];
		acc += raw[c];
		in += stored[c];
	}
	if (c2 && !key) {
		for (size_t i = 0; i < d->nblocks; i++) {
			if (d->streams[pos[NCTX] + i] > 1)
				return -EBADMSG;
		}
	}
	for (unsigned int i = 0; i < d->g.n; i++) {
		const size_t o = d->g.off[i];

		if (c2 && !key) {
			ret = decode_plane2(d->rec + o, d->ref + o, d->res + o,
					    d->g.w[i], d->g.h[i], d->p.near,
					    s[3] >> i & 1, d->streams + pos[NCTX] + nmap,
					    d->streams, pos, end);
			nmap += (size_t)((d->g.w[i] + BS - 1) / BS) *
				((d->g.h[i] + BS - 1) / BS);
		} else {
			ret = decode_plane(d->rec + o, d->ref + o, d->res + o, d->g.w[i],
					   d->g.h[i], key, d->p.near, st, pos, end);
		}
		if (ret) {
			d->have_ref = false;
			return ret;
		}
	}
	/* every coded residual used: nothing hidden after the last one */
	for (unsigned int c = 0; c < NCTX; c++) {
		if (pos[c] != end[c]) {
			d->have_ref = false;
			return -EBADMSG;
		}
	}
	from_planar(&d->p, &d->g, d->rec, frame);
	tmp = d->ref;
	d->ref = d->rec;
	d->rec = tmp;
	d->have_ref = true;
	return 0;
}
