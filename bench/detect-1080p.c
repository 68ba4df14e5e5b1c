// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detection of one 1920x1080 frame against one memcpy of that frame (the
 * whole buffer of its format), both timed in the same run on the same
 * frames (median of interleaved runs), for each format the detector reads.
 * Every timed frame contains motion: a person-sized object crosses a
 * learnt, textured, noisy background, and the benchmark fails if a timed
 * frame is not motion. Prints one JSON object per format; goal: ratio <= 2.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvigil.h"

#define W 1920
#define H 1080
#define RUNS 201
#define NMOVE 8			/* frames of the crossing, cycled */
#define LEARN 60		/* background frames (2 s at 30 fps) */
#define FRAME_NS 33333333ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Luma of frame @k: background, plus an object at step @k (k > 0). */
static void render(uint8_t *y, int k, uint64_t *seed)
{
	for (int r = 0; r < H; r++) {
		for (int x = 0; x < W; x++) {
			int v;

			*seed ^= *seed << 13;
			*seed ^= *seed >> 7;
			*seed ^= *seed << 17;
			v = 60 + x / 16 + ((x / 9 + r / 7) % 4) * 8 + (int)(*seed & 7);
			if (k > 0 && x >= 300 + k * 120 && x < 460 + k * 120 &&
			    r >= 300 && r < 760)
				v -= 50;
			y[(size_t)r * W + x] = (uint8_t)v;
		}
	}
}

/* Pack the luma @y into a frame of @fmt (chroma flat). */
static void pack(enum vigil_pixfmt fmt, const uint8_t *y, uint8_t *out, size_t size)
{
	memset(out, 128, size);
	if (fmt == VIGIL_FMT_YUYV) {
		for (size_t i = 0; i < (size_t)W * H; i++)
			out[2 * i] = y[i];
	} else {
		memcpy(out, y, (size_t)W * H);
	}
}

static int bench(enum vigil_pixfmt fmt, uint8_t *const luma[NMOVE + 1])
{
	static uint64_t td[RUNS], tm[RUNS];
	struct vigil_detect_params p;
	struct vigil_detect_result r;
	struct vigil_detector *d;
	struct vigil_frame f;
	uint8_t *frames[NMOVE + 1], *dst;
	volatile uint8_t sink = 0;
	unsigned int motion = 0;
	uint32_t seq = 0;
	size_t size;
	double det, cpy;
	int ret;

	if (vigil_pixfmt_frame_size(fmt, W, H, &size))
		return 1;
	dst = aligned_alloc(64, size);
	for (int k = 0; k <= NMOVE; k++) {
		frames[k] = aligned_alloc(64, size);
		if (!frames[k] || !dst)
			return 1;
		pack(fmt, luma[k], frames[k], size);
	}
	memset(dst, 0, size);
	vigil_detect_params_default(&p);
	ret = vigil_detector_new(&p, W, H, &d);
	if (ret) {
		fprintf(stderr, "detector: %s\n", strerror(-ret));
		return 1;
	}
	/* learn the background */
	for (int i = 0; i < LEARN; i++, seq++) {
		vigil_frame_view(&f, fmt, W, H, 0, frames[0], size);
		f.seq = seq;
		f.ts_ns = seq * FRAME_NS;
		vigil_detector_process(d, &f, &r);
	}
	for (int i = 0; i < RUNS; i++, seq++) {
		const uint8_t *src = frames[1 + i % NMOVE];
		uint64_t t0;

		vigil_frame_view(&f, fmt, W, H, 0, src, size);
		f.seq = seq;
		f.ts_ns = seq * FRAME_NS;
		t0 = now_ns();
		vigil_detector_process(d, &f, &r);
		td[i] = now_ns() - t0;
		t0 = now_ns();
		memcpy(dst, src, size);
		tm[i] = now_ns() - t0;
		sink ^= dst[i];
		motion += r.raw_motion;
	}
	if (motion != RUNS) {
		fprintf(stderr, "detect-1080p: %s: motion in %u of %d timed frames\n",
			vigil_pixfmt_name(fmt), motion, RUNS);
		return 1;
	}
	qsort(td, RUNS, sizeof(td[0]), cmp);
	qsort(tm, RUNS, sizeof(tm[0]), cmp);
	det = td[RUNS / 2] / 1000.0;
	cpy = tm[RUNS / 2] / 1000.0;
	printf("{\"name\":\"detect-1080p-%s\",\"figure\":%.1f,\"unit\":\"us/frame\","
	       "\"baseline\":%.1f,\"baseline_name\":\"memcpy of the 1920x1080 %s frame\","
	       "\"ratio\":%.2f,\"goal\":\"<= 2\",\"cell\":%u,\"motion_frames\":%u}\n",
	       vigil_pixfmt_name(fmt), det, cpy, vigil_pixfmt_name(fmt), det / cpy,
	       vigil_detector_cell(d), motion);
	vigil_detector_free(d);
	for (int k = 0; k <= NMOVE; k++)
		free(frames[k]);
	free(dst);
	return sink == 255 ? 0 : 0;
}

int main(void)
{
	static const enum vigil_pixfmt fmts[] = {
		VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_I420, VIGIL_FMT_YUYV,
	};
	uint8_t *luma[NMOVE + 1];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int ret = 0;

	for (int k = 0; k <= NMOVE; k++) {
		luma[k] = malloc((size_t)W * H);
		if (!luma[k])
			return 1;
		render(luma[k], k, &seed);
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]) && !ret; i++)
		ret = bench(fmts[i], luma);
	for (int k = 0; k <= NMOVE; k++)
		free(luma[k]);
	return ret;
}
