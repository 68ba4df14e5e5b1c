// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Detection of one 1920x1080 frame against one memcpy of that frame (in
 * its format: 2 bytes a pixel for YUYV/UYVY), per supported format, both
 * timed in the same run on the same frames (median of interleaved runs).
 * The frames contain motion: an object moves across a textured, noisy
 * background in every frame, so the blob and box path is timed too; the
 * benchmark fails if the detector does not report that motion. Prints one
 * JSON object per format; goal: ratio <= 2.
 *
 * MJPEG (vigild's decoder, agent/mjpeg.c: luma only, DCT-scaled to 960x540,
 * then detection) is timed against one memcpy of the 1080p YUYV frame the
 * camera would otherwise send.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <turbojpeg.h>

#include "libvigil.h"
#include "mjpeg.h"
#include "bench.h"

#define W 1920
#define H 1080
#define RUNS 201
#define NPOS 8		/* object positions, cycled */
#define FRAME_NS 33333333ULL	/* 30 fps timestamps: the detector's times are seconds */
#define LEARN 60	/* frames of background before the timed ones (2 s) */

/* Luma: textured background with noise; object at position @k (<0: none). */
static void render(uint8_t *y, int k)
{
	for (int r = 0; r < H; r++) {
		for (int x = 0; x < W; x++) {
			int v = 60 + x / 16 + ((x / 9 + r / 7) % 4) * 8 + (int)(rnd() & 7);

			if (k >= 0 && x >= 400 + k * 60 && x < 560 + k * 60 && r >= 300 && r < 760)
				v -= 50;
			y[(size_t)r * W + x] = (uint8_t)v;
		}
	}
}

static size_t pack(uint8_t *dst, enum vigil_pixfmt fmt, const uint8_t *y)
{
	const size_t n = (size_t)W * H;

	if (fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY) {
		const unsigned int lead = fmt == VIGIL_FMT_UYVY;

		for (size_t i = 0; i < n; i++) {
			dst[2 * i + lead] = y[i];
			dst[2 * i + !lead] = (uint8_t)(128 + (rnd() & 15));
		}
		return 2 * n;
	}
	memcpy(dst, y, n);
	if (fmt == VIGIL_FMT_GREY)
		return n;
	memset(dst + n, 128, n / 2);
	return n + n / 2;
}

static int bench(enum vigil_pixfmt fmt, uint8_t *const luma[NPOS + 1])
{
	struct vigil_detect_params p;
	struct vigil_detect_result r;
	struct vigil_detector *d;
	struct vigil_frame f;
	static uint64_t td[RUNS], tm[RUNS];
	uint8_t *frames[NPOS + 1], *dst;
	size_t len = 0;
	volatile uint8_t sink = 0;
	unsigned int motion = 0;
	double det, cpy;
	int ret;

	for (int k = 0; k <= NPOS; k++) {
		frames[k] = aligned_alloc(64, (size_t)W * H * 2);
		if (!frames[k])
			return 1;
		len = pack(frames[k], fmt, luma[k]);
	}
	dst = aligned_alloc(64, (size_t)W * H * 2);
	if (!dst)
		return 1;
	memset(dst, 0, len);
	vigil_detect_params_default(&p);
	ret = vigil_detector_new(&p, W, H, &d);
	if (ret) {
		fprintf(stderr, "detector: %s\n", strerror(-ret));
		return 1;
	}
	/* learn the background (frames[NPOS] has no object) */
	for (uint32_t i = 0; i < LEARN; i++) {
		vigil_frame_view(&f, fmt, W, H, 0, frames[NPOS], len);
		f.seq = i;
		f.ts_ns = i * FRAME_NS;
		vigil_detector_process(d, &f, &r);
	}
	for (int i = 0; i < RUNS; i++) {
		const uint8_t *src = frames[i % NPOS];
		uint64_t t0;

		vigil_frame_view(&f, fmt, W, H, 0, src, len);
		f.seq = (uint32_t)(LEARN + i);
		f.ts_ns = f.seq * FRAME_NS;
		t0 = now_ns();
		vigil_detector_process(d, &f, &r);
		td[i] = now_ns() - t0;
		motion += r.motion;
		t0 = now_ns();
		memcpy(dst, src, len);
		tm[i] = now_ns() - t0;
		sink ^= dst[i];
	}
	qsort(td, RUNS, sizeof(td[0]), cmp);
	qsort(tm, RUNS, sizeof(tm[0]), cmp);
	det = td[RUNS / 2] / 1000.0;
	cpy = tm[RUNS / 2] / 1000.0;
	if (motion < RUNS / 2) {
		fprintf(stderr, "detect-1080p %s: motion in %u of %d frames\n",
			vigil_pixfmt_name(fmt), motion, RUNS);
		return 1;
	}
	printf("{\"name\":\"detect-1080p-%s\",\"figure\":%.1f,\"unit\":\"us/frame\","
	       "\"baseline\":%.1f,\"baseline_name\":\"memcpy of the 1920x1080 %s frame (%zu bytes)\","
	       "\"ratio\":%.2f,\"goal\":\"<= 2\",\"cell\":%u,\"motion_frames\":%u,\"frames\":%d}\n",
	       vigil_pixfmt_name(fmt), det, cpy, vigil_pixfmt_name(fmt), len, det / cpy,
	       vigil_detector_cell(d), motion, RUNS);
	vigil_detector_free(d);
	for (int k = 0; k <= NPOS; k++)
		free(frames[k]);
	free(dst);
	return sink == 255 ? 0 : 0;
}

