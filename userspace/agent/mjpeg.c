// SPDX-License-Identifier: GPL-2.0-or-later
/* MJPEG to luma or to colour planes with libturbojpeg (see mjpeg.h). */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "mjpeg.h"

/*
 * Luma mode: decode at 1/2, 1/4 or 1/8 while the result stays at least
 * this wide: at 1080p, 1/2 gives 960x540 whose auto 8-pixel cells cover
 * the 16-pixel cells the detector would use at full size.
 */
#define MIN_DECODED_WIDTH 640

struct mjpeg {
	tjhandle tj;
	bool colour;
	unsigned int width, height;	/* of the stream */
	unsigned int dw, dh, denom;	/* decoded */
	bool fixed;			/* fmt set (colour) */
	enum vigil_pixfmt fmt;		/* output: GREY, I420 or YUYV */
	uint8_t *y;			/* luma, dw x dh (colour: MCU-padded) */
	uint8_t *c[2];			/* colour: the JPEG's Cb, Cr planes */
	size_t clen;			/* bytes of each of c[] */
	uint8_t *o[2];			/* I420 output chroma, when converted */
	uint8_t *yuyv;			/* YUYV output */
	int sub0;			/* colour: the first frame's subsampling */
	unsigned long converted;
	char error[128];
};

const char *mjpeg_subsamp_name(int tjsamp)
{
	static const char *const names[] = {
		[TJSAMP_444] = "4:4:4", [TJSAMP_422] = "4:2:2", [TJSAMP_420] = "4:2:0",
		[TJSAMP_GRAY] = "grey", [TJSAMP_440] = "4:4:0", [TJSAMP_411] = "4:1:1",
	};

	if (tjsamp < 0 || tjsamp >= TJ_NUMSAMP || !names[tjsamp])
		return "unknown";
	return names[tjsamp];
}

int mjpeg_format_for(int tjsamp, unsigned int width, enum vigil_pixfmt *fmt)
{
	if (tjsamp < 0 || tjsamp >= TJ_NUMSAMP)
		return -EINVAL;
	if (tjsamp == TJSAMP_GRAY)
		*fmt = VIGIL_FMT_GREY;
	else if (tjsamp == TJSAMP_422 && !(width & 1))
		*fmt = VIGIL_FMT_YUYV;
	else
		*fmt = VIGIL_FMT_I420;	/* 4:2:0 as it is, the rest converted */
	return 0;
}

int mjpeg_new(unsigned int width, unsigned int height, bool colour,
	      struct mjpeg **out)
{
	struct mjpeg *m;

