// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cost of recording an MJPEG camera in colour: vigild's colour decode
 * (agent/mjpeg.c: the YCbCr planes at full size, no colour conversion,
 * 4:2:2 interleaved to YUYV) against its luma-only decode (DCT-scaled to
 * at least 640 wide, what detection alone needs), on the same JPEGs in the
 * same run (median of interleaved runs), at 720p and 1080p, for 4:2:2
 * (UVC cameras) and 4:2:0 JPEGs at quality 85 of a textured, noisy,
 * coloured scene. One JSON object per size and subsampling.
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

#define RUNS 41
#define NJPEG 4

/* Frame @k: tiles, gradients and noise in every plane (I444 rows). */
static void render(uint8_t *p, unsigned int w, unsigned int h, unsigned int k)
{
	for (unsigned int c = 0; c < 3; c++)
		for (unsigned int y = 0; y < h; y++)
			for (unsigned int x = 0; x < w; x++)
				p[((size_t)c * h + y) * w + x] = (uint8_t)(
					(c ? 80 + (c == 1 ? x : y) * 96 / (c == 1 ? w : h) :
					 40 + (((x + 7 * k) / 24 + y / 24) % 2) * 90 + x * 60 / w) +
					(rnd() & 7));
}

static int bench(unsigned int w, unsigned int h, int sub)
{
	static uint64_t tl[RUNS], tc[RUNS];
	unsigned char *jpeg[NJPEG] = { NULL };
	unsigned long jlen[NJPEG] = { 0 };
	uint8_t *rgb = malloc((size_t)w * h * 3);
	tjhandle tj = tjInitCompress();
	struct mjpeg *luma = NULL, *colour = NULL;
	struct vigil_frame f;
	enum vigil_pixfmt fmt = VIGIL_FMT_GREY;
	unsigned int lw, lh, denom;
	double bytes = 0, l, c;
	int rc = 1;

	if (!rgb || !tj || mjpeg_new(w, h, false, &luma) || mjpeg_new(w, h, true, &colour))
		goto out;
	for (unsigned int k = 0; k < NJPEG; k++) {
		const unsigned char *pl[3] = {
			rgb, rgb + (size_t)w * h, rgb + (size_t)2 * w * h
		};
		uint8_t *sub_pl[3];
		int strides[3];

		render(rgb, w, h, k);
		/* subsample by point sampling: the JPEG's planes */
		for (int i = 0; i < 3; i++) {
			const int pw = tjPlaneWidth(i, (int)w, sub), ph = tjPlaneHeight(i, (int)h, sub);

			strides[i] = pw;
			sub_pl[i] = malloc((size_t)pw * ph);
			if (!sub_pl[i])
				goto out;
			for (int y = 0; y < ph; y++)
				for (int x = 0; x < pw; x++)
					sub_pl[i][(size_t)y * pw + x] =
						pl[i][(size_t)(y * (int)h / ph) * w +
						      (size_t)(x * (int)w / pw)];
		}
		if (tjCompressFromYUVPlanes(tj, (const unsigned char **)sub_pl, (int)w, strides,
					    (int)h, sub, &jpeg[k], &jlen[k], 85, 0))
			goto out;
		for (int i = 0; i < 3; i++)
			free(sub_pl[i]);
		bytes += (double)jlen[k];
	}
	/* warm up: buffers allocated and touched, the stream's format fixed */
	for (unsigned int k = 0; k < NJPEG; k++)
		if (mjpeg_decode(luma, jpeg[k], jlen[k], &f) ||
		    mjpeg_decode(colour, jpeg[k], jlen[k], &f))
			goto out;
	for (int i = 0; i < RUNS; i++) {
		const unsigned int k = (unsigned int)i % NJPEG;
		uint64_t t0 = now_ns();

		if (mjpeg_decode(luma, jpeg[k], jlen[k], &f))
			goto out;
		tl[i] = now_ns() - t0;
		t0 = now_ns();
		if (mjpeg_decode(colour, jpeg[k], jlen[k], &f))
			goto out;
		tc[i] = now_ns() - t0;
	}
	qsort(tl, RUNS, sizeof(tl[0]), cmp);
	qsort(tc, RUNS, sizeof(tc[0]), cmp);
	l = tl[RUNS / 2] / 1000.0;
	c = tc[RUNS / 2] / 1000.0;
	mjpeg_size(luma, &lw, &lh, &denom);
	mjpeg_format(colour, &fmt);
	printf("{\"name\":\"mjpeg-decode-colour-%up-%s\",\"figure\":%.1f,\"unit\":\"us/frame\","
	       "\"baseline\":%.1f,\"baseline_name\":\"luma-only decode of the same JPEGs "
	       "(%ux%u, 1/%u)\",\"ratio\":%.2f,\"colour_format\":\"%s\",\"jpeg_bytes\":%.0f,"
	       "\"frames\":%d}\n",
	       h, sub == TJSAMP_422 ? "422" : "420", c, l, lw, lh, denom, c / l,
	       vigil_pixfmt_name(fmt), bytes / NJPEG, RUNS);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "mjpeg-decode %ux%u: setup or decode failed\n", w, h);
	mjpeg_free(luma);
	mjpeg_free(colour);
	for (int k = 0; k < NJPEG; k++)
		tjFree(jpeg[k]);
	if (tj)
		tjDestroy(tj);
	free(rgb);
	return rc;
}

int main(void)
{
	return bench(1280, 720, TJSAMP_422) || bench(1920, 1080, TJSAMP_422) ||
	       bench(1920, 1080, TJSAMP_420);
}
