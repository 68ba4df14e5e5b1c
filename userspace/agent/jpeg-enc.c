// SPDX-License-Identifier: GPL-2.0-or-later
/* Frames to JPEG from their YUV planes (see jpeg-enc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "jpeg-enc.h"

struct jpeg_enc {
	tjhandle tj;
	unsigned char *jpeg;		/* tjAlloc'd, grown by the encoder */
	unsigned long cap;
	uint8_t *scratch;		/* planes split from interleaved ones */
	size_t scratch_cap;
	char error[128];
};

int jpeg_enc_new(struct jpeg_enc **out)
{
	struct jpeg_enc *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->tj = tjInitCompress();
	if (!e->tj) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

void jpeg_enc_free(struct jpeg_enc *e)
{
	if (!e)
		return;
	tjDestroy(e->tj);
	tjFree(e->jpeg);
	free(e->scratch);
	free(e);
}

const char *jpeg_enc_error(const struct jpeg_enc *e)
{
	return e->error;
}

static uint8_t *scratch(struct jpeg_enc *e, size_t n)
{
	if (n > e->scratch_cap) {
		uint8_t *p = realloc(e->scratch, n);

		if (!p)
			return NULL;
		e->scratch = p;
		e->scratch_cap = n;
	}
	return e->scratch;
}

/* Interleaved pairs (@a, @b of each pair) of @w x @h into two planes. */
static void split(const uint8_t *src, size_t pitch, unsigned int w, unsigned int h,
		  uint8_t *a, uint8_t *b)
{
	for (unsigned int y = 0; y < h; y++) {
		const uint8_t *s = src + (size_t)y * pitch;

		for (unsigned int x = 0; x < w; x++) {
			a[x] = s[2 * x];
			b[x] = s[2 * x + 1];
		}
		a += w;
		b += w;
	}
}

/*
 * The frame's Y, Cb and Cr planes and their strides, splitting what is
 * interleaved. Returns the subsampling (TJSAMP_*), or -ENOMEM.
 */
static int planes(struct jpeg_enc *e, const struct vigil_frame *f,
		  const unsigned char *p[3], int s[3])
{
	const unsigned int w = f->width, h = f->height;
	const unsigned int cw = (w + 1) / 2, ch = (h + 1) / 2;
	uint8_t *t;

	switch (vigil_frame_format(f)) {
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
		t = scratch(e, 2 * (size_t)cw * ch);
		if (!t)
			return -ENOMEM;
		p[0] = f->plane[0];
		s[0] = (int)f->pitch[0];
		if (f->fmt == VIGIL_FMT_NV12)
			split(f->plane[1], f->pitch[1], cw, ch, t, t + (size_t)cw * ch);
		else
			split(f->plane[1], f->pitch[1], cw, ch, t + (size_t)cw * ch, t);
		p[1] = t;
		p[2] = t + (size_t)cw * ch;
		s[1] = s[2] = (int)cw;
		return TJSAMP_420;
	case VIGIL_FMT_I420:
	case VIGIL_FMT_YV12: {
		const unsigned int u = f->fmt == VIGIL_FMT_I420 ? 1 : 2;

		for (unsigned int i = 0; i < 3; i++) {
			const unsigned int k = i == 0 ? 0 : i == 1 ? u : 3 - u;

			p[i] = f->plane[k];
			s[i] = (int)f->pitch[k];
		}
		return TJSAMP_420;
	}
	case VIGIL_FMT_YUYV:
	case VIGIL_FMT_UYVY: {
		const size_t luma = (size_t)w * h, nc = (size_t)(w / 2) * h;
		/* Y at byte 0 (YUYV) or 1 (UYVY) of each pair of bytes */
		const unsigned int yo = f->fmt == VIGIL_FMT_UYVY;

		t = scratch(e, luma + 2 * nc);
		if (!t)
			return -ENOMEM;
		for (unsigned int y = 0; y < h; y++) {
			const uint8_t *r = f->plane[0] + (size_t)y * f->pitch[0];
			uint8_t *ty = t + (size_t)y * w;
			uint8_t *tu = t + luma + (size_t)y * (w / 2);
			uint8_t *tv = tu + nc;

			for (unsigned int x = 0; x < w / 2; x++) {
				ty[2 * x] = r[4 * x + yo];
				ty[2 * x + 1] = r[4 * x + 2 + yo];
				tu[x] = r[4 * x + 1 - yo];
				tv[x] = r[4 * x + 3 - yo];
			}
		}
		p[0] = t;
		p[1] = t + luma;
		p[2] = t + luma + nc;
		s[0] = (int)w;
		s[1] = s[2] = (int)(w / 2);
		return TJSAMP_422;
	}
	case VIGIL_FMT_GREY:
		break;
	}
	/* the luma alone */
	if (f->step == 1) {
		p[0] = f->luma;
		s[0] = (int)f->stride;
	} else {
		t = scratch(e, (size_t)w * h);
		if (!t)
			return -ENOMEM;
		vigil_frame_pack(f, VIGIL_FMT_GREY, t, (size_t)w * h);
		p[0] = t;
		s[0] = (int)w;
	}
	p[1] = p[2] = NULL;
	s[1] = s[2] = 0;
	return TJSAMP_GRAY;
}

int jpeg_enc_frame(struct jpeg_enc *e, const struct vigil_frame *f, int quality,
		   const unsigned char **jpeg, unsigned long *len)
{
	const unsigned char *p[3];
	int s[3], samp, ret;
	unsigned long n = e->cap;

	/* the codec's rule: packed 4:2:2 needs whole pixel pairs */
	if (f->nplanes && (f->fmt == VIGIL_FMT_YUYV || f->fmt == VIGIL_FMT_UYVY) &&
	    (f->width & 1)) {
		struct vigil_frame g = *f;

		g.nplanes = 0;
		return jpeg_enc_frame(e, &g, quality, jpeg, len);
	}
	samp = planes(e, f, p, s);
	if (samp < 0)
		return samp;
	if (samp == TJSAMP_GRAY)
		ret = tjCompress2(e->tj, p[0], (int)f->width, s[0], (int)f->height, TJPF_GRAY,
				  &e->jpeg, &n, TJSAMP_GRAY, quality, TJFLAG_FASTDCT);
	else
		ret = tjCompressFromYUVPlanes(e->tj, p, (int)f->width, s, (int)f->height, samp,
					      &e->jpeg, &n, quality, TJFLAG_FASTDCT);
	if (ret) {
		snprintf(e->error, sizeof(e->error), "%s", tjGetErrorStr2(e->tj));
		return -EIO;
	}
	if (n > e->cap)
		e->cap = n;
	*jpeg = e->jpeg;
	*len = n;
	return 0;
}
