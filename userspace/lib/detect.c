// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Motion detector on the luma plane, read in place.
 *
 * The frame is reduced to a grid of cells (cell x cell pixels, every
 * row_step-th row sampled) holding the mean luma in Q8 fixed point. All
 * further work is per cell, so the cost is one partial pass over the frame
 * (SSE2 PSADBW sums 8 pixels per lane; packed 4:2:2 masks its chroma
 * bytes off and sums 4 per lane) plus a few operations per cell.
 * Every rate is a time constant in seconds, turned into a per-frame rate
 * with the interval between the frames' timestamps.
 *
 *   gain        cur = a * bg + b fitted over the cells that were quiet in
 *               the last frame (then over the inliers): when it explains
 *               most of the frame and most of the cells that changed,
 *               the background is moved by it (auto-
 *               exposure, lights, IR switch); a close person does not fit
 *               a uniform gain and stays motion
 *   background  bg += (cur - bg) * dt / background_s for quiet cells; a
 *               changed cell is held out of the background for hold_s,
 *               then absorbed
 *   deviation   dev += (|cur - bg| - dev) * dt / deviation_s, only while
 *               quiet (per-cell noise, sway), as fast up as down
 *   noise       robust global sigma from the median |cur - bg|
 *   texture     mean |difference| between the sampled rows of a cell,
 *               with its own background: a surface that changes at the
 *               same mean brightness
 *   change      |cur - bg| > t = max(k * sigma, k * 1.25 * dev, floor),
 *               or the texture moved by more than max(half its level, t)
 *               + t
 *   blobs       8-connected components of changed cells, smaller than
 *               min_blob_px (and min_area) dropped, boxes of the largest
 *   motion      blobs present for min_motion_s
 *   tamper      contrast between cells collapsed (covered, defocused) or
 *               nearly every cell changed without a uniform gain (camera
 *               moved), for tamper_s
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#include "libvigil.h"

#define Q 8			/* fractional bits of cell values */
#define RATE_BITS 12		/* fractional bits of learning rates */
#define HIST_BINS 1024		/* |diff| histogram, Q4 luma levels */
#define NOISE_STRIDE 3		/* noise sampled in one cell of 3 */
#define FIT_STRIDE 3		/* gain fitted on one cell of 3 */
#define DEFAULT_DT_NS 66666667ULL	/* 15 fps when timestamps do not advance */
#define TAMPER_CONTRAST 0.3	/* contrast left of the background's */
#define TAMPER_CHANGED 0.85	/* changed fraction meaning "moved" */

struct vigil_detector {
	struct vigil_detect_params p;
	unsigned int width, height;
	unsigned int cell, cshift;	/* cell side and its log2 */
	unsigned int row_step;
	unsigned int cw, ch, ncells;
	unsigned int groups;		/* 8-pixel groups per row: cw*cell/8 */
	int norm_shift;			/* Q8 mean = sum << norm_shift (or >>) */
	unsigned int min_cells;		/* smallest blob kept */
	unsigned int nactive;		/* cells inside the zones */
	int32_t k16, kdev16;		/* Q4 multipliers of sigma and dev */
	int32_t floor_q8;
	uint64_t dt_ns;			/* interval between the last frames */
	uint64_t last_ts;
	uint64_t elapsed_ns;		/* since the first frame (or reset) */
	uint64_t relearn_ns;		/* fast relearning left */
	bool watching;			/* the warm-up is over */
	uint64_t run_ns;		/* time blobs have been present */
	uint64_t tamper_ns;		/* time the tamper condition held */
	uint32_t hold_ms;

	uint64_t *acc;			/* per group sums of one cell row */
	uint32_t *csum;			/* scalar path: per cell sums */
	uint16_t *cur;			/* Q8 cell means of this frame */
	int32_t *bg;			/* Q8 background */
	int32_t *dev;			/* Q8 mean absolute deviation */
	uint32_t *fg_ms;		/* time each cell has been changed */
	int32_t *tex;			/* Q8 texture: mean |vertical difference| */
	int32_t *tbg;			/* Q8 texture background */
	uint32_t *tsum;			/* per 8-byte group texture sums */
	uint32_t tnorm;			/* tex = tsum * tnorm >> 16 */
	unsigned int tpairs;		/* sampled row pairs per cell (0: off) */
	uint8_t *active;		/* 1 when the cell is watched */
	uint8_t *tscale;		/* threshold scale, Q4 (zone sensitivity) */
	uint8_t *mask;			/* changed cells; then blob labels seen */
	uint32_t *stack;		/* flood fill */
	uint32_t hist[HIST_BINS];

	bool avx2;			/* reduce with 32-byte PSADBW */
	uint32_t frames;
	int32_t noise_q8;		/* smoothed sigma, Q8 */
	bool noise_valid;
};

void vigil_detect_params_default(struct vigil_detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->cell = 0;
	p->row_step = 0;
	p->background_s = 2.0;
	p->hold_s = 15.0;
	p->deviation_s = 4.0;
	p->noise_k = 4.0;
	p->threshold_min = 6;
	p->min_blob_px = 800;
	p->min_area = 0;
	p->min_motion_s = 0.12;
	p->global_change = 0.8;
	p->relearn_s = 0.5;
	p->warmup_s = 1.0;
	p->tamper_s = 2.0;
}

static bool rect_ok(const struct vigil_rect *r)
{
	return r->x >= 0 && r->y >= 0 && r->w > 0 && r->h > 0 &&
	       r->x + r->w <= 1.0001f && r->y + r->h <= 1.0001f &&
	       r->sensitivity >= 0 && r->sensitivity <= 16;
}

static bool poly_ok(const struct vigil_polygon *g)
{
	if (g->npoints < 3 || g->npoints > VIGIL_MAX_POLY_POINTS ||
	    !(g->sensitivity >= 0 && g->sensitivity <= 16))
		return false;
	for (unsigned int i = 0; i < g->npoints; i++)
		if (!(g->x[i] >= 0 && g->x[i] <= 1 && g->y[i] >= 0 && g->y[i] <= 1))
			return false;
	return true;
}

