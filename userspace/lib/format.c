// SPDX-License-Identifier: LGPL-2.1-or-later
/* Frame formats, frame views (luma and colour planes) and packing. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "libvigil.h"

static const struct {
	const char *name;
	enum vigil_pixfmt fmt;
} fmt_names[] = {
	{ "GREY", VIGIL_FMT_GREY },
	{ "NV12", VIGIL_FMT_NV12 },
	{ "I420", VIGIL_FMT_I420 },
	{ "YU12", VIGIL_FMT_I420 },
	{ "YUYV", VIGIL_FMT_YUYV },
	{ "NV21", VIGIL_FMT_NV21 },
	{ "YV12", VIGIL_FMT_YV12 },
	{ "UYVY", VIGIL_FMT_UYVY },
};

int vigil_pixfmt_from_name(const char *name, enum vigil_pixfmt *fmt)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++) {
		if (!strcasecmp(name, fmt_names[i].name)) {
			*fmt = fmt_names[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vigil_pixfmt_name(enum vigil_pixfmt fmt)
{
	switch (fmt) {
	case VIGIL_FMT_GREY: return "GREY";
	case VIGIL_FMT_NV12: return "NV12";
	case VIGIL_FMT_I420: return "I420";
	case VIGIL_FMT_YUYV: return "YUYV";
	case VIGIL_FMT_NV21: return "NV21";
	case VIGIL_FMT_YV12: return "YV12";
	case VIGIL_FMT_UYVY: return "UYVY";
	}
	return "?";
}

int vigil_pixfmt_frame_size(enum vigil_pixfmt fmt, unsigned int width,
			    unsigned int height, size_t *size)
{
	const size_t luma = (size_t)width * height;

	if (!width || !height || width > 16384 || height > 16384)
		return -EINVAL;
	switch (fmt) {
	case VIGIL_FMT_GREY:
		*size = luma;
		return 0;
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
	case VIGIL_FMT_I420:
	case VIGIL_FMT_YV12:
		*size = luma + 2 * (((size_t)width + 1) / 2) * ((height + 1) / 2);
		return 0;
	case VIGIL_FMT_YUYV:
	case VIGIL_FMT_UYVY:
		*size = luma * 2;
		return 0;
	}
	return -EINVAL;
}

/* Bytes a row and rows of each memory plane of @fmt; the planes' count. */
static unsigned int plane_geom(enum vigil_pixfmt fmt, unsigned int w, unsigned int h,
			       size_t row[VIGIL_FRAME_MAX_PLANES],
			       unsigned int rows[VIGIL_FRAME_MAX_PLANES])
{
	const size_t cw = ((size_t)w + 1) / 2;
	const unsigned int ch = (h + 1) / 2;

	switch (fmt) {
	case VIGIL_FMT_GREY:
		row[0] = w;
		rows[0] = h;
		return 1;
	case VIGIL_FMT_NV12:
	case VIGIL_FMT_NV21:
		row[0] = w;
		rows[0] = h;
		row[1] = 2 * cw;
		rows[1] = ch;
		return 2;
	case VIGIL_FMT_I420:
	case VIGIL_FMT_YV12:
		row[0] = w;
		rows[0] = h;
		row[1] = row[2] = cw;
		rows[1] = rows[2] = ch;
		return 3;
	case VIGIL_FMT_YUYV:
	case VIGIL_FMT_UYVY:
		row[0] = 2 * (size_t)w;
		rows[0] = h;
		return 1;
	}
	return 0;
}

int vigil_frame_view(struct vigil_frame *f, enum vigil_pixfmt fmt,
		     unsigned int width, unsigned int height, size_t stride,
		     const void *buf, size_t len)
{
	const bool packed = fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY;
	const unsigned int step = packed ? 2 : 1;
	const unsigned int lead = fmt == VIGIL_FMT_UYVY;
	const uint8_t *const b = buf;
	size_t row[VIGIL_FRAME_MAX_PLANES], off = 0, end = 0;
	unsigned int rows[VIGIL_FRAME_MAX_PLANES], n;
	struct vigil_frame v = { 0 };

	if (!width || !height || !buf)
		return -EINVAL;
	n = plane_geom(fmt, width, height, row, rows);
	if (!n)
		return -EINVAL;
	if (!stride)
		stride = (size_t)width * step;
	if (stride < (size_t)width * step)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		/* V4L2's single-plane layouts: chroma follows the luma rows */
		const size_t pitch = i == 0 || n == 2 ? stride : (stride + 1) / 2;

		if (pitch < row[i])
			return -EINVAL;
		v.plane[i] = b + off;
		v.pitch[i] = pitch;
		/* the last row of the last plane need not be padded */
		end = off + pitch * (rows[i] - 1) + row[i];
		off += pitch * rows[i];
	}
	if (len < end)
		return -EMSGSIZE;
	v.luma = b + lead;
	v.stride = stride;
	v.width = width;
	v.height = height;
	v.step = step;
	v.lead = lead;
	v.fmt = fmt;
	v.nplanes = n;
	*f = v;
	return 0;
}

enum vigil_pixfmt vigil_frame_format(const struct vigil_frame *f)
{
	return f->nplanes ? f->fmt : VIGIL_FMT_GREY;
}

int vigil_frame_pack(const struct vigil_frame *f, enum vigil_pixfmt fmt,
		     uint8_t *dst, size_t len)
{
	size_t row[VIGIL_FRAME_MAX_PLANES], size;
	unsigned int rows[VIGIL_FRAME_MAX_PLANES], n;

	if (vigil_pixfmt_frame_size(fmt, f->width, f->height, &size))
		return -EINVAL;
	if (len < size)
		return -ENOSPC;
	if (fmt == VIGIL_FMT_GREY) {
		/* the luma alone, whatever the frame's format */
		for (unsigned int y = 0; y < f->height; y++) {
			const uint8_t *s = f->luma + (size_t)y * f->stride;
			uint8_t *d = dst + (size_t)y * f->width;

			if (f->step == 1) {
				memcpy(d, s, f->width);
				continue;
			}
			for (unsigned int x = 0; x < f->width; x++)
				d[x] = s[(size_t)x * f->step];
		}
		return 0;
	}
	if (!f->nplanes || f->fmt != fmt)
		return -EINVAL;
	n = plane_geom(fmt, f->width, f->height, row, rows);
	if (n != f->nplanes)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (f->pitch[i] == row[i]) {
			memcpy(dst, f->plane[i], row[i] * rows[i]);
			dst += row[i] * rows[i];
			continue;
		}
		for (unsigned int y = 0; y < rows[i]; y++) {
			memcpy(dst, f->plane[i] + (size_t)y * f->pitch[i], row[i]);
			dst += row[i];
		}
	}
	return 0;
}
