// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's MJPEG path (agent/mjpeg.c): frames compressed with libturbojpeg
 * (4:2:2, as UVC cameras send) decode to a luma plane at the reduced scale,
 * close to the box-averaged original; a box moving through them is motion
 * for the detector; a corrupt or differently sized image is an error.
 */
#include <stdint.h>

#include <turbojpeg.h>

#include "libvigil.h"
#include "mjpeg.h"
#include "t.h"

#define W 1280
#define H 720

static void render(uint8_t *yuyv, uint8_t *luma, unsigned int n)
{
	const unsigned int bx = 100 + n * 24;

	for (unsigned int y = 0; y < H; y++) {
		for (unsigned int x = 0; x < W; x++) {
			int v = 60 + (int)(x / 16) + (int)(((x / 40) + (y / 40)) % 2) * 30;

			if (n >= 25 && x >= bx && x < bx + 120 && y >= 200 && y < 520)
				v = 20;
			luma[(size_t)y * W + x] = (uint8_t)v;
		}
	}
	/* planar 4:2:2 for tjCompressFromYUV: Y, then U and V at W/2 x H */
	memcpy(yuyv, luma, (size_t)W * H);
	memset(yuyv + (size_t)W * H, 128, (size_t)W * H);
}

int main(void)
{
	static uint8_t yuv[W * H * 2], luma[W * H];
	struct vigil_detect_params p;
	struct vigil_detector *d = NULL;
	struct vigil_frame f;
	struct mjpeg *m;
	tjhandle tj = tjInitCompress();
	unsigned int dw, dh, denom, motion = 0;
	unsigned char *jpeg = NULL;
	unsigned long jlen = 0;
	double err = 0;

	T_ASSERT(tj != NULL);
	T_EQ(mjpeg_new(0, H, &m), -EINVAL);
	T_EQ(mjpeg_new(W, H, &m), 0);
	mjpeg_size(m, &dw, &dh, &denom);
	T_EQ(denom, 2);
	T_EQ(dw, W / 2);
	T_EQ(dh, H / 2);
	{
		struct mjpeg *small;

		T_EQ(mjpeg_new(640, 480, &small), 0);
		mjpeg_size(small, &dw, &dh, &denom);
		T_EQ(denom, 1);
		mjpeg_free(small);
		T_EQ(mjpeg_new(3840, 2160, &small), 0);
		mjpeg_size(small, &dw, &dh, &denom);
		T_EQ(denom, 4);
		T_EQ(dw, 960);
		mjpeg_free(small);
	}
	vigil_detect_params_default(&p);
	T_EQ(vigil_detector_new(&p, W / 2, H / 2, &d), 0);
	for (unsigned int n = 0; n < 40 && d; n++) {
		struct vigil_detect_result r;

		render(yuv, luma, n);
		T_EQ(tjCompressFromYUV(tj, yuv, W, 1, H, TJSAMP_422, &jpeg, &jlen, 85, 0), 0);
		T_EQ(mjpeg_decode(m, jpeg, jlen, &f), 0);
		T_EQ(f.width, W / 2);
		T_EQ(f.height, H / 2);
		if (n == 0) {
			/* each decoded pixel is about the mean of its 2x2 block */
			for (unsigned int y = 0; y < H / 2; y++) {
				for (unsigned int x = 0; x < W / 2; x++) {
					const uint8_t *q = luma + (size_t)2 * y * W + 2 * x;
					const int mean = (q[0] + q[1] + q[W] + q[W + 1] + 2) / 4;

					err += abs((int)f.luma[(size_t)y * f.stride + x] - mean);
				}
			}
			err /= (double)(W / 2) * (H / 2);
			fprintf(stderr, "mean |decoded - 2x2 mean| = %.2f\n", err);
			T_ASSERT(err < 3.0);
		}
		f.seq = n;
		T_EQ(vigil_detector_process(d, &f, &r), 0);
		motion += r.motion;
	}
	fprintf(stderr, "motion in %u of 15 frames with the moving box\n", motion);
	T_ASSERT(motion >= 10);

	/* garbage, a truncated image, an image of another size */
	T_EQ(mjpeg_decode(m, "not a jpeg", 10, &f), -EBADMSG);
	T_ASSERT(strlen(mjpeg_error(m)) > 0);
	T_EQ(mjpeg_decode(m, jpeg, 0, &f), -EBADMSG);
	T_EQ(mjpeg_decode(m, jpeg, 100, &f), -EBADMSG);
	T_EQ(tjCompressFromYUV(tj, yuv, W / 2, 1, H, TJSAMP_422, &jpeg, &jlen, 85, 0), 0);
	T_EQ(mjpeg_decode(m, jpeg, jlen, &f), -EINVAL);
	T_STRSTR(mjpeg_error(m), "the stream 1280x720");

	tjFree(jpeg);
	tjDestroy(tj);
	vigil_detector_free(d);
	mjpeg_free(m);
	return t_done();
}
