/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MJPEG frames to vigil frames with libturbojpeg, in one of two modes:
 *
 * - luma (detection only): only the Y component is decoded (grayscale
 *   output skips the chroma IDCT and colour conversion), and at a reduced
 *   scale by DCT scaling where the frame is wide enough: the detector's
 *   cells then cover the same area of the scene for less work;
 * - colour (clips, live view): the YCbCr planes at full size without
 *   colour conversion (tjDecompressToYUVPlanes), handed on as the format
 *   that keeps the JPEG's chroma: 4:2:0 as I420, 4:2:2 as YUYV (packed,
 *   which the clip codec stores planar again), greyscale as GREY. Other
 *   subsamplings (4:4:4, 4:4:0, 4:1:1, and 4:2:2 of odd width, which YUYV
 *   cannot hold) are converted to I420: each 2x2 block's chroma is the
 *   rounded mean of the chroma samples under its pixels.
 *
 * A stream keeps one output format (the first frame's, or the one set with
 * mjpeg_set_format()): a frame whose subsampling differs (a camera's mode
 * change) is converted to it in the same way, never handed on in another
 * layout, so a clip never mixes formats.
 */
#ifndef MJPEG_H
#define MJPEG_H

#include <stdbool.h>
#include <stddef.h>

#include "libvigil.h"

struct mjpeg;

/* For @width x @height frames; the decoded size is mjpeg_size(). */
int mjpeg_new(unsigned int width, unsigned int height, bool colour,
	      struct mjpeg **out);
void mjpeg_free(struct mjpeg *m);
/* The decoded size and the scale denominator (1, 2, 4 or 8; colour: 1). */
void mjpeg_size(const struct mjpeg *m, unsigned int *w, unsigned int *h,
		unsigned int *denom);
/*
 * The output format for a JPEG of libturbojpeg subsampling @tjsamp and
 * @width: GREY, I420 or YUYV (see above). -EINVAL for an unknown one.
 */
int mjpeg_format_for(int tjsamp, unsigned int width, enum vigil_pixfmt *fmt);
/*
 * The output format the frame @jpeg would fix (its header only), and its
 * subsampling's name ("4:2:2") in @sub if not NULL. 0 or -EBADMSG.
 */
int mjpeg_probe(struct mjpeg *m, const void *jpeg, size_t len,
		enum vigil_pixfmt *fmt, const char **sub);
/* Colour: fix the output format (GREY, I420 or YUYV); -EINVAL otherwise. */
int mjpeg_set_format(struct mjpeg *m, enum vigil_pixfmt fmt);
/* Colour: the output format, once fixed; else -ENODATA. */
int mjpeg_format(const struct mjpeg *m, enum vigil_pixfmt *fmt);
/* Colour: frames of another subsampling than the stream's first. */
unsigned long mjpeg_converted(const struct mjpeg *m);
/*
 * Decode one JPEG image of @len bytes; @f views the decoded frame (valid
 * until the next call). 0, -EBADMSG for a corrupt image (with a reason
 * from mjpeg_error()), -EINVAL if its size is not the stream's.
 */
int mjpeg_decode(struct mjpeg *m, const void *jpeg, size_t len,
		 struct vigil_frame *f);
const char *mjpeg_error(const struct mjpeg *m);
/*
 * The camera's own JPEG for the live MJPEG stream (passed through, not
 * encoded again): the source registers the JPEG a colour frame @f was
 * decoded from while @f is being delivered, and clears it before the
 * buffer goes back to the driver. mjpeg_frame_jpeg() gives it for that
 * frame (the bytes after its end-of-image marker left out), else -ENOENT.
 */
void mjpeg_frame_set(const struct vigil_frame *f, const void *jpeg, size_t len);
void mjpeg_frame_clear(void);
int mjpeg_frame_jpeg(const struct vigil_frame *f, const void **jpeg, size_t *len);
/* The name of a libturbojpeg subsampling: "4:2:0", "grey", ... */
const char *mjpeg_subsamp_name(int tjsamp);

#endif
