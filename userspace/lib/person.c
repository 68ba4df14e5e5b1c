// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The person check's plain parts: verdict names, parameters, the region
 * checked for a blob. The detector is lib/person-hog.cpp (OpenCV) when
 * libvigil is built with it; without it the check says -ENOTSUP.
 */
#include <errno.h>
#include <stddef.h>

#include "libvigil.h"

static const char *const verdict_names[] = {
	[VIGIL_PERSON_NONE] = "none",
	[VIGIL_PERSON_UNKNOWN] = "unknown",
	[VIGIL_PERSON_YES] = "person",
	[VIGIL_PERSON_NO] = "no-person",
};

const char *vigil_person_verdict_name(enum vigil_person_verdict v)
{
	return (unsigned int)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ?
	       verdict_names[v] : "?";
}

void vigil_person_params_default(struct vigil_person_params *p)
{
	p->crop_height = 160;
	p->max_width = 480;
	p->hit_threshold = 0.0;
}

static unsigned int clampu(long v, unsigned int lo, unsigned int hi)
{
	return v < (long)lo ? lo : v > (long)hi ? hi : (unsigned int)v;
}

int vigil_person_region(const struct vigil_box *b, unsigned int width,
			unsigned int height, struct vigil_box *r)
{
	unsigned int rw, rh;
	long cx, cy;

	if (!b->w || !b->h || !width || !height || b->x >= width ||
	    b->y >= height)
		return -EINVAL;
	/* 1.6 x the height: the detector's 64x128 window holds a 96-px person */
	rh = (b->h * 8 + 4) / 5;
	rw = (b->w * 8 + 4) / 5;
	if (rw < (rh + 1) / 2)
		rw = (rh + 1) / 2;
	if (rh > height)
		rh = height;
	if (rw > width)
		rw = width;
	cx = (long)b->x + b->w / 2;
	cy = (long)b->y + b->h / 2;
	r->x = clampu(cx - rw / 2, 0, width - rw);
	r->y = clampu(cy - rh / 2, 0, height - rh);
	r->w = rw;
	r->h = rh;
	r->area = rw * rh;
	return 0;
}

#ifndef VIGIL_HAVE_OPENCV
/* Built without a detector: the interface is there, the check is not. */
const char *vigil_person_backend(void)
{
	return NULL;
}

int vigil_person_new(const struct vigil_person_params *p,
		     struct vigil_person **out)
{
	*out = NULL;
	return -ENOTSUP;
}

void vigil_person_free(struct vigil_person *p)
{
}

int vigil_person_check(struct vigil_person *p, const struct vigil_frame *f,
		       const struct vigil_box *boxes, unsigned int n,
		       struct vigil_person_result *res)
{
	return -ENOTSUP;
}

int vigil_person_crop(struct vigil_person *p, const struct vigil_frame *f,
		      const struct vigil_box *box, uint8_t *buf, size_t len,
		      unsigned int *w, unsigned int *h)
{
	return -ENOTSUP;
}
#endif