	*out = NULL;
	if (!width || !height || width > 16384 || height > 16384)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->colour = colour;
	m->width = width;
	m->height = height;
	m->denom = 1;
	while (!colour && m->denom < 8 && width / (m->denom * 2) >= MIN_DECODED_WIDTH)
		m->denom *= 2;
	m->dw = (width + m->denom - 1) / m->denom;
	m->dh = (height + m->denom - 1) / m->denom;
	m->fmt = VIGIL_FMT_GREY;
	m->fixed = !colour;
	m->sub0 = -1;
	/* colour: libturbojpeg's planes are padded to the MCU (4:1:1: 4 x 1) */
	m->y = malloc(((size_t)m->dw + 3) * (m->dh + 1));
	m->tj = tjInitDecompress();
	if (!m->y || !m->tj) {
		mjpeg_free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void mjpeg_free(struct mjpeg *m)
{
	if (!m)
		return;
	if (m->tj)
		tjDestroy(m->tj);
	free(m->y);
	free(m->c[0]);
	free(m->c[1]);
	free(m->o[0]);
	free(m->o[1]);
	free(m->yuyv);
	free(m);
}

void mjpeg_size(const struct mjpeg *m, unsigned int *w, unsigned int *h,
		unsigned int *denom)
{
	*w = m->dw;
	*h = m->dh;
	*denom = m->denom;
}

const char *mjpeg_error(const struct mjpeg *m)
{
	return m->error;
}

unsigned long mjpeg_converted(const struct mjpeg *m)
{
	return m->converted;
}

int mjpeg_format(const struct mjpeg *m, enum vigil_pixfmt *fmt)
{
	if (!m->fixed)
		return -ENODATA;
	*fmt = m->fmt;
	return 0;
}

/* The output buffers of @fmt (allocated once, when the format is fixed). */
static int set_output(struct mjpeg *m, enum vigil_pixfmt fmt)
{
	const size_t cw = (m->width + 1) / 2, ch = (m->height + 1) / 2;

	if (fmt == VIGIL_FMT_I420) {
		m->o[0] = malloc(cw * ch);
		m->o[1] = malloc(cw * ch);
		if (!m->o[0] || !m->o[1])
			return -ENOMEM;
	} else if (fmt == VIGIL_FMT_YUYV) {
		if (m->width & 1)
			return -EINVAL;
		m->yuyv = malloc((size_t)m->width * 2 * m->height);
		if (!m->yuyv)
			return -ENOMEM;
	}
	m->fmt = fmt;
	m->fixed = true;
	return 0;
}

int mjpeg_set_format(struct mjpeg *m, enum vigil_pixfmt fmt)
{
	if (m->fixed)
		return fmt == m->fmt ? 0 : -EINVAL;
	if (fmt != VIGIL_FMT_GREY && fmt != VIGIL_FMT_I420 && fmt != VIGIL_FMT_YUYV)
		return -EINVAL;
	return set_output(m, fmt);
}

/* Header of @jpeg: its subsampling; the size checked against the stream's. */
static int header(struct mjpeg *m, const void *jpeg, size_t len, int *sub, int *cs)
{
	int w = 0, h = 0;

	if (!len || len > (unsigned long)-1) {
		snprintf(m->error, sizeof(m->error), "empty frame");
		return -EBADMSG;
	}
	if (tjDecompressHeader3(m->tj, jpeg, (unsigned long)len, &w, &h, sub, cs)) {
		snprintf(m->error, sizeof(m->error), "%s", tjGetErrorStr2(m->tj));
		return -EBADMSG;
	}
	if (w <= 0 || h <= 0) {
		snprintf(m->error, sizeof(m->error), "no image in the frame");
		return -EBADMSG;
	}
	if ((unsigned int)w != m->width || (unsigned int)h != m->height) {
		snprintf(m->error, sizeof(m->error), "image is %dx%d, the stream %ux%u",
			 w, h, m->width, m->height);
		return -EINVAL;
	}
	if (*sub < 0 || *sub >= TJ_NUMSAMP) {
		snprintf(m->error, sizeof(m->error), "unknown chroma subsampling");
		return -EBADMSG;
	}
	return 0;
}

int mjpeg_probe(struct mjpeg *m, const void *jpeg, size_t len,
		enum vigil_pixfmt *fmt, const char **subname)
{
	int sub, cs, ret;

	ret = header(m, jpeg, len, &sub, &cs);
	if (ret)
		return ret;
	if (subname)
		*subname = mjpeg_subsamp_name(sub);
	return mjpeg_format_for(sub, m->width, fmt);
}

/*
 * Chroma plane @src (@sp bytes a row), one sample per @hf x @vf luma
 * pixels of a @w x @h image, to samples covering @bw x @bh luma pixels
 * each, written @dstep bytes apart in rows @dp bytes apart: each the
 * rounded mean of the source samples under its pixels (edge blocks: the
 * pixels inside the image).
 */
static void resample(const uint8_t *src, size_t sp, unsigned int hf, unsigned int vf,
		     unsigned int w, unsigned int h, uint8_t *dst, size_t dp, size_t dstep,
		     unsigned int bw, unsigned int bh)
{
	for (unsigned int y0 = 0, oy = 0; y0 < h; y0 += bh, oy++) {
		const unsigned int y1 = y0 + bh < h ? y0 + bh : h;
		uint8_t *d = dst + (size_t)oy * dp;

		for (unsigned int x0 = 0; x0 < w; x0 += bw, d += dstep) {
			const unsigned int x1 = x0 + bw < w ? x0 + bw : w;
			unsigned int sum = 0, n = 0;

			for (unsigned int y = y0; y < y1; y++)
				for (unsigned int x = x0; x < x1; x++, n++)
					sum += src[(size_t)(y / vf) * sp + x / hf];
			*d = (uint8_t)((sum + n / 2) / n);
		}
	}
}

/* 4:2:2 planes to YUYV, row by row (@w even, luma @ys bytes a row). */
static void interleave(const uint8_t *y, size_t ys, const uint8_t *cb, const uint8_t *cr,
		       unsigned int w, unsigned int h, uint8_t *dst)
{
	const unsigned int cw = w / 2;

	for (unsigned int r = 0; r < h; r++) {
		const uint8_t *yr = y + (size_t)r * ys, *br = cb + (size_t)r * cw,
			      *rr = cr + (size_t)r * cw;
		uint8_t *d = dst + (size_t)r * w * 2;

		for (unsigned int x = 0; x < cw; x++) {
			d[4 * x] = yr[2 * x];
			d[4 * x + 1] = br[x];
			d[4 * x + 2] = yr[2 * x + 1];
			d[4 * x + 3] = rr[x];
		}
	}
}

static int decode_luma(struct mjpeg *m, const void *jpeg, size_t len, int flags)
{
	/*
	 * Warnings (a truncated image, data missing) stop the decoding too: a
	 * frame half filled with grey would look like motion, or be recorded.
	 */
	if (tjDecompress2(m->tj, jpeg, (unsigned long)len, m->y, (int)m->dw, (int)m->dw,
			  (int)m->dh, TJPF_GRAY, flags | TJFLAG_STOPONWARNING)) {
		snprintf(m->error, sizeof(m->error), "%s", tjGetErrorStr2(m->tj));
		return -EBADMSG;
	}
	return 0;
}

/*
 * Colour: the JPEG's planes into y (*@ys bytes a row), c[] (*@cw a row), or
 * the luma alone for a grey JPEG.
 */
static int decode_planes(struct mjpeg *m, const void *jpeg, size_t len, int sub, int cs,
			 unsigned int *ys, unsigned int *cw, unsigned int *ch)
{
	const int w = (int)m->width, h = (int)m->height;
	unsigned char *planes[3];
	int strides[3];
	size_t need;

	*ys = m->width;
	if (sub == TJSAMP_GRAY)
		return decode_luma(m, jpeg, len, 0);
	if (cs != TJCS_YCbCr) {
		snprintf(m->error, sizeof(m->error), "colour space %d, not YCbCr", cs);
		return -EBADMSG;
	}
	*cw = (unsigned int)tjPlaneWidth(1, w, sub);
	*ch = (unsigned int)tjPlaneHeight(1, h, sub);
	need = (size_t)*cw * *ch;
	if (need > m->clen) {
		for (int i = 0; i < 2; i++) {
			free(m->c[i]);
			m->c[i] = malloc(need);
		}
		m->clen = m->c[0] && m->c[1] ? need : 0;
		if (!m->clen)
			return -ENOMEM;
	}
	planes[0] = m->y;
	planes[1] = m->c[0];
	planes[2] = m->c[1];
	*ys = (unsigned int)tjPlaneWidth(0, w, sub);
	assert(*ys <= m->width + 3 && (unsigned int)tjPlaneHeight(0, h, sub) <= m->height + 1);
	strides[0] = (int)*ys;
	strides[1] = strides[2] = (int)*cw;
	if (tjDecompressToYUVPlanes(m->tj, jpeg, (unsigned long)len, planes, w, strides, h,
				    TJFLAG_STOPONWARNING)) {
		snprintf(m->error, sizeof(m->error), "%s", tjGetErrorStr2(m->tj));
		return -EBADMSG;
	}
	return 0;
}

static int decode_colour(struct mjpeg *m, const void *jpeg, size_t len, int sub, int cs,
			 struct vigil_frame *f)
{
	const unsigned int w = m->width, h = m->height;
	const size_t ow = (w + 1) / 2;
	enum vigil_pixfmt native = VIGIL_FMT_I420;
	unsigned int ys = w, cw = 0, ch = 0, hf, vf;
	int ret;

	mjpeg_format_for(sub, w, &native);
	if (!m->fixed) {
		ret = set_output(m, native);
		if (ret)
			return ret;
	}
	if (m->fmt == VIGIL_FMT_GREY) {
		ret = decode_luma(m, jpeg, len, 0);
		if (ret)
			return ret;
		return vigil_frame_view(f, VIGIL_FMT_GREY, w, h, w, m->y, (size_t)w * h);
	}
	ret = decode_planes(m, jpeg, len, sub, cs, &ys, &cw, &ch);
	if (ret)
		return ret;
	/* a JPEG of another subsampling than the first is converted too */
	if (m->sub0 < 0)
		m->sub0 = sub;
	else if (sub != m->sub0)
		m->converted++;
	hf = (unsigned int)tjMCUWidth[sub] / 8;
	vf = (unsigned int)tjMCUHeight[sub] / 8;
	if (m->fmt == VIGIL_FMT_YUYV) {
		if (sub == TJSAMP_422) {
			interleave(m->y, ys, m->c[0], m->c[1], w, h, m->yuyv);
		} else {
			for (unsigned int r = 0; r < h; r++) {
				const uint8_t *yr = m->y + (size_t)r * ys;
				uint8_t *d = m->yuyv + (size_t)r * w * 2;

				for (unsigned int x = 0; x < w; x++) {
					d[2 * x] = yr[x];
					d[2 * x + 1] = 128;	/* grey JPEG: neutral */
				}
			}
		}
		if (sub != TJSAMP_422 && sub != TJSAMP_GRAY) {
			resample(m->c[0], cw, hf, vf, w, h, m->yuyv + 1, (size_t)w * 2, 4, 2, 1);
			resample(m->c[1], cw, hf, vf, w, h, m->yuyv + 3, (size_t)w * 2, 4, 2, 1);
		}
		return vigil_frame_view(f, VIGIL_FMT_YUYV, w, h, (size_t)w * 2, m->yuyv,
					(size_t)w * 2 * h);
	}
	assert(m->fmt == VIGIL_FMT_I420);
	ret = vigil_frame_view(f, VIGIL_FMT_GREY, w, h, ys, m->y, (size_t)ys * h);
	if (ret)
		return ret;
	if (sub == TJSAMP_420) {
		f->plane[1] = m->c[0];
		f->plane[2] = m->c[1];
	} else {
		if (sub == TJSAMP_GRAY) {
			memset(m->o[0], 128, ow * ((h + 1) / 2));
			memset(m->o[1], 128, ow * ((h + 1) / 2));
		} else {
			resample(m->c[0], cw, hf, vf, w, h, m->o[0], ow, 1, 2, 2);
			resample(m->c[1], cw, hf, vf, w, h, m->o[1], ow, 1, 2, 2);
		}
		f->plane[1] = m->o[0];
		f->plane[2] = m->o[1];
	}
	f->pitch[1] = f->pitch[2] = ow;
	f->fmt = VIGIL_FMT_I420;
	f->nplanes = 3;
	return 0;
}

int mjpeg_decode(struct mjpeg *m, const void *jpeg, size_t len,
		 struct vigil_frame *f)
{
	int sub, cs, ret;

	ret = header(m, jpeg, len, &sub, &cs);
	if (ret)
		return ret;
	if (m->colour) {
		ret = decode_colour(m, jpeg, len, sub, cs, f);
		if (ret == -ENOMEM)
			snprintf(m->error, sizeof(m->error), "out of memory");
		return ret == -ENOMEM ? -EBADMSG : ret;
	}
	ret = decode_luma(m, jpeg, len, TJFLAG_FASTDCT);
	if (ret)
		return ret;
	return vigil_frame_view(f, VIGIL_FMT_GREY, m->dw, m->dh, m->dw, m->y,
				(size_t)m->dw * m->dh);
}

/* The frame being delivered and its JPEG (one video source per vigild). */
static struct {
	const uint8_t *luma;
	uint32_t seq;
	uint64_t ts_ns;
	const void *jpeg;
	size_t len;
} delivered;

void mjpeg_frame_set(const struct vigil_frame *f, const void *jpeg, size_t len)
{
	const uint8_t *j = jpeg;

	/* up to the last end-of-image marker: drivers may count padding */
	while (len >= 2 && !(j[len - 2] == 0xff && j[len - 1] == 0xd9))
		len--;
	delivered.luma = f->luma;
	delivered.seq = f->seq;
	delivered.ts_ns = f->ts_ns;
	delivered.jpeg = len >= 2 ? jpeg : NULL;
	delivered.len = len;
}

void mjpeg_frame_clear(void)
{
	delivered.jpeg = NULL;
	delivered.len = 0;
}

int mjpeg_frame_jpeg(const struct vigil_frame *f, const void **jpeg, size_t *len)
{
	if (!delivered.jpeg || f->luma != delivered.luma || f->seq != delivered.seq ||
	    f->ts_ns != delivered.ts_ns)
		return -ENOENT;
	*jpeg = delivered.jpeg;
	*len = delivered.len;
	return 0;
}
