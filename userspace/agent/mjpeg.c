// SPDX-License-Identifier: GPL-2.0-or-later
/* MJPEG to luma with libturbojpeg (see mjpeg.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "mjpeg.h"

/*
 * Decode at 1/2, 1/4 or 1/8 while the result stays at least this wide: at
 * 1080p, 1/2 gives 960x540 whose auto 8-pixel cells cover the 16-pixel
 * cells the detector would use at full size.
 */
#define MIN_DECODED_WIDTH 640

struct mjpeg {
	tjhandle tj;
	unsigned int width, height;	/* of the stream */
	unsigned int dw, dh, denom;	/* decoded */
	uint8_t *gray;
	char error[128];
};

int mjpeg_new(unsigned int width, unsigned int height, struct mjpeg **out)
{
	struct mjpeg *m;

	*out = NULL;
	if (!width || !height || width > 16384 || height > 16384)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->width = width;
	m->height = height;
	m->denom = 1;
	while (m->denom < 8 && width / (m->denom * 2) >= MIN_DECODED_WIDTH)
		m->denom *= 2;
	m->dw = (width + m->denom - 1) / m->denom;
	m->dh = (height + m->denom - 1) / m->denom;
	m->gray = malloc((size_t)m->dw * m->dh);
	m->tj = tjInitDecompress();
	if (!m->gray || !m->tj) {
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
	free(m->gray);
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

int mjpeg_decode(struct mjpeg *m, const void *jpeg, size_t len,
		 struct vigil_frame *f)
{
	int w = 0, h = 0, sub, cs;

	if (!len || len > (unsigned long)-1) {
		snprintf(m->error, sizeof(m->error), "empty frame");
		return -EBADMSG;
	}
	if (tjDecompressHeader3(m->tj, jpeg, (unsigned long)len, &w, &h, &sub, &cs)) {
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
	/*
	 * Warnings (a truncated image, data missing) stop the decoding too: a
	 * frame half filled with grey would look like motion.
	 */
	if (tjDecompress2(m->tj, jpeg, (unsigned long)len, m->gray, (int)m->dw, (int)m->dw,
			  (int)m->dh, TJPF_GRAY, TJFLAG_FASTDCT | TJFLAG_STOPONWARNING)) {
		snprintf(m->error, sizeof(m->error), "%s", tjGetErrorStr2(m->tj));
		return -EBADMSG;
	}
	return vigil_frame_view(f, VIGIL_FMT_GREY, m->dw, m->dh, m->dw, m->gray,
				(size_t)m->dw * m->dh);
}