int vigil_detect_params_check(const struct vigil_detect_params *p)
{
	const unsigned int c = p->cell;

	if (c && c != 4 && c != 8 && c != 16 && c != 32)
		return -EINVAL;
	if (p->row_step != 0 && p->row_step != 1 && p->row_step != 2 &&
	    p->row_step != 4)
		return -EINVAL;
	if (c && p->row_step > c)
		return -EINVAL;
	if (!(p->background_s > 0 && p->deviation_s > 0 && p->tamper_s > 0))
		return -EINVAL;
	if (!(p->hold_s >= 0 && p->min_motion_s >= 0 && p->relearn_s >= 0 &&
	      p->warmup_s >= 0 && p->hold_s < 4e6))
		return -EINVAL;
	if (!p->min_blob_px)
		return -EINVAL;
	if (!(p->noise_k > 0 && p->noise_k <= 100))
		return -EINVAL;
	if (p->threshold_min > 255)
		return -EINVAL;
	if (!(p->min_area >= 0 && p->min_area <= 1))
		return -EINVAL;
	if (!(p->global_change > 0 && p->global_change <= 1))
		return -EINVAL;
	if (p->nzones > VIGIL_MAX_ZONES || p->nignore > VIGIL_MAX_ZONES)
		return -EINVAL;
	for (unsigned int i = 0; i < p->nzones; i++)
		if (!rect_ok(&p->zones[i]))
			return -EINVAL;
	for (unsigned int i = 0; i < p->nignore; i++)
		if (!rect_ok(&p->ignore[i]))
			return -EINVAL;
	if (p->npolygons > VIGIL_MAX_ZONES)
		return -EINVAL;
	for (unsigned int i = 0; i < p->npolygons; i++)
		if (!poly_ok(&p->polygons[i]))
			return -EINVAL;
	return 0;
}

/* One PGM header number, after blanks and '#' comments. */
static int pgm_num(const uint8_t **q, const uint8_t *end, unsigned long *v)
{
	const uint8_t *c = *q;

	for (;;) {
		while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r'))
			c++;
		if (c < end && *c == '#') {
			while (c < end && *c != '\n')
				c++;
			continue;
		}
		break;
	}
	if (c >= end || *c < '0' || *c > '9')
		return -EINVAL;
	*v = 0;
	while (c < end && *c >= '0' && *c <= '9') {
		*v = *v * 10 + (unsigned long)(*c - '0');
		if (*v > 1000000)
			return -EINVAL;
		c++;
	}
	*q = c;
	return 0;
}

int vigil_detect_params_set_mask(struct vigil_detect_params *p,
				 const void *pgm, size_t len, const char **why)
{
	const uint8_t *q = pgm, *const end = q + len;
	unsigned long w, h, maxval;
	uint8_t *img;
	bool ascii;

	*why = NULL;
	if (len < 3 || q[0] != 'P' || (q[1] != '5' && q[1] != '2')) {
		*why = "not a PGM image (P5 or P2)";
		return -EINVAL;
	}
	ascii = q[1] == '2';
	q += 2;
	if (pgm_num(&q, end, &w) || pgm_num(&q, end, &h) || pgm_num(&q, end, &maxval) ||
	    !w || !h || !maxval || maxval > 65535) {
		*why = "bad PGM header";
		return -EINVAL;
	}
	if (w * h > 64UL << 20) {
		*why = "PGM image too large";
		return -EINVAL;
	}
	if (!ascii) {
		const size_t bpp = maxval > 255 ? 2 : 1;

		q++;	/* the one whitespace after maxval */
		if (q > end || (size_t)(end - q) < w * h * bpp) {
			*why = "PGM image truncated";
			return -EINVAL;
		}
	}
	img = malloc(w * h);
	if (!img) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (size_t i = 0; i < w * h; i++) {
		unsigned long v;

		if (ascii) {
			if (pgm_num(&q, end, &v) || v > maxval) {
				free(img);
				*why = "PGM image truncated or bad sample";
				return -EINVAL;
			}
		} else if (maxval > 255) {
			v = (unsigned long)q[2 * i] << 8 | q[2 * i + 1];
		} else {
			v = q[i];
		}
		img[i] = v * 2 >= maxval + 1 ? 255 : 0;
	}
	/* nearest sample at each grid point */
	for (unsigned int y = 0; y < VIGIL_MASK_H; y++)
		for (unsigned int x = 0; x < VIGIL_MASK_W; x++)
			p->mask[y][x] = img[((2 * y + 1) * h / (2 * VIGIL_MASK_H)) * w +
					    (2 * x + 1) * w / (2 * VIGIL_MASK_W)];
	free(img);
	p->has_mask = true;
	return 0;
}

