// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The virtual sensor's VIGIL-RAW files: one header line
 * "VIGIL-RAW <fourcc> <width> <height>\n", then raw frames back to back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libvigil.h"
#include "vigil-internal.h"

#define RAW_MAGIC "VIGIL-RAW"
#define RAW_LINE_MAX 128

bool vigil_raw_is(const void *buf, size_t len)
{
	return len >= strlen(RAW_MAGIC) && !memcmp(buf, RAW_MAGIC, strlen(RAW_MAGIC));
}

int vigil_raw_header(const void *buf, size_t len, struct vigil_raw_info *info,
		     const char **why)
{
	const char *p = buf;
	const char *nl = memchr(p, '\n', len < RAW_LINE_MAX ? len : RAW_LINE_MAX);
	char line[RAW_LINE_MAX], fourcc[8], extra;
	unsigned int w, h;
	size_t n;

	memset(info, 0, sizeof(*info));
	if (!vigil_raw_is(buf, len)) {
		*why = "not a VIGIL-RAW file";
		return -EBADMSG;
	}
	if (!nl) {
		*why = "VIGIL-RAW header is not terminated";
		return -EBADMSG;
	}
	n = (size_t)(nl - p);
	memcpy(line, p, n);
	line[n] = '\0';
	if (memchr(line, '\0', n)) {
		*why = "garbled VIGIL-RAW header";
		return -EBADMSG;
	}
	if (sscanf(line, RAW_MAGIC " %4s %u %u %c", fourcc, &w, &h, &extra) != 3 ||
	    vigil_pixfmt_from_name(fourcc, &info->fmt)) {
		*why = "garbled VIGIL-RAW header (expected 'VIGIL-RAW FOURCC WIDTH HEIGHT')";
		return -EBADMSG;
	}
	if (vigil_pixfmt_frame_size(info->fmt, w, h, &info->frame_size)) {
		*why = "VIGIL-RAW frame size out of range";
		return -EINVAL;
	}
	info->width = w;
	info->height = h;
	info->header_len = n + 1;
	return 0;
}
