// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every format reads the same luma: the same moving scene packed as GREY,
 * NV12, NV21, I420, YV12, YUYV and UYVY (chroma filled with varying bytes
 * that must not leak into the sums) gives identical detector results frame
 * by frame, with motion found, at sizes where the SIMD group loops have a
 * remainder (328 and 1288 wide) and with a padded stride.
 */
#include <stdint.h>

#include "libvigil.h"
#include "t.h"

static const enum vigil_pixfmt fmts[] = {
	VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_NV21, VIGIL_FMT_I420,
	VIGIL_FMT_YV12, VIGIL_FMT_YUYV, VIGIL_FMT_UYVY,
};
#define NFMT (sizeof(fmts) / sizeof(fmts[0]))

static uint64_t rng = 0x243f6a8885a308d3ULL;

static unsigned int rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)rng;
}

/* Luma of frame @n: textured background, noise, a dark box moving right. */
static void scene(uint8_t *y, unsigned int w, unsigned int h, unsigned int n)
{
	const unsigned int bx = 8 + n * (w / 48), bw = w / 8;

	for (unsigned int r = 0; r < h; r++) {
		for (unsigned int x = 0; x < w; x++) {
			int v = 70 + (int)(x * 64 / w) + (int)((x / 5 + r / 3) % 4) * 6 + (int)(rnd() & 3);

			if (n >= 25 && x >= bx && x < bx + bw && r >= h / 4 && r < h * 3 / 4)
				v -= 45;
			y[(size_t)r * w + x] = (uint8_t)v;
		}
	}
}

/* Pack @y into @buf as @fmt with luma stride @stride (packed: pairs). */
static size_t pack(uint8_t *buf, enum vigil_pixfmt fmt, const uint8_t *y,
		   unsigned int w, unsigned int h, size_t stride)
{
	const bool packed = fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY;
	const size_t plane = stride * h;
	size_t len = packed ? plane : plane + plane / 2;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rnd();	/* chroma and padding: noise */
	for (unsigned int r = 0; r < h; r++) {
		for (unsigned int x = 0; x < w; x++) {
			const uint8_t v = y[(size_t)r * w + x];

			if (!packed)
				buf[(size_t)r * stride + x] = v;
			else
				buf[(size_t)r * stride + 2 * x + (fmt == VIGIL_FMT_UYVY)] = v;
		}
	}
	return len;
}

static void run(unsigned int w, unsigned int h, unsigned int pad)
{
	struct vigil_detector *d[NFMT];
	struct vigil_detect_params p;
	uint8_t *y = malloc((size_t)w * h);
	uint8_t *buf = malloc(((size_t)w * 2 + pad) * h * 2);
	unsigned int motion = 0;

	vigil_detect_params_default(&p);
	for (size_t i = 0; i < NFMT; i++)
		T_EQ(vigil_detector_new(&p, w, h, &d[i]), 0);
	for (unsigned int n = 0; n < 40; n++) {
		struct vigil_detect_result r[NFMT];

		scene(y, w, h, n);
		for (size_t i = 0; i < NFMT; i++) {
			const bool packed = fmts[i] == VIGIL_FMT_YUYV || fmts[i] == VIGIL_FMT_UYVY;
			const size_t stride = (size_t)w * (packed ? 2 : 1) + pad;
			const size_t len = pack(buf, fmts[i], y, w, h, stride);
			struct vigil_frame f;

			T_EQ(vigil_frame_view(&f, fmts[i], w, h, stride, buf, len), 0);
			f.seq = n;
			T_EQ(vigil_detector_process(d[i], &f, &r[i]), 0);
			if (i == 0)
				continue;
			if (r[i].motion != r[0].motion || r[i].changed_px != r[0].changed_px ||
			    r[i].score != r[0].score || r[i].noise != r[0].noise) {
				fprintf(stderr, "%ux%u pad %u frame %u: %s motion %d area %u noise %f, GREY motion %d area %u noise %f\n",
					w, h, pad, n, vigil_pixfmt_name(fmts[i]), r[i].motion,
					r[i].changed_px, r[i].noise, r[0].motion,
					r[0].changed_px, r[0].noise);
				t_failures++;
			}
		}
		motion += r[0].motion;
	}
	if (!motion)
		fprintf(stderr, "%ux%u: no motion on the moving box\n", w, h);
	T_ASSERT(motion >= 10);
	for (size_t i = 0; i < NFMT; i++)
		vigil_detector_free(d[i]);
	free(buf);
	free(y);
}

int main(void)
{
	run(320, 240, 0);
	run(328, 240, 0);
	run(328, 240, 64);
	run(1288, 720, 0);
	return t_done();
}