static bool in_rect(const struct vigil_rect *r, float x, float y)
{
	return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

/* Even-odd rule. */
static bool in_polygon(const struct vigil_polygon *g, float x, float y)
{
	bool in = false;

	for (unsigned int i = 0, j = g->npoints - 1; i < g->npoints; j = i++) {
		if ((g->y[i] > y) != (g->y[j] > y) &&
		    x < (g->x[j] - g->x[i]) * (y - g->y[i]) / (g->y[j] - g->y[i]) + g->x[i])
			in = !in;
	}
	return in;
}

static float sens(float s)
{
	return s > 0 ? s : 1.0f;
}

/*
 * Watched cells and their threshold scale (Q4, 16 = 1): a cell is watched
 * when its centre lies in a zone (any, when there are none), outside every
 * ignore rectangle and white in the mask; the most sensitive zone holding
 * it sets its scale.
 */
static void build_active(struct vigil_detector *d)
{
	const struct vigil_detect_params *p = &d->p;

	d->nactive = 0;
	for (unsigned int cy = 0; cy < d->ch; cy++) {
		for (unsigned int cx = 0; cx < d->cw; cx++) {
			const float x = ((float)cx + 0.5f) * (float)d->cell / (float)d->width;
			const float y = ((float)cy + 0.5f) * (float)d->cell / (float)d->height;
			const unsigned int i = cy * d->cw + cx;
			bool on = p->nzones == 0 && p->npolygons == 0;
			float s = on ? 1.0f : 0.0f;
			long q;

			for (unsigned int k = 0; k < p->nzones; k++) {
				if (in_rect(&p->zones[k], x, y)) {
					on = true;
					s = fmaxf(s, sens(p->zones[k].sensitivity));
				}
			}
			for (unsigned int k = 0; k < p->npolygons; k++) {
				if (in_polygon(&p->polygons[k], x, y)) {
					on = true;
					s = fmaxf(s, sens(p->polygons[k].sensitivity));
				}
			}
			for (unsigned int k = 0; k < p->nignore && on; k++)
				on = !in_rect(&p->ignore[k], x, y);
			if (on && p->has_mask)
				on = p->mask[(unsigned int)(y * VIGIL_MASK_H) < VIGIL_MASK_H ?
					     (unsigned int)(y * VIGIL_MASK_H) : VIGIL_MASK_H - 1]
					    [(unsigned int)(x * VIGIL_MASK_W) < VIGIL_MASK_W ?
					     (unsigned int)(x * VIGIL_MASK_W) : VIGIL_MASK_W - 1] != 0;
			d->active[i] = on;
			q = lroundf(16.0f / (s > 0 ? s : 1.0f));
			d->tscale[i] = (uint8_t)(q < 1 ? 1 : q > 255 ? 255 : q);
			d->nactive += on;
		}
	}
}

static unsigned int ilog2(unsigned int v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* Per-frame rate (Q12) of time constant @tau_s at frame interval @dt_ns. */
static int32_t rate_q(uint64_t dt_ns, double tau_s)
{
	const double r = 1.0 - exp(-(double)dt_ns / (tau_s * 1e9));
	int32_t q = (int32_t)lround(r * (1 << RATE_BITS));

	return q < 1 ? 1 : q;
}

int vigil_detector_new(const struct vigil_detect_params *p, unsigned int width,
		       unsigned int height, struct vigil_detector **out)
{
	struct vigil_detector *d;
	unsigned int samples;
	int ret;

	*out = NULL;
	ret = vigil_detect_params_check(p);
	if (ret)
		return ret;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->p = *p;
	d->width = width;
	d->height = height;
	d->cell = p->cell ? p->cell : (width >= 1280 ? 16 : 8);
	/* auto: a quarter of the cell's rows (8 -> every 2nd, 16 -> every 4th) */
	d->row_step = p->row_step ? p->row_step : d->cell / 4;
	if (d->row_step > d->cell)
		d->row_step = d->cell;
	d->cshift = ilog2(d->cell);
	d->cw = width / d->cell;
	d->ch = height / d->cell;
	if (d->cw < 2 || d->ch < 2) {
		ret = -EINVAL;
		goto fail;
	}
	d->ncells = d->cw * d->ch;
	d->groups = d->cw * d->cell / 8;
	samples = d->cell * (d->cell / d->row_step);
	d->norm_shift = Q - (int)ilog2(samples);
	{
		const double px = fmax(p->min_blob_px, p->min_area * width * height);

		d->min_cells = (unsigned int)ceil(px / (double)(d->cell * d->cell));
	}
	if (d->min_cells < 1)
		d->min_cells = 1;
	d->hold_ms = (uint32_t)lround(p->hold_s * 1000);
	d->dt_ns = DEFAULT_DT_NS;
	d->k16 = (int32_t)lround(p->noise_k * 16);
	d->kdev16 = (int32_t)lround(p->noise_k * 1.25 * 16);
	d->floor_q8 = (int32_t)p->threshold_min << Q;

	d->acc = calloc(d->groups + 2, sizeof(*d->acc));
	d->csum = calloc(d->groups + d->cw + 1, sizeof(*d->csum));
	d->cur = calloc(d->ncells, sizeof(*d->cur));
	d->bg = calloc(d->ncells, sizeof(*d->bg));
	d->dev = calloc(d->ncells, sizeof(*d->dev));
	d->fg_ms = calloc(d->ncells, sizeof(*d->fg_ms));
	d->tex = calloc(d->ncells, sizeof(*d->tex));
	d->tbg = calloc(d->ncells, sizeof(*d->tbg));
	/* 8-byte groups of a row in the widest layout (2 bytes a pixel) */
	d->tsum = calloc(d->cw * d->cell * 2 / 8 + 2, sizeof(*d->tsum));
	d->tpairs = d->cell / d->row_step - 1;
	d->active = calloc(d->ncells, 1);
	d->tscale = calloc(d->ncells, 1);
	d->mask = calloc(d->ncells, 1);
	d->stack = calloc(d->ncells, sizeof(*d->stack));
	if (!d->acc || !d->csum || !d->cur || !d->bg || !d->dev || !d->fg_ms || !d->active || !d->tscale ||
	    !d->tex || !d->tbg || !d->tsum ||
	    !d->mask || !d->stack) {
		ret = -ENOMEM;
		goto fail;
	}
	build_active(d);
#ifdef HAVE_AVX2_PATH
	d->avx2 = __builtin_cpu_supports("avx2");
#endif
	*out = d;
	return 0;
fail:
	vigil_detector_free(d);
	return ret;
}

void vigil_detector_free(struct vigil_detector *d)
{
	if (!d)
		return;
	free(d->stack);
	free(d->mask);
	free(d->tscale);
	free(d->active);
	free(d->tsum);
	free(d->tbg);
	free(d->tex);
	free(d->fg_ms);
	free(d->dev);
	free(d->bg);
	free(d->cur);
	free(d->csum);
	free(d->acc);
	free(d);
}

void vigil_detector_reset(struct vigil_detector *d)
{
	d->frames = 0;
	d->run_ns = 0;
	d->relearn_ns = 0;
	d->watching = false;
	d->tamper_ns = 0;
	d->elapsed_ns = 0;
	d->noise_valid = false;
	d->noise_q8 = 0;
}

unsigned int vigil_detector_cell(const struct vigil_detector *d)
{
	return d->cell;
}

/* Sum of 8 bytes without SIMD: pairwise adds in a 64-bit word. */
static inline uint64_t sum8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	v = (v & 0x00ff00ff00ff00ffULL) + ((v >> 8) & 0x00ff00ff00ff00ffULL);
	return (v * 0x0001000100010001ULL) >> 48;
}

/* Add one row's 8-pixel group sums into d->acc. */
static void acc_row_groups(struct vigil_detector *d, const uint8_t *row)
{
	uint64_t *const acc = d->acc;
	const unsigned int groups = d->groups;
	unsigned int g = 0;

#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();

	for (; g + 2 <= groups; g += 2) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(row + g * 8));
		__m128i a = _mm_loadu_si128((const __m128i *)(acc + g));

		a = _mm_add_epi64(a, _mm_sad_epu8(v, zero));
		_mm_storeu_si128((__m128i *)(acc + g), a);
	}
