/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MJPEG frames to a luma plane with libturbojpeg: only the Y component is
 * decoded (grayscale output skips the chroma IDCT and colour conversion),
 * and at a reduced scale by DCT scaling where the frame is wide enough:
 * the detector's cells then cover the same area of the scene for less work.
 */
#ifndef MJPEG_H
#define MJPEG_H

#include <stddef.h>

#include "libvigil.h"

struct mjpeg;

/* For @width x @height frames; the decoded size is mjpeg_size(). */
int mjpeg_new(unsigned int width, unsigned int height, struct mjpeg **out);
void mjpeg_free(struct mjpeg *m);
/* The decoded (scaled) size and the scale denominator (1, 2, 4 or 8). */
void mjpeg_size(const struct mjpeg *m, unsigned int *w, unsigned int *h,
		unsigned int *denom);
/*
 * Decode one JPEG image of @len bytes; @f views the decoded GREY plane
 * (valid until the next call). 0, -EBADMSG for a corrupt image (with a
 * reason from mjpeg_error()), -EINVAL if its size is not the stream's.
 */
int mjpeg_decode(struct mjpeg *m, const void *jpeg, size_t len,
		 struct vigil_frame *f);
const char *mjpeg_error(const struct mjpeg *m);

#endif
