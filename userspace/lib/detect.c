// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Motion detector on the luma plane, read in place.
 *
 * The frame is reduced to a grid of cells (cell x cell pixels, every
 * row_step-th row sampled) holding the mean luma in Q8 fixed point. All
 * further work is per cell, so the cost is one partial pass over the frame
 * (SSE2 PSADBW sums 8 pixels per lane; packed 4:2:2 masks its chroma
 * bytes off and sums 4 per lane) plus a few operations per cell:
 *
 *   background  bg += (cur - bg) * rate          (slower under motion)
 *   deviation   dev += (|cur - bg| - dev) * rate  (per-cell noise, sway)
 *   noise       robust global sigma from the median |cur - bg|
 *   change      |cur - bg| > max(k * sigma, k * 1.25 * dev, floor)
 *   global      changed fraction > global_change: lights or IR switched,
 *               the background is relearnt and no motion is reported
 *   blobs       8-connected components of changed cells, small ones
 *               dropped (despeckle), boxes of the largest reported
 *   motion      blobs present in min_motion_frames consecutive frames
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
	int32_t rate, rate_slow, rate_fast;	/* Q12 */
	int32_t k16, kdev16;		/* Q4 multipliers of sigma and dev */
	int32_t floor_q8;

	uint64_t *acc;			/* per group sums of one cell row */
	uint32_t *csum;			/* scalar path: per cell sums */
	uint16_t *cur;			/* Q8 cell means of this frame */
	int32_t *bg;			/* Q8 background */
	int32_t *dev;			/* Q8 mean absolute deviation */
	uint8_t *active;		/* 1 when the cell is watched */
	uint8_t *mask;			/* changed cells; then blob labels seen */
	uint32_t *stack;		/* flood fill */
	uint32_t hist[HIST_BINS];

	bool avx2;			/* reduce with 32-byte PSADBW */
	uint32_t frames;
	uint32_t motion_run;
	uint32_t relearn_left;
	int32_t noise_q8;		/* smoothed sigma, Q8 */
	bool noise_valid;
};

void vigil_detect_params_default(struct vigil_detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->cell = 0;
	p->row_step = 0;
	p->learning_rate = 0.04;
	p->noise_k = 4.0;
	p->threshold_min = 6;
	p->min_area = 0.01;
	p->min_motion_frames = 2;
	p->global_change = 0.5;
	p->relearn_frames = 8;
	p->warmup_frames = 20;
}

static bool rect_ok(const struct vigil_rect *r)
{
	return r->x >= 0 && r->y >= 0 && r->w > 0 && r->h > 0 &&
	       r->x + r->w <= 1.0001f && r->y + r->h <= 1.0001f;
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
	if (!(p->learning_rate > 0 && p->learning_rate < 1))
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
	return 0;
}