#endif
	for (; g < groups; g++)
		acc[g] += sum8(row + g * 8);
}

/* Scalar path: cells of 4 pixels, or packed luma without SSE2. */
static void acc_row_scalar(struct vigil_detector *d, const uint8_t *row,
			   unsigned int step)
{
	const unsigned int n = d->cw * d->cell;
	const unsigned int cs = d->cshift;

	for (unsigned int x = 0; x < n; x++)
		d->csum[x >> cs] += row[x * step];
}

#ifdef HAVE_AVX2_PATH
/* As reduce_sse2's chunk loop, 32 pixels (4 groups) at a time. */
__attribute__((target("avx2")))
static unsigned int sums_avx2(const uint8_t *base, unsigned int groups,
			      unsigned int nrows, size_t rstep, uint32_t *gs)
{
	const __m256i zero = _mm256_setzero_si256();
	unsigned int g = 0;

	for (; g + 4 <= groups; g += 4) {
		const uint8_t *p = base + g * 8;
		__m256i acc = zero;

		for (unsigned int k = 0; k < nrows; k++, p += rstep)
			acc = _mm256_add_epi64(acc, _mm256_sad_epu8(
				_mm256_loadu_si256((const __m256i *)p), zero));
		gs[g] = (uint32_t)_mm256_extract_epi32(acc, 0);
		gs[g + 1] = (uint32_t)_mm256_extract_epi32(acc, 2);
		gs[g + 2] = (uint32_t)_mm256_extract_epi32(acc, 4);
		gs[g + 3] = (uint32_t)_mm256_extract_epi32(acc, 6);
	}
	return g;
}

/* Packed 4:2:2: 32 bytes are 16 pixels (2 groups); chroma masked off. */
__attribute__((target("avx2")))
static unsigned int sums_packed_avx2(const uint8_t *base, unsigned int groups,
				     unsigned int nrows, size_t rstep,
				     uint32_t *gs, unsigned int lead)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i m = _mm256_set1_epi16(lead ? (short)0xff00 : 0x00ff);
	unsigned int g = 0;

	for (; g + 2 <= groups; g += 2) {
		const uint8_t *p = base + g * 16;
		__m256i acc = zero;

		for (unsigned int k = 0; k < nrows; k++, p += rstep)
			acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(
				_mm256_loadu_si256((const __m256i *)p), m), zero));
		gs[g] = (uint32_t)_mm256_extract_epi32(acc, 0) +
			(uint32_t)_mm256_extract_epi32(acc, 2);
		gs[g + 1] = (uint32_t)_mm256_extract_epi32(acc, 4) +
			    (uint32_t)_mm256_extract_epi32(acc, 6);
	}
	return g;
}
#endif

#if defined(__SSE2__)
/*
 * Packed 4:2:2 (YUYV, UYVY): a 16-byte load holds 8 pixels; the chroma
 * bytes are masked to zero and PSADBW sums the 4 luma bytes of each lane,
 * so a group costs one load, one AND and one PSADBW, as GREY does.
 */
static void sums_packed_sse2(const uint8_t *base, unsigned int g,
			     unsigned int groups, unsigned int nrows,
			     size_t rstep, uint32_t *gs, unsigned int lead)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i m = _mm_set1_epi16(lead ? (short)0xff00 : 0x00ff);

	for (; g < groups; g++) {
		const uint8_t *p = base + g * 16;
		__m128i acc = zero;

		for (unsigned int k = 0; k < nrows; k++, p += rstep)
			acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(
				_mm_loadu_si128((const __m128i *)p), m), zero));
		gs[g] = (uint32_t)_mm_cvtsi128_si32(acc) +
			(uint32_t)_mm_extract_epi16(acc, 4);
	}
}

/*
 * SSE2: for each 16-pixel column chunk of a cell row, PSADBW against zero
 * sums 8 pixels per 64-bit lane; the sampled rows accumulate in a
 * register, so each sampled byte is loaded once and nothing is stored but
 * the cell means.
 */