static int bench_mjpeg(uint8_t *const luma[NPOS + 1])
{
	struct vigil_detect_params p;
	struct vigil_detect_result r;
	struct vigil_detector *d = NULL;
	struct vigil_frame f;
	static uint64_t td[RUNS], tm[RUNS];
	unsigned char *jpeg[NPOS + 1] = { NULL };
	unsigned long jlen[NPOS + 1] = { 0 };
	uint8_t *yuv = malloc((size_t)W * H * 2), *dst = malloc((size_t)W * H * 2);
	tjhandle tj = tjInitCompress();
	struct mjpeg *m = NULL;
	unsigned int dw, dh, denom, motion = 0;
	volatile uint8_t sink = 0;
	double det, cpy, bytes = 0;
	int rc = 1;

	if (!yuv || !dst || !tj || mjpeg_new(W, H, false, &m))
		goto out;
	/* 4:2:2 JPEGs at quality 85, as UVC cameras send */
	for (int k = 0; k <= NPOS; k++) {
		memcpy(yuv, luma[k], (size_t)W * H);
		for (size_t i = 0; i < (size_t)W * H; i++)
			yuv[(size_t)W * H + i] = (uint8_t)(128 + (rnd() & 7));
		if (tjCompressFromYUV(tj, yuv, W, 1, H, TJSAMP_422, &jpeg[k], &jlen[k], 85, 0))
			goto out;
		bytes += (double)jlen[k];
	}
	mjpeg_size(m, &dw, &dh, &denom);
	vigil_detect_params_default(&p);
	if (vigil_detector_new(&p, dw, dh, &d))
		goto out;
	for (uint32_t i = 0; i < LEARN; i++) {
		if (mjpeg_decode(m, jpeg[NPOS], jlen[NPOS], &f))
			goto out;
		f.seq = i;
		f.ts_ns = i * FRAME_NS;
		vigil_detector_process(d, &f, &r);
	}
	memset(dst, 0, (size_t)W * H * 2);
	for (int i = 0; i < RUNS; i++) {
		const int k = i % NPOS;
		uint64_t t0;

		t0 = now_ns();
		if (mjpeg_decode(m, jpeg[k], jlen[k], &f))
			goto out;
		f.seq = (uint32_t)(LEARN + i);
		f.ts_ns = f.seq * FRAME_NS;
		vigil_detector_process(d, &f, &r);
		td[i] = now_ns() - t0;
		motion += r.motion;
		t0 = now_ns();
		memcpy(dst, luma[k], (size_t)W * H * 2 / 2);
		memcpy(dst + (size_t)W * H, yuv, (size_t)W * H);
		tm[i] = now_ns() - t0;
		sink ^= dst[i];
	}
	qsort(td, RUNS, sizeof(td[0]), cmp);
	qsort(tm, RUNS, sizeof(tm[0]), cmp);
	det = td[RUNS / 2] / 1000.0;
	cpy = tm[RUNS / 2] / 1000.0;
	if (motion < RUNS / 2) {
		fprintf(stderr, "detect-1080p MJPEG: motion in %u of %d frames\n", motion, RUNS);
		goto out;
	}
	printf("{\"name\":\"detect-1080p-MJPEG\",\"figure\":%.1f,\"unit\":\"us/frame\","
	       "\"baseline\":%.1f,\"baseline_name\":\"memcpy of the 1920x1080 YUYV frame (%zu bytes)\","
	       "\"ratio\":%.2f,\"goal\":\"<= 2\",\"decoded\":\"%ux%u (1/%u)\","
	       "\"jpeg_bytes\":%.0f,\"motion_frames\":%u,\"frames\":%d}\n",
	       det, cpy, (size_t)W * H * 2, det / cpy, dw, dh, denom,
	       bytes / (NPOS + 1), motion, RUNS);
	rc = sink == 255 ? 0 : 0;
out:
	if (rc)
		fprintf(stderr, "detect-1080p MJPEG: setup failed\n");
	vigil_detector_free(d);
	mjpeg_free(m);
	for (int k = 0; k <= NPOS; k++)
		tjFree(jpeg[k]);
	if (tj)
		tjDestroy(tj);
	free(dst);
	free(yuv);
	return rc;
}

int main(void)
{
	static const enum vigil_pixfmt fmts[] = {
		VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_I420, VIGIL_FMT_YUYV,
		VIGIL_FMT_UYVY,
	};
	uint8_t *luma[NPOS + 1];
	int rc = 0;

	for (int k = 0; k <= NPOS; k++) {
		luma[k] = malloc((size_t)W * H);
		if (!luma[k])
			return 1;
		render(luma[k], k < NPOS ? k : -1);
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		rc |= bench(fmts[i], luma);
	rc |= bench_mjpeg(luma);
	for (int k = 0; k <= NPOS; k++)
		free(luma[k]);
	return rc;
}
