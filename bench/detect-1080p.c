// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detection on one 1920x1080 luma frame against one memcpy of that frame,
 * both timed in the same run on the same frame (median of interleaved
 * runs). Prints one JSON object; goal: ratio <= 2.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvigil.h"

#define W 1920
#define H 1080
#define RUNS 301

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

int main(void)
{
	struct vigil_detect_params p;
	struct vigil_detect_result r;
	struct vigil_detector *d;
	struct vigil_frame f;
	static uint64_t td[RUNS], tm[RUNS];
	uint8_t *frames[2], *dst;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	volatile uint8_t sink = 0;
	double det, cpy;
	int ret;

	frames[0] = aligned_alloc(64, W * H);
	frames[1] = aligned_alloc(64, W * H);
	dst = aligned_alloc(64, W * H);
	if (!frames[0] || !frames[1] || !dst)
		return 1;
	/* textured background with noise; the second frame has an object */
	for (int k = 0; k < 2; k++) {
		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				int v = 60 + x / 16 + ((x / 9 + y / 7) % 4) * 8 + (int)(seed & 7);
				if (k && x >= 800 && x < 960 && y >= 300 && y < 760)
					v -= 50;
				frames[k][(size_t)y * W + x] = (uint8_t)v;
			}
		}
	}
	memset(dst, 0, W * H);
	vigil_detect_params_default(&p);
	ret = vigil_detector_new(&p, W, H, &d);
	if (ret) {
		fprintf(stderr, "detector: %s\n", strerror(-ret));
		return 1;
	}
	/* learn the background */
	for (uint32_t i = 0; i < 30; i++) {
		vigil_frame_view(&f, VIGIL_FMT_GREY, W, H, 0, frames[0], W * H);
		f.seq = i;
		vigil_detector_process(d, &f, &r);
	}
	for (int i = 0; i < RUNS; i++) {
		const uint8_t *src = frames[i & 1];
		uint64_t t0;

		vigil_frame_view(&f, VIGIL_FMT_GREY, W, H, 0, src, W * H);
		f.seq = (uint32_t)(30 + i);
		t0 = now_ns();
		vigil_detector_process(d, &f, &r);
		td[i] = now_ns() - t0;
		t0 = now_ns();
		memcpy(dst, src, W * H);
		tm[i] = now_ns() - t0;
		sink ^= dst[i];
	}
	qsort(td, RUNS, sizeof(td[0]), cmp);
	qsort(tm, RUNS, sizeof(tm[0]), cmp);
	det = td[RUNS / 2] / 1000.0;
	cpy = tm[RUNS / 2] / 1000.0;
	printf("{\"name\":\"detect-1080p\",\"figure\":%.1f,\"unit\":\"us/frame\","
	       "\"baseline\":%.1f,\"baseline_name\":\"memcpy of the 1920x1080 luma frame\","
	       "\"ratio\":%.2f,\"goal\":\"<= 2\",\"cell\":%u}\n",
	       det, cpy, det / cpy, vigil_detector_cell(d));
	vigil_detector_free(d);
	free(frames[0]);
	free(frames[1]);
	free(dst);
	return sink == 255 ? 0 : 0;
}