static void reduce_sse2(struct vigil_detector *d, const struct vigil_frame *f)
{
	const __m128i zero = _mm_setzero_si128();
	const unsigned int per = d->cell / 8;	/* 8-pixel groups per cell */
	const unsigned int nrows = d->cell / d->row_step;
	const size_t rstep = f->stride * d->row_step;
	const int sh = d->norm_shift;
	uint32_t *const gs = d->csum;		/* groups + 1 entries */

	const bool packed = f->step == 2;
	/* packed: loads start at the pixel pair, luma at byte f->lead */
	const uint8_t *const plane = f->luma - (packed ? f->lead : 0);

	for (unsigned int cy = 0; cy < d->ch; cy++) {
		const uint8_t *const base = plane + (size_t)cy * d->cell * f->stride;
		uint16_t *const out = d->cur + cy * d->cw;
		unsigned int g = 0;

		if (packed) {
#ifdef HAVE_AVX2_PATH
			if (d->avx2)
				g = sums_packed_avx2(base, d->groups, nrows, rstep, gs, f->lead);
#endif
			sums_packed_sse2(base, g, d->groups, nrows, rstep, gs, f->lead);
			g = d->groups;
		}
#ifdef HAVE_AVX2_PATH
		if (d->avx2 && !packed)
			g = sums_avx2(base, d->groups, nrows, rstep, gs);
#endif
		for (; g + 2 <= d->groups; g += 2) {
			const uint8_t *p = base + g * 8;
			__m128i acc = zero;

			for (unsigned int k = 0; k < nrows; k++, p += rstep)
				acc = _mm_add_epi64(acc, _mm_sad_epu8(
					_mm_loadu_si128((const __m128i *)p), zero));
			gs[g] = (uint32_t)_mm_cvtsi128_si32(acc);
			gs[g + 1] = (uint32_t)_mm_extract_epi16(acc, 4);
		}
		for (; g < d->groups; g++) {
			const uint8_t *p = base + g * 8;

			gs[g] = 0;
			for (unsigned int k = 0; k < nrows; k++, p += rstep)
				gs[g] += (uint32_t)sum8(p);
		}
		if (per == 1) {
			for (unsigned int cx = 0; cx < d->cw; cx++)
				out[cx] = (uint16_t)(sh >= 0 ? gs[cx] << sh : gs[cx] >> -sh);
		} else {
			for (unsigned int cx = 0; cx < d->cw; cx++) {
				uint32_t s = 0;

				for (unsigned int j = 0; j < per; j++)
					s += gs[cx * per + j];
				out[cx] = (uint16_t)(sh >= 0 ? s << sh : s >> -sh);
			}
		}
	}
}
#endif

static void reduce(struct vigil_detector *d, const struct vigil_frame *f)
{
	const bool fast = f->step == 1 && d->cell >= 8;
	const unsigned int per = d->cell / 8;	/* groups per cell */
	const int sh = d->norm_shift;

#if defined(__SSE2__)
	if (d->cell >= 8 && (f->step == 1 || (f->step == 2 && f->lead <= 1))) {
		reduce_sse2(d, f);
		return;
	}
#endif
	for (unsigned int cy = 0; cy < d->ch; cy++) {
		uint16_t *const out = d->cur + cy * d->cw;
		const uint8_t *row = f->luma + (size_t)cy * d->cell * f->stride;
		const size_t rstep = f->stride * d->row_step;

		if (fast)
			memset(d->acc, 0, d->groups * sizeof(*d->acc));
		else
			memset(d->csum, 0, d->cw * sizeof(*d->csum));
		for (unsigned int k = 0; k < d->cell; k += d->row_step, row += rstep) {
			if (fast)
				acc_row_groups(d, row);
			else
				acc_row_scalar(d, row, f->step);
		}
		for (unsigned int cx = 0; cx < d->cw; cx++) {
			uint32_t s;

			if (fast) {
				s = 0;
				for (unsigned int g = 0; g < per; g++)
					s += (uint32_t)d->acc[cx * per + g];
			} else {
				s = d->csum[cx];
			}
			out[cx] = (uint16_t)(sh >= 0 ? s << sh : s >> -sh);
		}
	}
}

/*
 * Texture of each cell: the mean absolute difference between consecutive
 * sampled rows of its luma. It changes when a surface does even where the
 * mean stays (a patterned shirt over a wall of the same brightness). In
 * packed 4:2:2 the chroma bytes are masked off, so every format gives the
 * texture GREY gives. The rows were just read by reduce(), so they come
 * from the cache.
 */
static void texture(struct vigil_detector *d, const struct vigil_frame *f)
{
	const bool packed = f->step == 2;
	const unsigned int cb = d->cell * f->step;	/* bytes of a cell */
	const unsigned int ng = d->cw * cb / 8;		/* 8-byte groups */
	const unsigned int per = cb / 8;
	const size_t rstep = f->stride * d->row_step;
	/* packed: loads start at the pixel pair, luma at byte f->lead */
	const uint8_t *const plane = f->luma - (packed ? f->lead : 0);
	const uint32_t norm = (uint32_t)(((uint64_t)256 << 16) /
					 (d->tpairs * (uint64_t)d->cell));
#if defined(__SSE2__)
	const __m128i m = !packed ? _mm_set1_epi8((char)0xff) :
			  _mm_set1_epi16(f->lead ? (short)0xff00 : 0x00ff);
#endif

	for (unsigned int cy = 0; cy < d->ch; cy++) {
		const uint8_t *const base = plane + (size_t)cy * d->cell * f->stride;
		int32_t *const out = d->tex + cy * d->cw;
		unsigned int g = 0;

#if defined(__SSE2__)
		/* each 16-byte column down the cell's sampled rows, in a register */
		for (; g + 2 <= ng; g += 2) {
			const uint8_t *p = base + g * 8;
			__m128i prev = _mm_and_si128(_mm_loadu_si128((const __m128i *)p), m);
			__m128i acc = _mm_setzero_si128();

			for (unsigned int k = 0; k < d->tpairs; k++) {
				const __m128i v = _mm_and_si128(
					_mm_loadu_si128((const __m128i *)(p += rstep)), m);

				acc = _mm_add_epi64(acc, _mm_sad_epu8(prev, v));
				prev = v;
			}
			d->tsum[g] = (uint32_t)_mm_cvtsi128_si32(acc);
			d->tsum[g + 1] = (uint32_t)_mm_extract_epi16(acc, 4);
		}
#endif
		for (; g < ng; g++) {
			const uint8_t *p = base + g * 8;
			const unsigned int j0 = packed ? f->lead : 0;

			d->tsum[g] = 0;
			for (unsigned int k = 0; k < d->tpairs; k++, p += rstep)
				for (unsigned int j = j0; j < 8; j += f->step)
					d->tsum[g] += (uint32_t)abs((int)p[j] - (int)p[rstep + j]);
		}
		for (unsigned int cx = 0; cx < d->cw; cx++) {
			uint32_t sum = 0;

			for (unsigned int j = 0; j < per; j++)
				sum += d->tsum[cx * per + j];
			out[cx] = (int32_t)(((uint64_t)sum * norm) >> 16);
		}
	}
}

