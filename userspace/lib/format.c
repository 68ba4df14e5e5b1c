// SPDX-License-Identifier: LGPL-2.1-or-later
/* Frame formats and luma-plane views. */
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

int vigil_frame_view(struct vigil_frame *f, enum vigil_pixfmt fmt,
		     unsigned int width, unsigned int height, size_t stride,
		     const void *buf, size_t len)
{
	const bool packed = fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY;
	const unsigned int step = packed ? 2 : 1;
	const unsigned int lead = fmt == VIGIL_FMT_UYVY;
	size_t need;

	if (!width || !height || !buf)
		return -EINVAL;
	if (!stride)
		stride = (size_t)width * step;
	if (stride < (size_t)width * step)
		return -EINVAL;
	/* Only the luma plane (packed: whole pixel pairs) is read; it must fit. */
	need = stride * (height - 1) + (size_t)width * step;
	if (len < need)
		return -EMSGSIZE;
	memset(f, 0, sizeof(*f));
	f->luma = (const uint8_t *)buf + lead;
	f->stride = stride;
	f->width = width;
	f->height = height;
	f->step = step;
	f->lead = lead;
	return 0;
}