static bool in_rect(const struct vigil_rect *r, float x, float y)
{
	return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

static void build_active(struct vigil_detector *d)
{
	d->nactive = 0;
	for (unsigned int cy = 0; cy < d->ch; cy++) {
		for (unsigned int cx = 0; cx < d->cw; cx++) {
			const float x = ((float)cx + 0.5f) * (float)d->cell / (float)d->width;
			const float y = ((float)cy + 0.5f) * (float)d->cell / (float)d->height;
			bool on = d->p.nzones == 0;

			for (unsigned int i = 0; i < d->p.nzones && !on; i++)
				on = in_rect(&d->p.zones[i], x, y);
			for (unsigned int i = 0; i < d->p.nignore && on; i++)
				on = !in_rect(&d->p.ignore[i], x, y);
			d->active[cy * d->cw + cx] = on;
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

static int32_t rate_q(double r)
{
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
	d->min_cells = (unsigned int)ceil(p->min_area * width * height /
					  (double)(d->cell * d->cell));
	if (d->min_cells < 1)
		d->min_cells = 1;
	d->rate = rate_q(p->learning_rate);
	d->rate_slow = d->rate / 8 ? d->rate / 8 : 1;
	d->rate_fast = d->rate > (1 << RATE_BITS) / 4 ? d->rate : (1 << RATE_BITS) / 4;
	d->k16 = (int32_t)lround(p->noise_k * 16);
	d->kdev16 = (int32_t)lround(p->noise_k * 1.25 * 16);
	d->floor_q8 = (int32_t)p->threshold_min << Q;

	d->acc = calloc(d->groups + 2, sizeof(*d->acc));
	d->csum = calloc(d->groups + d->cw + 1, sizeof(*d->csum));
	d->cur = calloc(d->ncells, sizeof(*d->cur));
	d->bg = calloc(d->ncells, sizeof(*d->bg));
	d->dev = calloc(d->ncells, sizeof(*d->dev));
	d->active = calloc(d->ncells, 1);
	d->mask = calloc(d->ncells, 1);
	d->stack = calloc(d->ncells, sizeof(*d->stack));
	if (!d->acc || !d->csum || !d->cur || !d->bg || !d->dev || !d->active ||
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
	free(d->active);
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
	d->motion_run = 0;
	d->relearn_left = 0;
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

static void relearn(struct vigil_detector *d)
{
	for (unsigned int i = 0; i < d->ncells; i++)
		d->bg[i] = d->cur[i];
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
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default"), optimize("tree-vectorize")))
#endif
static unsigned int update_cells(const uint16_t *restrict cur,
				 int32_t *restrict bg, int32_t *restrict dev,
				 const uint8_t *restrict active,
				 uint8_t *restrict mask, unsigned int n,
				 int32_t thr, int32_t kdev16, int32_t rate_base,
				 int32_t rate_slow)
{
	unsigned int changed = 0;

	for (unsigned int i = 0; i < n; i++) {
		const int32_t diff = (int32_t)cur[i] - bg[i];
		const int32_t ad = diff < 0 ? -diff : diff;
		const int32_t tdev = (dev[i] * kdev16) >> 4;
		const int32_t t = tdev > thr ? tdev : thr;
		const int32_t m = (int32_t)active[i] & (ad > t);
		const int32_t rate = rate_base - m * (rate_base - rate_slow);
		const int32_t cap = ad < 4 * t ? ad : 4 * t;
		/* deviation rises 4x faster than it decays: it follows the
		 * peaks of cells that always move (leaves, water) */
		const int32_t up = (cap > dev[i]) & (m ^ 1);
		const int32_t drate = rate + 3 * up * rate;

		mask[i] = (uint8_t)m;
		changed += (unsigned int)m;
		bg[i] += (diff * rate) >> RATE_BITS;
		dev[i] += ((cap - dev[i]) * drate) >> RATE_BITS;
	}
	return changed;
}

int vigil_detector_process(struct vigil_detector *d,
			   const struct vigil_frame *f,
			   struct vigil_detect_result *r)
{
	const int32_t rate_base = d->relearn_left || d->frames < d->p.warmup_frames ?
				  d->rate_fast : d->rate;
	const bool learning = d->relearn_left || d->frames < d->p.warmup_frames;
	/* while learning, changed cells learn as fast as the others */
	const int32_t rate_slow = learning ? rate_base : d->rate_slow;
	unsigned int changed = 0, half, acc = 0, med = 0, nsampled = 0;
	int32_t thr, sigma;

	if (f->width != d->width || f->height != d->height || !f->luma ||
	    (f->step != 1 && f->step != 2))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->seq = f->seq;
	r->ts_ns = f->ts_ns;

	reduce(d, f);
	if (d->frames++ == 0) {
		relearn(d);
		memset(d->dev, 0, d->ncells * sizeof(*d->dev));
	}

	/*
	 * Robust global noise: median |cur - bg| over the watched cells; one
	 * cell in NOISE_STRIDE is plenty and keeps this pass cheap.
	 */
	memset(d->hist, 0, sizeof(d->hist));
	for (unsigned int i = 0; i < d->ncells; i += NOISE_STRIDE) {
		const int32_t diff = abs((int32_t)d->cur[i] - d->bg[i]) >> 4;

		d->hist[diff < HIST_BINS ? diff : HIST_BINS - 1] += d->active[i];
		nsampled += d->active[i];
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
		if (d->frames > 1) {
			d->noise_q8 = sigma;
			d->noise_valid = true;
		}
	} else if (sigma < 4 * d->noise_q8 + (2 << Q)) {
		/* smooth; ignore the spike of a global change */
		d->noise_q8 += (sigma - d->noise_q8) / 16;
	}
	thr = (d->noise_q8 * d->k16) >> 4;
	if (thr < d->floor_q8)
		thr = d->floor_q8;
	r->noise = d->noise_q8 / 256.0;
	r->threshold = thr / 256.0;

	changed = update_cells(d->cur, d->bg, d->dev, d->active, d->mask, d->ncells,
			       thr, d->kdev16, rate_base, rate_slow);

	if (d->frames > 1 && d->nactive &&
	    changed > d->p.global_change * d->nactive) {
		/* Lights or IR switched: the whole scene changed at once. */
		relearn(d);
		d->relearn_left = d->p.relearn_frames;
		d->motion_run = 0;
		r->global_change = true;
		r->learning = true;
		return 0;
	}
	if (d->relearn_left)
		d->relearn_left--;
	if (d->frames <= d->p.warmup_frames || d->relearn_left) {
		r->learning = true;
		d->motion_run = 0;
		return 0;
	}

	if (changed) {
		const unsigned int kept = find_blobs(d, r);

		r->changed_px = kept * d->cell * d->cell;
		r->score = d->nactive ? (double)kept / d->nactive : 0;
	}
	r->raw_motion = r->nblobs > 0;
	d->motion_run = r->raw_motion ? d->motion_run + 1 : 0;
	r->motion = d->motion_run >= d->p.min_motion_frames && r->raw_motion;
	return 0;
}