static void relearn(struct vigil_detector *d)
{
	for (unsigned int i = 0; i < d->ncells; i++) {
		d->bg[i] = d->cur[i];
		d->tbg[i] = d->tex[i];
	}
}

/* Flood fill the blob at @seed; returns its cell count and box (cells). */
static unsigned int blob_fill(struct vigil_detector *d, unsigned int seed,
			      unsigned int *x0, unsigned int *y0,
			      unsigned int *x1, unsigned int *y1)
{
	const unsigned int cw = d->cw, ch = d->ch;
	unsigned int sp = 0, count = 0;

	d->stack[sp++] = seed;
	d->mask[seed] = 2;
	*x0 = *x1 = seed % cw;
	*y0 = *y1 = seed / cw;
	while (sp) {
		const unsigned int i = d->stack[--sp];
		const unsigned int x = i % cw, y = i / cw;

		count++;
		if (x < *x0) *x0 = x;
		if (x > *x1) *x1 = x;
		if (y < *y0) *y0 = y;
		if (y > *y1) *y1 = y;
		for (int dy = -1; dy <= 1; dy++) {
			const int ny = (int)y + dy;

			if (ny < 0 || ny >= (int)ch)
				continue;
			for (int dx = -1; dx <= 1; dx++) {
				const int nx = (int)x + dx;
				unsigned int j;

				if (nx < 0 || nx >= (int)cw)
					continue;
				j = (unsigned int)ny * cw + (unsigned int)nx;
				if (d->mask[j] == 1) {
					d->mask[j] = 2;
					assert(sp < d->ncells);
					d->stack[sp++] = j;
				}
			}
		}
	}
	return count;
}

static void add_box(struct vigil_detect_result *r, const struct vigil_box *b)
{
	unsigned int n = r->nboxes, i;

	if (n == VIGIL_MAX_BOXES && b->area <= r->boxes[n - 1].area)
		return;
	if (n < VIGIL_MAX_BOXES)
		n++;
	/* insertion, largest first */
	for (i = n - 1; i > 0 && r->boxes[i - 1].area < b->area; i--)
		r->boxes[i] = r->boxes[i - 1];
	r->boxes[i] = *b;
	r->nboxes = n;
}

static unsigned int find_blobs(struct vigil_detector *d,
			       struct vigil_detect_result *r)
{
	const unsigned int cs = d->cell;
	unsigned int kept_cells = 0;

	for (unsigned int i = 0; i < d->ncells; i++) {
		unsigned int x0, y0, x1, y1, n;
		struct vigil_box b;

		if (d->mask[i] != 1)
			continue;
		n = blob_fill(d, i, &x0, &y0, &x1, &y1);
		if (n < d->min_cells)
			continue;
		kept_cells += n;
		r->nblobs++;
		b.x = x0 * cs;
		b.y = y0 * cs;
		b.w = (x1 - x0 + 1) * cs;
		b.h = (y1 - y0 + 1) * cs;
		b.area = n * cs * cs;
		add_box(r, &b);
	}
	return kept_cells;
}

/*
 * Change mask, background and deviation update for every cell; returns the
 * changed count. Written branch-free over plain arrays so the compiler
 * vectorizes it; built for AVX2 as well where the toolchain can dispatch.
 * A changed cell is held out of the background (rate 0) until it has been
 * changed for hold_ms, then absorbed at @rate_hold; its deviation is not
 * updated while changed, so a person standing still stays changed. Quiet,
 * a cell earns its hold time back four times as fast.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default"), optimize("tree-vectorize")))
#endif
static unsigned int update_cells(const uint16_t *restrict cur,
				 int32_t *restrict bg, int32_t *restrict dev,
				 uint32_t *restrict fg_ms,
				 const int32_t *restrict tex,
				 int32_t *restrict tbg,
				 const uint8_t *restrict active,
				 const uint8_t *restrict tscale,
				 uint8_t *restrict mask, unsigned int n,
				 int32_t thr, int32_t kdev16, int32_t rate,
				 int32_t rate_hold, int32_t drate,
				 uint32_t dt_ms, uint32_t hold_ms)
{
	unsigned int changed = 0;

	for (unsigned int i = 0; i < n; i++) {
		const int32_t diff = (int32_t)cur[i] - bg[i];
		const int32_t ad = diff < 0 ? -diff : diff;
		const int32_t tdev = (dev[i] * kdev16) >> 4;
		const int32_t t = ((tdev > thr ? tdev : thr) * (int32_t)tscale[i]) >> 4;
		const int32_t tdiff = tex[i] - tbg[i];
		const int32_t tad = tdiff < 0 ? -tdiff : tdiff;
		/* texture: a change of half its level, and of the threshold */
		const int32_t tt = ((tbg[i] >> 1) > t ? (tbg[i] >> 1) : t) + t;
		const int32_t m = (int32_t)active[i] & ((ad > t) | (tad > tt));
		/* the hold time comes back 4x faster than it runs out, so a
		 * cell flickering while it is absorbed is not held again */
		const uint32_t fg = m ? fg_ms[i] + dt_ms :
				    fg_ms[i] > 4 * dt_ms ? fg_ms[i] - 4 * dt_ms : 0;
		const int32_t held = m & (fg < hold_ms);
		const int32_t r = m ? (held ? 0 : rate_hold) : rate;
		const int32_t cap = ad < 4 * t ? ad : 4 * t;

		mask[i] = (uint8_t)m;
		changed += (unsigned int)m;
		fg_ms[i] = fg < hold_ms ? fg : hold_ms;
		bg[i] += (diff * r) >> RATE_BITS;
		tbg[i] += (tdiff * r) >> RATE_BITS;
		dev[i] += ((cap - dev[i]) * drate * (m ^ 1)) >> RATE_BITS;
	}
	return changed;
}

