// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The region of a frame the person check reads for a blob: in libvigil and
 * in the detector module (lib/person-hog.cpp), which must not depend on
 * the program's copy of libvigil.
 */
#include <errno.h>

#include "libvigil.h"

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
