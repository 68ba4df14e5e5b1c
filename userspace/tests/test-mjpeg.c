// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's MJPEG path (agent/mjpeg.c). Luma mode: frames compressed with
 * libturbojpeg (4:2:2, as UVC cameras send) decode to a luma plane at the
 * reduced scale, close to the box-averaged original; a box moving through
 * them is motion for the detector; a corrupt or differently sized image is
 * an error. Colour mode: each subsampling maps to its format (4:2:0 I420,
 * 4:2:2 YUYV, grey GREY, the rest I420 converted), the planes are exactly
 * libturbojpeg's own YUV decode (converted chroma: the 2x2 mean of it);
 * a stream whose subsampling changes keeps its format; corrupt frames are
 * errors and the stream goes on.
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

/* ---- colour ---- */

#define CW 320
#define CH 240

static void test_mapping(void)
{
	enum vigil_pixfmt f = VIGIL_FMT_NV12;

	T_EQ(mjpeg_format_for(TJSAMP_GRAY, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_GREY);
	T_EQ(mjpeg_format_for(TJSAMP_420, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(TJSAMP_420, 641, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(TJSAMP_422, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_YUYV);
	T_EQ(mjpeg_format_for(TJSAMP_422, 641, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(TJSAMP_444, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(TJSAMP_440, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(TJSAMP_411, 640, &f), 0);
	T_EQ(f, VIGIL_FMT_I420);
	T_EQ(mjpeg_format_for(-1, 640, &f), -EINVAL);
	T_EQ(mjpeg_format_for(TJ_NUMSAMP, 640, &f), -EINVAL);
}

/* A smooth colour scene with an edge: Cb along x, Cr along y. */
static uint8_t scene(int comp, unsigned int x, unsigned int y, unsigned int w,
		     unsigned int h, unsigned int n)
{
	if (comp == 0)
		return (uint8_t)(40 + (x * 150) / w + ((x + n * 8) / 32 % 2) * 30);
	if (comp == 1)
		return (uint8_t)(78 + (x * 100) / w);
	return (uint8_t)(178 - (y * 100) / h + n);
}

/* A JPEG of @w x @h at subsampling @sub, frame @n of the scene. */
static int encode(tjhandle tj, unsigned int w, unsigned int h, int sub, unsigned int n,
		  unsigned char **jpeg, unsigned long *len)
{
	uint8_t *pl[3] = { NULL };
	int strides[3], ret = -1;

	for (int c = 0; c < (sub == TJSAMP_GRAY ? 1 : 3); c++) {
		const int pw = tjPlaneWidth(c, (int)w, sub), ph = tjPlaneHeight(c, (int)h, sub);

		strides[c] = pw;
		pl[c] = malloc((size_t)pw * ph);
		if (!pl[c])
			goto out;
		for (int y = 0; y < ph; y++)
			for (int x = 0; x < pw; x++)
				pl[c][(size_t)y * pw + x] =
					scene(c, (unsigned int)(x * (int)w / pw),
					      (unsigned int)(y * (int)h / ph), w, h, n);
	}
	ret = tjCompressFromYUVPlanes(tj, (const unsigned char **)pl, (int)w, strides, (int)h,
				      sub, jpeg, len, 95, 0);
out:
	for (int c = 0; c < 3; c++)
		free(pl[c]);
	return ret;
}

/* libturbojpeg's own decode of @jpeg to planes (the reference). */
static void reference(tjhandle td, const unsigned char *jpeg, unsigned long len,
		      unsigned int w, unsigned int h, int sub, uint8_t *pl[3], int strides[3])
{
	for (int c = 0; c < 3; c++) {
		const bool none = c && sub == TJSAMP_GRAY;

		strides[c] = none ? 0 : tjPlaneWidth(c, (int)w, sub);
		pl[c] = none ? NULL :
			calloc((size_t)strides[c] * tjPlaneHeight(c, (int)h, sub) + 1, 1);
	}
	if (sub == TJSAMP_GRAY)
		T_EQ(tjDecompress2(td, jpeg, len, pl[0], (int)w, (int)w, (int)h, TJPF_GRAY, 0), 0);
	else
		T_EQ(tjDecompressToYUVPlanes(td, jpeg, len, pl, (int)w, strides, (int)h, 0), 0);
}

/* The expected 4:2:0 or 4:2:2 (@bh 1) chroma sample over luma (x0, y0). */
static int expect(const uint8_t *c, int stride, int sub, unsigned int w, unsigned int h,
		  unsigned int x0, unsigned int y0, unsigned int bh)
{
	const unsigned int hf = (unsigned int)tjMCUWidth[sub] / 8;
	const unsigned int vf = (unsigned int)tjMCUHeight[sub] / 8;
	unsigned int sum = 0, n = 0;

	if (sub == TJSAMP_GRAY)
		return 128;
	for (unsigned int y = y0; y < y0 + bh && y < h; y++)
		for (unsigned int x = x0; x < x0 + 2 && x < w; x++, n++)
			sum += c[(y / vf) * (unsigned int)stride + x / hf];
	return (int)((sum + n / 2) / n);
}

/*
 * @f (decoded by mjpeg) against the reference planes of a JPEG at @sub:
 * luma equal; chroma equal to the mean of the reference's chroma under
 * each sample (equal, for the native subsampling). Returns the mean
 * |chroma - scene| to show the colour is the scene's.
 */
static double check_frame(const struct vigil_frame *f, uint8_t *ref[3], int strides[3],
			  int sub, unsigned int w, unsigned int h, unsigned int n)
{
	const bool yuyv = f->fmt == VIGIL_FMT_YUYV;
	const unsigned int bh = yuyv ? 1 : 2;
	unsigned long bad = 0, cnt = 0;
	double err = 0;

	T_EQ(f->width, w);
	T_EQ(f->height, h);
	for (unsigned int y = 0; y < h; y++)
		for (unsigned int x = 0; x < w; x++)
			bad += f->luma[(size_t)y * f->stride + (size_t)x * f->step] !=
			       ref[0][(size_t)y * strides[0] + x];
	for (unsigned int y = 0; y < h && f->fmt != VIGIL_FMT_GREY; y += bh) {
		for (unsigned int x = 0; x < w; x += 2) {
			for (int c = 1; c < 3; c++) {
				const int e = expect(ref[c], strides[c], sub, w, h, x, y, bh);
				const int got = yuyv ?
					f->plane[0][(size_t)y * f->pitch[0] + 2 * x + (c == 1 ? 1 : 3)] :
					f->plane[c][(size_t)(y / 2) * f->pitch[c] + x / 2];

				bad += got != e;
				if (sub != TJSAMP_GRAY)
					err += abs(got - scene(c, x, y, w, h, n));
				cnt++;
			}
		}
	}
	T_EQ(bad, 0);
	return cnt ? err / (double)cnt : 0;
}

static void test_colour(unsigned int w, unsigned int h)
{
	static const int subs[] = {
		TJSAMP_420, TJSAMP_422, TJSAMP_GRAY, TJSAMP_444, TJSAMP_440, TJSAMP_411,
	};
	tjhandle tj = tjInitCompress(), td = tjInitDecompress();

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		const int sub = subs[i];
		enum vigil_pixfmt want, got;
		unsigned char *jpeg = NULL;
		unsigned long jlen = 0;
		uint8_t *ref[3];
		int strides[3];
		struct vigil_frame f;
		struct mjpeg *m;
		unsigned int dw, dh, denom;
		uint8_t *packed;
		size_t size;
		const char *name = NULL;
		double err;

		T_EQ(encode(tj, w, h, sub, 0, &jpeg, &jlen), 0);
		T_EQ(mjpeg_new(w, h, true, &m), 0);
		mjpeg_size(m, &dw, &dh, &denom);
		T_EQ(denom, 1);
		T_EQ(dw, w);
		T_EQ(mjpeg_format(m, &got), -ENODATA);
		T_EQ(mjpeg_format_for(sub, w, &want), 0);
		T_EQ(mjpeg_probe(m, jpeg, jlen, &got, &name), 0);
		T_EQ(got, want);
		T_STRSTR(name, mjpeg_subsamp_name(sub));
		T_EQ(mjpeg_decode(m, jpeg, jlen, &f), 0);
		T_EQ(mjpeg_format(m, &got), 0);
		T_EQ(got, want);
		T_EQ(vigil_frame_format(&f), want);
		T_EQ(mjpeg_converted(m), 0);
		reference(td, jpeg, jlen, w, h, sub, ref, strides);
		if (want == VIGIL_FMT_GREY) {
			T_EQ(f.nplanes, 1);
			check_frame(&f, ref, strides, sub, w, h, 0);	/* luma only */
		} else {
			err = check_frame(&f, ref, strides, sub, w, h, 0);
			fprintf(stderr, "%ux%u %s -> %s: mean |chroma - scene| %.2f\n", w, h,
				mjpeg_subsamp_name(sub), vigil_pixfmt_name(want), err);
			T_ASSERT(err < 3.0);
		}
		/* what the recorder stores: the frame packed in its own format */
		T_EQ(vigil_pixfmt_frame_size(want, w, h, &size), 0);
		packed = malloc(size);
		T_EQ(vigil_frame_pack(&f, want, packed, size), 0);
		free(packed);
		/* a truncated frame is an error; the stream goes on */
		T_EQ(mjpeg_decode(m, jpeg, jlen / 2, &f), -EBADMSG);
		T_EQ(mjpeg_decode(m, jpeg, jlen, &f), 0);
		T_EQ(vigil_frame_format(&f), want);
		for (int c = 0; c < 3; c++)
			free(ref[c]);
		tjFree(jpeg);
		mjpeg_free(m);
	}
	tjDestroy(tj);
	tjDestroy(td);
}

/* The live stream's passthrough: the frame's own JPEG, only for that frame. */
static void test_passthrough(void)
{
	static const uint8_t jpeg[] = { 0xff, 0xd8, 1, 2, 0xff, 0xd9, 0, 0, 0 };
	static const uint8_t y[4];
	struct vigil_frame f, g;
	const void *p = NULL;
	size_t len = 0;

	T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, 2, 2, 2, y, sizeof(y)), 0);
	f.seq = 7;
	f.ts_ns = 1000;
	g = f;
	g.seq = 8;
	T_EQ(mjpeg_frame_jpeg(&f, &p, &len), -ENOENT);
	mjpeg_frame_set(&f, jpeg, sizeof(jpeg));
	T_EQ(mjpeg_frame_jpeg(&f, &p, &len), 0);
	T_ASSERT(p == jpeg);
	T_EQ(len, 6);	/* the padding after FF D9 left out */
	T_EQ(mjpeg_frame_jpeg(&g, &p, &len), -ENOENT);
	mjpeg_frame_clear();
	T_EQ(mjpeg_frame_jpeg(&f, &p, &len), -ENOENT);
	mjpeg_frame_set(&f, jpeg, 3);	/* no end-of-image marker: nothing */
	T_EQ(mjpeg_frame_jpeg(&f, &p, &len), -ENOENT);
	mjpeg_frame_clear();
}

/* A camera switching subsampling mid-stream: the stream's format stays. */
static void test_change(void)
{
	static const struct {
		int first, then;
		enum vigil_pixfmt fmt;
	} cases[] = {
		{ TJSAMP_422, TJSAMP_420, VIGIL_FMT_YUYV },
		{ TJSAMP_422, TJSAMP_GRAY, VIGIL_FMT_YUYV },
		{ TJSAMP_422, TJSAMP_444, VIGIL_FMT_YUYV },
		{ TJSAMP_420, TJSAMP_422, VIGIL_FMT_I420 },
		{ TJSAMP_420, TJSAMP_411, VIGIL_FMT_I420 },
		{ TJSAMP_GRAY, TJSAMP_420, VIGIL_FMT_GREY },
	};
	tjhandle tj = tjInitCompress(), td = tjInitDecompress();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *jpeg = NULL;
		unsigned long jlen = 0;
		struct vigil_frame f;
		struct mjpeg *m;
		enum vigil_pixfmt got;
		uint8_t *ref[3];
		int strides[3];
		double err;

		T_EQ(mjpeg_new(CW, CH, true, &m), 0);
		T_EQ(encode(tj, CW, CH, cases[i].first, 0, &jpeg, &jlen), 0);
		T_EQ(mjpeg_decode(m, jpeg, jlen, &f), 0);
		T_EQ(vigil_frame_format(&f), cases[i].fmt);
		T_EQ(encode(tj, CW, CH, cases[i].then, 1, &jpeg, &jlen), 0);
		T_EQ(mjpeg_decode(m, jpeg, jlen, &f), 0);
		T_EQ(vigil_frame_format(&f), cases[i].fmt);
		T_EQ(mjpeg_format(m, &got), 0);
		T_EQ(got, cases[i].fmt);
		T_EQ(mjpeg_converted(m), cases[i].fmt != VIGIL_FMT_GREY);
		reference(td, jpeg, jlen, CW, CH, cases[i].then, ref, strides);
		err = check_frame(&f, ref, strides, cases[i].then, CW, CH, 1);
		if (cases[i].fmt != VIGIL_FMT_GREY && cases[i].then != TJSAMP_GRAY)
			T_ASSERT(err < 3.0);
		for (int c = 0; c < 3; c++)
			free(ref[c]);
		tjFree(jpeg);
		mjpeg_free(m);
	}
	/* a fixed format: only that one is accepted again */
	{
		struct mjpeg *m;

		T_EQ(mjpeg_new(CW + 1, CH, true, &m), 0);
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_YUYV), -EINVAL);	/* odd width */
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_NV12), -EINVAL);
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_I420), 0);
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_I420), 0);
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_GREY), -EINVAL);
		mjpeg_free(m);
		T_EQ(mjpeg_new(CW, CH, false, &m), 0);
		T_EQ(mjpeg_set_format(m, VIGIL_FMT_I420), -EINVAL);	/* luma mode */
		mjpeg_free(m);
	}
	tjDestroy(tj);
	tjDestroy(td);
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
	T_EQ(mjpeg_new(0, H, false, &m), -EINVAL);
	T_EQ(mjpeg_new(W, H, false, &m), 0);
	mjpeg_size(m, &dw, &dh, &denom);
	T_EQ(denom, 2);
	T_EQ(dw, W / 2);
	T_EQ(dh, H / 2);
	{
		struct mjpeg *small;

		T_EQ(mjpeg_new(640, 480, false, &small), 0);
		mjpeg_size(small, &dw, &dh, &denom);
		T_EQ(denom, 1);
		mjpeg_free(small);
		T_EQ(mjpeg_new(3840, 2160, false, &small), 0);
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
	test_passthrough();
	test_mapping();
	test_colour(CW, CH);
	test_colour(CW + 1, CH + 1);	/* odd: 4:2:2 cannot be YUYV */
	test_change();
	return t_done();
}