/*
 * Global photometric change: fit cur = a * bg + b over the active cells
 * that were quiet in the last frame, refit over the inliers of that fit,
 * and return the fraction of all active cells the result explains.
 * Saturated cells count as explained when the model saturates them too.
 */
static double fit_gain(struct vigil_detector *d, int32_t tol, int32_t thr,
		       double *pa, double *pb, double *changed_explained)
{
	double a = 1, b = 0;
	unsigned int inl = 0, chg = 0, chg_inl = 0, nact = 0;
	double res_id = 0, res_m = 0;
	unsigned int brk = 0;	/* quiet cells the model would change */

	for (int pass = 0; pass < 2; pass++) {
		double sx = 0, sy = 0, sxx = 0, sxy = 0, nn = 0;

		for (unsigned int i = 0; i < d->ncells; i += FIT_STRIDE) {
			const double x = d->bg[i], y = d->cur[i];
			bool use;

			if (!d->active[i] || y >= (250 << Q) || x >= (250 << Q))
				continue;
			if (pass == 0)
				use = !d->mask[i];
			else
				use = fabs(y - (a * x + b)) <= tol;
			if (!use)
				continue;
			sx += x;
			sy += y;
			sxx += x * x;
			sxy += x * y;
			nn++;
		}
		if (nn < 4)
			break;
		{
			const double var = sxx - sx * sx / nn;

			if (var > nn * (4 << Q) * (4 << Q)) {
				a = (sxy - sx * sy / nn) / var;
				b = (sy - a * sx) / nn;
			} else {
				a = 1;
				b = (sy - sx) / nn;
			}
		}
	}
	for (unsigned int i = 0; i < d->ncells; i += FIT_STRIDE) {
		const double x = d->bg[i], y = d->cur[i], m = a * x + b;
		bool in, c;

		if (!d->active[i])
			continue;
		c = fabs(y - x) > thr;
		nact++;
		in = fabs(y - m) <= tol ||
		     (y >= (245 << Q) && m >= (245 << Q)) ||
		     (y <= (5 << Q) && m <= (5 << Q));
		inl += in;
		chg += c;
		if (in) {
			res_id += fabs(y - x);
			res_m += fabs(y - m);
		}
		brk += !c && fabs(y - m) > thr;
		/* a changed cell is explained when the model brings it under
		 * the threshold, not merely within the fit's tolerance */
		chg_inl += c && (fabs(y - m) <= thr ||
				 (y >= (245 << Q) && m >= (245 << Q)) ||
				 (y <= (5 << Q) && m <= (5 << Q)));
	}
	/* only a model that clearly beats "nothing changed", and changes
	 * (almost) no quiet cell, is one: fitting the noise every frame would
	 * walk the background away, and a fit to a person being absorbed
	 * would move the rest of the scene */
	if (res_m > 0.8 * res_id || brk * 50 > nact) {
		a = 1;
		b = 0;
	}
	*pa = a;
	*pb = b;
	/* a local object that happens to fit a line leaves its cells out */
	*changed_explained = chg * 100 < nact ? 1.0 : (double)chg_inl / chg;
	return nact ? (double)inl / nact : 0;
}

/* Mean absolute difference between horizontally adjacent active cells
 * (every other row of cells). */
static double contrast(const struct vigil_detector *d, bool of_bg)
{
	uint64_t sum = 0;
	unsigned int n = 0;

	for (unsigned int y = 0; y < d->ch; y += 2) {
		for (unsigned int x = 0; x + 1 < d->cw; x++) {
			const unsigned int i = y * d->cw + x;
			const int32_t u = of_bg ? d->bg[i] : d->cur[i];
			const int32_t v = of_bg ? d->bg[i + 1] : d->cur[i + 1];

			if (!d->active[i] || !d->active[i + 1])
				continue;
			sum += (uint64_t)abs(u - v);
			n++;
		}
	}
	return n ? (double)sum / n / (1 << Q) : 0;
}

static void apply_gain(struct vigil_detector *d, double a, double b)
{
	const int32_t a12 = (int32_t)lround(a * (1 << RATE_BITS));
	const int32_t b8 = (int32_t)lround(b);

	for (unsigned int i = 0; i < d->ncells; i++) {
		int32_t v = (int32_t)(((int64_t)d->bg[i] * a12) >> RATE_BITS) + b8;

		d->bg[i] = v < 0 ? 0 : v > (255 << Q) ? (255 << Q) : v;
		d->tbg[i] = (int32_t)(((int64_t)d->tbg[i] * a12) >> RATE_BITS);
	}
}

static uint64_t sec_ns(double s)
{
	return (uint64_t)llround(s * 1e9);
}

int vigil_detector_process(struct vigil_detector *d,
			   const struct vigil_frame *f,
			   struct vigil_detect_result *r)
{
	unsigned int changed = 0, half, acc = 0, med = 0, nsampled = 0;
	const struct vigil_detect_params *p = &d->p;
	bool learning, fitted = false, cover = false;
	int32_t thr, sigma, rate, rate_hold, drate;
	double a = 1, b = 0, inliers = 0;
	uint32_t dt_ms;

	if (f->width != d->width || f->height != d->height || !f->luma ||
	    (f->step != 1 && f->step != 2))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->seq = f->seq;
	r->ts_ns = f->ts_ns;
	r->gain = 1;

