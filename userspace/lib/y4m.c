// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * YUV4MPEG2 reader over a memory buffer (the file is mapped, frames are
 * handed out in place) and header formatting for writers.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"

#define Y4M_MAGIC "YUV4MPEG2"
#define Y4M_MAX_LINE 256

struct vigil_y4m {
	const uint8_t *buf;
	size_t len;
	size_t first;		/* offset of the first FRAME */
	size_t pos;		/* offset of the next FRAME */
	unsigned int index;
	const char *error;
	struct vigil_y4m_info info;
};

/* Length of the line at @p (up to '\n', excluded), or -1 if none. */
static long line_len(const uint8_t *p, size_t avail)
{
	const size_t max = avail < Y4M_MAX_LINE ? avail : Y4M_MAX_LINE;
	const uint8_t *nl = memchr(p, '\n', max);

	return nl ? nl - p : -1;
}

static int parse_uint(const char *s, const char *end, unsigned int *v)
{
	unsigned long n = 0;

	if (s >= end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > 1000000)
			return -ERANGE;
	}
	*v = (unsigned int)n;
	return 0;
}

static int parse_ratio(const char *s, const char *end, unsigned int *a,
		       unsigned int *b)
{
	const char *colon = memchr(s, ':', (size_t)(end - s));

	if (!colon || parse_uint(s, colon, a) || parse_uint(colon + 1, end, b))
		return -EINVAL;
	return 0;
}

static int parse_header(struct vigil_y4m *y, const char *line, size_t n)
{
	const char *p = line + strlen(Y4M_MAGIC);
	const char *const end = line + n;
	struct vigil_y4m_info *in = &y->info;
	bool have_w = false, have_h = false;

	in->fps_num = 25;
	in->fps_den = 1;
	in->fmt = VIGIL_FMT_I420;
	while (p < end) {
		const char *tok, *tend;

		if (*p != ' ') {
			y->error = "garbled stream header";
			return -EBADMSG;
		}
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && *p != ' ')
			p++;
		tend = p;
		switch (*tok) {
		case 'W':
			if (parse_uint(tok + 1, tend, &in->width))
				goto bad;
			have_w = true;
			break;
		case 'H':
			if (parse_uint(tok + 1, tend, &in->height))
				goto bad;
			have_h = true;
			break;
		case 'F':
			if (parse_ratio(tok + 1, tend, &in->fps_num, &in->fps_den) ||
			    !in->fps_num || !in->fps_den)
				goto bad;
			break;
		case 'C': {
			const size_t l = (size_t)(tend - tok - 1);

			/* 8-bit only: 'mono10', '420p10' and the like have
			 * 16-bit samples that would be read as two pixels */
			if ((l > 4 && !memcmp(tok + 1, "mono", 4)) ||
			    (l > 4 && !memcmp(tok + 1, "420p", 4) &&
			     tok[5] >= '0' && tok[5] <= '9')) {
				y->error = "more than 8 bits per sample is not supported (convert to 8-bit mono or 420)";
				return -ENOTSUP;
			}
			if (l == 4 && !memcmp(tok + 1, "mono", 4))
				in->fmt = VIGIL_FMT_GREY;
			else if (l >= 3 && !memcmp(tok + 1, "420", 3))
				in->fmt = VIGIL_FMT_I420;
			else {
				y->error = "unsupported colour space (need mono or 420)";
				return -ENOTSUP;
			}
			break;
		}
		case 'I':
			if (tend - tok != 2 || (tok[1] != 'p' && tok[1] != '?')) {
				y->error = "interlaced streams are not supported";
				return -ENOTSUP;
			}
			break;
		default:
			/* A (aspect), X (extension): ignored. */
			break;
		}
	}
	if (!have_w || !have_h) {
		y->error = "stream header lacks W or H";
		return -EBADMSG;
	}
	if (vigil_pixfmt_frame_size(in->fmt, in->width, in->height,
				    &in->frame_size)) {
		y->error = "bad frame size in stream header";
		return -EBADMSG;
	}
	return 0;
bad:
	y->error = "bad value in stream header";
	return -EBADMSG;
}

int vigil_y4m_new(const void *buf, size_t len, struct vigil_y4m **out,
		  const char **err)
{
	struct vigil_y4m *y;
	long n;
	int ret;

	*out = NULL;
	y = calloc(1, sizeof(*y));
	if (!y) {
		if (err)
			*err = "out of memory";
		return -ENOMEM;
	}
	y->buf = buf;
	y->len = len;
	if (len < strlen(Y4M_MAGIC) || memcmp(buf, Y4M_MAGIC, strlen(Y4M_MAGIC))) {
		y->error = "not a Y4M file (no YUV4MPEG2 magic)";
		ret = -EBADMSG;
		goto fail;
	}
	n = line_len(buf, len);
	if (n < 0) {
		y->error = "stream header is not terminated";
		ret = -EBADMSG;
		goto fail;
	}
	ret = parse_header(y, buf, (size_t)n);
	if (ret)
		goto fail;
	y->first = y->pos = (size_t)n + 1;
	*out = y;
	return 0;
fail:
	if (err)
		*err = y->error;
	free(y);
	return ret;
}

void vigil_y4m_free(struct vigil_y4m *y)
{
	free(y);
}

const struct vigil_y4m_info *vigil_y4m_info(const struct vigil_y4m *y)
{
	return &y->info;
}

int vigil_y4m_next(struct vigil_y4m *y, const uint8_t **data)
{
	const size_t avail = y->len - y->pos;
	const uint8_t *p = y->buf + y->pos;
	long n;

	assert(y->pos <= y->len);
	if (!avail)
		return -ENODATA;
	n = line_len(p, avail);
	if (n < 0) {
		const size_t m = avail < 5 ? avail : 5;

		if (avail < Y4M_MAX_LINE && !memcmp(p, "FRAME", m)) {
			y->error = "truncated frame header";
			return -EPIPE;
		}
		y->error = "garbled frame header (expected FRAME)";
		return -EBADMSG;
	}
	if (n < 5 || memcmp(p, "FRAME", 5) || (n > 5 && p[5] != ' ')) {
		y->error = "garbled frame header (expected FRAME)";
		return -EBADMSG;
	}
	if ((size_t)n + 1 + y->info.frame_size > avail) {
		y->error = "truncated frame";
		return -EPIPE;
	}
	*data = p + n + 1;
	y->pos += (size_t)n + 1 + y->info.frame_size;
	y->index++;
	return 0;
}

void vigil_y4m_rewind(struct vigil_y4m *y)
{
	y->pos = y->first;
	y->index = 0;
	y->error = NULL;
}

unsigned int vigil_y4m_frame_index(const struct vigil_y4m *y)
{
	return y->index;
}

const char *vigil_y4m_error(const struct vigil_y4m *y)
{
	return y->error ? y->error : "no error";
}

int vigil_y4m_format_header(char *buf, size_t len,
			    const struct vigil_y4m_info *info)
{
	const char *cs;
	int n;

	switch (info->fmt) {
	case VIGIL_FMT_GREY:
		cs = "mono";
		break;
	case VIGIL_FMT_I420:
		cs = "420jpeg";
		break;
	default:
		return -EINVAL;
	}
	n = snprintf(buf, len, "YUV4MPEG2 W%u H%u F%u:%u Ip A1:1 C%s\n",
		     info->width, info->height, info->fps_num,
		     info->fps_den ? info->fps_den : 1, cs);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