	reduce(d, f);
	if (d->tpairs)
		texture(d, f);
	if (d->frames++ == 0) {
		relearn(d);
		memset(d->dev, 0, d->ncells * sizeof(*d->dev));
		memset(d->fg_ms, 0, d->ncells * sizeof(*d->fg_ms));
		memset(d->mask, 0, d->ncells);
		d->last_ts = f->ts_ns;
		d->elapsed_ns = 0;
		r->learning = true;
		return 0;
	}
	/* the actual frame interval; a clock that stands still keeps the last */
	if (f->ts_ns > d->last_ts && f->ts_ns - d->last_ts < 2000000000ULL)
		d->dt_ns = f->ts_ns - d->last_ts;
	d->last_ts = f->ts_ns;
	d->elapsed_ns += d->dt_ns;
	dt_ms = (uint32_t)((d->dt_ns + 500000) / 1000000);
	learning = d->relearn_ns || d->elapsed_ns < sec_ns(p->warmup_s);
	if (!learning && !d->watching) {
		/*
		 * Watching starts: the background is the scene as it is now.
		 * The warm-up's fast average still holds the trail of what
		 * moved through it; a cell of that trail would be a change
		 * held for hold_s (a ghost that looks like a standing person).
		 */
		d->watching = true;
		relearn(d);
	}

	/* threshold of the last frame: the tolerance of the gain fit */
	thr = (d->noise_q8 * d->k16) >> 4;
	if (thr < d->floor_q8)
		thr = d->floor_q8;

	/* lens covered or defocused: the image lost its contrast */
	{
		const double cb = contrast(d, true), cc = contrast(d, false);

		cover = cb > 1.0 && cc < TAMPER_CONTRAST * cb;
	}

	/* a uniform gain over the frame (exposure, lights, IR) is compensated */
	if (!cover) {
		double expl;

		inliers = fit_gain(d, 2 * thr, thr, &a, &b, &expl);
		if (inliers >= p->global_change && expl >= p->global_change &&
		    a > 0.2 && a < 5 &&
		    (fabs(a - 1) > 0.004 || fabs(b) > 64)) {
			apply_gain(d, a, b);
			fitted = true;
			r->gain = a;
			r->offset = b / (1 << Q);
			/* a step, not a drift: relearn the noise briefly */
			if (fabs(a - 1) > 0.1 || fabs(b + (a - 1) * (128 << Q)) > (12 << Q)) {
				r->global_change = true;
				d->relearn_ns = sec_ns(p->relearn_s);
				learning = true;
			}
		}
	}

	/*
	 * Robust global noise: median |cur - bg| over the watched cells that
	 * were quiet in the last frame (a close person is not noise); one cell
	 * in NOISE_STRIDE is plenty and keeps this pass cheap.
	 */
	memset(d->hist, 0, sizeof(d->hist));
	for (unsigned int i = 0; i < d->ncells; i += NOISE_STRIDE) {
		const int32_t diff = abs((int32_t)d->cur[i] - d->bg[i]) >> 4;
		const uint32_t use = d->active[i] & (d->mask[i] == 0);

		d->hist[diff < HIST_BINS ? diff : HIST_BINS - 1] += use;
		nsampled += use;
	}
	half = nsampled / 2;
	for (med = 0; med < HIST_BINS; med++) {
		acc += d->hist[med];
		if (acc > half)
			break;
	}
	/* sigma = median / 0.6745, Q8 (median is Q4) */
	sigma = (int32_t)(med * 16u * 379u / 256u);
	if (!d->noise_valid) {
		d->noise_q8 = sigma;
		d->noise_valid = true;
	} else if (nsampled && sigma < 4 * d->noise_q8 + (2 << Q)) {
		/* smooth over about a second; ignore the spike of a change */
		d->noise_q8 += ((sigma - d->noise_q8) * rate_q(d->dt_ns, 1.0)) >> RATE_BITS;
	}
	thr = (d->noise_q8 * d->k16) >> 4;
	if (thr < d->floor_q8)
		thr = d->floor_q8;
	r->noise = d->noise_q8 / 256.0;
	r->threshold = thr / 256.0;

	if (learning) {
		/* learn fast, nothing held */
		rate = rate_q(d->dt_ns, 0.25);
		rate_hold = rate;
		drate = rate;
	} else {
		rate = rate_q(d->dt_ns, p->background_s);
		rate_hold = rate_q(d->dt_ns, 0.5);
		drate = rate_q(d->dt_ns, p->deviation_s);
	}
	if (cover && !learning) {
		/* keep the scene as it was until the lens is free again */
		rate = 0;
		rate_hold = 0;
		drate = 0;
	}
	changed = update_cells(d->cur, d->bg, d->dev, d->fg_ms, d->tex, d->tbg,
			       d->active, d->tscale, d->mask,
			       d->ncells, thr, d->kdev16, rate, rate_hold, drate,
			       dt_ms ? dt_ms : 1, learning ? 0 : d->hold_ms);

	/* tamper: covered/defocused, or nearly all changed without a gain */
	if (cover || (!fitted && d->nactive &&
		      changed > TAMPER_CHANGED * d->nactive))
		d->tamper_ns += d->dt_ns;
	else
		d->tamper_ns = 0;
	r->covered = cover;
	r->tamper = d->tamper_ns >= sec_ns(p->tamper_s);

	if (d->relearn_ns)
		d->relearn_ns = d->relearn_ns > d->dt_ns ? d->relearn_ns - d->dt_ns : 0;
	if (learning) {
		r->learning = true;
		d->run_ns = 0;
		memset(d->mask, 0, d->ncells);
		return 0;
	}

	if (changed) {
		const unsigned int kept = find_blobs(d, r);

		r->changed_px = kept * d->cell * d->cell;
		r->score = d->nactive ? (double)kept / d->nactive : 0;
	}
	r->raw_motion = r->nblobs > 0;
	d->run_ns = r->raw_motion ? d->run_ns + d->dt_ns : 0;
	r->motion = r->raw_motion && d->run_ns >= sec_ns(p->min_motion_s) &&
		    !cover;
	return 0;
}
